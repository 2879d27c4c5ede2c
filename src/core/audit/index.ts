/** The audit log: see types.ts and docs/decisions/0009-audit-log.md. */
export type {
  AuditBodyMode,
  AuditChainRegistration,
  AuditEntry,
  AuditEntryContent,
  AuditEntryInput,
  AuditLocation,
  AuditProblem,
  AuditProblemKind,
  AuditQuery,
  AuditRecord,
  AuditStore,
  AuditVerifyReport,
  ChainHead,
  ChainSummary,
  CheckpointAnchors,
  CheckpointBody,
  CheckpointCommit,
  CheckpointFacts,
  CheckpointHead,
  CheckpointPlan,
  CheckpointReason,
  CheckpointRequest,
  Hash,
  PruneFacts,
  StoredBodies,
  StoredBody,
  StoredCheckpoint,
  UncoveredRange,
} from "./types.ts";
export { AuditError, type AuditErrorCode } from "./errors.ts";
export {
  bodiesFrom,
  canonicalEntry,
  contentFromText,
  dataClassesFrom,
  entryContent,
  entryHash,
  entryHashMatches,
  normalizeRecord,
  storedEntryHashMatches,
  zeroHash,
} from "./canonical.ts";
export { auditBodyModes, checkBodyOptions, decryptBody, encryptionKeyId, prepareBodies, type AuditBodyOptions } from "./bodies.ts";
export {
  auditKeyId,
  auditKeyring,
  auditPublicKey,
  createAuditSigner,
  generateAuditKeyPair,
  verifyAuditSignature,
  type AuditKeyPair,
  type AuditPublicKeyInput,
  type AuditSigner,
} from "./signing.ts";
export { parseCheckpointBody, planCheckpoint, signChainRegistration } from "./checkpoint.ts";
export { createAuditLog, createChainId, type AuditDurability, type AuditLog, type AuditLogOptions, type AuditLogStats } from "./log.ts";
export { verifyAuditLog, type AuditVerifyOptions } from "./verify.ts";
export {
  exportAuditLog,
  verifyExport,
  type AuditExportFormat,
  type AuditExportOptions,
  type AuditExportResult,
  type AuditExportVerifyOptions,
  type AuditExportVerifyReport,
} from "./export.ts";
export { pruneAuditLog, type AuditPruneOptions, type AuditPruneResult } from "./retention.ts";

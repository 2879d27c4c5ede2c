/**
 * Audit rows <-> entries, shared by the SQLite and PostgreSQL adapters (both use these column
 * names). Reading never coerces types: a value someone changed in the database must reach the
 * verifier as it is, so the entry fails its hash check instead of being silently repaired.
 */
import { bodiesFromJson, bodiesToJson, dataClassesFromJson, dataClassesToJson } from "../core/audit/canonical.ts";
import type { AuditChainRegistration, AuditEntry, AuditEntryInput, CheckpointReason, StoredCheckpoint } from "../core/audit/types.ts";

/** Column names of audit_entries in insert order (without `seq`, which the database assigns). */
export const auditEntryColumns = [
  "chain",
  "chain_seq",
  "prev_hash",
  "hash",
  "time",
  "request_id",
  "kind",
  "action",
  "dialect",
  "key_name",
  "team",
  "model",
  "route",
  "provider",
  "target",
  "locality",
  "policy_rule",
  "policy_action",
  "data_classes",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "latency_ms",
  "status",
  "error_code",
  "subject",
  "bodies",
] as const;

export type AuditRowValue = string | number | null;

/** Values in `auditEntryColumns` order. */
export function auditEntryValues(entry: AuditEntryInput): AuditRowValue[] {
  return [
    entry.chain,
    entry.chainSeq,
    entry.prevHash,
    entry.hash,
    entry.time,
    entry.requestId,
    entry.kind,
    entry.action,
    entry.dialect,
    entry.key,
    entry.team,
    entry.model,
    entry.route,
    entry.provider,
    entry.target,
    entry.locality,
    entry.policyRule,
    entry.policyAction,
    dataClassesToJson(entry.dataClasses),
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.latencyMs,
    entry.status,
    entry.errorCode,
    entry.subject,
    bodiesToJson(entry.bodies),
  ];
}

/** A row of audit_entries as a driver returns it. */
export interface AuditEntryRow {
  seq: number;
  chain: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
  time: number;
  request_id: string;
  kind: "request" | "admin";
  action: string;
  dialect: string;
  key_name: string | null;
  team: string | null;
  model: string;
  route: string | null;
  provider: string;
  target: string;
  locality: string | null;
  policy_rule: string | null;
  policy_action: string | null;
  data_classes: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_ms: number;
  status: number;
  error_code: string | null;
  subject: string | null;
  bodies: string | null;
}

export function auditEntryFromRow(row: AuditEntryRow): AuditEntry {
  return {
    seq: row.seq,
    chain: row.chain,
    chainSeq: row.chain_seq,
    prevHash: row.prev_hash,
    hash: row.hash,
    time: row.time,
    requestId: row.request_id,
    kind: row.kind,
    action: row.action,
    dialect: row.dialect,
    key: row.key_name,
    team: row.team,
    model: row.model,
    route: row.route,
    provider: row.provider,
    target: row.target,
    locality: row.locality,
    policyRule: row.policy_rule,
    policyAction: row.policy_action,
    dataClasses: dataClassesFromJson(row.data_classes),
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    latencyMs: row.latency_ms,
    status: row.status,
    errorCode: row.error_code,
    subject: row.subject,
    bodies: bodiesFromJson(row.bodies),
  };
}

export interface AuditChainRow {
  chain: string;
  opened_at: number;
  genesis_hash: string;
  key_id: string;
  signature: string;
  closed_checkpoint: number | null;
}

export function auditChainFromRow(row: AuditChainRow): AuditChainRegistration {
  return {
    chain: row.chain,
    openedAt: row.opened_at,
    genesisHash: row.genesis_hash,
    keyId: row.key_id,
    signature: row.signature,
    closedCheckpoint: row.closed_checkpoint,
  };
}

export interface AuditCheckpointRow {
  id: number;
  time: number;
  reason: string;
  prev_hash: string;
  hash: string;
  key_id: string;
  signature: string;
  body: string;
}

/** `reason` is passed through unchecked: the verifier compares it with the signed body. */
export function auditCheckpointFromRow(row: AuditCheckpointRow): StoredCheckpoint {
  return {
    id: row.id,
    time: row.time,
    reason: row.reason as CheckpointReason,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
    signature: row.signature,
    body: row.body,
  };
}

/** Default and maximum of `query().limit`. */
export const defaultAuditQueryLimit = 100;
export const maxAuditQueryLimit = 10_000;

/** The query limit clamped to [0, 10,000]; NaN reads as 0. */
export function auditQueryLimit(limit: number | undefined): number {
  const value = Math.min(Math.max(0, Math.trunc(limit ?? defaultAuditQueryLimit)), maxAuditQueryLimit);
  return Number.isNaN(value) ? 0 : value;
}

/** Time bounds with the open ends filled in, as integers both databases compare correctly. */
export function auditTimeBounds(since: number | undefined, until: number | undefined): { since: number; until: number } {
  return {
    since: since === undefined ? Number.MIN_SAFE_INTEGER : Math.ceil(since),
    until: until === undefined ? Number.MAX_SAFE_INTEGER : Math.ceil(until),
  };
}

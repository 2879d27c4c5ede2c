/**
 * Audit rows <-> entries, shared by the SQLite and PostgreSQL adapters (both use these column
 * names). Reading never coerces types: a value someone changed in the database must reach the
 * verifier as it is, so the entry fails its hash check instead of being silently repaired.
 */
import { contentFromText, entryContent } from "../core/audit/canonical.ts";
import type { AuditChainRegistration, AuditEntry, AuditEntryContent, AuditEntryInput, CheckpointReason, StoredCheckpoint } from "../core/audit/types.ts";

/**
 * Column names of audit_entries in insert order (without `seq`, which the database assigns). The
 * columns the stores order and filter by (chain, position, time) and the hash links have columns
 * of their own; everything else is one JSON array, `content` (`entryContent`), so a row binds six
 * values instead of one per field. Queries by request id, key or team read the array's elements
 * (`contentIndex`).
 */
export const auditEntryColumns = ["chain", "chain_seq", "time", "prev_hash", "hash", "content"] as const;

/** Where a field sits in the `content` array (0-based), for queries that filter on it. */
export const contentIndex = { requestId: 0, key: 4, team: 5 } as const;

export type AuditRowValue = string | number | null;

/** Values in `auditEntryColumns` order. */
export function auditEntryValues(entry: AuditEntryInput): AuditRowValue[] {
  return [entry.chain, entry.chainSeq, entry.time, entry.prevHash, entry.hash, entry.content ?? entryContent(entry)];
}

/** A row of audit_entries as a driver returns it. */
export interface AuditEntryRow {
  seq: number;
  chain: string;
  chain_seq: number;
  time: number;
  prev_hash: string;
  hash: string;
  content: string;
}

/** What a row whose content cannot be read shows: placeholders, marked `damaged` (it fails its hash check). */
function damagedContent(): Omit<AuditEntryContent, "time"> {
  return {
    requestId: "",
    kind: "request",
    action: "",
    dialect: "",
    key: null,
    team: null,
    model: "",
    route: null,
    provider: "",
    target: "",
    locality: null,
    policyRule: null,
    policyAction: null,
    dataClasses: {},
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs: 0,
    status: 0,
    errorCode: null,
    subject: null,
    bodies: null,
  };
}

export function auditEntryFromRow(row: AuditEntryRow): AuditEntry {
  const content = contentFromText(row.content);
  return {
    seq: row.seq,
    chain: row.chain,
    chainSeq: row.chain_seq,
    prevHash: row.prev_hash,
    hash: row.hash,
    time: row.time,
    ...(content ?? damagedContent()),
    content: row.content,
    ...(content === undefined ? { damaged: true as const } : {}),
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

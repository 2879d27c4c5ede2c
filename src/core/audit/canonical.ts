/**
 * The canonical form of an entry, and its hash. The canonical form is a JSON array in a fixed
 * field order: deterministic (array order, JSON's escaping and shortest number form are fixed)
 * and fast, because V8's JSON.stringify does the work; verifying a million entries is dominated
 * by reading them, not by this. Format and rationale: docs/decisions/0009-audit-log.md.
 */
import { hash } from "node:crypto";
import { AuditError } from "./errors.ts";
import type { AuditEntryContent, AuditEntryInput, AuditRecord, Hash, StoredBodies, StoredBody } from "./types.ts";

/** The first prevHash of a chain that opened before any checkpoint existed. */
export const zeroHash: Hash = "0".repeat(64);

/** First element of every canonical entry: a format change gets a new tag, never a silent reinterpretation. */
export const entryFormat = "hearth-audit-entry-v1";

const hexHash = /^[0-9a-f]{64}$/;

/** True for a lowercase hex SHA-256. */
export function isHash(value: unknown): value is Hash {
  return typeof value === "string" && hexHash.test(value);
}

/** SHA-256 of a string's UTF-8 bytes, lowercase hex. */
export function sha256Hex(text: string): Hash {
  return hash("sha256", text, "hex");
}

/** Data classes as sorted [type, count] pairs: object key order must not change the hash. */
function canonicalDataClasses(dataClasses: Record<string, number>): Array<[string, number]> {
  const keys = Object.keys(dataClasses);
  if (keys.length === 0) return [];
  keys.sort();
  return keys.map((key) => [key, dataClasses[key] as number]);
}

function canonicalBody(body: StoredBody | null): readonly string[] | null {
  if (body === null) return null;
  return "sha256" in body ? [body.sha256] : [body.keyId, body.iv, body.tag, body.data];
}

function canonicalBodies(bodies: StoredBodies | null): unknown {
  return bodies === null ? null : [bodies.mode, canonicalBody(bodies.request), canonicalBody(bodies.response)];
}

/**
 * The canonical text of an entry without its hash fields. Covers the chain and position (so a row
 * cannot move) and every content field; not `seq`, which the database assigns.
 */
export function canonicalEntry(entry: Omit<AuditEntryInput, "prevHash" | "hash">): string {
  return JSON.stringify([
    entryFormat,
    entry.chain,
    entry.chainSeq,
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
    canonicalDataClasses(entry.dataClasses),
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.latencyMs,
    entry.status,
    entry.errorCode,
    entry.subject,
    canonicalBodies(entry.bodies),
  ]);
}

/** hash = SHA-256(prevHash ‖ canonical entry), over UTF-8; prevHash is fixed-width hex, so the split is unambiguous. */
export function entryHash(prevHash: Hash, entry: Omit<AuditEntryInput, "prevHash" | "hash">): Hash {
  return hash("sha256", prevHash + canonicalEntry(entry), "hex");
}

/** True when the entry's stored hash matches its content and prevHash. */
export function entryHashMatches(entry: AuditEntryInput): boolean {
  return entryHash(entry.prevHash, entry) === entry.hash;
}

/**
 * A string as it will read back from either database: well-formed UTF-16 (a lone surrogate would
 * come back as U+FFFD and break the hash) and no NUL (PostgreSQL text cannot hold one).
 */
function storable(value: string): string {
  const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
  return wellFormed.includes("\u0000") ? wellFormed.replaceAll("\u0000", "\uFFFD") : wellFormed;
}

function text(record: AuditRecord, field: keyof AuditRecord): string {
  const value = record[field];
  if (typeof value !== "string") throw new AuditError("audit_invalid_record", `Audit record field ${field} must be a string.`);
  return storable(value);
}

function optionalText(record: AuditRecord, field: keyof AuditRecord): string | null {
  const value = record[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new AuditError("audit_invalid_record", `Audit record field ${field} must be a string or null.`);
  return storable(value);
}

function finite(record: AuditRecord, field: keyof AuditRecord): number {
  const value = record[field];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new AuditError("audit_invalid_record", `Audit record field ${field} must be a finite number.`);
  }
  return value;
}

/** Integers stay integers through both databases; `-0` would read back as 0. */
function integer(record: AuditRecord, field: keyof AuditRecord): number {
  return Math.round(finite(record, field)) + 0;
}

function dataClassesOf(record: AuditRecord): Record<string, number> {
  const value: unknown = record.dataClasses;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new AuditError("audit_invalid_record", "Audit record field dataClasses must be an object of counts.");
  const result: Record<string, number> = {};
  for (const [type, count] of Object.entries(value)) {
    if (typeof count !== "number" || !Number.isFinite(count)) throw new AuditError("audit_invalid_record", `Audit record dataClasses.${type} must be a finite count.`);
    result[storable(type)] = Math.round(count) + 0;
  }
  return result;
}

/**
 * The record as it will be stored and hashed: validated, numbers rounded the way the columns
 * keep them (cost to 1e-9 USD), strings made storable. Bodies are handled by `prepareBodies`.
 * Throws `audit_invalid_record` for a value no database would give back unchanged.
 */
export function normalizeRecord(record: AuditRecord): Omit<AuditEntryContent, "bodies"> {
  const kind = record.kind;
  if (kind !== "request" && kind !== "admin") throw new AuditError("audit_invalid_record", "Audit record field kind must be \"request\" or \"admin\".");
  return {
    time: integer(record, "time"),
    requestId: text(record, "requestId"),
    kind,
    action: text(record, "action"),
    dialect: text(record, "dialect"),
    key: optionalText(record, "key"),
    team: optionalText(record, "team"),
    model: text(record, "model"),
    route: optionalText(record, "route"),
    provider: text(record, "provider"),
    target: text(record, "target"),
    locality: optionalText(record, "locality"),
    policyRule: optionalText(record, "policyRule"),
    policyAction: optionalText(record, "policyAction"),
    dataClasses: dataClassesOf(record),
    inputTokens: integer(record, "inputTokens"),
    outputTokens: integer(record, "outputTokens"),
    costUsd: Math.round(finite(record, "costUsd") * 1e9) / 1e9 + 0,
    latencyMs: finite(record, "latencyMs") + 0,
    status: integer(record, "status"),
    errorCode: optionalText(record, "errorCode"),
    subject: optionalText(record, "subject"),
  };
}

/** JSON text of data classes as stored in a column. */
export function dataClassesToJson(dataClasses: Record<string, number>): string {
  return Object.keys(dataClasses).length === 0 ? "{}" : JSON.stringify(dataClasses);
}

/**
 * Data classes read back from a column. Lenient: unreadable text reads as `{}`, and the entry
 * then fails its hash check, which is where the damage is reported.
 */
export function dataClassesFromJson(text: unknown): Record<string, number> {
  if (text === "{}" || typeof text !== "string") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const result: Record<string, number> = {};
    for (const [type, count] of Object.entries(value)) if (typeof count === "number") result[type] = count;
    return result;
  } catch {
    return {};
  }
}

/** JSON text of stored bodies for a column (NULL when there are none). */
export function bodiesToJson(bodies: StoredBodies | null): string | null {
  return bodies === null ? null : JSON.stringify(bodies);
}

function storedBodyFrom(value: unknown): StoredBody | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.sha256 === "string") return { sha256: record.sha256 };
  if (typeof record.keyId === "string" && typeof record.iv === "string" && typeof record.tag === "string" && typeof record.data === "string") {
    return { keyId: record.keyId, iv: record.iv, tag: record.tag, data: record.data };
  }
  return null;
}

/** Stored bodies read back from a column; lenient like `dataClassesFromJson`. */
export function bodiesFromJson(text: unknown): StoredBodies | null {
  if (typeof text !== "string") return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return null;
    const record = value as Record<string, unknown>;
    const mode = record.mode;
    if (mode !== "hash" && mode !== "redacted" && mode !== "full") return null;
    return { mode, request: storedBodyFrom(record.request), response: storedBodyFrom(record.response) };
  } catch {
    return null;
  }
}

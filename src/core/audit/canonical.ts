/**
 * The canonical form of an entry, and its hash. The canonical form is a JSON array in a fixed
 * field order: deterministic (array order, JSON's escaping and shortest number form are fixed)
 * and fast, because V8's JSON.stringify does the work; verifying a million entries is dominated
 * by reading them, not by this. Format and rationale: docs/decisions/0009-audit-log.md.
 */
import { hash } from "node:crypto";
import { AuditError } from "./errors.ts";
import type { AuditEntry, AuditEntryContent, AuditEntryInput, AuditRecord, Hash, StoredBodies, StoredBody } from "./types.ts";

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
 * The start of an entry's canonical text: the format tag and the fields the stores keep in columns
 * of their own (chain, position, time), without the closing bracket.
 */
function canonicalPrefix(chain: string, chainSeq: number, time: number): string {
  const text = JSON.stringify([entryFormat, chain, chainSeq, time]);
  return text.slice(0, -1);
}

/**
 * The rest of the canonical entry, as a JSON array of its own: what the stores keep in their
 * `content` column. The canonical text is `canonicalPrefix(...) + "," + content.slice(1)`.
 */
export function entryContent(entry: AuditEntryContent): string {
  return JSON.stringify([
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

/** The canonical text from a prefix and a content array's text (see `entryContent`). */
function joinCanonical(prefix: string, content: string): string {
  return `${prefix},${content.slice(1)}`;
}

/**
 * The canonical text of an entry without its hash fields. Covers the chain and position (so a row
 * cannot move) and every content field; not `seq`, which the database assigns. One JSON array:
 * ["hearth-audit-entry-v1", chain, chainSeq, time, requestId, kind, ...] (see `entryContent`).
 */
export function canonicalEntry(entry: Omit<AuditEntryInput, "prevHash" | "hash" | "content">): string {
  return joinCanonical(canonicalPrefix(entry.chain, entry.chainSeq, entry.time), entryContent(entry));
}

/** hash = SHA-256(prevHash ‖ canonical entry), over UTF-8; prevHash is fixed-width hex, so the split is unambiguous. */
export function entryHash(prevHash: Hash, entry: Omit<AuditEntryInput, "prevHash" | "hash" | "content">): Hash {
  return hash("sha256", prevHash + canonicalEntry(entry), "hex");
}

/** The same hash from an entry's content text as stored (`entryContent`), without re-serialising it. */
export function contentHash(prevHash: Hash, chain: string, chainSeq: number, time: number, content: string): Hash {
  return hash("sha256", prevHash + joinCanonical(canonicalPrefix(chain, chainSeq, time), content), "hex");
}

/**
 * True when an entry read back hashes to `entry.hash` at position `chainSeq` (default its own).
 * An entry with its stored content text is hashed over that text; if that fails (a row migrated
 * from the column-per-field layout keeps equivalent but not byte-identical JSON), over its
 * re-serialised fields, which is only possible when the content was readable.
 */
export function storedEntryHashMatches(entry: AuditEntry, chainSeq: number = entry.chainSeq): boolean {
  const stored = entry.content;
  if (stored !== undefined && contentHash(entry.prevHash, entry.chain, chainSeq, entry.time, stored) === entry.hash) return true;
  if (entry.damaged === true) return false;
  try {
    return entryHash(entry.prevHash, chainSeq === entry.chainSeq ? entry : { ...entry, chainSeq }) === entry.hash;
  } catch {
    return false;
  }
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

const asIs = (value: string): string => value;

function text(record: AuditRecord, field: keyof AuditRecord, clean: (value: string) => string): string {
  const value = record[field];
  if (typeof value !== "string") throw new AuditError("audit_invalid_record", `Audit record field ${field} must be a string.`);
  return clean(value);
}

function optionalText(record: AuditRecord, field: keyof AuditRecord, clean: (value: string) => string): string | null {
  const value = record[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new AuditError("audit_invalid_record", `Audit record field ${field} must be a string or null.`);
  return clean(value);
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

function dataClassesOf(record: AuditRecord, clean: (value: string) => string): Record<string, number> {
  const value: unknown = record.dataClasses;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new AuditError("audit_invalid_record", "Audit record field dataClasses must be an object of counts.");
  const result: Record<string, number> = {};
  for (const [type, count] of Object.entries(value)) {
    if (typeof count !== "number" || !Number.isFinite(count)) throw new AuditError("audit_invalid_record", `Audit record dataClasses.${type} must be a finite count.`);
    result[clean(type)] = Math.round(count) + 0;
  }
  return result;
}

/**
 * The record as it will be stored and hashed: validated, numbers rounded the way the columns
 * keep them (cost to 1e-9 USD), strings made storable. Bodies are handled by `prepareBodies`.
 * Throws `audit_invalid_record` for a value no database would give back unchanged.
 *
 * `storable: false` skips the string repair (the writer's fast path): the writer then checks the
 * entry's JSON text, where a lone surrogate or a NUL shows up as an escape (`needsStorable`), and
 * normalises again with repair only then.
 */
export function normalizeRecord(record: AuditRecord, options: { storable?: boolean } = {}): Omit<AuditEntryContent, "bodies"> {
  const kind = record.kind;
  if (kind !== "request" && kind !== "admin") throw new AuditError("audit_invalid_record", "Audit record field kind must be \"request\" or \"admin\".");
  const clean = options.storable === false ? asIs : storable;
  return {
    time: integer(record, "time"),
    requestId: text(record, "requestId", clean),
    kind,
    action: text(record, "action", clean),
    dialect: text(record, "dialect", clean),
    key: optionalText(record, "key", clean),
    team: optionalText(record, "team", clean),
    model: text(record, "model", clean),
    route: optionalText(record, "route", clean),
    provider: text(record, "provider", clean),
    target: text(record, "target", clean),
    locality: optionalText(record, "locality", clean),
    policyRule: optionalText(record, "policyRule", clean),
    policyAction: optionalText(record, "policyAction", clean),
    dataClasses: dataClassesOf(record, clean),
    inputTokens: integer(record, "inputTokens"),
    outputTokens: integer(record, "outputTokens"),
    costUsd: Math.round(finite(record, "costUsd") * 1e9) / 1e9 + 0,
    latencyMs: finite(record, "latencyMs") + 0,
    status: integer(record, "status"),
    errorCode: optionalText(record, "errorCode", clean),
    subject: optionalText(record, "subject", clean),
  };
}

/**
 * True when JSON text (as JSON.stringify writes it) holds a string that `storable` would change:
 * JSON.stringify writes a lone surrogate as a lowercase \\udXXX escape and NUL as \\u0000.
 */
export function needsStorable(json: string): boolean {
  return json.includes("\\u") && /\\u(?:0000|d[89a-f])/.test(json);
}

const isText = (value: unknown): value is string => typeof value === "string";
const isOptionalText = (value: unknown): value is string | null => value === null || typeof value === "string";

function storedBodyFromCanonical(value: unknown): StoredBody | null | undefined {
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every(isText)) return undefined;
  if (value.length === 1) return { sha256: value[0] as string };
  if (value.length === 4) return { keyId: value[0] as string, iv: value[1] as string, tag: value[2] as string, data: value[3] as string };
  return undefined;
}

/**
 * An entry's content read back from its stored text (`entryContent`), or undefined when the text
 * is not a content array at all (not JSON, wrong length, malformed data classes or bodies).
 * Scalar values are taken as they are, not coerced: a wrong type fails the hash check.
 */
export function contentFromText(text: unknown): Omit<AuditEntryContent, "time"> | undefined {
  if (typeof text !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 22) return undefined;
  const pairs: unknown = value[13];
  if (!Array.isArray(pairs)) return undefined;
  const dataClasses: Record<string, number> = {};
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "number") return undefined;
    dataClasses[pair[0]] = pair[1];
  }
  const rawBodies: unknown = value[21];
  let bodies: StoredBodies | null = null;
  if (rawBodies !== null) {
    if (!Array.isArray(rawBodies) || rawBodies.length !== 3) return undefined;
    const [mode, request, response] = rawBodies as [unknown, unknown, unknown];
    const storedRequest = storedBodyFromCanonical(request);
    const storedResponse = storedBodyFromCanonical(response);
    if ((mode !== "hash" && mode !== "redacted" && mode !== "full") || storedRequest === undefined || storedResponse === undefined) return undefined;
    bodies = { mode, request: storedRequest, response: storedResponse };
  }
  if (!isText(value[0]) || !isText(value[1]) || !isOptionalText(value[4]) || !isOptionalText(value[5])) return undefined;
  return {
    requestId: value[0],
    kind: value[1] as AuditEntryContent["kind"],
    action: value[2] as string,
    dialect: value[3] as string,
    key: value[4],
    team: value[5],
    model: value[6] as string,
    route: value[7] as string | null,
    provider: value[8] as string,
    target: value[9] as string,
    locality: value[10] as string | null,
    policyRule: value[11] as string | null,
    policyAction: value[12] as string | null,
    dataClasses,
    inputTokens: value[14] as number,
    outputTokens: value[15] as number,
    costUsd: value[16] as number,
    latencyMs: value[17] as number,
    status: value[18] as number,
    errorCode: value[19] as string | null,
    subject: value[20] as string | null,
    bodies,
  };
}

/**
 * Data classes as an export file holds them (an object of counts). Lenient: anything else reads
 * as `{}`, and the entry then fails its hash check, which is where the damage is reported.
 */
export function dataClassesFrom(value: unknown): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const result: Record<string, number> = {};
  for (const [type, count] of Object.entries(value)) if (typeof count === "number") result[type] = count;
  return result;
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

/** Stored bodies as an export file holds them; lenient like `dataClassesFrom`. */
export function bodiesFrom(value: unknown): StoredBodies | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Record<string, unknown>;
  const mode = record.mode;
  if (mode !== "hash" && mode !== "redacted" && mode !== "full") return null;
  return { mode, request: storedBodyFrom(record.request), response: storedBodyFrom(record.response) };
}

/**
 * Export for auditors: JSONL (one JSON object per line, hash fields included, so the file can be
 * verified offline with `verifyExport`) or CSV (a header row, RFC 4180 quoting) for spreadsheets.
 * Streams page by page and respects the destination's backpressure.
 */
import { once } from "node:events";
import { bodiesFrom, dataClassesFrom, entryHashMatches, sha256Hex } from "./canonical.ts";
import { checkpointDomain, chainSigningText, parseCheckpointBody } from "./checkpoint.ts";
import { auditKeyring, verifyAuditSignature, type AuditPublicKeyInput } from "./signing.ts";
import type { AuditChainRegistration, AuditEntry, AuditProblem, AuditStore, Hash, StoredCheckpoint } from "./types.ts";

export type AuditExportFormat = "jsonl" | "csv";

export interface AuditExportOptions {
  format: AuditExportFormat;
  /** Inclusive lower bound on entry time (epoch ms). */
  since?: number | undefined;
  /** Exclusive upper bound on entry time (epoch ms). */
  until?: number | undefined;
  /**
   * JSONL only: first write the chain registrations and checkpoints (lines `{"chain": …}` and
   * `{"checkpoint": …}`), so `verifyExport` can check signatures and checkpoint heads. Default true.
   */
  checkpoints?: boolean | undefined;
  /** Rows per query. Default 5,000. */
  pageSize?: number | undefined;
}

export interface AuditExportResult {
  entries: number;
  checkpoints: number;
}

/** An entry as one JSON object, fields in a fixed order (the same names as `AuditEntry`). */
export function entryToJson(entry: AuditEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    chain: entry.chain,
    chainSeq: entry.chainSeq,
    prevHash: entry.prevHash,
    hash: entry.hash,
    time: entry.time,
    requestId: entry.requestId,
    kind: entry.kind,
    action: entry.action,
    dialect: entry.dialect,
    key: entry.key,
    team: entry.team,
    model: entry.model,
    route: entry.route,
    provider: entry.provider,
    target: entry.target,
    locality: entry.locality,
    policyRule: entry.policyRule,
    policyAction: entry.policyAction,
    dataClasses: entry.dataClasses,
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    costUsd: entry.costUsd,
    latencyMs: entry.latencyMs,
    status: entry.status,
    errorCode: entry.errorCode,
    subject: entry.subject,
    bodies: entry.bodies,
  });
}

/** CSV columns, in order. Bodies are not in the CSV (only their mode); the JSONL export carries them. */
export const csvColumns = [
  "seq",
  "time",
  "time_iso",
  "chain",
  "chain_seq",
  "request_id",
  "kind",
  "action",
  "dialect",
  "key",
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
  "bodies_mode",
  "prev_hash",
  "hash",
] as const;

/**
 * One CSV field: quoted when it holds a comma, quote or line break (quotes doubled). Text that a
 * spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a leading
 * apostrophe: client-chosen strings such as model names end up in these cells.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function entryToCsv(entry: AuditEntry): string {
  const values: Array<string | number | null> = [
    entry.seq,
    entry.time,
    new Date(entry.time).toISOString(),
    entry.chain,
    entry.chainSeq,
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
    Object.keys(entry.dataClasses).length === 0 ? "" : JSON.stringify(entry.dataClasses),
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.latencyMs,
    entry.status,
    entry.errorCode,
    entry.subject,
    entry.bodies?.mode ?? null,
    entry.prevHash,
    entry.hash,
  ];
  return values.map(csvField).join(",");
}

async function write(output: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === "") return;
  if (!output.write(text)) await once(output, "drain");
}

/** Writes the entries (oldest first, by seq) in the chosen format; resolves with what was written. Does not end `output`. */
export async function exportAuditLog(store: AuditStore, options: AuditExportOptions, output: NodeJS.WritableStream): Promise<AuditExportResult> {
  const pageSize = Math.max(1, Math.trunc(options.pageSize ?? 5_000));
  const jsonl = options.format === "jsonl";
  if (!jsonl && options.format !== "csv") throw new RangeError(`Unknown export format ${JSON.stringify(options.format)}; use jsonl or csv.`);
  let checkpoints = 0;
  if (jsonl && options.checkpoints !== false) {
    const chains = await store.readChains();
    await write(output, chains.map((chain) => `${JSON.stringify({ chain })}\n`).join(""));
    for (let afterId = 0; ; ) {
      const page = await store.readCheckpoints(afterId, pageSize);
      if (page.length === 0) break;
      await write(output, page.map((checkpoint) => `${JSON.stringify({ checkpoint })}\n`).join(""));
      checkpoints += page.length;
      afterId = (page[page.length - 1] as StoredCheckpoint).id;
    }
  }
  if (!jsonl) await write(output, `${csvColumns.join(",")}\r\n`);
  let entries = 0;
  for (let afterSeq = 0; ; ) {
    const page = await store.readEntries({ afterSeq, since: options.since, until: options.until, limit: pageSize });
    if (page.length === 0) break;
    await write(output, jsonl ? page.map((entry) => `${entryToJson(entry)}\n`).join("") : page.map((entry) => `${entryToCsv(entry)}\r\n`).join(""));
    entries += page.length;
    afterSeq = (page[page.length - 1] as AuditEntry).seq;
  }
  return { entries, checkpoints };
}

export interface AuditExportVerifyOptions {
  /** Checks signatures of the exported checkpoints and registrations; without it only hashes and links are checked. */
  publicKey?: AuditPublicKeyInput | readonly AuditPublicKeyInput[] | undefined;
  /** The export is of the whole log (no since/until): gaps within a chain are deletions, not the edge of a time range. */
  complete?: boolean | undefined;
}

export interface AuditExportVerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Places where a chain skips positions; problems only when `complete`. */
  gaps: number;
  problems: AuditProblem[];
}

function entryFromJson(value: Record<string, unknown>): AuditEntry {
  // Values are taken as they are; a wrong type simply fails the hash check.
  return {
    ...(value as unknown as AuditEntry),
    dataClasses: dataClassesFrom(value.dataClasses),
    bodies: bodiesFrom(value.bodies),
  };
}

/**
 * Verifies a JSONL export offline: every entry's hash, the links between consecutive entries of a
 * chain, and (when the export carries them and a key is given) checkpoint signatures, the
 * checkpoint chain and the heads the checkpoints recorded for entries in the file.
 */
export async function verifyExport(lines: AsyncIterable<string> | Iterable<string>, options: AuditExportVerifyOptions = {}): Promise<AuditExportVerifyReport> {
  const keyring = options.publicKey === undefined ? undefined : auditKeyring(options.publicKey);
  const problems: AuditProblem[] = [];
  const heads = new Map<string, Hash>();
  const last = new Map<string, { chainSeq: number; hash: Hash; seq: number }>();
  let previousCheckpoint: StoredCheckpoint | undefined;
  let entries = 0;
  let checkpoints = 0;
  let gaps = 0;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === "") continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push({ kind: "malformed", location: {}, message: `Line ${lineNumber} is not JSON.` });
      continue;
    }
    if (typeof value.chain === "object" && value.chain !== null) {
      const registration = value.chain as AuditChainRegistration;
      const key = keyring?.get(registration.keyId);
      if (keyring !== undefined && (key === undefined || !verifyAuditSignature(key, chainSigningText(registration), registration.signature))) {
        problems.push({ kind: "bad_signature", location: { chain: registration.chain }, message: `Chain ${registration.chain}'s registration does not verify with the given key.` });
      }
      continue;
    }
    if (typeof value.checkpoint === "object" && value.checkpoint !== null) {
      const checkpoint = value.checkpoint as StoredCheckpoint;
      checkpoints += 1;
      const where = { checkpoint: checkpoint.id };
      const text = typeof checkpoint.body === "string" ? checkpoint.body : "";
      const body = parseCheckpointBody(text);
      if (body === undefined || sha256Hex(text) !== checkpoint.hash) problems.push({ kind: "edited", location: where, message: `Checkpoint #${checkpoint.id} does not hash to its stored hash.` });
      const key = keyring?.get(checkpoint.keyId);
      if (keyring !== undefined && (key === undefined || !verifyAuditSignature(key, checkpointDomain + text, String(checkpoint.signature)))) {
        problems.push({ kind: "bad_signature", location: where, message: `Checkpoint #${checkpoint.id}'s signature does not verify with the given key.` });
      }
      if (previousCheckpoint !== undefined && (checkpoint.id !== previousCheckpoint.id + 1 || checkpoint.prevHash !== previousCheckpoint.hash)) {
        problems.push({ kind: "broken_link", location: where, message: `Checkpoint #${checkpoint.id} does not follow #${previousCheckpoint.id}.` });
      }
      previousCheckpoint = checkpoint;
      for (const head of body?.heads ?? []) heads.set(`${head.chain}#${head.chainSeq}`, head.hash);
      continue;
    }
    const entry = entryFromJson(value);
    entries += 1;
    const where = { seq: entry.seq, chain: entry.chain, chainSeq: entry.chainSeq, requestId: entry.requestId };
    if (!entryHashMatches(entry)) problems.push({ kind: "edited", location: where, message: `Entry ${entry.chain} #${entry.chainSeq} (line ${lineNumber}) does not hash to its stored hash.` });
    const recorded = heads.get(`${entry.chain}#${entry.chainSeq}`);
    if (recorded !== undefined && recorded !== entry.hash) {
      problems.push({ kind: "checkpoint_mismatch", location: where, message: `Entry ${entry.chain} #${entry.chainSeq} differs from the hash a checkpoint recorded for it.` });
    }
    const before = last.get(entry.chain);
    if (before !== undefined) {
      if (entry.chainSeq <= before.chainSeq) {
        problems.push({ kind: entry.chainSeq === before.chainSeq ? "inserted" : "reordered", location: where, message: `Entry ${entry.chain} #${entry.chainSeq} (line ${lineNumber}) comes after #${before.chainSeq} in the file.` });
        continue;
      }
      if (entry.chainSeq > before.chainSeq + 1) {
        gaps += 1;
        if (options.complete === true) problems.push({ kind: "deleted", location: { ...where, chainSeq: before.chainSeq + 1, toChainSeq: entry.chainSeq - 1 }, message: `Entries ${entry.chain} #${before.chainSeq + 1}–#${entry.chainSeq - 1} are missing.` });
      } else if (entry.prevHash !== before.hash) {
        problems.push({ kind: "broken_link", location: where, message: `Entry ${entry.chain} #${entry.chainSeq} does not link to #${before.chainSeq}.` });
      }
    }
    last.set(entry.chain, { chainSeq: entry.chainSeq, hash: entry.hash, seq: entry.seq });
  }
  return { ok: problems.length === 0, entries, checkpoints, gaps, problems };
}

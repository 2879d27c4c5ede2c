/**
 * `hearth audit verify|export|prune|keygen`: the audit log, in-process against its database (no
 * server needed, so an auditor can check a copy of the file offline). Each returns the process
 * exit code; the caller opens the store from the configuration and closes it afterwards.
 */
import { once } from "node:events";
import type { AuditStore, AuditVerifyReport } from "../../core/audit/types.ts";
import { exportAuditLog, type AuditExportFormat } from "../../core/audit/export.ts";
import { pruneAuditLog } from "../../core/audit/retention.ts";
import { generateAuditKeyPair, type AuditSigner } from "../../core/audit/signing.ts";
import { verifyAuditLog } from "../../core/audit/verify.ts";
import { AuditError } from "../../core/audit/errors.ts";
import { toSingleLine } from "./hearth-api.ts";

interface OutputOptions {
  output: NodeJS.WritableStream;
  /** Progress and diagnostics; default: nowhere. */
  errorOutput?: NodeJS.WritableStream | undefined;
}

/** `hearth audit verify`. */
export interface AuditVerifyCommandOptions extends OutputOptions {
  store: AuditStore;
  /** Public key PEM(s) the checkpoints must be signed with (several after a key rotation). */
  publicKey: string | readonly string[];
  /** Print the full report as JSON instead of a summary for people. */
  json?: boolean | undefined;
  /** `<id>:<hash>` of a checkpoint recorded elsewhere earlier (detects deleted newest checkpoints). */
  knownCheckpoint?: string | undefined;
  /** Problems listed in the summary (all are in --json). Default 20. */
  show?: number | undefined;
}

/** `id:hash` to a checkpoint reference, or undefined when malformed. */
export function parseCheckpointReference(text: string): { id: number; hash: string } | undefined {
  const match = /^#?(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (match === null) return undefined;
  return { id: Number(match[1]), hash: match[2] as string };
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function plural(value: number, noun: string, nouns = `${noun}s`): string {
  return `${count(value)} ${value === 1 ? noun : nouns}`;
}

/** Progress lines for a long verify: redrawn in place on a terminal, one plain line every 10% elsewhere. */
function progressReporter(stream: NodeJS.WritableStream | undefined): { update(entries: number, total: number): void; done(): void } {
  if (stream === undefined) return { update() {}, done() {} };
  const interactive = (stream as NodeJS.WriteStream).isTTY === true;
  let lastStep = -1;
  let lastDraw = 0;
  let drawn = false;
  return {
    update(entries, total) {
      const percent = total === 0 ? 100 : Math.min(100, Math.floor((entries / total) * 100));
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && entries < total) return;
        lastDraw = now;
        stream.write(`\r\x1b[2Kverifying: ${count(entries)} / ${count(total)} entries (${percent}%)`);
        drawn = true;
        return;
      }
      const step = Math.floor(percent / 10);
      if (step === lastStep || total < 50_000) return;
      lastStep = step;
      stream.write(`verifying: ${count(entries)} / ${count(total)} entries (${percent}%)\n`);
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}

/** The summary for people: what was checked, what is not yet covered, and the first problems with where they are. */
export function formatVerifyReport(report: AuditVerifyReport, location: string, show = 20): string {
  const lines = [`Audit log: ${toSingleLine(location)}`];
  lines.push(`  entries      ${count(report.entries)} in ${plural(report.chains, "chain")}`);
  const latest = report.latestCheckpoint;
  lines.push(
    latest === null
      ? "  checkpoints  none yet"
      : `  checkpoints  ${count(report.checkpoints)} (newest #${latest.id} at ${new Date(latest.time).toISOString()}, ${plural(latest.entries, "entry", "entries")}, hash ${latest.hash})`,
  );
  if (report.uncovered.entries > 0) {
    const ranges = report.uncovered.ranges.slice(0, 3).map((range) => `${toSingleLine(range.chain)} #${range.fromChainSeq}–#${range.toChainSeq}`);
    const more = report.uncovered.ranges.length > 3 ? `, and ${report.uncovered.ranges.length - 3} more chains` : "";
    lines.push(`  uncovered    ${plural(report.uncovered.entries, "entry", "entries")} after the newest checkpoint (${ranges.join(", ")}${more}): protected by the hash chain only until the next checkpoint`);
  }
  lines.push(`  checked in   ${(report.durationMs / 1000).toFixed(1)} s`);
  const total = report.problems.length + report.moreProblems;
  if (total === 0) {
    lines.push("OK: every entry, link, checkpoint and signature checks out.");
    return `${lines.join("\n")}\n`;
  }
  lines.push(`FAILED: ${plural(total, "problem")} found.`);
  const width = Math.max(...report.problems.slice(0, show).map((problem) => problem.kind.length));
  for (const problem of report.problems.slice(0, show)) {
    const where = [
      problem.location.checkpoint === undefined ? undefined : `checkpoint #${problem.location.checkpoint}`,
      problem.location.seq === undefined ? undefined : `seq ${problem.location.seq}`,
      problem.location.chain === undefined ? undefined : `chain ${problem.location.chain}${problem.location.chainSeq === undefined ? "" : ` #${problem.location.chainSeq}${problem.location.toChainSeq !== undefined && problem.location.toChainSeq !== problem.location.chainSeq ? `–#${problem.location.toChainSeq}` : ""}`}`,
      problem.location.requestId === undefined ? undefined : `request ${problem.location.requestId}`,
    ]
      .filter((part) => part !== undefined)
      .join(", ");
    lines.push(`  ${problem.kind.padEnd(width)}  ${toSingleLine(where)}: ${toSingleLine(problem.message)}`);
  }
  if (total > show) lines.push(`  … and ${count(total - show)} more (--json lists ${report.moreProblems > 0 ? "the first " + count(report.problems.length) : "all of them"}).`);
  return `${lines.join("\n")}\n`;
}

function configProblem(error: unknown, options: OutputOptions): number {
  if (AuditError.isInstance(error) && error.code === "audit_config") {
    (options.errorOutput ?? options.output).write(`Error: ${error.message}\n`);
    return 2;
  }
  throw error;
}

/** Verifies the whole log; exit code 0 when it is intact, 1 when a problem was found, 2 for an unusable key or argument. */
export async function auditVerify(options: AuditVerifyCommandOptions): Promise<number> {
  let knownCheckpoint: { id: number; hash: string } | undefined;
  if (options.knownCheckpoint !== undefined) {
    knownCheckpoint = parseCheckpointReference(options.knownCheckpoint);
    if (knownCheckpoint === undefined) {
      (options.errorOutput ?? options.output).write(`Error: --checkpoint must be <id>:<64 hex digits> (got ${toSingleLine(options.knownCheckpoint)}).\n`);
      return 2;
    }
  }
  const progress = progressReporter(options.json === true ? undefined : options.errorOutput);
  let report: AuditVerifyReport;
  try {
    report = await verifyAuditLog(options.store, {
      publicKey: typeof options.publicKey === "string" ? options.publicKey : [...options.publicKey],
      knownCheckpoint,
      onProgress: ({ entries, total }) => progress.update(entries, total),
    });
  } catch (error) {
    return configProblem(error, options);
  } finally {
    progress.done();
  }
  options.output.write(options.json === true ? `${JSON.stringify({ location: options.store.location, ...report }, null, 2)}\n` : formatVerifyReport(report, options.store.location, options.show));
  return report.ok ? 0 : 1;
}

/** `hearth audit export`. */
export interface AuditExportCommandOptions extends OutputOptions {
  store: AuditStore;
  format: AuditExportFormat;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
}

/** Streams the entries to `output` (a file or stdout); the count goes to `errorOutput`. */
export async function auditExport(options: AuditExportCommandOptions): Promise<number> {
  if (options.format !== "jsonl" && options.format !== "csv") {
    (options.errorOutput ?? options.output).write(`Error: the export format must be jsonl or csv (got ${toSingleLine(String(options.format))}).\n`);
    return 2;
  }
  if (options.since !== undefined && options.until !== undefined && options.since >= options.until) {
    (options.errorOutput ?? options.output).write("Error: --since must be before --until.\n");
    return 2;
  }
  const result = await exportAuditLog(options.store, { format: options.format, since: options.since, until: options.until }, options.output);
  options.errorOutput?.write(`Exported ${plural(result.entries, "entry", "entries")}${result.checkpoints > 0 ? ` and ${plural(result.checkpoints, "checkpoint")}` : ""} from ${toSingleLine(options.store.location)} as ${options.format}.\n`);
  return 0;
}

/** `hearth audit prune`. */
export interface AuditPruneCommandOptions extends OutputOptions {
  store: AuditStore;
  /** Epoch ms: entries older than this are deleted. */
  before: number;
  signer: AuditSigner;
  json?: boolean | undefined;
  clock?: (() => number) | undefined;
}

/**
 * Deletes entries older than `before` and writes the anchoring checkpoint. The caller records an
 * `audit.prune` admin entry (with `before` as subject) in the audit log afterwards.
 */
export async function auditPrune(options: AuditPruneCommandOptions): Promise<number> {
  if (!Number.isFinite(options.before)) {
    (options.errorOutput ?? options.output).write("Error: --before must be a time.\n");
    return 2;
  }
  const now = (options.clock ?? Date.now)();
  if (options.before > now) {
    (options.errorOutput ?? options.output).write(`Error: --before (${new Date(options.before).toISOString()}) is in the future; that would delete entries being written now.\n`);
    return 2;
  }
  const result = await pruneAuditLog(options.store, { before: options.before, signer: options.signer, clock: options.clock });
  if (options.json === true) {
    options.output.write(`${JSON.stringify({ deletedEntries: result.deletedEntries, deletedCheckpoints: result.deletedCheckpoints, checkpoint: { id: result.checkpoint.id, hash: result.checkpoint.hash }, anchors: result.anchors }, null, 2)}\n`);
    return 0;
  }
  options.output.write(
    `Pruned ${plural(result.deletedEntries, "entry", "entries")} and ${plural(result.deletedCheckpoints, "checkpoint")} older than ${new Date(options.before).toISOString()} from ${toSingleLine(options.store.location)}.\n` +
      `Anchored ${plural(result.anchors?.entries.length ?? 0, "chain")} in checkpoint #${result.checkpoint.id} (hash ${result.checkpoint.hash}); the log still verifies from there.\n`,
  );
  return 0;
}

/** `hearth audit keygen`. */
export interface AuditKeygenCommandOptions {
  output: NodeJS.WritableStream;
  json?: boolean | undefined;
}

/** Prints a new Ed25519 key pair: the private key for the configuration, the public key for verifiers. */
export async function auditKeygen(options: AuditKeygenCommandOptions): Promise<number> {
  const pair = generateAuditKeyPair();
  const text =
    options.json === true
      ? `${JSON.stringify({ keyId: pair.keyId, privateKey: pair.privateKeyPem, publicKey: pair.publicKeyPem }, null, 2)}\n`
      : [
          `# Hearth audit signing key ${pair.keyId}.`,
          "# Private key: keep it secret; it goes in the gateway's configuration (it signs checkpoints).",
          pair.privateKeyPem.trimEnd(),
          "# Public key: give it to whoever verifies the log (`hearth audit verify --public-key <file>`).",
          pair.publicKeyPem.trimEnd(),
          "",
        ].join("\n");
  if (!options.output.write(text)) await once(options.output, "drain");
  return 0;
}

/**
 * `npm run bench:audit` — what does the tamper-evident audit log cost? Measures, on real
 * databases, each for `--seconds` (default 3):
 *   (a) appends per second through the real writer (`createAuditLog`), fast and strict mode, on
 *       SQLite (a temporary file, WAL) and PostgreSQL (a fresh schema, skipped with a note when
 *       the server is unreachable). `--concurrency` appenders (default 64) each await their own
 *       `append` in a loop, as concurrent requests would; fast mode's clock stops after the final
 *       flush, so its rate is what the database absorbs, not what the queue swallows. Latency is
 *       the time one `append` takes to resolve (strict: until durable).
 *   (b) verification time for `--verify-entries` (default 1,000,000) entries on SQLite, written
 *       through the real writer in fast mode. Judged: ≤ 10 s for 1,000,000 entries.
 *   (c) the accounting step alone, as the gateway calls it once per finished request
 *       (`accounting.record`): with usage roll-ups and the fast audit log on one SQLite file, as
 *       `hearth serve` has them, and with both off. Process CPU per request over `--requests`
 *       (default 100,000), 3 repetitions each, alternating. Not judged: the gateway comparison
 *       (bench:gateway --accounting) is; this shows what the step costs without the rest of a
 *       request around it.
 * Strict mode syncs the WAL (SQLite `synchronous=FULL`) or waits for the commit (PostgreSQL)
 * on every group commit, so its numbers depend on the disk as much as on the code.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { tcpReachable } from "../src/storage/reachable.ts";
import os from "node:os";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { createAuditLog, type AuditDurability } from "../src/core/audit/log.ts";
import { createAuditSigner, generateAuditKeyPair } from "../src/core/audit/signing.ts";
import type { AuditRecord, AuditStore } from "../src/core/audit/types.ts";
import { verifyAuditLog } from "../src/core/audit/verify.ts";
import { openPostgresAuditStore } from "../src/storage/postgres/audit.ts";
import { createPostgresPool, quoteIdentifier } from "../src/storage/postgres/connect.ts";
import { openSqliteAuditStore } from "../src/storage/sqlite/audit.ts";
import { createAccounting, type FinishedRequest } from "../src/core/accounting.ts";
import type { RouteTarget } from "../src/core/gateway.ts";
import { openSqliteStorage } from "../src/storage/sqlite/open.ts";
import { runScript, silentProgress, type Progress } from "./progress.ts";
import { median } from "./statistics.ts";
import { formatNumber, formatTable } from "./table.ts";

export interface AuditBenchOptions {
  seconds: number;
  concurrency: number;
  verifyEntries: number;
  requests: number;
  postgres: string | undefined;
  json: boolean;
}

/** The target for verification. */
export const targetVerifySeconds = 10;
export const targetVerifyEntries = 1_000_000;

export interface AppendResult {
  database: "SQLite" | "PostgreSQL";
  durability: AuditDurability;
  appends: number;
  seconds: number;
  appendsPerSecond: number;
  /** Milliseconds for one append to resolve. */
  latencyP50: number;
  latencyP99: number;
  /** Transactions the writer used (strict: group commits). */
  transactions: number;
}

export interface AuditBenchReport {
  settings: { seconds: number; concurrency: number; verifyEntries: number; node: string; cpu: string; cores: number };
  appends: AppendResult[];
  /** Why PostgreSQL was not measured, when it was not. */
  postgresSkipped: string | undefined;
  verify: { entries: number; writeSeconds: number; verifySeconds: number; entriesPerSecond: number; ok: boolean; databaseMegabytes: number };
  accounting: AccountingPathResult;
  verdict: { name: string; value: number; target: number; pass: boolean };
}

function positiveInteger(value: string): number {
  const parsed = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError("expected a positive number");
  return parsed;
}

export interface AccountingPathResult {
  requests: number;
  /** Process CPU µs per request, one value per repetition: usage + fast audit on, and both off. */
  on: number[];
  off: number[];
}

/** Parses CLI flags; throws CommanderError on a bad flag (after commander has printed it). */
export function parseOptions(argv: readonly string[]): AuditBenchOptions {
  const program = new Command("bench:audit")
    .description("Audit log: appends/s (fast, strict; SQLite, PostgreSQL) and verification time")
    .option("--seconds <n>", "length of each append measurement", positiveNumber, 3)
    .option("--concurrency <n>", "concurrent appenders", positiveInteger, 64)
    .option("--verify-entries <n>", "entries written, then verified, on SQLite", positiveInteger, targetVerifyEntries)
    .option("--postgres <url>", "PostgreSQL to measure (a temporary schema is created and dropped)", "postgres://postgres@127.0.0.1:5432/test")
    .option("--no-postgres", "skip PostgreSQL")
    .option("--requests <n>", "finished requests accounted for in each repetition of (c)", positiveInteger, 100_000)
    .option("--quick", "1 s per measurement, 100,000 entries verified, 20,000 requests accounted", false)
    .option("--json", "print one JSON object on stdout", false)
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const parsed = program.opts<{ seconds: number; concurrency: number; verifyEntries: number; requests: number; postgres: string | false; quick: boolean; json: boolean }>();
  return {
    seconds: parsed.quick ? 1 : parsed.seconds,
    concurrency: parsed.concurrency,
    verifyEntries: parsed.quick ? 100_000 : parsed.verifyEntries,
    requests: parsed.quick ? 20_000 : parsed.requests,
    postgres: parsed.postgres === false ? undefined : parsed.postgres,
    json: parsed.json,
  };
}

const keys = generateAuditKeyPair();
const signer = createAuditSigner(keys.privateKeyPem);

/** A typical request entry; a fresh request id each time, as in production. */
function record(index: number): AuditRecord {
  return {
    time: Date.now(),
    requestId: randomUUID(),
    kind: "request",
    action: "chat.completions",
    dialect: "openai",
    key: `key-${index % 50}`,
    team: `team-${index % 7}`,
    model: "gpt-4o-mini",
    route: index % 3 === 0 ? "smart" : null,
    provider: "openai",
    target: "openai/gpt-4o-mini-2024-07-18",
    locality: "third-party",
    policyRule: index % 5 === 0 ? "pii-redact" : null,
    policyAction: index % 5 === 0 ? "redact" : "allow",
    dataClasses: index % 5 === 0 ? { email: 1, phone: 1 } : {},
    inputTokens: 400 + (index % 300),
    outputTokens: 150 + (index % 200),
    costUsd: 0.000321,
    latencyMs: 900 + (index % 500),
    status: 200,
    errorCode: null,
    subject: null,
  };
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.toSorted((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** Counts transactions by wrapping the store's appendEntries. */
function counting(store: AuditStore): { store: AuditStore; transactions: () => number } {
  let transactions = 0;
  return {
    store: {
      ...store,
      appendEntries(entries, options) {
        transactions += 1;
        return store.appendEntries(entries, options);
      },
    },
    transactions: () => transactions,
  };
}

async function measureAppends(database: AppendResult["database"], store: AuditStore, durability: AuditDurability, options: AuditBenchOptions): Promise<AppendResult> {
  const counted = counting(store);
  const log = await createAuditLog({ store: counted.store, signer, durability, checkpointIntervalMs: 0 });
  // Warm-up: statements prepared, pool connections open, JIT warm.
  await Promise.all(Array.from({ length: 200 }, (_, index) => log.append(record(index))));
  await log.flush();
  const before = counted.transactions();
  const latencies: number[] = [];
  let appends = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      await log.append(record(appends));
      appends += 1;
      if (latencies.length < 200_000) latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await log.flush();
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  return {
    database,
    durability,
    appends,
    seconds,
    appendsPerSecond: appends / seconds,
    latencyP50: percentile(latencies, 0.5),
    latencyP99: percentile(latencies, 0.99),
    transactions: counted.transactions() - before,
  };
}

async function reachable(url: string): Promise<string | undefined> {
  let host = "127.0.0.1";
  let port = 5432;
  try {
    const parsed = new URL(url);
    host = parsed.hostname;
    port = parsed.port === "" ? 5432 : Number(parsed.port);
  } catch {
    return `--postgres is not a URL`;
  }
  const ok = await tcpReachable(host, port);
  return ok ? undefined : `PostgreSQL is not reachable at ${host}:${port}`;
}

/** What accounting reads of a target (provider id, locality, key): a self-hosted upstream. */
const accountedTarget = {
  key: "upstream/bench-upstream",
  entry: { provider: { id: "upstream" }, info: { name: "bench", locality: "self-hosted" } },
} as unknown as RouteTarget;

function finished(index: number): FinishedRequest {
  return {
    time: Date.now(),
    requestId: randomUUID(),
    endpoint: "chat.completions",
    caller: undefined,
    model: "bench",
    route: null,
    target: accountedTarget,
    status: 200,
    errorCode: null,
    inputTokens: 12 + (index % 50),
    outputTokens: 5 + (index % 20),
    latencyMs: 1.25,
    policy: undefined,
  };
}

/** (c): see the module comment. Yields to the event loop every 100 requests, as a server between I/O callbacks would. */
async function measureAccountingPath(requests: number, progress: Progress): Promise<AccountingPathResult> {
  const temporary = temporaryFile();
  const storage = await openSqliteStorage(temporary.file);
  const store = await openSqliteAuditStore(temporary.file);
  const log = await createAuditLog({ store, signer, durability: "fast", checkpointIntervalMs: 0 });
  const pricing = { costOf: () => ({ costUsd: 0.000001, priced: true }) };
  const on = createAccounting({ usage: storage.usage, audit: { append: (entry) => log.offer(entry), durability: "fast", wantsBodies: false }, pricing });
  const off = createAccounting({ pricing });
  const run = async (accounting: typeof on, count: number): Promise<number> => {
    const started = process.cpuUsage();
    for (let index = 0; index < count; index += 1) {
      const pending = accounting.record(finished(index), undefined);
      if (pending !== undefined) await pending;
      if (index % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / count;
  };
  try {
    progress.status("accounting path: warming up…");
    await run(on, Math.min(20_000, requests));
    await run(off, Math.min(20_000, requests));
    const result: AccountingPathResult = { requests, on: [], off: [] };
    for (let repetition = 0; repetition < 3; repetition += 1) {
      progress.status(`accounting path: repetition ${repetition + 1} of 3…`);
      for (const which of repetition % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
        result[which].push(await run(which === "on" ? on : off, requests));
      }
    }
    return result;
  } finally {
    await log.close();
    await store.close();
    await storage.close();
    temporary.remove();
  }
}

function temporaryFile(): { file: string; remove(): void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-bench-audit-"));
  return { file: path.join(directory, "audit.db"), remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}

function databaseMegabytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, name) => sum + (fs.existsSync(name) ? fs.statSync(name).size : 0), 0) / 1e6;
}

/** Runs every measurement; `progress` gets status lines (stderr in the CLI). */
export async function runAuditBench(options: AuditBenchOptions, progress: Progress = silentProgress): Promise<AuditBenchReport> {
  const appends: AppendResult[] = [];
  for (const durability of ["fast", "strict"] as const) {
    progress.status(`SQLite, ${durability}: appending for ${options.seconds} s…`);
    const temporary = temporaryFile();
    const store = await openSqliteAuditStore(temporary.file);
    try {
      appends.push(await measureAppends("SQLite", store, durability, options));
    } finally {
      await store.close();
      temporary.remove();
    }
  }

  let postgresSkipped = options.postgres === undefined ? "--no-postgres" : await reachable(options.postgres);
  if (options.postgres !== undefined && postgresSkipped === undefined) {
    const schema = `hearth_bench_audit_${process.pid}_${Date.now().toString(36)}`;
    const admin = createPostgresPool({ connectionString: options.postgres, schema, maxConnections: 1 });
    try {
      for (const durability of ["fast", "strict"] as const) {
        progress.status(`PostgreSQL, ${durability}: appending for ${options.seconds} s…`);
        await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
        const store = await openPostgresAuditStore({ connectionString: options.postgres, schema });
        try {
          appends.push(await measureAppends("PostgreSQL", store, durability, options));
        } finally {
          await store.close();
        }
      }
    } catch (error) {
      postgresSkipped = `failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
      await admin.end();
    }
  }

  const temporary = temporaryFile();
  const store = await openSqliteAuditStore(temporary.file);
  try {
    const log = await createAuditLog({ store, signer, durability: "fast", checkpointIntervalMs: 0 });
    const writeStarted = performance.now();
    for (let index = 0; index < options.verifyEntries; index += 1) {
      await log.append(record(index));
      if (index % 50_000 === 0) progress.status(`writing ${options.verifyEntries.toLocaleString("en")} entries for verification: ${index.toLocaleString("en")}…`);
    }
    await log.close();
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    progress.status(`verifying ${options.verifyEntries.toLocaleString("en")} entries…`);
    const verifyStarted = performance.now();
    const report = await verifyAuditLog(store, {
      publicKey: keys.publicKeyPem,
      onProgress: ({ entries, total }) => {
        if (entries % 100_000 < 5_000) progress.status(`verifying: ${entries.toLocaleString("en")} / ${total.toLocaleString("en")}`);
      },
    });
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    const megabytes = databaseMegabytes(temporary.file);
    const accounting = await measureAccountingPath(options.requests, progress);
    progress.clear();
    const scaled = verifySeconds * (targetVerifyEntries / options.verifyEntries);
    return {
      settings: { seconds: options.seconds, concurrency: options.concurrency, verifyEntries: options.verifyEntries, node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.availableParallelism() },
      appends,
      postgresSkipped,
      verify: { entries: report.entries, writeSeconds, verifySeconds, entriesPerSecond: report.entries / verifySeconds, ok: report.ok, databaseMegabytes: megabytes },
      accounting,
      verdict: {
        name: `verification of ${targetVerifyEntries.toLocaleString("en")} entries on SQLite${options.verifyEntries === targetVerifyEntries ? "" : " (scaled from the measured count)"}`,
        value: scaled,
        target: targetVerifySeconds,
        pass: report.ok && scaled <= targetVerifySeconds,
      },
    };
  } finally {
    await store.close();
    temporary.remove();
  }
}

/** The plain-text report, ending with the judged line. */
export function formatReport(report: AuditBenchReport): string {
  const { settings, verify } = report;
  return [
    `Audit log — ${settings.cpu}, ${settings.cores} cores, Node ${settings.node}; ${settings.concurrency} concurrent appenders, ${settings.seconds} s each`,
    "",
    formatTable(
      ["database, durability", "appends/s", "p50 ms", "p99 ms", "appends", "transactions", "per transaction"],
      report.appends.map((result) => [
        `${result.database}, ${result.durability}`,
        formatNumber(result.appendsPerSecond, 0),
        formatNumber(result.latencyP50, 2),
        formatNumber(result.latencyP99, 2),
        String(result.appends),
        String(result.transactions),
        formatNumber(result.appends / Math.max(1, result.transactions), 1),
      ]),
    ),
    ...(report.postgresSkipped === undefined ? [] : [`PostgreSQL not measured: ${report.postgresSkipped}`]),
    "",
    `verify: ${verify.entries.toLocaleString("en")} entries (${formatNumber(verify.databaseMegabytes, 0)} MB SQLite file, written in fast mode in ${formatNumber(verify.writeSeconds, 1)} s) ` +
      `checked in ${formatNumber(verify.verifySeconds, 2)} s = ${formatNumber(verify.entriesPerSecond / 1000, 0)}k entries/s; ${verify.ok ? "no problems" : "PROBLEMS FOUND"}`,
    "",
    `accounting step alone (accounting.record; ${report.accounting.requests.toLocaleString("en")} requests × 3, alternating): CPU per request ` +
      `${formatNumber(median(report.accounting.on), 2)} µs with usage + fast audit on SQLite (${report.accounting.on.map((value) => formatNumber(value, 2)).join(", ")}), ` +
      `${formatNumber(median(report.accounting.off), 2)} µs with both off`,
    "",
    `${report.verdict.name} ≤ ${report.verdict.target} s: ${report.verdict.pass ? "PASS" : "MISS"} (${formatNumber(report.verdict.value, 2)} s)`,
  ].join("\n");
}

if (import.meta.main) {
  await runScript("bench:audit", async (progress) => {
    const options = parseOptions(process.argv.slice(2));
    const report = await runAuditBench(options, progress);
    return options.json ? JSON.stringify(report, null, 2) : formatReport(report);
  });
}

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { entryHash, normalizeRecord, zeroHash } from "../../core/audit/canonical.ts";
import { AuditError } from "../../core/audit/errors.ts";
import { createAuditLog } from "../../core/audit/log.ts";
import { createAuditSigner, generateAuditKeyPair } from "../../core/audit/signing.ts";
import type { AuditEntryInput, AuditRecord, AuditStore } from "../../core/audit/types.ts";
import { verifyAuditLog } from "../../core/audit/verify.ts";
import { auditStoreSuite, type AuditTestDatabase } from "../audit-store.suite.ts";
import { StorageError } from "../errors.ts";
import { createSqliteAuditStore, openSqliteAuditStore, startSqliteAuditEntryWriter, type SqliteAuditEntryWriter } from "./audit.ts";

async function openDatabase(options: { worker: boolean }): Promise<AuditTestDatabase> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-"));
  const file = path.join(directory, "hearth.db");
  const stores: AuditStore[] = [await openSqliteAuditStore(file, options)];
  const raw = new Database(file);
  raw.pragma("busy_timeout = 5000");
  return {
    store: stores[0] as AuditStore,
    async openAnother() {
      const store = await openSqliteAuditStore(file, options);
      stores.push(store);
      return store;
    },
    async exec(sql, parameters = []) {
      raw.prepare(sql).run(...parameters);
    },
    async rows<Row>(sql: string, parameters: readonly unknown[] = []) {
      return raw.prepare(sql).all(...parameters) as Row[];
    },
    async close() {
      for (const store of stores) await store.close();
      raw.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

auditStoreSuite("SQLite (entries inserted on a writer thread)", { open: () => openDatabase({ worker: true }) });
auditStoreSuite("SQLite (entries inserted on the calling thread)", { open: () => openDatabase({ worker: false }) });

test("openSqliteAuditStore migrates a new file with the shared migration list and refuses a file that is not a database", async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-"));
  try {
    const file = path.join(directory, "nested", "hearth.db");
    const store = await openSqliteAuditStore(file);
    await store.close();
    const raw = new Database(file);
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit_%' ORDER BY name").all() as Array<{ name: string }>;
    const version = raw.prepare("SELECT max(version) AS version FROM schema_migrations").get() as { version: number };
    raw.close();
    assert.deepEqual(tables.map((table) => table.name), ["audit_chains", "audit_checkpoints", "audit_entries"]);
    assert.ok(version.version >= 5);

    const junk = path.join(directory, "junk.db");
    fs.writeFileSync(junk, "this is not a database, just text long enough to have a header".repeat(20));
    await assert.rejects(openSqliteAuditStore(junk), (error: unknown) => StorageError.isInstance(error) && error.code === "storage_corrupt" && error.message.includes(junk));
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test("a closed store refuses to be used", async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-"));
  try {
    const store = await openSqliteAuditStore(path.join(directory, "hearth.db"));
    await store.close();
    await assert.rejects(store.latestCheckpoint(), (error: unknown) => StorageError.isInstance(error) && error.code === "storage_closed");
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

const keys = generateAuditKeyPair();
const signer = createAuditSigner(keys.privateKeyPem);

function record(index: number): AuditRecord {
  return {
    time: 1_800_000_000_000 + index,
    requestId: `request-${index}`,
    kind: "request",
    action: "chat.completions",
    dialect: "openai",
    key: "alice-key",
    team: null,
    model: "gpt-4o",
    route: null,
    provider: "openai",
    target: "openai/gpt-4o",
    locality: "third-party",
    policyRule: null,
    policyAction: "allow",
    dataClasses: {},
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.0001,
    latencyMs: 12.5,
    status: 200,
    errorCode: null,
    subject: null,
  };
}

/** `count` hashed entries of `chain` from position `from` (the store itself checks nothing but uniqueness). */
function entries(chain: string, from: number, count: number): AuditEntryInput[] {
  const result: AuditEntryInput[] = [];
  let prevHash = zeroHash;
  for (let chainSeq = from; chainSeq < from + count; chainSeq += 1) {
    const unhashed = { ...normalizeRecord(record(chainSeq)), bodies: null, chain, chainSeq, prevHash };
    const entry = { ...unhashed, hash: entryHash(prevHash, unhashed) };
    result.push(entry);
    prevHash = entry.hash;
  }
  return result;
}

/** A migrated file, a main-thread connection, a writer thread, and a store over both; plus a raw connection for locks and counts. */
async function withWriterThread(
  body: (setup: { file: string; store: AuditStore; writer: SqliteAuditEntryWriter; raw: Database.Database }) => Promise<void>,
  options: { busyTimeoutMs?: number } = {},
): Promise<void> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-thread-"));
  const file = path.join(directory, "hearth.db");
  await (await openSqliteAuditStore(file, { worker: false })).close();
  const database = new Database(file);
  database.pragma("busy_timeout = 5000");
  const raw = new Database(file);
  raw.pragma("busy_timeout = 5000");
  const writer = await startSqliteAuditEntryWriter(file, options);
  const store = createSqliteAuditStore(database, { entryWriter: writer });
  try {
    await body({ file, store, writer, raw });
  } finally {
    if (raw.inTransaction) raw.exec("ROLLBACK");
    await store.close();
    database.close();
    raw.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

const count = (raw: Database.Database): number => (raw.prepare("SELECT count(*) AS rows FROM audit_entries").get() as { rows: number }).rows;

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

function settledYet(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

test("writer thread: a batch waiting for another connection's lock leaves the event loop free, and commits once the lock is gone", () =>
  withWriterThread(async ({ store, raw }) => {
    const log = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0 });
    raw.exec("BEGIN IMMEDIATE");
    const append = log.append(record(1));
    const settled = settledYet(append);
    // On the calling thread, SQLite's busy wait would hold the event loop until the lock went away.
    const started = performance.now();
    await sleep(50);
    assert.ok(performance.now() - started < 1_000, "the timer fired while the write waited");
    assert.equal(settled(), false, "strict append waits for the commit");
    raw.exec("COMMIT");
    await append;
    assert.equal(count(raw), 1, "committed and visible to another connection when the append resolved");
    await log.close();
    const report = await verifyAuditLog(store, { publicKey: keys.publicKeyPem });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
  }));

test("writer thread: a failed transaction rejects with SQLite's error and code, and writes none of its rows", () =>
  withWriterThread(async ({ store, raw }) => {
    await store.appendEntries(entries("chain-a", 1, 3), { durable: false });
    // 40 rows (a 32-row statement, then single rows) whose last one collides with position 2.
    const batch = [...entries("chain-b", 1, 39), ...entries("chain-a", 2, 1)];
    await assert.rejects(store.appendEntries(batch, { durable: true }), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /UNIQUE constraint failed/);
      assert.equal((error as { code?: unknown }).code, "SQLITE_CONSTRAINT_UNIQUE");
      return true;
    });
    assert.equal(count(raw), 3);
    await store.appendEntries(entries("chain-b", 1, 40), { durable: true });
    assert.equal(count(raw), 43, "the thread goes on after a failed batch");
  }));

test("writer thread: a thread that dies fails its unconfirmed writes (strict appends reject), and the next write starts a new one", () =>
  withWriterThread(
    async ({ store, writer, raw }) => {
      const errors: unknown[] = [];
      const log = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0, onError: (error) => errors.push(error) });
      await log.append(record(1));
      const first = writer.thread;
      assert.ok(first !== undefined);
      raw.exec("BEGIN IMMEDIATE");
      const lost = log.append(record(2));
      await sleep(30);
      await first.terminate();
      await assert.rejects(lost, (error: unknown) => AuditError.isInstance(error) && error.code === "audit_write_failed" && /writer thread .* stopped/.test(error.message));
      assert.equal(writer.thread, undefined, "the dead thread is gone");
      raw.exec("COMMIT");

      await log.append(record(3));
      assert.ok(writer.thread !== undefined && writer.thread !== first, "a new thread wrote the next entry");
      assert.equal(log.stats().rejected, 1);
      assert.deepEqual(errors, []);
      const rows = raw.prepare("SELECT chain_seq, content ->> 0 AS request_id FROM audit_entries ORDER BY seq").all();
      assert.deepEqual(rows, [
        { chain_seq: 1, request_id: "request-1" },
        { chain_seq: 2, request_id: "request-3" },
      ], "the rejected entry's position went to the next one: no gap");
      await log.close();
      const report = await verifyAuditLog(store, { publicKey: keys.publicKeyPem });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
    },
    { busyTimeoutMs: 300 },
  ));

test("writer thread: close() commits every pending write, then stops the thread", () =>
  withWriterThread(async ({ store, writer, raw }) => {
    const thread = writer.thread;
    assert.ok(thread !== undefined);
    let exited = false;
    thread.once("exit", () => (exited = true));
    const writes = [store.appendEntries(entries("chain-a", 1, 300), { durable: false }), store.appendEntries(entries("chain-a", 301, 5), { durable: true })];
    const closing = store.close();
    await Promise.all(writes);
    await closing;
    assert.equal(exited, true);
    assert.equal(writer.thread, undefined);
    assert.equal(count(raw), 305);
    await assert.rejects(store.appendEntries(entries("chain-a", 306, 1), { durable: false }), (error: unknown) => StorageError.isInstance(error) && error.code === "storage_closed");
    await assert.rejects(writer.write([], false), (error: unknown) => StorageError.isInstance(error) && error.code === "storage_closed");
  }));

test("writer thread: a file the thread cannot open is an open error, not a failed write later", async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-thread-"));
  try {
    const missing = path.join(directory, "missing.db");
    await assert.rejects(
      startSqliteAuditEntryWriter(missing),
      (error: unknown) => StorageError.isInstance(error) && error.code === "storage_open_failed" && error.message.includes(missing),
    );
    assert.equal(fs.existsSync(missing), false, "the thread never creates the file");
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test("openSqliteAuditStore keeps :memory: on the calling thread (a second connection would see another database)", async () => {
  const store = await openSqliteAuditStore(":memory:");
  try {
    await store.appendEntries(entries("chain-a", 1, 2), { durable: true });
    assert.deepEqual((await store.summarizeChains()).map((chain) => chain.entries), [2]);
  } finally {
    await store.close();
  }
});

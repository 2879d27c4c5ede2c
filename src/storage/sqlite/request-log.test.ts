import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { StorageError } from "../errors.ts";
import type { RequestLogInput, Storage } from "../types.ts";
import { openSqliteStorage, type SqliteStorageOptions } from "./open.ts";
import { maxQueryLimit } from "./request-log.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-storage-log-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(root, `case-${++counter}.db`);

/** A long timer, so nothing is written unless a test flushes or fills a batch. */
const manual: SqliteStorageOptions = { requestLog: { flushIntervalMs: 60_000 } };

function entry(overrides: Partial<RequestLogInput> = {}): RequestLogInput {
  return {
    requestId: `request-${++counter}`,
    endpoint: "chat.completions",
    model: "tiny-chat",
    provider: "local-llama",
    stream: true,
    status: 200,
    errorCode: null,
    inputTokens: 12,
    outputTokens: 34,
    latencyMs: 56.5,
    timeToFirstTokenMs: 7.25,
    route: "smart",
    target: "local-llama/tiny-chat",
    attempts: 2,
    ...overrides,
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function withStorage(options: SqliteStorageOptions, body: (storage: Storage, path: string) => Promise<void>): Promise<void> {
  const path = freshPath();
  const storage = await openSqliteStorage(path, options);
  try {
    await body(storage, path);
  } finally {
    await storage.close().catch(() => undefined);
  }
}

describe("SQLite request log", () => {
  test("append only queues; the entry is readable with every field intact after flush", async () => {
    await withStorage(manual, async (storage) => {
      const input = entry({ id: "entry-1", time: 1_700_000_000_123, stream: false, status: 429, errorCode: "rate_limited", timeToFirstTokenMs: null });
      storage.requestLog.append(input);
      assert.equal(storage.requestLog.stats().pending, 1);
      assert.deepEqual(await storage.requestLog.query(), []);
      await storage.requestLog.flush();
      assert.deepEqual(await storage.requestLog.query(), [{ ...input, id: "entry-1", time: 1_700_000_000_123 }]);
      assert.equal(storage.requestLog.stats().pending, 0);
    });
  });

  test("a batch larger than one multi-row statement (70 rows) keeps every row and field", async () => {
    await withStorage(manual, async (storage) => {
      const inputs = Array.from({ length: 70 }, (_, index) =>
        entry({ id: `bulk-${String(index).padStart(3, "0")}`, time: 1_700_000_000_000 + index, inputTokens: index, route: index % 2 === 0 ? null : "r", attempts: 1 + (index % 3) }),
      );
      for (const input of inputs) storage.requestLog.append(input);
      await storage.requestLog.flush();
      const stored = await storage.requestLog.query({ limit: 100 });
      assert.equal(stored.length, 70);
      const byId = new Map(stored.map((row) => [row.id, row]));
      for (const input of inputs) assert.deepEqual(byId.get(input.id as string), input);
    });
  });

  test("the store fills in a time-ordered UUIDv7 id and the append time when they are missing", async () => {
    await withStorage(manual, async (storage) => {
      const before = Date.now();
      storage.requestLog.append(entry());
      const after = Date.now();
      await storage.requestLog.flush();
      const [stored] = await storage.requestLog.query();
      assert.ok(stored);
      assert.match(stored.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(stored.time >= before && stored.time <= after);
    });
  });

  test("many appends are written by one flush in one transaction", async () => {
    await withStorage({ requestLog: { flushIntervalMs: 60_000, batchSize: 256 } }, async (storage) => {
      for (let index = 0; index < 200; index += 1) storage.requestLog.append(entry());
      await storage.requestLog.flush();
      const stats = storage.requestLog.stats();
      assert.equal(stats.written, 200);
      assert.equal(stats.batches, 1);
      assert.equal((await storage.requestLog.query({ limit: 1_000 })).length, 200);
    });
  });

  test("a full batch is written without waiting for the timer, one transaction per batch", async () => {
    await withStorage({ requestLog: { flushIntervalMs: 60_000, batchSize: 10 } }, async (storage) => {
      for (let index = 0; index < 30; index += 1) storage.requestLog.append(entry());
      await waitFor(() => storage.requestLog.stats().written === 30);
      assert.equal(storage.requestLog.stats().batches, 3);
    });
  });

  test("a lone entry is written by the timer without an explicit flush", async () => {
    await withStorage({ requestLog: { flushIntervalMs: 20 } }, async (storage) => {
      storage.requestLog.append(entry());
      await waitFor(() => storage.requestLog.stats().written === 1);
      assert.equal((await storage.requestLog.query()).length, 1);
    });
  });

  test("close() writes pending entries and a re-opened database still has them", async () => {
    const path = freshPath();
    const storage = await openSqliteStorage(path, manual);
    for (let index = 0; index < 5; index += 1) storage.requestLog.append(entry({ time: 1_000 + index }));
    await storage.close();
    const reopened = await openSqliteStorage(path, manual);
    try {
      const times = (await reopened.requestLog.query()).map((stored) => stored.time);
      assert.deepEqual(times, [1_004, 1_003, 1_002, 1_001, 1_000]);
    } finally {
      await reopened.close();
    }
  });

  test("query returns newest first and filters by since (inclusive), until (exclusive), model and limit", async () => {
    await withStorage(manual, async (storage) => {
      for (let time = 100; time < 110; time += 1) {
        storage.requestLog.append(entry({ time, model: time % 2 === 0 ? "even" : "odd" }));
      }
      await storage.requestLog.flush();
      const times = async (filter: Parameters<Storage["requestLog"]["query"]>[0]): Promise<number[]> =>
        (await storage.requestLog.query(filter)).map((stored) => stored.time);
      assert.deepEqual(await times({}), [109, 108, 107, 106, 105, 104, 103, 102, 101, 100]);
      assert.deepEqual(await times({ since: 105 }), [109, 108, 107, 106, 105]);
      assert.deepEqual(await times({ until: 103 }), [102, 101, 100]);
      assert.deepEqual(await times({ since: 102, until: 106 }), [105, 104, 103, 102]);
      assert.deepEqual(await times({ model: "even" }), [108, 106, 104, 102, 100]);
      assert.deepEqual(await times({ model: "odd", since: 103, until: 108 }), [107, 105, 103]);
      assert.deepEqual(await times({ limit: 3 }), [109, 108, 107]);
      assert.deepEqual(await times({ limit: 0 }), []);
      assert.deepEqual(await times({ model: "missing" }), []);
    });
  });

  test("query returns 100 entries by default and never more than the cap", async () => {
    await withStorage({ requestLog: { flushIntervalMs: 60_000, batchSize: 1_000, maxQueued: 20_000 } }, async (storage) => {
      const total = maxQueryLimit + 5;
      for (let index = 0; index < total; index += 1) storage.requestLog.append(entry({ time: index }));
      await storage.requestLog.flush();
      assert.equal((await storage.requestLog.query()).length, 100);
      const all = await storage.requestLog.query({ limit: total });
      assert.equal(all.length, maxQueryLimit);
      assert.equal(all[0]?.time, total - 1);
    });
  });

  test("a full queue drops its oldest entries and counts them", async () => {
    await withStorage({ requestLog: { flushIntervalMs: 60_000, maxQueued: 5 } }, async (storage) => {
      for (let time = 1; time <= 8; time += 1) storage.requestLog.append(entry({ time }));
      assert.equal(storage.requestLog.stats().dropped, 3);
      assert.equal(storage.requestLog.stats().pending, 5);
      await storage.requestLog.flush();
      assert.deepEqual((await storage.requestLog.query()).map((stored) => stored.time), [8, 7, 6, 5, 4]);
      const stats = storage.requestLog.stats();
      assert.equal(stats.accepted, 8);
      assert.equal(stats.written, 5);
    });
  });

  test("an entry the database refuses (duplicate id) is counted and reported; the rest of its batch is kept", async () => {
    const errors: unknown[] = [];
    await withStorage({ requestLog: { flushIntervalMs: 60_000, onError: (error) => errors.push(error) } }, async (storage) => {
      storage.requestLog.append(entry({ id: "same", time: 1 }));
      storage.requestLog.append(entry({ id: "other", time: 2 }));
      storage.requestLog.append(entry({ id: "same", time: 3 }));
      await storage.requestLog.flush();
      assert.deepEqual((await storage.requestLog.query()).map((stored) => stored.id), ["other", "same"]);
      const stats = storage.requestLog.stats();
      assert.equal(stats.written, 2);
      assert.equal(stats.failed, 1);
      assert.equal(stats.pending, 0);
      assert.equal(errors.length, 1);
      assert.match(stats.lastError ?? "", /UNIQUE/);
    });
  });

  test("while another connection holds the write lock, entries stay queued and are written once it is released", async () => {
    const errors: unknown[] = [];
    const options: SqliteStorageOptions = { busyTimeoutMs: 10, requestLog: { flushIntervalMs: 10, onError: (error) => errors.push(error) } };
    await withStorage(options, async (storage, path) => {
      const other = new Database(path);
      try {
        other.exec("BEGIN IMMEDIATE");
        storage.requestLog.append(entry());
        storage.requestLog.append(entry());
        await waitFor(() => errors.length > 0);
        await assert.rejects(storage.requestLog.flush(), { code: "SQLITE_BUSY" });
        assert.equal(storage.requestLog.stats().pending, 2);
        assert.ok(storage.requestLog.stats().flushErrors >= 2);
        other.exec("COMMIT");
      } finally {
        other.close();
      }
      await storage.requestLog.flush();
      assert.equal(storage.requestLog.stats().written, 2);
      assert.equal((await storage.requestLog.query()).length, 2);
    });
  });

  test("after close, appends are dropped and counted, and queries are refused", async () => {
    const storage = await openSqliteStorage(freshPath(), manual);
    await storage.close();
    storage.requestLog.append(entry());
    assert.equal(storage.requestLog.stats().dropped, 1);
    await assert.rejects(storage.requestLog.query(), (error: unknown) => StorageError.isInstance(error) && error.code === "storage_closed");
  });
});

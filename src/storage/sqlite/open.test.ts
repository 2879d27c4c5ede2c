import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { StorageError } from "../errors.ts";
import { migrations } from "./migrations.ts";
import { openSqliteStorage, openSqliteStorageWith } from "./open.ts";

const root = mkdtempSync(join(tmpdir(), "hearth-storage-open-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(root, `case-${++counter}`, "hearth.db");

function readMigrations(path: string): { version: number; name: string; applied_at: number }[] {
  const database = new Database(path, { readonly: true });
  try {
    return database.prepare<[], { version: number; name: string; applied_at: number }>(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
    ).all();
  } finally {
    database.close();
  }
}

async function rejectsWithStorageError(promise: Promise<unknown>, code: string, mentions: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(StorageError.isInstance(error), `expected a StorageError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const text of mentions) assert.ok(error.message.includes(text), `message should mention ${text}: ${error.message}`);
    return true;
  });
}

describe("openSqliteStorage", () => {
  test("creates the parent directory and records every migration once with its name and time", async () => {
    const path = freshPath();
    const before = Date.now();
    const storage = await openSqliteStorage(path);
    await storage.close();
    assert.ok(existsSync(path));
    const rows = readMigrations(path);
    assert.deepEqual(rows.map((row) => [row.version, row.name]), migrations.map((migration) => [migration.version, migration.name]));
    for (const row of rows) assert.ok(row.applied_at >= before && row.applied_at <= Date.now());
  });

  test("re-opening an up-to-date database applies nothing again", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    const first = readMigrations(path);
    await (await openSqliteStorage(path)).close();
    await (await openSqliteStorage(path)).close();
    assert.deepEqual(readMigrations(path), first);
  });

  test("uses WAL journaling and keeps request_log indexes on time and model", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    const database = new Database(path, { readonly: true });
    try {
      assert.equal(database.pragma("journal_mode", { simple: true }), "wal");
      const indexes = database.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_log' AND sql IS NOT NULL").all().map((row) => row.sql);
      assert.ok(indexes.some((sql) => /\(time\)/.test(sql)));
      assert.ok(indexes.some((sql) => /\(model, time\)/.test(sql)));
    } finally {
      database.close();
    }
  });

  test("opens an in-memory database", async () => {
    const storage = await openSqliteStorage(":memory:");
    storage.requestLog.append({ requestId: "r", endpoint: "embeddings", model: "m", provider: "p", stream: false, status: 200, errorCode: null, inputTokens: 3, outputTokens: 0, latencyMs: 1, timeToFirstTokenMs: null, route: null, target: "p/m", attempts: 1 });
    await storage.requestLog.flush();
    assert.equal((await storage.requestLog.query()).length, 1);
    await storage.close();
  });

  test("a file of garbage bytes is refused as corrupt, naming the path", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    writeFileSync(path, Buffer.alloc(8192, "this is not a database. "));
    await rejectsWithStorageError(openSqliteStorage(path), "storage_corrupt", [path]);
  });

  test("a file with a SQLite header but damaged pages is refused as corrupt", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    const header = Buffer.from("SQLite format 3\0", "latin1");
    const page = Buffer.alloc(4096, 0xa5);
    header.copy(page, 0);
    page.writeUInt16BE(4096, 16);
    writeFileSync(path, Buffer.concat([page, Buffer.alloc(4096, 0x5a)]));
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    await rejectsWithStorageError(openSqliteStorage(path), "storage_corrupt", [path]);
  });

  test("a path whose parent is a file is refused as unopenable, naming the path", async () => {
    const blocker = join(root, `blocker-${++counter}`);
    writeFileSync(blocker, "a file, not a directory");
    const path = join(blocker, "hearth.db");
    await rejectsWithStorageError(openSqliteStorage(path), "storage_open_failed", [path]);
  });

  test("a schema from a newer Hearth is refused with both versions named, and left untouched", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    const future = migrations.length + 7;
    const database = new Database(path);
    database.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(future, "from-the-future", Date.now());
    database.close();
    await rejectsWithStorageError(openSqliteStorage(path), "storage_too_new", [path, String(future), String(migrations.length)]);
    assert.equal(readMigrations(path).at(-1)?.version, future);
  });

  test("a later migration is applied on top of an existing database on the next open", async () => {
    const path = freshPath();
    await (await openSqliteStorage(path)).close();
    const next = [...migrations, { version: migrations.length + 1, name: "add-notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)" }];
    await (await openSqliteStorageWith(path, next)).close();
    const rows = readMigrations(path);
    assert.deepEqual(rows.map((row) => row.name), next.map((migration) => migration.name));
  });

  test("a failing migration is rolled back and not recorded", async () => {
    const path = freshPath();
    const broken = [
      ...migrations,
      { version: migrations.length + 1, name: "half-done", sql: "CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);" },
    ];
    await rejectsWithStorageError(openSqliteStorageWith(path, broken), "storage_migration_failed", [path, "half-done"]);
    assert.deepEqual(readMigrations(path).map((row) => row.version), migrations.map((migration) => migration.version));
    const database = new Database(path, { readonly: true });
    try {
      const table = database.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get();
      assert.equal(table, undefined);
    } finally {
      database.close();
    }
  });

  test("a migration list with a gap in its versions is a programming error", async () => {
    const gapped = [...migrations, { version: migrations.length + 2, name: "skipped-one", sql: "SELECT 1" }];
    await assert.rejects(openSqliteStorageWith(freshPath(), gapped), /numbered 1, 2, 3/);
  });

  test("close() is idempotent", async () => {
    const storage = await openSqliteStorage(freshPath());
    await storage.close();
    await storage.close();
  });
});

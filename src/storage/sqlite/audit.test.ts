import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import type { AuditStore } from "../../core/audit/types.ts";
import { auditStoreSuite, type AuditTestDatabase } from "../audit-store.suite.ts";
import { StorageError } from "../errors.ts";
import { openSqliteAuditStore } from "./audit.ts";

async function openDatabase(): Promise<AuditTestDatabase> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-"));
  const file = path.join(directory, "hearth.db");
  const stores: AuditStore[] = [await openSqliteAuditStore(file)];
  const raw = new Database(file);
  raw.pragma("busy_timeout = 5000");
  return {
    store: stores[0] as AuditStore,
    async openAnother() {
      const store = await openSqliteAuditStore(file);
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

auditStoreSuite("SQLite", { open: openDatabase });

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

/**
 * The audit log's move from a column per field to one `content` column (SQLite migration 8,
 * PostgreSQL migration 3): a log written in the old layout reads back the same after the upgrade,
 * still verifies, keeps a damaged row damaged, and never reuses a sequence number.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { createAuditLog, createAuditSigner, generateAuditKeyPair, verifyAuditLog } from "../core/audit/index.ts";
import type { AuditEntry, AuditRecord, AuditStore } from "../core/audit/types.ts";
import { openPostgresAuditStore } from "./postgres/audit.ts";
import { auditPostgresMigrationSql } from "./postgres/audit-schema.ts";
import { postgresMigrations } from "./postgres/migrations.ts";
import { dropSchema, postgresUnavailable, testPool, testPostgresUrl, uniqueSchema } from "./postgres/test-server.ts";
import { openSqliteAuditStore } from "./sqlite/audit.ts";
import { auditMigrationSql } from "./sqlite/audit-schema.ts";
import { migrations } from "./sqlite/migrations.ts";

const keys = generateAuditKeyPair();
const signer = createAuditSigner(keys.privateKeyPem);
const encryptionKey = randomBytes(32);

function record(index: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: 1_800_000_000_000 + index * 1_000,
    requestId: `request-${index}`,
    kind: "request",
    action: "chat.completions",
    dialect: "openai",
    key: index % 2 === 0 ? "alice-key" : null,
    team: index % 2 === 0 ? "research" : null,
    model: index === 3 ? 'modèle "😀" \\ \n\t' : "gpt-4o",
    route: null,
    provider: "openai",
    target: "openai/gpt-4o",
    locality: "third-party",
    policyRule: index % 3 === 0 ? "pii" : null,
    policyAction: index % 3 === 0 ? "redact" : null,
    dataClasses: index % 3 === 0 ? { iban: 1, email: 2 } : {},
    inputTokens: 100 + index,
    outputTokens: 7 * index,
    costUsd: 0.000123456789 * (index + 1),
    latencyMs: 812.25 + index / 3,
    status: index === 5 ? 502 : 200,
    errorCode: index === 5 ? "upstream_error" : null,
    subject: null,
    ...overrides,
  };
}

/** Writes entries in three chains (no bodies, encrypted bodies, digests) and closes them. */
async function populate(store: AuditStore): Promise<void> {
  const plain = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0 });
  for (let index = 0; index < 6; index += 1) await plain.append(record(index));
  await plain.append(record(6, { kind: "admin", action: "keys.create", dialect: "hearth", subject: "key_1", provider: "", target: "", locality: null }));
  await plain.close();
  const full = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0, bodies: { mode: "full", encryptionKey } });
  await full.append(record(7, { bodies: { request: "my card is 4111", response: "noted" } }));
  await full.close();
  const hashed = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0, bodies: { mode: "hash" } });
  await hashed.append(record(8, { bodies: { request: "hello" } }));
  await hashed.close();
}

/** The entry's fields, without what only the new layout has. */
function fields(entry: AuditEntry): Omit<AuditEntry, "content" | "damaged"> {
  const { content: _content, damaged: _damaged, ...rest } = entry;
  return rest;
}

/** Migration 5's row for an entry, in its column order. */
function oldRow(entry: AuditEntry): unknown[] {
  return [
    entry.seq,
    entry.chain,
    entry.chainSeq,
    entry.prevHash,
    entry.hash,
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
    JSON.stringify(entry.dataClasses),
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.latencyMs,
    entry.status,
    entry.errorCode,
    entry.subject,
    entry.bodies === null ? null : JSON.stringify(entry.bodies),
  ];
}

const oldColumns =
  "seq, chain, chain_seq, prev_hash, hash, time, request_id, kind, action, dialect, key_name, team, model, route, provider, target, locality, policy_rule, policy_action, data_classes, input_tokens, output_tokens, cost_usd, latency_ms, status, error_code, subject, bodies";

/** The old layout's DDL: migration 5's (or PostgreSQL 1's) audit_entries table and indexes. */
function oldTableSql(sql: string): string {
  return sql.slice(0, sql.indexOf("CREATE TABLE audit_chains"));
}

interface Adapter {
  open(): Promise<AuditStore>;
  /** Rewrites the log in the old layout (as the previous Hearth left it), with a sequence high-water mark of `highWater`. */
  downgrade(entries: AuditEntry[], highWater: number): Promise<void>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function sqliteAdapter(): Promise<Adapter> {
  const directory = mkdtempSync(path.join(tmpdir(), "hearth-audit-migration-"));
  const file = path.join(directory, "hearth.db");
  return {
    open: () => openSqliteAuditStore(file),
    async downgrade(entries, highWater) {
      const database = new Database(file);
      try {
        database.transaction(() => {
          database.exec("DROP TABLE audit_entries");
          database.exec(oldTableSql(auditMigrationSql));
          const insert = database.prepare(`INSERT INTO audit_entries (${oldColumns}) VALUES (${oldColumns.split(", ").map(() => "?").join(", ")})`);
          for (const entry of entries) insert.run(...oldRow(entry));
          database.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_entries'").run(highWater);
          database.prepare("DELETE FROM schema_migrations WHERE version = ?").run(migrations.findIndex((migration) => migration.name === "audit-content-column") + 1);
        })();
      } finally {
        database.close();
      }
    },
    async exec(sql) {
      const database = new Database(file);
      try {
        database.exec(sql);
      } finally {
        database.close();
      }
    },
    async close() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function postgresAdapter(): Promise<Adapter> {
  const schema = uniqueSchema();
  const raw = testPool(schema);
  return {
    open: () => openPostgresAuditStore({ connectionString: testPostgresUrl, schema, maxConnections: 2 }),
    async downgrade(entries, highWater) {
      const client = await raw.connect();
      try {
        await client.query("BEGIN");
        await client.query("DROP TABLE audit_entries");
        await client.query("DROP FUNCTION audit_json(text)");
        await client.query(oldTableSql(auditPostgresMigrationSql));
        const placeholders = oldColumns.split(", ").map((_, index) => `$${index + 1}`).join(", ");
        for (const entry of entries) await client.query(`INSERT INTO audit_entries (${oldColumns}) OVERRIDING SYSTEM VALUE VALUES (${placeholders})`, oldRow(entry));
        await client.query("SELECT setval(pg_get_serial_sequence('audit_entries', 'seq'), $1)", [highWater]);
        await client.query("DELETE FROM hearth_schema_migrations WHERE version = $1", [postgresMigrations.findIndex((migration) => migration.name === "audit-content-column") + 1]);
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await raw.query(sql);
    },
    async close() {
      try {
        await dropSchema(raw, schema);
      } finally {
        await raw.end();
      }
    },
  };
}

const postgresSkip = await postgresUnavailable();

for (const [name, create, skip] of [
  ["SQLite", sqliteAdapter, undefined],
  ["PostgreSQL", postgresAdapter, postgresSkip],
] as const) {
  describe(`audit log layout migration on ${name}`, { skip: skip ?? false }, () => {
    test("a log in the column-per-field layout reads back the same, verifies, keeps damage visible and never reuses a seq", async () => {
      const adapter = await create();
      try {
        let store = await adapter.open();
        await populate(store);
        const originals = await store.readEntries({ afterSeq: 0, limit: 1_000 });
        assert.equal(originals.length, 9);
        assert.deepEqual((await verifyAuditLog(store, { publicKey: keys.publicKeyPem })).problems, []);
        await store.close();

        const top = Math.max(...originals.map((entry) => entry.seq));
        await adapter.downgrade(originals, top + 5);
        const victim = originals[4] as AuditEntry;
        await adapter.exec(`UPDATE audit_entries SET output_tokens = output_tokens + 1 WHERE seq = ${victim.seq}`);

        store = await adapter.open();
        const migrated = await store.readEntries({ afterSeq: 0, limit: 1_000 });
        assert.deepEqual(
          migrated.map(fields),
          originals.map((entry) => fields(entry.seq === victim.seq ? { ...entry, outputTokens: entry.outputTokens + 1 } : entry)),
          "every field reads back as it was written (bodies, data classes, odd characters, numbers)",
        );
        const report = await verifyAuditLog(store, { publicKey: keys.publicKeyPem });
        assert.deepEqual(
          report.problems.map((problem) => [problem.kind, problem.location.seq]),
          [["edited", victim.seq]],
          "the row edited in the old layout is still reported, and only it",
        );

        const later = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0 });
        await later.append(record(9));
        await later.close();
        const [newest] = await store.query({ limit: 1 });
        assert.ok(newest !== undefined && newest.seq > top + 5, `seq ${newest?.seq} comes after the old high-water mark ${top + 5}`);
        assert.equal((await store.query({ requestId: "request-2" }))[0]?.seq, originals[2]?.seq, "queries by request id find migrated rows");
        assert.deepEqual(
          (await store.query({ key: "alice-key", limit: 100 })).map((entry) => entry.requestId).sort(),
          ["request-0", "request-2", "request-4", "request-6", "request-8"],
          "queries by key read the content array",
        );
        assert.deepEqual(
          (await verifyAuditLog(store, { publicKey: keys.publicKeyPem })).problems.map((problem) => problem.kind),
          ["edited"],
        );
        await store.close();
      } finally {
        await adapter.close();
      }
    });
  });
}

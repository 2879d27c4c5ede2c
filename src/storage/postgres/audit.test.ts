import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AuditStore } from "../../core/audit/types.ts";
import { auditStoreSuite, type AuditTestDatabase } from "../audit-store.suite.ts";
import { StorageError } from "../errors.ts";
import { openPostgresAuditStore } from "./audit.ts";
import { applyPostgresMigrations, postgresMigrations } from "./migrations.ts";
import { dropSchema, postgresUnavailable, testPool, testPostgresUrl, uniqueSchema } from "./test-server.ts";

const skip = await postgresUnavailable();

/** `?` placeholders to PostgreSQL's `$1, $2, …`. */
function numbered(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

async function openDatabase(): Promise<AuditTestDatabase> {
  const schema = uniqueSchema();
  const stores: AuditStore[] = [await openPostgresAuditStore({ connectionString: testPostgresUrl, schema, maxConnections: 4 })];
  const raw = testPool(schema);
  return {
    store: stores[0] as AuditStore,
    async openAnother() {
      const store = await openPostgresAuditStore({ connectionString: testPostgresUrl, schema, maxConnections: 4 });
      stores.push(store);
      return store;
    },
    async exec(sql, parameters = []) {
      await raw.query(numbered(sql), [...parameters]);
    },
    async rows<Row>(sql: string, parameters: readonly unknown[] = []) {
      return (await raw.query(numbered(sql), [...parameters])).rows as Row[];
    },
    async close() {
      for (const store of stores) await store.close();
      try {
        await dropSchema(raw, schema);
      } finally {
        await raw.end();
      }
    },
  };
}

auditStoreSuite("PostgreSQL", { open: openDatabase }, { skip });

describe("PostgreSQL migrations", { skip: skip ?? false }, () => {
  test("apply once under concurrency, are recorded, and a schema from a newer Hearth is refused", async () => {
    const schema = uniqueSchema();
    const pools = [testPool(schema), testPool(schema), testPool(schema)];
    try {
      await Promise.all(pools.map((pool) => applyPostgresMigrations(pool, { schema, location: "test" })));
      const applied = await (pools[0] as ReturnType<typeof testPool>).query<{ version: number; name: string }>("SELECT version, name FROM hearth_schema_migrations ORDER BY version");
      assert.deepEqual(applied.rows.map((row) => [row.version, row.name]), postgresMigrations.map((migration) => [migration.version, migration.name]));

      await (pools[0] as ReturnType<typeof testPool>).query("INSERT INTO hearth_schema_migrations (version, name, applied_at) VALUES ($1, 'from-the-future', 0)", [postgresMigrations.length + 1]);
      await assert.rejects(
        openPostgresAuditStore({ connectionString: testPostgresUrl, schema }),
        (error: unknown) => StorageError.isInstance(error) && error.code === "storage_too_new" && error.message.includes(schema) && !error.message.includes("postgres@"),
      );
    } finally {
      await dropSchema(pools[0] as ReturnType<typeof testPool>, schema);
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  test("a failing migration is rolled back and reported with its version", async () => {
    const schema = uniqueSchema();
    const pool = testPool(schema);
    try {
      const broken = [...postgresMigrations, { version: postgresMigrations.length + 1, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table" }];
      await assert.rejects(
        applyPostgresMigrations(pool, { schema, location: "test", migrations: broken }),
        (error: unknown) => StorageError.isInstance(error) && error.code === "storage_migration_failed" && /Migration \d+ \(broken\)/.test(error.message),
      );
      const halfDone = await pool.query("SELECT to_regclass('half_done') AS name");
      assert.equal(halfDone.rows[0]?.name, null, "the migration's partial work was rolled back");
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  test("an unreachable server is a storage_open_failed error naming the server, not the credentials", async () => {
    await assert.rejects(
      openPostgresAuditStore({ connectionString: "postgres://postgres:secret@127.0.0.1:1/test", schema: "hearth_nowhere" }),
      (error: unknown) => StorageError.isInstance(error) && error.code === "storage_open_failed" && error.message.includes("127.0.0.1:1/test") && !error.message.includes("secret"),
    );
  });
});

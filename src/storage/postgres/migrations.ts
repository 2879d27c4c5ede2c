/**
 * The PostgreSQL schema, as an append-only list shared by every concern stored in PostgreSQL (the
 * audit log now; keys, usage and the rest as they move here). A shipped migration is never edited:
 * a change is a new entry with the next version. Same rules as the SQLite list
 * (docs/decisions/0002-storage-interfaces.md), in PostgreSQL's dialect: times are bigint epoch ms.
 */
import type pg from "pg";
import { StorageError } from "../errors.ts";
import { keysTableSql, reviewsTableSql, usageTableSql } from "./accounting-schema.ts";
import { auditPostgresContentMigrationSql, auditPostgresMigrationSql } from "./audit-schema.ts";
import { postgresOpenError, quoteIdentifier } from "./connect.ts";

export interface PostgresMigration {
  /** 1, 2, 3, ... with no gaps. */
  version: number;
  /** Short kebab-case description, recorded next to the version. */
  name: string;
  sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  { version: 1, name: "create-audit-log", sql: auditPostgresMigrationSql },
  { version: 2, name: "create-keys-usage-reviews", sql: `${keysTableSql}\n${usageTableSql}\n${reviewsTableSql}` },
  { version: 3, name: "audit-content-column", sql: auditPostgresContentMigrationSql },
];

function checkMigrationList(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`PostgreSQL migrations must be numbered 1, 2, 3, ... in order; entry ${index} has version ${migration.version}.`);
    }
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface ApplyPostgresMigrationsOptions {
  /** The schema the pool's search_path points at; created if missing. */
  schema: string;
  /** For messages: where the database is (no credentials). */
  location: string;
  migrations?: readonly PostgresMigration[] | undefined;
}

/**
 * Brings the schema up to the newest migration. Runs on one connection holding a session
 * advisory lock (keyed by schema), so two processes starting at once apply each migration once;
 * each migration runs in its own transaction and is recorded in `hearth_schema_migrations`. A
 * schema newer than this code is refused (`storage_too_new`), never written to.
 */
export async function applyPostgresMigrations(pool: pg.Pool, options: ApplyPostgresMigrationsOptions): Promise<void> {
  const migrations = options.migrations ?? postgresMigrations;
  checkMigrationList(migrations);
  const { schema, location } = options;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw postgresOpenError(error, location);
  }
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`hearth:migrations:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS hearth_schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at bigint NOT NULL
        )
      `);
      const applied = await client.query<{ version: number }>("SELECT version FROM hearth_schema_migrations ORDER BY version");
      const versions = new Set(applied.rows.map((row) => Number(row.version)));
      const latest = Math.max(0, ...versions);
      if (latest > migrations.length) {
        throw new StorageError(
          "storage_too_new",
          `The PostgreSQL database ${location} has schema version ${latest}, but this Hearth knows versions up to ${migrations.length}. It was written by a newer Hearth; upgrade Hearth or use another schema.`,
          { location },
        );
      }
      for (const migration of migrations) {
        if (versions.has(migration.version)) continue;
        try {
          await client.query("BEGIN");
          await client.query(migration.sql);
          await client.query("INSERT INTO hearth_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [migration.version, migration.name, Date.now()]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {
            broken = true;
          });
          throw new StorageError(
            "storage_migration_failed",
            `Migration ${migration.version} (${migration.name}) failed on ${location} and was rolled back: ${describe(error)}`,
            { location, cause: error },
          );
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [`hearth:migrations:${schema}`]).catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    if (StorageError.isInstance(error)) throw error;
    broken = true;
    throw new StorageError("storage_migration_failed", `Preparing the schema ${schema} on ${location} failed: ${describe(error)}`, { location, cause: error });
  } finally {
    // A connection whose lock state is unknown is closed rather than returned to the pool.
    client.release(broken);
  }
}

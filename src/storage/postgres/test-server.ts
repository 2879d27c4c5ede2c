/** Helpers for tests that need the local PostgreSQL server (127.0.0.1:5432, user postgres, database `test`). */
import { randomBytes } from "node:crypto";
import { tcpReachable } from "../reachable.ts";
import type pg from "pg";
import { createPostgresPool, quoteIdentifier } from "./connect.ts";

export const testPostgresUrl = "postgres://postgres@127.0.0.1:5432/test";

/** Why PostgreSQL tests cannot run here, or undefined when the server answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const reachable = await tcpReachable("127.0.0.1", 5432);
  return reachable ? undefined : "PostgreSQL is not reachable at 127.0.0.1:5432; start one (user postgres, database test) to run these tests";
}

/** A schema name no other test run uses. */
export function uniqueSchema(): string {
  return `hearth_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

/** A pool on the test database with `schema` as its search_path (the schema need not exist yet). */
export function testPool(schema: string): pg.Pool {
  const pool = createPostgresPool({ connectionString: testPostgresUrl, schema, maxConnections: 2 });
  pool.on("error", () => {});
  return pool;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
}

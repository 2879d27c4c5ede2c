import type pg from "pg";
import type { KeyStore } from "../../core/keys/types.ts";
import type { ReviewStore } from "../../core/review/types.ts";
import type { UsageStore } from "../../core/usage/types.ts";
import { createPostgresPool, postgresLocation, postgresSchema, type PostgresConnectionOptions } from "./connect.ts";
import { createPostgresKeyStore } from "./keys.ts";
import { applyPostgresMigrations } from "./migrations.ts";
import { createPostgresReviewStore } from "./reviews.ts";
import { createPostgresUsageStore } from "./usage.ts";

/** Keys, usage and reviews in PostgreSQL, shared by every replica (the audit log opens its own pool). */
export interface PostgresAccountingStorage {
  keys: KeyStore;
  usage: UsageStore;
  reviews: ReviewStore;
  pool: pg.Pool;
  location: string;
  /** Writes pending usage, then ends the pool. */
  close(): Promise<void>;
}

/**
 * Connects, migrates the schema (the shared PostgreSQL migration list) and opens the stores.
 * Rejects with a StorageError naming the server and schema, never the credentials.
 */
export async function openPostgresAccountingStorage(options: PostgresConnectionOptions & { onError?: ((error: unknown) => void) | undefined }): Promise<PostgresAccountingStorage> {
  const schema = postgresSchema(options.schema);
  const location = postgresLocation(options.connectionString, schema);
  const pool = createPostgresPool({ ...options, schema });
  pool.on("error", (error) => options.onError?.(error));
  try {
    await applyPostgresMigrations(pool, { schema, location });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const usage = createPostgresUsageStore(pool, { onError: options.onError });
  let closing: Promise<void> | undefined;
  return {
    keys: createPostgresKeyStore(pool),
    usage: usage.store,
    reviews: createPostgresReviewStore(pool),
    pool,
    location,
    close() {
      closing ??= (async () => {
        try {
          await usage.close();
        } finally {
          await pool.end();
        }
      })();
      return closing;
    },
  };
}

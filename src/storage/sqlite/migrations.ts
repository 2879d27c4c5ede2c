import { auditContentMigrationSql, auditMigrationSql } from "./audit-schema.ts";
import { keysMigrationSql } from "./keys-schema.ts";
import { usageMigrationSql } from "./usage-schema.ts";

/**
 * The SQLite schema, as an append-only list. A shipped migration is never edited: a change is a
 * new entry with the next version. Each runs in its own transaction and is recorded in
 * `schema_migrations`. Times are stored as INTEGER epoch milliseconds.
 */
export interface Migration {
  /** 1, 2, 3, ... with no gaps. */
  version: number;
  /** Short kebab-case description, recorded next to the version. */
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "create-request-log",
    sql: `
      CREATE TABLE request_log (
        id TEXT PRIMARY KEY NOT NULL,
        time INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        model TEXT NOT NULL,
        provider TEXT NOT NULL,
        stream INTEGER NOT NULL CHECK (stream IN (0, 1)),
        status INTEGER NOT NULL,
        error_code TEXT,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        time_to_first_token_ms REAL
      );
      CREATE INDEX request_log_time ON request_log (time);
      CREATE INDEX request_log_model_time ON request_log (model, time);
      CREATE INDEX request_log_request_id ON request_log (request_id);
    `,
  },
  {
    version: 2,
    name: "request-log-routing",
    sql: `
      ALTER TABLE request_log ADD COLUMN route TEXT;
      ALTER TABLE request_log ADD COLUMN target TEXT NOT NULL DEFAULT '';
      ALTER TABLE request_log ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 3,
    name: "drop-request-id-index",
    // Nothing queries by request id yet, and random ids made every insert touch a random page of
    // this index: appending 100,000 entries cost 26–30 µs per row with it, 7–8 µs without.
    sql: `
      DROP INDEX IF EXISTS request_log_request_id;
    `,
  },
  {
    version: 4,
    name: "create-reviews",
    // The human-review queue. `reasons` is a JSON array of labels; no column holds a raw payload.
    // A pending row past `expires_at` reads as expired before any sweep writes it down.
    sql: `
      CREATE TABLE reviews (
        id TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        kind TEXT NOT NULL CHECK (kind IN ('request', 'tool_call')),
        fingerprint TEXT NOT NULL,
        key_id TEXT,
        model TEXT NOT NULL,
        route TEXT,
        rule TEXT NOT NULL,
        reasons TEXT NOT NULL,
        preview TEXT NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        note TEXT
      );
      CREATE INDEX reviews_status_expires ON reviews (status, expires_at);
      CREATE INDEX reviews_fingerprint ON reviews (fingerprint, status);
    `,
  },
  { version: 5, name: "create-audit-log", sql: auditMigrationSql },
  { version: 6, name: "create-api-keys", sql: keysMigrationSql },
  { version: 7, name: "create-usage", sql: usageMigrationSql },
  { version: 8, name: "audit-content-column", sql: auditContentMigrationSql },
];

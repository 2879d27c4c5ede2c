import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { StorageError } from "../errors.ts";
import type { Storage } from "../types.ts";
import { migrations as defaultMigrations, type Migration } from "./migrations.ts";
import { createSqliteRequestLog, type SqliteRequestLogOptions } from "./request-log.ts";
import { createSqliteKeyStore } from "./keys.ts";
import { createSqliteReviewStore } from "./reviews.ts";
import { createSqliteUsageStore } from "./usage.ts";

export interface SqliteStorageOptions {
  /** How long a write waits for another connection's lock before failing. Default 5,000 ms. */
  busyTimeoutMs?: number | undefined;
  requestLog?: SqliteRequestLogOptions | undefined;
}

function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return "";
}

/** Turns a driver error raised while opening into a StorageError that names the file. */
function openError(error: unknown, path: string): StorageError {
  if (StorageError.isInstance(error)) return error;
  const code = errorCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return new StorageError(
      "storage_corrupt",
      `${path} is not a SQLite database or is corrupted (${reason}). Move it aside or point Hearth at another file.`,
      { location: path, cause: error },
    );
  }
  return new StorageError("storage_open_failed", `Cannot open the database ${path}: ${reason}`, {
    location: path,
    cause: error,
  });
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`SQLite migrations must be numbered 1, 2, 3, ... in order; entry ${index} has version ${migration.version}.`);
    }
  });
}

interface AppliedMigration {
  version: number;
  name: string;
  applied_at: number;
}

/**
 * Brings the schema up to the newest migration. Each pending migration runs in its own
 * `BEGIN IMMEDIATE` transaction that re-reads the applied versions first, so two processes
 * opening the same file at once do not apply one twice. A database whose schema is newer than
 * this code is refused, since writing to it could damage data this version does not understand.
 */
export function applyMigrations(database: Database.Database, migrations: readonly Migration[], path: string): void {
  checkMigrationList(migrations);
  database.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY NOT NULL,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )
  `);
  const latestKnown = migrations.length;
  const selectLatest = database.prepare<[], { version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
  const selectApplied = database.prepare<[number], AppliedMigration>("SELECT version, name, applied_at FROM schema_migrations WHERE version = ?");
  const record = database.prepare<[number, string, number]>("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");

  const checkNotTooNew = (): void => {
    const latest = selectLatest.get()?.version ?? 0;
    if (latest > latestKnown) {
      throw new StorageError(
        "storage_too_new",
        `The database ${path} has schema version ${latest}, but this Hearth knows versions up to ${latestKnown}. It was written by a newer Hearth; upgrade Hearth or use another database file.`,
        { location: path },
      );
    }
  };
  checkNotTooNew();

  for (const migration of migrations) {
    if (selectApplied.get(migration.version) !== undefined) continue;
    const apply = database.transaction(() => {
      checkNotTooNew();
      if (selectApplied.get(migration.version) !== undefined) return;
      database.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    });
    try {
      apply.immediate();
    } catch (error) {
      if (StorageError.isInstance(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError(
        "storage_migration_failed",
        `Migration ${migration.version} (${migration.name}) failed on ${path} and was rolled back: ${reason}`,
        { location: path, cause: error },
      );
    }
  }
}

/**
 * Opens (creating if needed) the SQLite database at `path` — `":memory:"` for a throwaway one —
 * and migrates it to the current schema. Rejects with a StorageError naming the file when it is
 * not a database, is from a newer Hearth, or cannot be opened.
 */
export async function openSqliteStorage(path: string, options: SqliteStorageOptions = {}): Promise<Storage> {
  return openSqliteStorageWith(path, defaultMigrations, options);
}

/** `openSqliteStorage` with an explicit migration list; for tests of the migration runner. */
export async function openSqliteStorageWith(
  path: string,
  migrations: readonly Migration[],
  options: SqliteStorageOptions = {},
): Promise<Storage> {
  checkMigrationList(migrations);
  const location = isInMemory(path) ? ":memory:" : resolve(path);
  let database: Database.Database | undefined;
  try {
    if (!isInMemory(path)) mkdirSync(dirname(location), { recursive: true });
    database = new Database(isInMemory(path) ? ":memory:" : location);
    // The first statement reads the file header: a non-database file fails here.
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
    database.pragma("foreign_keys = ON");
    applyMigrations(database, migrations, location);
  } catch (error) {
    database?.close();
    throw openError(error, location);
  }

  const opened = database;
  const requestLog = createSqliteRequestLog(opened, options.requestLog);
  const usage = createSqliteUsageStore(opened, { onError: options.requestLog?.onError });
  let closing: Promise<void> | undefined;

  const close = async (): Promise<void> => {
    try {
      await Promise.all([requestLog.close(), usage.close()]);
    } finally {
      if (opened.open) {
        try {
          opened.pragma("optimize");
        } finally {
          opened.close();
        }
      }
    }
  };

  return {
    requestLog: requestLog.store,
    reviews: createSqliteReviewStore(opened),
    keys: createSqliteKeyStore(opened),
    usage: usage.store,
    close(): Promise<void> {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * Connecting to PostgreSQL: one `pg` Pool per Hearth process, its search_path set to Hearth's
 * schema at connection start (so every statement, and every migration, uses unqualified names),
 * and bigint columns read as JS numbers: Hearth's bigints are epoch milliseconds, counters and
 * sequence numbers, all far below 2^53.
 */
import pg from "pg";
import { StorageError } from "../errors.ts";

export interface PostgresConnectionOptions {
  /** `postgres://user@host:port/database`; credentials never appear in messages. */
  connectionString: string;
  /** Schema holding Hearth's tables (created if missing). Default `public`. */
  schema?: string | undefined;
  /** Most connections in the pool. Default 10. */
  maxConnections?: number | undefined;
}

const schemaName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The schema to use; throws for a name that would need quoting (keeps search_path and messages simple). */
export function postgresSchema(schema: string | undefined): string {
  const name = schema ?? "public";
  if (!schemaName.test(name)) {
    throw new StorageError("storage_open_failed", `PostgreSQL schema name ${JSON.stringify(name)} must be letters, digits and underscores, starting with a letter or underscore.`);
  }
  return name;
}

/** `host:port/database (schema s)` from a connection string, without user or password. */
export function postgresLocation(connectionString: string, schema: string): string {
  try {
    const url = new URL(connectionString);
    return `postgres://${url.hostname}${url.port === "" ? "" : `:${url.port}`}${url.pathname} (schema ${schema})`;
  } catch {
    return `PostgreSQL (schema ${schema})`;
  }
}

/** A double-quoted identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const int8 = 20;
const parseInt8 = (value: string): number => Number(value);

/** A pool whose connections use `schema` and read int8 as numbers. Connects lazily. */
export function createPostgresPool(options: PostgresConnectionOptions): pg.Pool {
  const schema = postgresSchema(options.schema);
  return new pg.Pool({
    connectionString: options.connectionString,
    max: Math.max(1, Math.trunc(options.maxConnections ?? 10)),
    options: `-c search_path=${schema}`,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === int8 && format !== "binary" ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
}

/** The SQLSTATE of a pg error, or "". */
export function postgresErrorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "";
}

/** Turns a failure to reach the server into a StorageError naming where (not who). */
export function postgresOpenError(error: unknown, location: string): StorageError {
  if (StorageError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError("storage_open_failed", `Cannot open the PostgreSQL database ${location}: ${reason}`, { location, cause: error });
}

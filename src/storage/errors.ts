/**
 * Failures of the storage layer. They happen at start-up (a bad file, a schema from a newer
 * Hearth) or in the background, never in front of a client, so they carry the database location
 * rather than an HTTP status; the operator reads the message.
 */
export type StorageErrorCode =
  /** The file could not be opened or created (missing permission, parent is not a directory). */
  | "storage_open_failed"
  /** The file exists but is not a SQLite database, or its header is damaged. */
  | "storage_corrupt"
  /** The schema was written by a newer Hearth than this one. */
  | "storage_too_new"
  /** A migration failed; it was rolled back and the schema is at the previous version. */
  | "storage_migration_failed"
  /** The store was used after `close()`. */
  | "storage_closed"
  /** Queued writes could not be committed. */
  | "storage_write_failed";

const marker = Symbol.for("hearth.storage-error");

export interface StorageErrorOptions {
  /** The database file or URL the error is about (never with credentials). */
  location?: string | undefined;
  cause?: unknown;
}

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly location: string | undefined;
  readonly [marker] = true;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StorageError";
    this.code = code;
    this.location = options.location;
  }

  /** Works across duplicate copies of this module, unlike `instanceof`. */
  static isInstance(value: unknown): value is StorageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

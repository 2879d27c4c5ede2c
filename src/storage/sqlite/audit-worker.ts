/**
 * The audit log's SQLite writer thread, and the entry insert both it and the in-thread store use.
 * The thread owns its own connection to the database file and runs the entry batches' INSERT
 * transactions, so their CPU (~7 µs per row) and any wait for another connection's lock leave the
 * gateway's event loop. Hashing and chain order stay with the writer on the main thread: batches
 * arrive already hashed, one message each, and are committed in arrival order.
 * (docs/decisions/0009-audit-log.md, "Entry inserts off the main thread".)
 */
import { isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import Database from "better-sqlite3";
import { auditEntryColumns, type AuditRowValue } from "../audit-rows.ts";

/** Rows of one batch, each in `auditEntryColumns` order (what `auditEntryValues` returns). */
export type AuditEntryRows = ReadonlyArray<readonly AuditRowValue[]>;

/** What the thread is started with. `role` tells this module, when imported in a thread, that it is the writer. */
export interface AuditWorkerData {
  role: "hearth-audit-writer";
  /** The (already created and migrated) database file. */
  location: string;
  busyTimeoutMs: number;
}

/** Main thread → writer thread. `close` is handled after every write posted before it. */
export type AuditWorkerRequest = { type: "write"; id: number; rows: AuditEntryRows; durable: boolean } | { type: "close" };

/** A failure as plain data (a SqliteError's class does not survive the thread boundary; its code does). */
export interface AuditWorkerFailure {
  name: string;
  message: string;
  code: string | undefined;
}

/**
 * Writer thread → main thread. `ready` once, when the connection is open (with `error`, the thread
 * then ends); `written` per write, once its transaction committed, or with why it did not.
 */
export type AuditWorkerReply = { type: "ready"; error?: AuditWorkerFailure | undefined } | { type: "written"; id: number; error?: AuditWorkerFailure | undefined };

/**
 * One transaction inserting a batch of rows, 32 per statement (one statement call per 32 rows
 * costs far less than 32 calls); seq is assigned in VALUES order. Call it with `.immediate`.
 */
export function prepareAuditEntryInsert(database: Database.Database): Database.Transaction<(rows: AuditEntryRows) => void> {
  const placeholders = `(${auditEntryColumns.map(() => "?").join(", ")})`;
  const insertOne = database.prepare<[readonly AuditRowValue[]]>(`INSERT INTO audit_entries (${auditEntryColumns.join(", ")}) VALUES ${placeholders}`);
  const rowsPerStatement = 32;
  const insertMany = database.prepare<[AuditRowValue[]]>(
    `INSERT INTO audit_entries (${auditEntryColumns.join(", ")}) VALUES ${Array.from({ length: rowsPerStatement }, () => placeholders).join(", ")}`,
  );
  return database.transaction((rows: AuditEntryRows) => {
    let index = 0;
    for (; index + rowsPerStatement <= rows.length; index += rowsPerStatement) {
      // better-sqlite3 binds an array's elements in order.
      insertMany.run(rows.slice(index, index + rowsPerStatement).flat());
    }
    for (; index < rows.length; index += 1) insertOne.run(rows[index] as readonly AuditRowValue[]);
  });
}

function failure(error: unknown): AuditWorkerFailure {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
  if (error instanceof Error) return { name: error.name, message: error.message, code };
  return { name: "Error", message: String(error), code };
}

function isAuditWorkerData(value: unknown): value is AuditWorkerData {
  return typeof value === "object" && value !== null && (value as { role?: unknown }).role === "hearth-audit-writer";
}

/** The thread's body: opens the connection, says so, then answers each write in order. */
function serve(port: MessagePort, data: AuditWorkerData): void {
  let database: Database.Database;
  let insert: ReturnType<typeof prepareAuditEntryInsert>;
  try {
    // The main thread created and migrated the file (and put it in WAL mode, which persists).
    database = new Database(data.location, { fileMustExist: true });
    database.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
    insert = prepareAuditEntryInsert(database);
  } catch (error) {
    port.postMessage({ type: "ready", error: failure(error) } satisfies AuditWorkerReply);
    port.close();
    return;
  }
  port.postMessage({ type: "ready" } satisfies AuditWorkerReply);
  let synchronous: "FULL" | "NORMAL" | undefined;

  port.on("message", (request: AuditWorkerRequest) => {
    if (request.type === "close") {
      database.close();
      port.close();
      return;
    }
    let reply: AuditWorkerReply;
    try {
      // Strict durability: the WAL is synced at every commit of this connection.
      const mode = request.durable ? "FULL" : "NORMAL";
      if (synchronous !== mode) {
        database.pragma(`synchronous = ${mode}`);
        synchronous = mode;
      }
      insert.immediate(request.rows);
      reply = { type: "written", id: request.id };
    } catch (error) {
      reply = { type: "written", id: request.id, error: failure(error) };
    }
    port.postMessage(reply);
  });
}

if (!isMainThread && parentPort !== null && isAuditWorkerData(workerData)) serve(parentPort, workerData);

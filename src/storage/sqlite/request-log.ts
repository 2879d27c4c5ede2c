import type Database from "better-sqlite3";
import { BatchQueue, type BatchWriteResult } from "../batch-queue.ts";
import { StorageError } from "../errors.ts";
import { createTimeOrderedId } from "../ids.ts";
import type { RequestLogEntry, RequestLogInput, RequestLogQuery, RequestLogStore } from "../types.ts";

export interface SqliteRequestLogOptions {
  /** Most entries per transaction; a full batch is written without waiting. Default 256. */
  batchSize?: number | undefined;
  /** Longest wait before queued entries are written. Default 50 ms. */
  flushIntervalMs?: number | undefined;
  /** Most entries queued in memory; beyond it the oldest are dropped and counted. Default 10,000. */
  maxQueued?: number | undefined;
  /** Told about failed background writes and refused entries. Default: `process.emitWarning`. */
  onError?: ((error: unknown) => void) | undefined;
}

export const defaultQueryLimit = 100;
export const maxQueryLimit = 10_000;

/** Column values in insert order; built at append time so later changes to the caller's object do not leak in. */
type Row = [
  id: string,
  time: number,
  requestId: string,
  endpoint: string,
  model: string,
  provider: string,
  stream: 0 | 1,
  status: number,
  errorCode: string | null,
  inputTokens: number,
  outputTokens: number,
  latencyMs: number,
  timeToFirstTokenMs: number | null,
  route: string | null,
  target: string,
  attempts: number,
];

interface StoredRow {
  id: string;
  time: number;
  request_id: string;
  endpoint: string;
  model: string;
  provider: string;
  stream: number;
  status: number;
  error_code: string | null;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  route: string | null;
  target: string;
  attempts: number;
}

function toRow(entry: RequestLogInput): Row {
  const time = entry.time ?? Date.now();
  return [
    entry.id ?? createTimeOrderedId(time),
    time,
    entry.requestId,
    entry.endpoint,
    entry.model,
    entry.provider,
    entry.stream ? 1 : 0,
    entry.status,
    entry.errorCode ?? null,
    entry.inputTokens,
    entry.outputTokens,
    entry.latencyMs,
    entry.timeToFirstTokenMs ?? null,
    entry.route,
    entry.target,
    entry.attempts,
  ];
}

function fromRow(row: StoredRow): RequestLogEntry {
  return {
    id: row.id,
    time: row.time,
    requestId: row.request_id,
    endpoint: row.endpoint,
    model: row.model,
    provider: row.provider,
    stream: row.stream === 1,
    status: row.status,
    errorCode: row.error_code,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    latencyMs: row.latency_ms,
    timeToFirstTokenMs: row.time_to_first_token_ms,
    route: row.route,
    target: row.target,
    attempts: row.attempts,
  };
}

/**
 * True when the error is about this row's data (a duplicate id, a value SQLite cannot bind), so
 * retrying cannot help. Anything else (busy, disk full, I/O) is treated as passing.
 */
function isRowError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return (
    code.startsWith("SQLITE_CONSTRAINT") || code === "SQLITE_MISMATCH" || code === "SQLITE_TOOBIG" || code === "SQLITE_RANGE"
  );
}

export interface SqliteRequestLog {
  store: RequestLogStore;
  /** Stops accepting entries and writes the queued ones (the database stays open). */
  close(): Promise<void>;
}

export function createSqliteRequestLog(database: Database.Database, options: SqliteRequestLogOptions = {}): SqliteRequestLog {
  const insert = database.prepare<Row>(
    `INSERT INTO request_log (id, time, request_id, endpoint, model, provider, stream, status, error_code,
       input_tokens, output_tokens, latency_ms, time_to_first_token_ms, route, target, attempts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Rows go in 32 at a time: one statement call per 32 rows costs far less than 32 calls.
  const rowsPerStatement = 32;
  const insertMany = database.prepare<[unknown[]]>(
    `INSERT INTO request_log (id, time, request_id, endpoint, model, provider, stream, status, error_code,
       input_tokens, output_tokens, latency_ms, time_to_first_token_ms, route, target, attempts)
     VALUES ${Array.from({ length: rowsPerStatement }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
  );
  const insertAll = database.transaction((batch: readonly Row[]) => {
    let index = 0;
    for (; index + rowsPerStatement <= batch.length; index += rowsPerStatement) {
      // better-sqlite3 binds an array's elements in order: no 512-argument spread.
      insertMany.run(batch.slice(index, index + rowsPerStatement).flat());
    }
    for (; index < batch.length; index++) insert.run(...(batch[index] as Row));
  });
  /** Second pass after a batch was refused for its data: keep the good rows, count the bad ones. */
  const insertEach = database.transaction((batch: readonly Row[]): BatchWriteResult => {
    let written = 0;
    let failed = 0;
    let firstError: unknown;
    for (const row of batch) {
      try {
        insert.run(...row);
        written += 1;
      } catch (error) {
        if (!isRowError(error)) throw error;
        failed += 1;
        firstError ??= error;
      }
    }
    return { written, failed, error: firstError };
  });

  const write = (batch: readonly Row[]): BatchWriteResult => {
    try {
      insertAll.immediate(batch);
      return { written: batch.length, failed: 0 };
    } catch (error) {
      if (!isRowError(error)) throw error;
    }
    return insertEach.immediate(batch);
  };

  const queue = new BatchQueue<Row>({
    write,
    batchSize: options.batchSize,
    flushIntervalMs: options.flushIntervalMs,
    maxQueued: options.maxQueued,
    onError: options.onError,
  });

  const queries = new Map<string, Database.Statement<Record<string, string | number>, StoredRow>>();
  const statementFor = (filter: RequestLogQuery): Database.Statement<Record<string, string | number>, StoredRow> => {
    const conditions: string[] = [];
    if (filter.since !== undefined) conditions.push("time >= @since");
    if (filter.until !== undefined) conditions.push("time < @until");
    if (filter.model !== undefined) conditions.push("model = @model");
    const key = conditions.join(" AND ");
    let statement = queries.get(key);
    if (statement === undefined) {
      statement = database.prepare<Record<string, string | number>, StoredRow>(
        `SELECT * FROM request_log${key === "" ? "" : ` WHERE ${key}`} ORDER BY time DESC, rowid DESC LIMIT @limit`,
      );
      queries.set(key, statement);
    }
    return statement;
  };

  const store: RequestLogStore = {
    append(entry: RequestLogInput): void {
      queue.push(toRow(entry));
    },
    flush(): Promise<void> {
      return queue.flush();
    },
    async query(filter: RequestLogQuery = {}): Promise<RequestLogEntry[]> {
      if (!database.open) throw new StorageError("storage_closed", "The request log was read after its database was closed.");
      const limit = Math.min(Math.max(0, Math.trunc(filter.limit ?? defaultQueryLimit)), maxQueryLimit);
      if (limit === 0 || Number.isNaN(limit)) return [];
      const parameters: Record<string, string | number> = { limit };
      if (filter.since !== undefined) parameters.since = filter.since;
      if (filter.until !== undefined) parameters.until = filter.until;
      if (filter.model !== undefined) parameters.model = filter.model;
      return statementFor(filter).all(parameters).map(fromRow);
    },
    stats() {
      return queue.stats();
    },
  };

  return {
    store,
    async close(): Promise<void> {
      try {
        await queue.close();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new StorageError("storage_write_failed", `Queued request-log entries could not be written at close: ${reason}`, {
          cause: error,
        });
      }
    },
  };
}

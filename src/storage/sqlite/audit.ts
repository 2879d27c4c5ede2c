/**
 * The audit log in SQLite. Best on its own connection to the database file
 * (`openSqliteAuditStore`): strict durability switches that connection to `synchronous=FULL`
 * (the WAL is synced at every commit) without slowing the request log's connection, which stays
 * at NORMAL. Checkpoints serialise on `BEGIN IMMEDIATE`, so two processes sharing the file never
 * fork the checkpoint chain. For a file, `openSqliteAuditStore` inserts entry batches on a writer
 * thread with its own connection (audit-worker.ts); everything else stays on this connection.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { parseCheckpointBody } from "../../core/audit/checkpoint.ts";
import type {
  AuditChainRegistration,
  AuditEntry,
  AuditEntryInput,
  AuditQuery,
  AuditStore,
  ChainHead,
  ChainSummary,
  CheckpointCommit,
  CheckpointFacts,
  CheckpointPlan,
  CheckpointRequest,
  PruneFacts,
  StoredCheckpoint,
} from "../../core/audit/types.ts";
import { StorageError } from "../errors.ts";
import {
  auditChainFromRow,
  auditCheckpointFromRow,
  auditEntryFromRow,
  auditEntryValues,
  auditQueryLimit,
  auditTimeBounds,
  contentIndex,
  type AuditChainRow,
  type AuditCheckpointRow,
  type AuditEntryRow,
} from "../audit-rows.ts";
import { prepareAuditEntryInsert, type AuditEntryRows, type AuditWorkerData, type AuditWorkerReply, type AuditWorkerRequest } from "./audit-worker.ts";
import { migrations } from "./migrations.ts";
import { applyMigrations } from "./open.ts";

export interface SqliteAuditStoreOptions {
  /** The file, for messages. Default: the connection's own name. */
  location?: string | undefined;
  /** Extra attempts of a checkpoint transaction that found the database locked (after busy_timeout). Default 5. */
  checkpointRetries?: number | undefined;
  /**
   * Inserts the entry batches instead of this connection (`startSqliteAuditEntryWriter`). The
   * store owns it: `close()` stops it after its pending writes. Default: this connection, on the
   * calling thread.
   */
  entryWriter?: SqliteAuditEntryWriter | undefined;
}

export interface OpenSqliteAuditStoreOptions extends Omit<SqliteAuditStoreOptions, "entryWriter"> {
  /** How long a write waits for another connection's lock. Default 5,000 ms. */
  busyTimeoutMs?: number | undefined;
  /**
   * Insert entry batches on a writer thread with its own connection (not for `:memory:`, which
   * one connection cannot share with another: there it is always false). Default false (config
   * `audit.writerThread`): on 2 and on 16 cores the thread cost memory without raising throughput measurably.
   */
  worker?: boolean | undefined;
}

/**
 * Entry batches committed on a worker thread (`startSqliteAuditEntryWriter`), so that their
 * inserts do not take the event loop's time. Batches commit in the order `write` was called;
 * `write` resolves once its transaction committed (with `durable`, under `synchronous=FULL`) and
 * rejects with the database's error otherwise. A thread that dies fails the writes it had not
 * confirmed (`storage_write_failed`; they may or may not have committed, which the audit writer
 * finds out by reading its chain's head), and the next write starts a new thread.
 */
export interface SqliteAuditEntryWriter {
  write(rows: AuditEntryRows, durable: boolean): Promise<void>;
  /** Resolves once every write made before it settled and the thread has exited. */
  close(): Promise<void>;
  /** The running thread; undefined after it died until the next write starts another. For health checks and tests. */
  readonly thread: Worker | undefined;
}

/**
 * Starts a writer thread for the (created, migrated, WAL-mode) SQLite file at `location` and waits
 * until its connection is open: a thread that cannot start or open the file is a
 * `storage_open_failed` here rather than a failed write later. A thread restarted after a crash
 * opens on its first write instead. The thread keeps the process alive only while writes are
 * pending.
 */
export async function startSqliteAuditEntryWriter(location: string, options: { busyTimeoutMs?: number | undefined } = {}): Promise<SqliteAuditEntryWriter> {
  const data: AuditWorkerData = { role: "hearth-audit-writer", location, busyTimeoutMs: Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000)) };
  let worker: Worker | undefined;
  let nextId = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  const pending = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();

  /** A new thread; `ready` settles when its connection is open (or it failed to open, or died first). */
  const start = (): { thread: Worker; ready: Promise<void> } => {
    // A small heap: the thread only binds rows and runs SQLite (its isolate otherwise sizes itself like the main one).
    const thread = new Worker(new URL("./audit-worker.ts", import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48 } });
    thread.unref();
    let crash: unknown;
    let markReady: (error?: unknown) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = (error) => (error === undefined ? resolve() : reject(error));
    });
    // A restarted thread's failure to open reaches its writes through "exit"; nobody awaits `ready` then.
    ready.catch(() => undefined);
    thread.on("message", (reply: AuditWorkerReply) => {
      if (reply.type === "ready") {
        if (reply.error !== undefined) crash = reply.error.message;
        markReady(reply.error === undefined ? undefined : crash);
        return;
      }
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0) thread.unref();
      if (reply.error === undefined) waiting.resolve();
      else waiting.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }));
    });
    thread.on("error", (error) => {
      crash = error;
    });
    thread.on("exit", (exitCode) => {
      if (worker === thread) worker = undefined;
      const why = crash === undefined ? `exit code ${exitCode}` : crash instanceof Error ? crash.message : String(crash);
      markReady(why);
      if (pending.size === 0) return;
      const failure = new StorageError(
        "storage_write_failed",
        `The audit writer thread for ${location} stopped (${why}) before confirming ${pending.size} ${pending.size === 1 ? "batch" : "batches"}; they may or may not have been committed.`,
        { location, cause: crash },
      );
      const waiting = [...pending.values()];
      pending.clear();
      for (const write of waiting) write.reject(failure);
    });
    return { thread, ready };
  };

  const first = start();
  worker = first.thread;
  try {
    await first.ready;
  } catch (error) {
    await first.thread.terminate();
    throw new StorageError("storage_open_failed", `Cannot start the audit writer thread for ${location}: ${String(error)}`, { location, cause: error });
  }

  return {
    get thread() {
      return worker;
    },

    write(rows: AuditEntryRows, durable: boolean): Promise<void> {
      if (closed) return Promise.reject(new StorageError("storage_closed", `The audit writer for ${location} was used after it was closed.`, { location }));
      // After a crash: a new thread, which queues this message until its connection is open.
      worker ??= start().thread;
      const thread = worker;
      const id = nextId;
      nextId += 1;
      const done = new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
      });
      if (pending.size === 1) thread.ref();
      thread.postMessage({ type: "write", id, rows, durable } satisfies AuditWorkerRequest);
      return done;
    },

    close(): Promise<void> {
      closed = true;
      closing ??= (async () => {
        const thread = worker;
        if (thread === undefined) return;
        const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
        // Handled after every write posted before it; the thread then closes its connection and ends.
        thread.ref();
        thread.postMessage({ type: "close" } satisfies AuditWorkerRequest);
        await exited;
      })();
      return closing;
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code === "SQLITE_LOCKED";
}

const sleep = (milliseconds: number): Promise<void> => new Promise((done) => setTimeout(done, milliseconds));

/** An element of the content array; NULL (not an error) for a row whose content is not JSON. */
const contentField = (index: number): string => `CASE WHEN json_valid(content) THEN content ->> ${index} END`;

interface TailRow {
  chain: string;
  keep_from: number | null;
  last: number;
}

/**
 * An audit store on an open, migrated connection. The connection stays the caller's: `close()`
 * only stops this store. With a shared connection, strict durability also makes the other
 * users' commits synchronous; prefer `openSqliteAuditStore` then.
 */
export function createSqliteAuditStore(database: Database.Database, options: SqliteAuditStoreOptions = {}): AuditStore {
  const location = options.location ?? database.name;
  const retries = Math.max(0, Math.trunc(options.checkpointRetries ?? 5));
  const entryWriter = options.entryWriter;
  let closed = false;
  let synchronous: "FULL" | "NORMAL" | undefined;

  const insertEntries = entryWriter === undefined ? prepareAuditEntryInsert(database) : undefined;
  const insertChain = database.prepare<[string, number, string, string, string]>(
    "INSERT INTO audit_chains (chain, opened_at, genesis_hash, key_id, signature) VALUES (?, ?, ?, ?, ?)",
  );
  const selectHead = database.prepare<[string], { chain_seq: number; hash: string }>(
    "SELECT chain_seq, hash FROM audit_entries WHERE chain = ? ORDER BY chain_seq DESC LIMIT 1",
  );
  const selectLatest = database.prepare<[], AuditCheckpointRow>("SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1");
  const selectLatestPrune = database.prepare<[], AuditCheckpointRow>("SELECT * FROM audit_checkpoints WHERE reason = 'prune' ORDER BY id DESC LIMIT 1");
  // Heads of registered, open chains only: rows in a chain nobody registered are never vouched for.
  const selectOpenHeads = database.prepare<[], { chain: string; chain_seq: number; hash: string }>(
    `SELECT e.chain, e.chain_seq, e.hash FROM audit_chains c
     JOIN audit_entries e ON e.chain = c.chain AND e.chain_seq = (SELECT max(chain_seq) FROM audit_entries WHERE chain = c.chain)
     WHERE c.closed_checkpoint IS NULL`,
  );
  const countEntries = database.prepare<[], { entries: number }>("SELECT count(*) AS entries FROM audit_entries");
  const selectTails = database.prepare<[number], TailRow>(
    "SELECT chain, min(CASE WHEN time >= ? THEN chain_seq END) AS keep_from, max(chain_seq) AS last FROM audit_entries GROUP BY chain",
  );
  const selectLastBelow = database.prepare<[string, number], { chain_seq: number; hash: string }>(
    "SELECT chain_seq, hash FROM audit_entries WHERE chain = ? AND chain_seq < ? ORDER BY chain_seq DESC LIMIT 1",
  );
  const deleteBelow = database.prepare<[string, number]>("DELETE FROM audit_entries WHERE chain = ? AND chain_seq < ?");
  const selectFirstKeptCheckpoint = database.prepare<[number], { id: number | null }>("SELECT min(id) AS id FROM audit_checkpoints WHERE time >= ?");
  const selectLastCheckpointBelow = database.prepare<[number], { id: number; hash: string }>(
    "SELECT id, hash FROM audit_checkpoints WHERE id < ? ORDER BY id DESC LIMIT 1",
  );
  const deleteCheckpointsBelow = database.prepare<[number]>("DELETE FROM audit_checkpoints WHERE id < ?");
  const selectFirstCheckpoint = database.prepare<[], { id: number | null }>("SELECT min(id) AS id FROM audit_checkpoints");
  const selectOldestNeededClose = database.prepare<[], { id: number | null }>(
    "SELECT min(c.closed_checkpoint) AS id FROM audit_chains c WHERE c.closed_checkpoint IS NOT NULL AND EXISTS (SELECT 1 FROM audit_entries e WHERE e.chain = c.chain)",
  );
  const selectChainFacts = database.prepare<[], { chain: string; closed_checkpoint: number | null; has_entries: number }>(
    "SELECT c.chain, c.closed_checkpoint, EXISTS (SELECT 1 FROM audit_entries e WHERE e.chain = c.chain) AS has_entries FROM audit_chains c",
  );
  const insertCheckpoint = database.prepare<[number, number, string, string, string, string, string, string]>(
    "INSERT INTO audit_checkpoints (id, time, reason, prev_hash, hash, key_id, signature, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const closeChain = database.prepare<[number, string]>("UPDATE audit_chains SET closed_checkpoint = ? WHERE chain = ?");
  const dropChain = database.prepare<[string]>("DELETE FROM audit_chains WHERE chain = ?");
  const selectChains = database.prepare<[], AuditChainRow>("SELECT * FROM audit_chains ORDER BY opened_at, chain");
  const selectCheckpoints = database.prepare<[number, number], AuditCheckpointRow>("SELECT * FROM audit_checkpoints WHERE id > ? ORDER BY id LIMIT ?");
  const selectSummaries = database.prepare<[], { chain: string; entries: number; first: number; last: number }>(
    "SELECT chain, count(*) AS entries, min(chain_seq) AS first, max(chain_seq) AS last FROM audit_entries GROUP BY chain ORDER BY chain",
  );
  // The range on chain_seq uses the (chain, chain_seq) index; the OR only breaks ties between
  // duplicate positions, which exist only if someone dropped the unique index.
  const selectChainEntries = database.prepare<[string, number, number, number, number], AuditEntryRow>(
    "SELECT * FROM audit_entries WHERE chain = ? AND chain_seq >= ? AND (chain_seq > ? OR seq > ?) ORDER BY chain_seq, seq LIMIT ?",
  );
  // `+time` keeps the planner on the primary key: through the time index it would sort the whole
  // rest of the table for every page of an export.
  const selectEntries = database.prepare<[number, number, number, number], AuditEntryRow>(
    "SELECT * FROM audit_entries WHERE seq > ? AND +time >= ? AND +time < ? ORDER BY seq LIMIT ?",
  );
  const selectQuery = database.prepare<[{ since: number; until: number; key: string | null; team: string | null; requestId: string | null; limit: number }], AuditEntryRow>(
    `SELECT * FROM audit_entries
     WHERE time >= @since AND time < @until
       AND (@key IS NULL OR ${contentField(contentIndex.key)} = @key) AND (@team IS NULL OR ${contentField(contentIndex.team)} = @team)
       AND (@requestId IS NULL OR ${contentField(contentIndex.requestId)} = @requestId)
     ORDER BY time DESC, seq DESC LIMIT @limit`,
  );

  const ensureOpen = (): void => {
    if (closed || !database.open) throw new StorageError("storage_closed", `The audit store on ${location} was used after it was closed.`, { location });
  };

  const setSynchronous = (mode: "FULL" | "NORMAL"): void => {
    if (synchronous === mode) return;
    database.pragma(`synchronous = ${mode}`);
    synchronous = mode;
  };

  const gatherPrune = (before: number, previous: StoredCheckpoint | undefined): PruneFacts => {
    const deletedTails: ChainHead[] = [];
    let deletedEntries = 0;
    for (const tail of selectTails.all(before)) {
      const bound = tail.keep_from ?? tail.last + 1;
      const last = selectLastBelow.get(tail.chain, bound);
      if (last === undefined) continue;
      deletedTails.push({ chain: tail.chain, chainSeq: last.chain_seq, hash: last.hash });
      deletedEntries += deleteBelow.run(tail.chain, bound).changes;
    }
    let deletedCheckpoints = 0;
    let lastDeletedCheckpoint: PruneFacts["lastDeletedCheckpoint"];
    if (previous !== undefined) {
      // A prefix by id (clocks of replicas may disagree), never the newest checkpoint, and never
      // the checkpoint that closed a chain which still has entries (it holds that chain's end).
      const cut = Math.min(
        selectFirstKeptCheckpoint.get(before)?.id ?? previous.id,
        previous.id,
        selectOldestNeededClose.get()?.id ?? Number.POSITIVE_INFINITY,
      );
      const lastBelow = selectLastCheckpointBelow.get(cut);
      if (lastBelow !== undefined) {
        lastDeletedCheckpoint = { id: lastBelow.id, hash: lastBelow.hash };
        deletedCheckpoints = deleteCheckpointsBelow.run(cut).changes;
      }
    }
    return {
      before,
      deletedTails,
      deletedEntries,
      deletedCheckpoints,
      lastDeletedCheckpoint,
      firstRemainingCheckpoint: selectFirstCheckpoint.get()?.id ?? undefined,
      chains: selectChainFacts.all().map((row) => ({ chain: row.chain, hasEntries: row.has_entries === 1, closedCheckpoint: row.closed_checkpoint })),
    };
  };

  const checkpointTransaction = database.transaction(
    (request: CheckpointRequest, plan: (facts: CheckpointFacts) => CheckpointPlan | undefined): CheckpointCommit => {
      const latest = selectLatest.get();
      const previous = latest === undefined ? undefined : auditCheckpointFromRow(latest);
      const latestPrune = selectLatestPrune.get();
      const previousPrune = latestPrune === undefined ? undefined : auditCheckpointFromRow(latestPrune);
      const prune = request.prune === undefined ? undefined : gatherPrune(request.prune.before, previous);
      const facts: CheckpointFacts = {
        previous,
        previousPrune,
        heads: selectOpenHeads.all().map((row) => ({ chain: row.chain, chainSeq: row.chain_seq, hash: row.hash })),
        entries: countEntries.get()?.entries ?? 0,
        prune,
      };
      const decided = plan(facts);
      if (decided === undefined) {
        if (prune !== undefined) throw new Error("A prune must write its checkpoint.");
        return { checkpoint: previous, written: false };
      }
      const checkpoint = decided.checkpoint;
      insertCheckpoint.run(checkpoint.id, checkpoint.time, checkpoint.reason, checkpoint.prevHash, checkpoint.hash, checkpoint.keyId, checkpoint.signature, checkpoint.body);
      if (decided.closeChain !== undefined) closeChain.run(checkpoint.id, decided.closeChain);
      for (const chain of decided.dropChains) dropChain.run(chain);
      return {
        checkpoint,
        written: true,
        prune: prune === undefined ? undefined : { deletedEntries: prune.deletedEntries, deletedCheckpoints: prune.deletedCheckpoints, anchors: parseCheckpointBody(checkpoint.body)?.anchors ?? null },
      };
    },
  );

  return {
    location,

    async registerChain(registration: AuditChainRegistration): Promise<void> {
      ensureOpen();
      insertChain.run(registration.chain, registration.openedAt, registration.genesisHash, registration.keyId, registration.signature);
    },

    async appendEntries(entries: readonly AuditEntryInput[], options: { durable: boolean }): Promise<void> {
      ensureOpen();
      if (entries.length === 0) return;
      // With a writer thread this connection still commits registrations and checkpoints, which
      // strict durability keeps as durable as the entries.
      setSynchronous(options.durable ? "FULL" : "NORMAL");
      const rows = entries.map(auditEntryValues);
      if (entryWriter !== undefined) await entryWriter.write(rows, options.durable);
      else insertEntries?.immediate(rows);
    },

    async chainHead(chain: string): Promise<ChainHead | undefined> {
      ensureOpen();
      const row = selectHead.get(chain);
      return row === undefined ? undefined : { chain, chainSeq: row.chain_seq, hash: row.hash };
    },

    async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
      ensureOpen();
      const row = selectLatest.get();
      return row === undefined ? undefined : auditCheckpointFromRow(row);
    },

    async commitCheckpoint(request, plan): Promise<CheckpointCommit> {
      for (let attempt = 0; ; attempt += 1) {
        ensureOpen();
        try {
          return checkpointTransaction.immediate(request, plan);
        } catch (error) {
          if (!isBusy(error) || attempt >= retries) throw error;
          await sleep(10 * 2 ** attempt + Math.random() * 10);
        }
      }
    },

    async readChains(): Promise<AuditChainRegistration[]> {
      ensureOpen();
      return selectChains.all().map(auditChainFromRow);
    },

    async readCheckpoints(afterId: number, limit: number): Promise<StoredCheckpoint[]> {
      ensureOpen();
      return selectCheckpoints.all(afterId, limit).map(auditCheckpointFromRow);
    },

    async summarizeChains(): Promise<ChainSummary[]> {
      ensureOpen();
      return selectSummaries.all().map((row) => ({ chain: row.chain, entries: row.entries, firstChainSeq: row.first, lastChainSeq: row.last }));
    },

    async readChainEntries(chain: string, after: { chainSeq: number; seq: number }, limit: number): Promise<AuditEntry[]> {
      ensureOpen();
      return selectChainEntries.all(chain, after.chainSeq, after.chainSeq, after.seq, limit).map(auditEntryFromRow);
    },

    async readEntries(options): Promise<AuditEntry[]> {
      ensureOpen();
      const bounds = auditTimeBounds(options.since, options.until);
      return selectEntries.all(options.afterSeq, bounds.since, bounds.until, options.limit).map(auditEntryFromRow);
    },

    async query(filter: AuditQuery = {}): Promise<AuditEntry[]> {
      ensureOpen();
      const limit = auditQueryLimit(filter.limit);
      if (limit === 0) return [];
      const bounds = auditTimeBounds(filter.since, filter.until);
      return selectQuery
        .all({ ...bounds, key: filter.key ?? null, team: filter.team ?? null, requestId: filter.requestId ?? null, limit })
        .map(auditEntryFromRow);
    },

    async close(): Promise<void> {
      closed = true;
      await entryWriter?.close();
    },
  };
}

/**
 * Opens a dedicated connection to the SQLite file at `path` (creating and migrating it if
 * needed, with the same migration list as `openSqliteStorage`) and an audit store on it; with
 * `worker: true` (never for `:memory:`), entry batches are inserted on a writer thread with a
 * second connection. `close()` waits for pending writes, stops the thread and closes the connection.
 */
export async function openSqliteAuditStore(path: string, options: OpenSqliteAuditStoreOptions = {}): Promise<AuditStore> {
  const memory = path === ":memory:" || path === "";
  const location = memory ? ":memory:" : resolve(path);
  let database: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(location), { recursive: true });
    database = new Database(location);
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
    applyMigrations(database, migrations, location);
  } catch (error) {
    database?.close();
    if (StorageError.isInstance(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
      throw new StorageError("storage_corrupt", `${location} is not a SQLite database or is corrupted (${reason}).`, { location, cause: error });
    }
    throw new StorageError("storage_open_failed", `Cannot open the audit log database ${location}: ${reason}`, { location, cause: error });
  }
  const opened = database;
  let entryWriter: SqliteAuditEntryWriter | undefined;
  if (!memory && options.worker === true) {
    try {
      entryWriter = await startSqliteAuditEntryWriter(location, { busyTimeoutMs: options.busyTimeoutMs });
    } catch (error) {
      opened.close();
      throw error;
    }
  }
  const store = createSqliteAuditStore(opened, { location, checkpointRetries: options.checkpointRetries, entryWriter });
  return {
    ...store,
    async close(): Promise<void> {
      await store.close();
      if (opened.open) opened.close();
    },
  };
}

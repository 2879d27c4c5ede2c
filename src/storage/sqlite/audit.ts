/**
 * The audit log in SQLite. Best on its own connection to the database file
 * (`openSqliteAuditStore`): strict durability switches that connection to `synchronous=FULL`
 * (the WAL is synced at every commit) without slowing the request log's connection, which stays
 * at NORMAL. Checkpoints serialise on `BEGIN IMMEDIATE`, so two processes sharing the file never
 * fork the checkpoint chain.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
  auditEntryColumns,
  auditEntryFromRow,
  auditEntryValues,
  auditQueryLimit,
  auditTimeBounds,
  type AuditChainRow,
  type AuditCheckpointRow,
  type AuditEntryRow,
  type AuditRowValue,
} from "../audit-rows.ts";
import { migrations } from "./migrations.ts";
import { applyMigrations } from "./open.ts";

export interface SqliteAuditStoreOptions {
  /** The file, for messages. Default: the connection's own name. */
  location?: string | undefined;
  /** Extra attempts of a checkpoint transaction that found the database locked (after busy_timeout). Default 5. */
  checkpointRetries?: number | undefined;
}

export interface OpenSqliteAuditStoreOptions extends SqliteAuditStoreOptions {
  /** How long a write waits for another connection's lock. Default 5,000 ms. */
  busyTimeoutMs?: number | undefined;
}

function isBusy(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code === "SQLITE_LOCKED";
}

const sleep = (milliseconds: number): Promise<void> => new Promise((done) => setTimeout(done, milliseconds));

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
  let closed = false;
  let synchronous: "FULL" | "NORMAL" | undefined;

  const placeholders = `(${auditEntryColumns.map(() => "?").join(", ")})`;
  const insertEntry = database.prepare<[AuditRowValue[]]>(`INSERT INTO audit_entries (${auditEntryColumns.join(", ")}) VALUES ${placeholders}`);
  // Rows go in 32 at a time (as in the request log): one statement call per 32 rows costs far
  // less than 32 calls. seq is assigned in VALUES order.
  const rowsPerStatement = 32;
  const insertEntries = database.prepare<[AuditRowValue[]]>(
    `INSERT INTO audit_entries (${auditEntryColumns.join(", ")}) VALUES ${Array.from({ length: rowsPerStatement }, () => placeholders).join(", ")}`,
  );
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
       AND (@key IS NULL OR key_name = @key) AND (@team IS NULL OR team = @team) AND (@requestId IS NULL OR request_id = @requestId)
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

  const writeEntries = database.transaction((entries: readonly AuditEntryInput[]) => {
    let index = 0;
    for (; index + rowsPerStatement <= entries.length; index += rowsPerStatement) {
      // better-sqlite3 binds an array's elements in order.
      insertEntries.run(entries.slice(index, index + rowsPerStatement).flatMap(auditEntryValues));
    }
    for (; index < entries.length; index += 1) insertEntry.run(auditEntryValues(entries[index] as AuditEntryInput));
  });

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
      setSynchronous(options.durable ? "FULL" : "NORMAL");
      writeEntries.immediate(entries);
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
    },
  };
}

/**
 * Opens a dedicated connection to the SQLite file at `path` (creating and migrating it if
 * needed, with the same migration list as `openSqliteStorage`) and an audit store on it.
 * `close()` closes the connection.
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
  const store = createSqliteAuditStore(opened, { ...options, location });
  return {
    ...store,
    async close(): Promise<void> {
      await store.close();
      if (opened.open) opened.close();
    },
  };
}

/**
 * The audit log in PostgreSQL (pg Pool). Entries go in with one `INSERT … SELECT FROM unnest(…)`
 * per batch (one round trip whatever the batch size; `seq` assigned in batch order). Strict
 * appends are plain autocommit inserts (durable at commit); fast appends commit with
 * `synchronous_commit = off`, trading the last fraction of a second on a server crash for
 * throughput, as fast mode already does in memory. Checkpoints serialise on a session advisory
 * lock taken before a REPEATABLE READ transaction, so heads and count come from one snapshot
 * and two replicas never fork the checkpoint chain.
 */
import pg from "pg";
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
  contentIndex,
  type AuditChainRow,
  type AuditCheckpointRow,
  type AuditEntryRow,
  type AuditRowValue,
} from "../audit-rows.ts";
import { createPostgresPool, postgresErrorCode, postgresLocation, postgresSchema, type PostgresConnectionOptions } from "./connect.ts";
import { applyPostgresMigrations } from "./migrations.ts";

/** PostgreSQL array type of each column in `auditEntryColumns`, for unnest. */
const columnTypes: Record<(typeof auditEntryColumns)[number], string> = {
  chain: "text",
  chain_seq: "bigint",
  time: "bigint",
  prev_hash: "text",
  hash: "text",
  content: "text",
};

/** An element of the content array as text; NULL (not an error) for a row whose content is not JSON. */
const contentField = (index: number): string => `audit_json(content) ->> ${index}`;

const columnList = auditEntryColumns.join(", ");
const insertSql = `INSERT INTO audit_entries (${columnList})
  SELECT ${columnList} FROM unnest(${auditEntryColumns.map((column, index) => `$${index + 1}::${columnTypes[column]}[]`).join(", ")})
  WITH ORDINALITY AS batch(${columnList}, position) ORDER BY position`;

/** SQLSTATEs worth another try: serialization failure, deadlock, a duplicate checkpoint id from a racing writer. */
const retryable = new Set(["40001", "40P01", "23505"]);

const sleep = (milliseconds: number): Promise<void> => new Promise((done) => setTimeout(done, milliseconds));

export interface PostgresAuditStoreOptions {
  /** The schema the pool uses (for the checkpoint lock key and messages). */
  schema: string;
  location: string;
  /** Extra attempts of a checkpoint transaction after a conflict. Default 5. */
  checkpointRetries?: number | undefined;
}

export interface OpenPostgresAuditStoreOptions extends PostgresConnectionOptions {
  checkpointRetries?: number | undefined;
  /** Told when an idle pooled connection fails (the pool replaces it). Default: `process.emitWarning`. */
  onError?: ((error: unknown) => void) | undefined;
}

/** An audit store on a pool whose search_path points at the migrated schema. The pool stays the caller's. */
export function createPostgresAuditStore(pool: pg.Pool, options: PostgresAuditStoreOptions): AuditStore {
  const { location } = options;
  const lockKey = `hearth:audit-checkpoint:${options.schema}`;
  const retries = Math.max(0, Math.trunc(options.checkpointRetries ?? 5));
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new StorageError("storage_closed", `The audit store on ${location} was used after it was closed.`, { location });
  };

  const columnsOf = (entries: readonly AuditEntryInput[]): AuditRowValue[][] => {
    const columns: AuditRowValue[][] = auditEntryColumns.map(() => new Array<AuditRowValue>(entries.length));
    entries.forEach((entry, row) => {
      auditEntryValues(entry).forEach((value, column) => {
        (columns[column] as AuditRowValue[])[row] = value;
      });
    });
    return columns;
  };

  const gatherPrune = async (client: pg.PoolClient, before: number, previous: StoredCheckpoint | undefined): Promise<PruneFacts> => {
    const tails = await client.query<{ chain: string; bound: number; chain_seq: number; hash: string }>(
      `SELECT b.chain, b.bound, t.chain_seq, t.hash
       FROM (SELECT chain, coalesce(min(chain_seq) FILTER (WHERE time >= $1), max(chain_seq) + 1) AS bound FROM audit_entries GROUP BY chain) b
       CROSS JOIN LATERAL (SELECT chain_seq, hash FROM audit_entries e WHERE e.chain = b.chain AND e.chain_seq < b.bound ORDER BY chain_seq DESC LIMIT 1) t`,
      [before],
    );
    let deletedEntries = 0;
    if (tails.rows.length > 0) {
      const deleted = await client.query(
        `DELETE FROM audit_entries e USING (SELECT unnest($1::text[]) AS chain, unnest($2::bigint[]) AS bound) b
         WHERE e.chain = b.chain AND e.chain_seq < b.bound`,
        [tails.rows.map((row) => row.chain), tails.rows.map((row) => row.bound)],
      );
      deletedEntries = deleted.rowCount ?? 0;
    }
    let deletedCheckpoints = 0;
    let lastDeletedCheckpoint: PruneFacts["lastDeletedCheckpoint"];
    if (previous !== undefined) {
      // A prefix by id, never the newest checkpoint nor one that closed a chain still holding entries.
      const cut = await client.query<{ cut: number | null }>(
        `SELECT least(
           (SELECT min(id) FROM audit_checkpoints WHERE time >= $1),
           $2::bigint,
           (SELECT min(c.closed_checkpoint) FROM audit_chains c WHERE c.closed_checkpoint IS NOT NULL AND EXISTS (SELECT 1 FROM audit_entries e WHERE e.chain = c.chain))
         ) AS cut`,
        [before, previous.id],
      );
      const bound = cut.rows[0]?.cut ?? previous.id;
      const lastBelow = await client.query<{ id: number; hash: string }>("SELECT id, hash FROM audit_checkpoints WHERE id < $1 ORDER BY id DESC LIMIT 1", [bound]);
      const last = lastBelow.rows[0];
      if (last !== undefined) {
        lastDeletedCheckpoint = { id: last.id, hash: last.hash };
        deletedCheckpoints = (await client.query("DELETE FROM audit_checkpoints WHERE id < $1", [bound])).rowCount ?? 0;
      }
    }
    const first = await client.query<{ id: number | null }>("SELECT min(id) AS id FROM audit_checkpoints");
    const chains = await client.query<{ chain: string; closed_checkpoint: number | null; has_entries: boolean }>(
      "SELECT c.chain, c.closed_checkpoint, EXISTS (SELECT 1 FROM audit_entries e WHERE e.chain = c.chain) AS has_entries FROM audit_chains c",
    );
    return {
      before,
      deletedTails: tails.rows.map((row) => ({ chain: row.chain, chainSeq: row.chain_seq, hash: row.hash })),
      deletedEntries,
      deletedCheckpoints,
      lastDeletedCheckpoint,
      firstRemainingCheckpoint: first.rows[0]?.id ?? undefined,
      chains: chains.rows.map((row) => ({ chain: row.chain, hasEntries: row.has_entries, closedCheckpoint: row.closed_checkpoint })),
    };
  };

  const checkpointOnce = async (request: CheckpointRequest, plan: (facts: CheckpointFacts) => CheckpointPlan | undefined): Promise<CheckpointCommit> => {
    const client = await pool.connect();
    let broken = false;
    try {
      // Session lock first, then the snapshot: a REPEATABLE READ snapshot taken while waiting
      // for the lock would miss the checkpoint the previous holder wrote.
      await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [lockKey]);
      try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
        try {
          const latest = await client.query<AuditCheckpointRow>("SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1");
          const latestPrune = await client.query<AuditCheckpointRow>("SELECT * FROM audit_checkpoints WHERE reason = 'prune' ORDER BY id DESC LIMIT 1");
          const previous = latest.rows[0] === undefined ? undefined : auditCheckpointFromRow(latest.rows[0]);
          const prune = request.prune === undefined ? undefined : await gatherPrune(client, request.prune.before, previous);
          // Heads of registered, open chains only: rows in a chain nobody registered are never vouched for.
          const heads = await client.query<{ chain: string; chain_seq: number; hash: string }>(
            `SELECT c.chain, h.chain_seq, h.hash FROM audit_chains c
             CROSS JOIN LATERAL (SELECT chain_seq, hash FROM audit_entries e WHERE e.chain = c.chain ORDER BY chain_seq DESC LIMIT 1) h
             WHERE c.closed_checkpoint IS NULL`,
          );
          const count = await client.query<{ entries: number }>("SELECT count(*) AS entries FROM audit_entries");
          const facts: CheckpointFacts = {
            previous,
            previousPrune: latestPrune.rows[0] === undefined ? undefined : auditCheckpointFromRow(latestPrune.rows[0]),
            heads: heads.rows.map((row) => ({ chain: row.chain, chainSeq: row.chain_seq, hash: row.hash })),
            entries: count.rows[0]?.entries ?? 0,
            prune,
          };
          const decided = plan(facts);
          if (decided === undefined) {
            if (prune !== undefined) throw new Error("A prune must write its checkpoint.");
            await client.query("ROLLBACK");
            return { checkpoint: previous, written: false };
          }
          const checkpoint = decided.checkpoint;
          await client.query(
            "INSERT INTO audit_checkpoints (id, time, reason, prev_hash, hash, key_id, signature, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [checkpoint.id, checkpoint.time, checkpoint.reason, checkpoint.prevHash, checkpoint.hash, checkpoint.keyId, checkpoint.signature, checkpoint.body],
          );
          if (decided.closeChain !== undefined) await client.query("UPDATE audit_chains SET closed_checkpoint = $1 WHERE chain = $2", [checkpoint.id, decided.closeChain]);
          if (decided.dropChains.length > 0) await client.query("DELETE FROM audit_chains WHERE chain = ANY($1::text[])", [decided.dropChains]);
          await client.query("COMMIT");
          return {
            checkpoint,
            written: true,
            prune: prune === undefined ? undefined : { deletedEntries: prune.deletedEntries, deletedCheckpoints: prune.deletedCheckpoints, anchors: parseCheckpointBody(checkpoint.body)?.anchors ?? null },
          };
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {
            broken = true;
          });
          throw error;
        }
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockKey]).catch(() => {
          broken = true;
        });
      }
    } catch (error) {
      if (postgresErrorCode(error) === "") broken = true;
      throw error;
    } finally {
      // A connection whose lock or transaction state is unknown is closed, not reused.
      client.release(broken);
    }
  };

  return {
    location,

    async registerChain(registration: AuditChainRegistration): Promise<void> {
      ensureOpen();
      await pool.query("INSERT INTO audit_chains (chain, opened_at, genesis_hash, key_id, signature) VALUES ($1, $2, $3, $4, $5)", [
        registration.chain,
        registration.openedAt,
        registration.genesisHash,
        registration.keyId,
        registration.signature,
      ]);
    },

    async appendEntries(entries: readonly AuditEntryInput[], options: { durable: boolean }): Promise<void> {
      ensureOpen();
      if (entries.length === 0) return;
      const values = columnsOf(entries);
      if (options.durable) {
        await pool.query(insertSql, values);
        return;
      }
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN; SET LOCAL synchronous_commit TO OFF");
        try {
          await client.query(insertSql, values);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {
            broken = true;
          });
          throw error;
        }
      } catch (error) {
        if (postgresErrorCode(error) === "") broken = true;
        throw error;
      } finally {
        client.release(broken);
      }
    },

    async chainHead(chain: string): Promise<ChainHead | undefined> {
      ensureOpen();
      const result = await pool.query<{ chain_seq: number; hash: string }>("SELECT chain_seq, hash FROM audit_entries WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 1", [chain]);
      const row = result.rows[0];
      return row === undefined ? undefined : { chain, chainSeq: row.chain_seq, hash: row.hash };
    },

    async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
      ensureOpen();
      const result = await pool.query<AuditCheckpointRow>("SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1");
      return result.rows[0] === undefined ? undefined : auditCheckpointFromRow(result.rows[0]);
    },

    async commitCheckpoint(request, plan): Promise<CheckpointCommit> {
      for (let attempt = 0; ; attempt += 1) {
        ensureOpen();
        try {
          return await checkpointOnce(request, plan);
        } catch (error) {
          if (!retryable.has(postgresErrorCode(error)) || attempt >= retries) throw error;
          await sleep(10 * 2 ** attempt + Math.random() * 10);
        }
      }
    },

    async readChains(): Promise<AuditChainRegistration[]> {
      ensureOpen();
      const result = await pool.query<AuditChainRow>("SELECT * FROM audit_chains ORDER BY opened_at, chain");
      return result.rows.map(auditChainFromRow);
    },

    async readCheckpoints(afterId: number, limit: number): Promise<StoredCheckpoint[]> {
      ensureOpen();
      const result = await pool.query<AuditCheckpointRow>("SELECT * FROM audit_checkpoints WHERE id > $1 ORDER BY id LIMIT $2", [afterId, limit]);
      return result.rows.map(auditCheckpointFromRow);
    },

    async summarizeChains(): Promise<ChainSummary[]> {
      ensureOpen();
      const result = await pool.query<{ chain: string; entries: number; first: number; last: number }>(
        "SELECT chain, count(*) AS entries, min(chain_seq) AS first, max(chain_seq) AS last FROM audit_entries GROUP BY chain ORDER BY chain",
      );
      return result.rows.map((row) => ({ chain: row.chain, entries: row.entries, firstChainSeq: row.first, lastChainSeq: row.last }));
    },

    async readChainEntries(chain: string, after: { chainSeq: number; seq: number }, limit: number): Promise<AuditEntry[]> {
      ensureOpen();
      // A window of chain_seq values rather than LIMIT: without fresh statistics (a restored
      // backup, a new table) the planner sorts the whole rest of the chain for every page; a
      // bounded window keeps each page's cost proportional to its size. Gaps are jumped over.
      const rows: AuditEntryRow[] = [];
      let cursor = after;
      while (rows.length < limit) {
        const window = await pool.query<AuditEntryRow>(
          "SELECT * FROM audit_entries WHERE chain = $1 AND chain_seq >= $2 AND chain_seq <= $3 AND (chain_seq > $2 OR seq > $4) ORDER BY chain_seq, seq",
          [chain, cursor.chainSeq, cursor.chainSeq + (limit - rows.length), cursor.seq],
        );
        const last = window.rows[window.rows.length - 1];
        if (last !== undefined) {
          rows.push(...window.rows);
          cursor = { chainSeq: last.chain_seq, seq: last.seq };
          continue;
        }
        const next = await pool.query<{ next: number | null }>("SELECT min(chain_seq) AS next FROM audit_entries WHERE chain = $1 AND chain_seq > $2", [chain, cursor.chainSeq]);
        const nextSeq = next.rows[0]?.next ?? null;
        if (nextSeq === null) break;
        cursor = { chainSeq: nextSeq, seq: -1 };
      }
      return rows.slice(0, limit).map(auditEntryFromRow);
    },

    async readEntries(options): Promise<AuditEntry[]> {
      ensureOpen();
      const bounds = auditTimeBounds(options.since, options.until);
      // Windows of seq values, for the reason given in readChainEntries; a window that finds few
      // matching rows (a narrow time range, deleted rows) doubles, so sparse stretches pass quickly.
      const top = (await pool.query<{ top: number | null }>("SELECT max(seq) AS top FROM audit_entries")).rows[0]?.top ?? 0;
      const rows: AuditEntryRow[] = [];
      let cursor = options.afterSeq;
      let window = Math.max(1, options.limit);
      while (rows.length < options.limit && cursor < top) {
        const wanted = options.limit - rows.length;
        const result = await pool.query<AuditEntryRow>(
          "SELECT * FROM audit_entries WHERE seq > $1 AND seq <= $2 AND time >= $3 AND time < $4 ORDER BY seq LIMIT $5",
          [cursor, cursor + window, bounds.since, bounds.until, wanted],
        );
        rows.push(...result.rows);
        if (result.rows.length === wanted) break;
        cursor += window;
        if (result.rows.length < wanted / 2) window = Math.min(window * 2, 1 << 24);
      }
      return rows.map(auditEntryFromRow);
    },

    async query(filter: AuditQuery = {}): Promise<AuditEntry[]> {
      ensureOpen();
      const limit = auditQueryLimit(filter.limit);
      if (limit === 0) return [];
      const bounds = auditTimeBounds(filter.since, filter.until);
      const result = await pool.query<AuditEntryRow>(
        `SELECT * FROM audit_entries
         WHERE time >= $1 AND time < $2
           AND ($3::text IS NULL OR ${contentField(contentIndex.key)} = $3) AND ($4::text IS NULL OR ${contentField(contentIndex.team)} = $4)
           AND ($5::text IS NULL OR ${contentField(contentIndex.requestId)} = $5)
         ORDER BY time DESC, seq DESC LIMIT $6`,
        [bounds.since, bounds.until, filter.key ?? null, filter.team ?? null, filter.requestId ?? null, limit],
      );
      return result.rows.map(auditEntryFromRow);
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}

/**
 * Connects to PostgreSQL, creates/migrates the schema (shared migration list), and returns an
 * audit store that owns its pool (`close()` ends it). Rejects with a StorageError naming the
 * server and schema (never the credentials) when the server is unreachable or the schema is
 * from a newer Hearth.
 */
export async function openPostgresAuditStore(options: OpenPostgresAuditStoreOptions): Promise<AuditStore> {
  const schema = postgresSchema(options.schema);
  const location = postgresLocation(options.connectionString, schema);
  const pool = createPostgresPool({ ...options, schema });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", (error) => {
    if (options.onError !== undefined) options.onError(error);
    else process.emitWarning(`Hearth audit log: an idle PostgreSQL connection to ${location} failed: ${error.message}`, { code: "HEARTH_AUDIT" });
  });
  try {
    await applyPostgresMigrations(pool, { schema, location });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const store = createPostgresAuditStore(pool, { schema, location, checkpointRetries: options.checkpointRetries });
  let ended: Promise<void> | undefined;
  return {
    ...store,
    async close(): Promise<void> {
      await store.close();
      ended ??= pool.end();
      await ended;
    },
  };
}

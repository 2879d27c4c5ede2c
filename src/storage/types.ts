/**
 * Storage interfaces: one per concern, implemented by each database adapter (sqlite/ now,
 * postgres/ and redis/ later). Every method that may touch a database returns a Promise, even
 * though better-sqlite3 is synchronous, so a network-backed adapter can implement the same
 * interface; values crossing this boundary are plain data, never driver objects.
 *
 * Times are epoch milliseconds (numbers) everywhere in this layer; see
 * docs/decisions/0002-storage-interfaces.md.
 */

/**
 * The endpoint a request came in on, named after the OpenAI resource it speaks. Open-ended on
 * purpose: a new dialect (Anthropic `messages`, OpenAI `responses`) must not need a storage change.
 */
export type RequestEndpoint = "chat.completions" | "completions" | "embeddings" | (string & {});

/** One line of the request log; defined by the core, which is its only writer. */
export type { RequestLogEntry } from "../core/request-log.ts";
import type { RequestLogEntry } from "../core/request-log.ts";

/**
 * What a caller hands to `append`: an entry whose `id` and `time` the store fills in when absent
 * (`time` then means "when it was appended").
 */
export type RequestLogInput = Omit<RequestLogEntry, "id" | "time"> & {
  id?: string | undefined;
  time?: number | undefined;
};

/** Filters for reading the log back. Bounds are epoch milliseconds. */
export interface RequestLogQuery {
  /** Inclusive lower bound on `time`. */
  since?: number | undefined;
  /** Exclusive upper bound on `time`. */
  until?: number | undefined;
  /** Exact public model name. */
  model?: string | undefined;
  /** At most this many entries (default 100, capped at 10,000). */
  limit?: number | undefined;
}

/**
 * Counters of the write queue, so lost log lines are visible (a metric, a health endpoint)
 * instead of silent. All counts are since the store was opened.
 */
export interface RequestLogStats {
  /** Entries taken into the queue by `append`. */
  accepted: number;
  /** Entries committed to the database. */
  written: number;
  /** Entries the database rejected one by one (e.g. a duplicate id); never retried. */
  failed: number;
  /** Entries thrown away: the oldest ones when the queue was full, and appends after close. */
  dropped: number;
  /** Entries waiting to be written (including a batch being written now). */
  pending: number;
  /** Transactions committed, one per batch. */
  batches: number;
  /** Batch writes that failed as a whole and were put back for a retry. */
  flushErrors: number;
  /** Message of the most recent write error, or null if none happened. */
  lastError: string | null;
}

/**
 * The request log. `append` sits on the request path, so it only queues: entries are written in
 * batches, one transaction per batch, on a short timer or when a batch fills up. The queue is
 * bounded; when it overflows the oldest entries are dropped and counted (`stats().dropped`),
 * because a stuck database must never stall or grow the gateway without limit.
 */
export interface RequestLogStore {
  /** Queues one entry; never blocks, never throws for a storage problem, does no disk I/O. */
  append(entry: RequestLogInput): void;
  /** Writes everything queued before the call; rejects if the database refused the write (the entries stay queued). */
  flush(): Promise<void>;
  /** Entries already written (not those still queued), newest first. */
  query(filter?: RequestLogQuery): Promise<RequestLogEntry[]>;
  stats(): RequestLogStats;
}

/** The human-review queue; defined by the core (core/review), which is its only user. */
export type {
  ReviewDecideResult,
  ReviewDecision,
  ReviewInput,
  ReviewItem,
  ReviewKind,
  ReviewQuery,
  ReviewStatus,
  ReviewStore,
} from "../core/review/types.ts";
import type { ReviewStore } from "../core/review/types.ts";
import type { KeyStore } from "../core/keys/types.ts";
import type { UsageStore } from "../core/usage/types.ts";
export type { ApiKeyRecord, KeyStore, NewApiKeyRecord } from "../core/keys/types.ts";
export type { UsageQuery, UsageRecord, UsageRow, UsageStore } from "../core/usage/types.ts";

/** Everything Hearth keeps, behind one handle that `compose.ts` opens once and closes on shutdown. */
export interface Storage {
  requestLog: RequestLogStore;
  /** Held requests awaiting a human decision. Optional: an adapter may not offer it yet. */
  reviews?: ReviewStore | undefined;
  /** Virtual API keys (stored hashed). */
  keys?: KeyStore | undefined;
  /** Usage and cost roll-ups; the source of truth budgets are seeded from. */
  usage?: UsageStore | undefined;
  /** Flushes pending writes, then releases the database. Rejects if queued entries could not be written. */
  close(): Promise<void>;
}

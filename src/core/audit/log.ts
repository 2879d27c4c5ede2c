/**
 * The audit log writer: one per process. It opens its own hash chain, validates each record at
 * `append` time and queues it in call order; entries get their chain position and hash when
 * their batch is written (in memory, in order: no database round trip per entry), in group
 * commits; it signs a checkpoint every `checkpointIntervalMs`, on `checkpoint()` and on `close()`.
 * Hashing a whole batch in one loop, rather than one entry per request, keeps that work off the
 * request path and costs less per entry (docs/benchmarks.md, "Audit log").
 *
 * Durability:
 * - `strict`: `append` resolves once the entry is committed durably; it rejects (and the caller
 *   fails the request) when the write fails. Appends made while a commit runs share the next one
 *   (group commit), so throughput scales with concurrency instead of paying one sync per entry.
 * - `fast`: `append` resolves at once; entries are written in batches at most `batchIntervalMs`
 *   later. The queue is bounded, and when it is full `append` waits for room: an audit entry is
 *   never dropped (unlike the request log). Failed writes are retried with backoff and reported
 *   through `onError`.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { checkBodyOptions, prepareBodies, type AuditBodyOptions } from "./bodies.ts";
import { contentHash, entryContent, needsStorable, normalizeRecord, zeroHash } from "./canonical.ts";
import { planCheckpoint, signChainRegistration } from "./checkpoint.ts";
import { AuditError } from "./errors.ts";
import type { AuditSigner } from "./signing.ts";
import type { AuditBodyMode, AuditEntry, AuditEntryInput, AuditQuery, AuditRecord, AuditStore, ChainHead, CheckpointReason, Hash, StoredCheckpoint } from "./types.ts";

export type AuditDurability = "strict" | "fast";

export interface AuditLogOptions {
  store: AuditStore;
  /** Signs this chain's registration and the checkpoints this process writes. */
  signer: AuditSigner;
  durability: AuditDurability;
  /** This process's chain id. Default `<hostname>-<pid>-<8 random hex>`; must be new to the database. */
  chainId?: string | undefined;
  /** Time between periodic checkpoints; 0 turns the timer off. Default 60,000 ms. */
  checkpointIntervalMs?: number | undefined;
  /** Fast mode: entries queued before `append` waits for room. Default 10,000. */
  maxQueue?: number | undefined;
  /** Fast mode: longest wait before a queued entry is written. Default 50 ms. */
  batchIntervalMs?: number | undefined;
  /** Most entries per transaction (SQLite writes block the event loop for the transaction: ~3 ms per 256). Default 256. */
  maxBatch?: number | undefined;
  /** Longest pause between retries of a failed write (fast mode). Default 5,000 ms. */
  maxRetryDelayMs?: number | undefined;
  /** What to keep of request/response bodies. Default mode "off". */
  bodies?: ({ mode: AuditBodyMode } & AuditBodyOptions) | undefined;
  /** Epoch milliseconds, for chain and checkpoint times. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Told about background failures (fast-mode writes, periodic checkpoints). Default: `process.emitWarning`. */
  onError?: ((error: unknown) => void) | undefined;
}

/** Counters since the log opened, for a health endpoint or metric. */
export interface AuditLogStats {
  chain: string;
  durability: AuditDurability;
  /** Entries accepted by `append` (hashed into the chain). */
  appended: number;
  /** Entries committed to the database. */
  written: number;
  /** Entries not yet written (queued, being written, or waiting for room). */
  pending: number;
  /** Write attempts that failed (a retried batch counts each time). */
  failures: number;
  /** Strict-mode appends rejected because their write failed. */
  rejected: number;
  /** Checkpoints this process wrote. */
  checkpoints: number;
  lastCheckpointAt: number | null;
  /** Message of the most recent failure, or null. */
  lastError: string | null;
}

export interface AuditLog {
  /** This process's chain (a new one if someone else wrote into it; see `audit_chain_diverged`). */
  readonly chain: string;
  readonly durability: AuditDurability;
  /** Queues the record for this process's chain; see the module comment for when it resolves. */
  append(record: AuditRecord): Promise<void>;
  /**
   * `append` without a promise when there is nothing to wait for: undefined once the entry is
   * queued in fast mode with room to spare (the request path's common case), else what `append`
   * returns.
   */
  offer(record: AuditRecord): Promise<void> | undefined;
  /** Resolves when every entry appended before the call is written; rejects if a write failed (fast mode: they stay queued). */
  flush(): Promise<void>;
  /** Flushes, then writes a checkpoint now (even if nothing changed); resolves with it. */
  checkpoint(): Promise<StoredCheckpoint | undefined>;
  /** Stops accepting entries, flushes, writes the final checkpoint (closing the chain). Does not close the store. */
  close(): Promise<void>;
  stats(): AuditLogStats;
  /** Written entries, newest first. */
  query(filter?: AuditQuery): Promise<AuditEntry[]>;
}

/** `<hostname>-<pid>-<random>`: unique per process lifetime, readable in reports. */
export function createChainId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]+/g, "_").slice(0, 63) || "host";
  return `${host}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

interface Pending {
  /** Chain, position and hash are (re)assigned each time its batch is written. */
  entry: AuditEntryInput;
  /** Strict mode: settles the append's promise. */
  resolve?: (() => void) | undefined;
  reject?: ((error: unknown) => void) | undefined;
}

interface Position {
  chainSeq: number;
  hash: Hash;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultOnError(error: unknown): void {
  process.emitWarning(`Hearth audit log: ${describe(error)}`, { code: "HEARTH_AUDIT" });
}

/** normalizeRecord's fast path: string repair waits for the entry's JSON text (see `position`). */
const withoutRepair = { storable: false } as const;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Opens a writer: registers a new chain (signed; its genesis is the newest checkpoint's hash) and
 * starts the checkpoint timer. Throws `audit_config` for an unusable body configuration.
 */
export async function createAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const { store, signer } = options;
  const strict = options.durability === "strict";
  if (options.durability !== "strict" && options.durability !== "fast") {
    throw new AuditError("audit_config", `Audit durability must be "strict" or "fast" (got ${JSON.stringify(options.durability)}).`);
  }
  const bodyMode = options.bodies?.mode ?? "off";
  const bodyOptions: AuditBodyOptions = { encryptionKey: options.bodies?.encryptionKey, redact: options.bodies?.redact };
  checkBodyOptions(bodyMode, bodyOptions);
  const clock = options.clock ?? Date.now;
  const onError = options.onError ?? defaultOnError;
  const checkpointIntervalMs = Math.max(0, options.checkpointIntervalMs ?? 60_000);
  const maxQueue = Math.max(1, Math.trunc(options.maxQueue ?? 10_000));
  // 50 ms: at gateway rates that is ~150 rows per transaction, written 32 per statement. Shorter
  // intervals (tried: 5 ms) made entries die younger but cost more per row in SQLite (small
  // batches, one statement per row): +9 µs of CPU per request in a profile under load.
  const batchIntervalMs = Math.max(0, options.batchIntervalMs ?? 50);
  const maxBatch = Math.max(1, Math.trunc(options.maxBatch ?? 256));
  const maxRetryDelayMs = Math.max(batchIntervalMs, options.maxRetryDelayMs ?? 5_000);

  /** Registers a new chain whose genesis is the newest checkpoint; returns its starting position. */
  const openChain = async (id: string): Promise<Position> => {
    const latest = await store.latestCheckpoint();
    const start: Position = { chainSeq: 0, hash: latest?.hash ?? zeroHash };
    await store.registerChain(signChainRegistration(signer, id, clock(), start.hash));
    return start;
  };

  let chain = options.chainId ?? createChainId();
  const genesis = await openChain(chain);

  /** The newest entry known to be committed. */
  let durable: Position = genesis;
  /** FIFO of entries not yet written; `front` skips taken items without shifting the array. */
  let queue: Pending[] = [];
  let front = 0;
  /** Fast-mode appends waiting for room, by append number (chainSeq can move when a failed write forces a re-chain). */
  // Waiters in ticket order; `roomFront` is the first not yet released (no Array#shift: with
  // thousands waiting, shifting one at a time is quadratic).
  let roomWaiters: Array<{ ticket: number; resolve: () => void }> = [];
  let roomFront = 0;

  /** Entries appended, and entries settled (written, or rejected in strict mode): always a FIFO prefix. */
  let appended = 0;
  let settled = 0;
  let written = 0;
  let failures = 0;
  let rejected = 0;
  let checkpoints = 0;
  let lastCheckpointAt: number | null = null;
  let lastError: string | null = null;
  let closed = false;

  let draining: Promise<void> | undefined;
  let batchTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = batchIntervalMs;
  let checkpointing: Promise<StoredCheckpoint | undefined> | undefined;

  const queued = (): number => queue.length - front;

  const takeFront = (count: number): Pending[] => {
    const taken = queue.slice(front, front + count);
    front += taken.length;
    if (front > 1024 && front * 2 > queue.length) {
      queue = queue.slice(front);
      front = 0;
    }
    return taken;
  };

  /**
   * Ends of strict batches that were rejected although their commit may have gone through (a lost
   * acknowledgement): if the database's chain head turns out to be one of them, the chain goes on
   * from there. Bounded; oldest forgotten first.
   */
  const maybeCommitted = new Map<Hash, Position>();

  /**
   * Places a batch in the chain right after the newest committed entry and hashes it, in order.
   * Run for every attempt: after a failed write, a re-chained or a switched chain, the batch goes
   * where the chain now ends, so it never has a hole.
   */
  const position = (batch: readonly Pending[]): void => {
    let previous = durable;
    for (const pending of batch) {
      const entry = pending.entry;
      let content = entry.content;
      if (content === undefined) {
        content = entryContent(entry);
        if (needsStorable(content)) {
          // A lone surrogate or NUL would not read back from a CSV export as it was hashed. The
          // entry has every field of the record it was made from (bodies are already stored).
          Object.assign(entry, normalizeRecord({ ...entry, bodies: undefined }));
          content = entryContent(entry);
        }
        entry.content = content;
      }
      entry.chain = chain;
      entry.chainSeq = previous.chainSeq + 1;
      entry.prevHash = previous.hash;
      entry.hash = contentHash(previous.hash, chain, entry.chainSeq, entry.time, content);
      previous = { chainSeq: entry.chainSeq, hash: entry.hash };
    }
  };

  /** An append has room once at most `maxQueue` unsettled entries (itself included) are ahead of the database. */
  const releaseRoom = (): void => {
    while (roomFront < roomWaiters.length && (roomWaiters[roomFront] as { ticket: number }).ticket - settled <= maxQueue) {
      (roomWaiters[roomFront] as { resolve: () => void }).resolve();
      roomFront += 1;
    }
    if (roomFront > 1024 && roomFront * 2 > roomWaiters.length) {
      roomWaiters = roomWaiters.slice(roomFront);
      roomFront = 0;
    }
  };

  const committed = (batch: readonly Pending[]): void => {
    takeFront(batch.length);
    const last = (batch[batch.length - 1] as Pending).entry;
    durable = { chainSeq: last.chainSeq, hash: last.hash };
    written += batch.length;
    settled += batch.length;
    for (const pending of batch) pending.resolve?.();
    releaseRoom();
  };

  /** `retry`: the queue was re-chained onto what the database holds; write it again rather than fail it. */
  type Outcome = "committed" | "not_committed" | "retry" | "unknown";

  /**
   * The database's chain holds rows this process did not write (or lost rows it did): someone
   * wrote into it. Close it at the head this process knows (so the foreign rows read as inserted
   * after its end) and go on in a new chain; everything queued moves there.
   */
  const switchChain = async (stored: Position | undefined): Promise<void> => {
    const old = { chain, chainSeq: durable.chainSeq, hash: durable.hash };
    const next = createChainId();
    const start = await openChain(next);
    chain = next;
    durable = start;
    maybeCommitted.clear();
    onError(
      new AuditError(
        "audit_chain_diverged",
        `Audit chain ${old.chain} in ${store.location} ends at #${stored?.chainSeq ?? 0}, but this process wrote it up to #${old.chainSeq}: someone else changed it. It is closed at #${old.chainSeq}; new entries go to chain ${next}. Run \`hearth audit verify\`.`,
      ),
    );
    await writeCheckpoint("close", old).catch((error: unknown) => onError(error));
  };

  /** After a failed write: did it commit anyway (a lost acknowledgement)? Re-chains the queue if the database's chain differs from ours. */
  const reconcile = async (batch: readonly Pending[]): Promise<Outcome> => {
    let stored: Position | undefined;
    try {
      stored = await store.chainHead(chain);
    } catch {
      return "unknown";
    }
    const last = (batch[batch.length - 1] as Pending).entry;
    if (stored !== undefined && stored.chainSeq === last.chainSeq && stored.hash === last.hash) return "committed";
    const atDurable = stored === undefined ? durable.chainSeq === 0 : stored.chainSeq === durable.chainSeq && stored.hash === durable.hash;
    if (atDurable) return "not_committed";
    const ours = stored === undefined ? undefined : maybeCommitted.get(stored.hash);
    if (ours !== undefined && ours.chainSeq === stored?.chainSeq) {
      // An earlier strict batch we rejected did commit: the chain goes on from it.
      durable = ours;
      return "retry";
    }
    try {
      await switchChain(stored);
    } catch {
      return "unknown";
    }
    return "retry";
  };

  /**
   * Writes until the queue is empty. `draining` is cleared synchronously when the loop ends (in
   * `finally`), so an append that runs right after the last check starts a new drain instead of
   * joining one that is already over.
   */
  const drain = async (): Promise<void> => {
    try {
      let first = true;
      for (;;) {
        // Let appends that arrive meanwhile (I/O callbacks) join this commit: that is the group commit.
        if (!first || strict) await yieldToEventLoop();
        if (queued() === 0) return;
        // Fast mode writes on, right away, only while full batches wait; a partial batch waits for
        // the timer instead (writeNow re-arms it). Going on with what one event-loop turn brought
        // (~15 entries at 3,000 requests/s) made transactions ten times smaller and each entry
        // cost ~2.5 times as much: every commit writes whole pages of the table and both indexes.
        if (!first && !strict && queued() < maxBatch) return;
        first = false;
        await writeBatch(queue.slice(front, front + maxBatch));
      }
    } finally {
      draining = undefined;
    }
  };

  /** One transaction; on failure, strict mode rejects the batch, fast mode throws (the batch stays queued). */
  const writeBatch = async (batch: Pending[]): Promise<void> => {
    try {
      position(batch);
      await store.appendEntries(batch.map((pending) => pending.entry), { durable: strict });
      committed(batch);
      retryDelayMs = batchIntervalMs;
    } catch (error) {
      failures += 1;
      lastError = describe(error);
      const outcome = await reconcile(batch);
      if (outcome === "committed") {
        committed(batch);
        return;
      }
      if (outcome === "retry") return;
      if (!strict) throw error;
      // Strict: these appends fail (their requests fail with them); the entries queued after
      // them move up in the chain so it has no hole.
      takeFront(batch.length);
      settled += batch.length;
      rejected += batch.length;
      const end = (batch[batch.length - 1] as Pending).entry;
      maybeCommitted.set(end.hash, { chainSeq: end.chainSeq, hash: end.hash });
      if (maybeCommitted.size > 1_000) maybeCommitted.delete(maybeCommitted.keys().next().value as Hash);
      const failure = new AuditError("audit_write_failed", `The audit entry could not be written to ${store.location}: ${describe(error)}`, { cause: error });
      for (const pending of batch) pending.reject?.(failure);
    }
  };

  const runDrain = (): Promise<void> => {
    if (draining !== undefined) return draining;
    if (queued() === 0) return Promise.resolve();
    draining = drain();
    return draining;
  };

  const cancelBatchTimer = (): void => {
    if (batchTimer !== undefined) clearTimeout(batchTimer);
    batchTimer = undefined;
  };

  /** Fast mode: writes now; on failure reports it and retries with backoff. */
  const writeNow = (): void => {
    cancelBatchTimer();
    runDrain().then(
      () => {
        if (queued() > 0) scheduleWrite(queued() >= maxBatch ? 0 : batchIntervalMs);
      },
      (error: unknown) => {
        onError(new AuditError("audit_write_failed", `Audit entries could not be written to ${store.location} (${queued()} waiting; retrying): ${describe(error)}`, { cause: error }));
        const delay = retryDelayMs;
        retryDelayMs = Math.min(Math.max(1, retryDelayMs * 2), maxRetryDelayMs);
        scheduleWrite(delay);
      },
    );
  };

  /** Fast mode: (re)arms the write timer. */
  const scheduleWrite = (delayMs: number): void => {
    if (batchTimer !== undefined || draining !== undefined) return;
    batchTimer = setTimeout(() => {
      batchTimer = undefined;
      writeNow();
    }, delayMs);
    // Owners call close(); a pending timer must not keep the process alive.
    batchTimer.unref();
  };

  const offer = (record: AuditRecord): Promise<void> | undefined => {
    if (closed) return Promise.reject(new AuditError("audit_closed", "The audit log was used after close()."));
    let entry: AuditEntryInput;
    try {
      // One object per entry, filled in place: on the request path, every copy of a ~30-field
      // object is garbage that lives until the batch is written (and so gets promoted). String
      // repair waits for the entry's JSON text, which shows in one scan whether any is needed.
      entry = normalizeRecord(record, withoutRepair) as AuditEntryInput;
      entry.bodies = bodyMode === "off" ? null : prepareBodies(bodyMode, record.bodies, bodyOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    appended += 1;
    const ticket = appended;
    const pending: Pending = { entry };
    queue.push(pending);
    if (strict) {
      const promise = new Promise<void>((resolve, reject) => {
        pending.resolve = resolve;
        pending.reject = reject;
      });
      void runDrain().catch(() => undefined);
      return promise;
    }
    if (queued() >= maxBatch) {
      if (draining === undefined) {
        cancelBatchTimer();
        scheduleWrite(0);
      }
    } else {
      scheduleWrite(batchIntervalMs);
    }
    if (ticket - settled <= maxQueue) return undefined;
    // Full: write now rather than on the (unref'd) timer, so a waiting caller is not left
    // waiting on a timer that does not keep the process alive.
    if (draining === undefined) writeNow();
    return new Promise<void>((resolve) => {
      roomWaiters.push({ ticket, resolve });
    });
  };

  const append = (record: AuditRecord): Promise<void> => offer(record) ?? Promise.resolve();

  const flush = async (): Promise<void> => {
    const target = appended;
    cancelBatchTimer();
    try {
      while (settled < target) {
        if (draining !== undefined) {
          await draining.catch(() => undefined);
          continue;
        }
        if (queued() === 0) break;
        await runDrain();
      }
    } finally {
      if (!strict && queued() > 0 && !closed) scheduleWrite(retryDelayMs);
    }
  };

  /** Writes a checkpoint; `closeChain` (the writer's own head) closes that chain. One at a time per process. */
  const writeCheckpoint = (reason: CheckpointReason, closeChain?: ChainHead): Promise<StoredCheckpoint | undefined> => {
    const request = { reason, closeChain };
    const run = async (): Promise<StoredCheckpoint | undefined> => {
      const commit = await store.commitCheckpoint(request, (facts) => planCheckpoint(request, facts, signer, clock()));
      if (commit.written) {
        checkpoints += 1;
        lastCheckpointAt = commit.checkpoint?.time ?? null;
      }
      return commit.checkpoint;
    };
    const previous = checkpointing ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(run);
    checkpointing = next;
    void next.finally(() => {
      if (checkpointing === next) checkpointing = undefined;
    }).catch(() => undefined);
    return next;
  };

  const checkpointTimer =
    checkpointIntervalMs > 0
      ? setInterval(() => {
          if (closed) return;
          writeCheckpoint("periodic").catch((error: unknown) => {
            lastError = describe(error);
            onError(error);
          });
        }, checkpointIntervalMs)
      : undefined;
  checkpointTimer?.unref();

  let closing: Promise<void> | undefined;

  return {
    get chain() {
      return chain;
    },
    durability: options.durability,
    append,
    offer,
    flush,
    async checkpoint() {
      if (closed) throw new AuditError("audit_closed", "The audit log was used after close().");
      await flush();
      return writeCheckpoint("manual");
    },
    close() {
      closing ??= (async () => {
        closed = true;
        if (checkpointTimer !== undefined) clearInterval(checkpointTimer);
        cancelBatchTimer();
        try {
          await flush();
          await writeCheckpoint("close", { chain, chainSeq: durable.chainSeq, hash: durable.hash });
        } catch (error) {
          // Nothing is dropped: queued entries stay queued, and a later close() tries again.
          closing = undefined;
          const what = queued() > 0 ? `${queued()} entries could not be written to` : "the final checkpoint could not be written to";
          throw new AuditError("audit_write_failed", `Closing the audit log: ${what} ${store.location}: ${describe(error)}`, { cause: error });
        }
      })();
      return closing;
    },
    stats() {
      return {
        chain,
        durability: options.durability,
        appended,
        written,
        pending: appended - settled,
        failures,
        rejected,
        checkpoints,
        lastCheckpointAt,
        lastError,
      };
    },
    query: (filter) => store.query(filter),
  };
}

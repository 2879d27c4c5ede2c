import type { RequestLogStats } from "./types.ts";
/**
 * A bounded write-behind queue shared by the adapters: the request path pushes items and returns
 * at once; a timer (or a full batch) hands them to the adapter's `write` in batches, one
 * transaction each. Adapter-neutral so the PostgreSQL adapter batches the same way.
 */

/** What an adapter's batch writer reports. Throwing instead means "nothing written, retry later". */
export interface BatchWriteResult {
  written: number;
  /** Items the database refused one by one (bad data); they are not retried. */
  failed: number;
  /** The first refusal, when `failed > 0`. */
  error?: unknown;
}

export interface BatchQueueOptions<Item> {
  write: (batch: readonly Item[]) => BatchWriteResult | Promise<BatchWriteResult>;
  /** Most items per transaction; a full batch is written without waiting for the timer. Default 256. */
  batchSize?: number | undefined;
  /** How long the first queued item may wait before a write. Default 50 ms. */
  flushIntervalMs?: number | undefined;
  /** Most items held in memory besides the batch being written; beyond it the oldest are dropped. Default 10,000. */
  maxQueued?: number | undefined;
  /** Longest pause between retries after a failed write (doubles from `flushIntervalMs`). Default 5,000 ms. */
  maxRetryDelayMs?: number | undefined;
  /** Told about background write failures and refused items. Default: `process.emitWarning`. */
  onError?: ((error: unknown) => void) | undefined;
}

/** The queue's counters; documented field by field on RequestLogStats. */
export type BatchQueueStats = RequestLogStats;

/** A FIFO with a head index, so taking a batch from the front does not shift the array. */
class BoundedDeque<Item> {
  #items: (Item | undefined)[] = [];
  #head = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds to the back; returns how many of the oldest items were dropped to make room. */
  pushBack(item: Item): number {
    this.#items.push(item);
    if (this.length <= this.capacity) return 0;
    this.#items[this.#head] = undefined;
    this.#head += 1;
    this.#compact();
    return 1;
  }

  takeFront(count: number): Item[] {
    const end = Math.min(this.#head + count, this.#items.length);
    const taken = this.#items.slice(this.#head, end) as Item[];
    this.#items.fill(undefined, this.#head, end);
    this.#head = end;
    this.#compact();
    return taken;
  }

  /** Puts items back at the front (after a failed write); returns how many oldest ones did not fit. */
  putFront(items: readonly Item[]): number {
    const merged = [...items, ...(this.#items.slice(this.#head) as Item[])];
    const overflow = Math.max(0, merged.length - this.capacity);
    this.#items = merged.slice(overflow);
    this.#head = 0;
    return overflow;
  }

  #compact(): void {
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultOnError(error: unknown): void {
  process.emitWarning(`Hearth storage: background write failed: ${describe(error)}`, { code: "HEARTH_STORAGE_WRITE" });
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class BatchQueue<Item> {
  readonly #write: BatchQueueOptions<Item>["write"];
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #queue: BoundedDeque<Item>;

  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #running: Promise<void> | undefined;
  #inFlight = 0;
  #retryDelayMs: number;
  #closed = false;

  #accepted = 0;
  /** Items that left the queue for good (written, failed or dropped), in FIFO order. */
  #retired = 0;
  #written = 0;
  #failed = 0;
  #dropped = 0;
  #batches = 0;
  #flushErrors = 0;
  #lastError: string | null = null;

  constructor(options: BatchQueueOptions<Item>) {
    this.#write = options.write;
    this.#batchSize = Math.max(1, Math.trunc(options.batchSize ?? 256));
    this.#flushIntervalMs = Math.max(0, options.flushIntervalMs ?? 50);
    this.#maxRetryDelayMs = Math.max(this.#flushIntervalMs, options.maxRetryDelayMs ?? 5_000);
    this.#retryDelayMs = this.#flushIntervalMs;
    this.#onError = options.onError ?? defaultOnError;
    this.#queue = new BoundedDeque(Math.max(1, Math.trunc(options.maxQueued ?? 10_000)));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues one item. After `close()` the item is counted as dropped instead. */
  push(item: Item): void {
    if (this.#closed) {
      this.#dropped += 1;
      return;
    }
    this.#accepted += 1;
    const dropped = this.#queue.pushBack(item);
    if (dropped > 0) this.#drop(dropped);
    if (this.#running !== undefined) return;
    if (this.#queue.length >= this.#batchSize) this.#schedule(0);
    else if (this.#timer === undefined) this.#schedule(this.#flushIntervalMs);
  }

  /**
   * Writes every item queued before the call (items pushed meanwhile may ride along). Rejects with
   * the database's error if a batch failed as a whole; those items stay queued for a later try.
   */
  async flush(): Promise<void> {
    const target = this.#accepted;
    this.#cancelTimer();
    try {
      while (this.#retired < target) {
        if (this.#running !== undefined) {
          await this.#running;
          continue;
        }
        if (this.#queue.length === 0) break;
        await this.#run(target);
      }
    } finally {
      if (!this.#closed && this.#queue.length > 0 && this.#running === undefined) this.#schedule(this.#retryDelayMs);
    }
  }

  /**
   * Stops accepting items and writes what is queued. If that fails, the rest is counted as dropped
   * and the error is thrown.
   */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.flush();
    } catch (error) {
      const lost = this.#queue.takeFront(this.#queue.length).length;
      this.#drop(lost);
      throw error;
    } finally {
      this.#cancelTimer();
    }
  }

  stats(): BatchQueueStats {
    return {
      accepted: this.#accepted,
      written: this.#written,
      failed: this.#failed,
      dropped: this.#dropped,
      pending: this.#queue.length + this.#inFlight,
      batches: this.#batches,
      flushErrors: this.#flushErrors,
      lastError: this.#lastError,
    };
  }

  #drop(count: number): void {
    this.#dropped += count;
    this.#retired += count;
  }

  #schedule(delayMs: number): void {
    this.#cancelTimer();
    const timer =
      delayMs <= 0 ? setImmediate(() => this.#onTimer()) : setTimeout(() => this.#onTimer(), delayMs);
    // A pending log write must not keep the process alive; owners call close() on shutdown.
    timer.unref();
    this.#timer = timer;
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    if ("hasRef" in this.#timer && "refresh" in this.#timer) clearTimeout(this.#timer);
    else clearImmediate(this.#timer);
    this.#timer = undefined;
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#running !== undefined || this.#queue.length === 0) return;
    this.#run(Number.POSITIVE_INFINITY).then(
      () => {
        this.#retryDelayMs = this.#flushIntervalMs;
        if (this.#queue.length >= this.#batchSize) this.#schedule(0);
        else if (this.#queue.length > 0) this.#schedule(this.#flushIntervalMs);
      },
      (error: unknown) => {
        this.#onError(error);
        if (this.#closed) return;
        this.#schedule(this.#retryDelayMs);
        this.#retryDelayMs = Math.min(Math.max(1, this.#retryDelayMs * 2), this.#maxRetryDelayMs);
      },
    );
  }

  /** Writes batches until `target` items are retired or the queue is empty; one run at a time. */
  #run(target: number): Promise<void> {
    const running = this.#drain(target).finally(() => {
      this.#running = undefined;
    });
    // Joiners (flush) only wait for the run to end; the starter sees its error.
    this.#running = running.catch(() => undefined);
    return running;
  }

  async #drain(target: number): Promise<void> {
    let first = true;
    while (this.#queue.length > 0 && this.#retired < target) {
      if (!first) await yieldToEventLoop();
      first = false;
      const batch = this.#queue.takeFront(this.#batchSize);
      if (batch.length === 0) break;
      this.#inFlight = batch.length;
      let result: BatchWriteResult;
      try {
        result = await this.#write(batch);
      } catch (error) {
        this.#inFlight = 0;
        this.#flushErrors += 1;
        this.#lastError = describe(error);
        const overflow = this.#queue.putFront(batch);
        if (overflow > 0) this.#drop(overflow);
        throw error;
      }
      this.#inFlight = 0;
      this.#batches += 1;
      this.#written += result.written;
      this.#failed += result.failed;
      this.#retired += batch.length;
      if (result.failed > 0) {
        this.#lastError = describe(result.error);
        this.#onError(result.error);
      }
    }
  }
}

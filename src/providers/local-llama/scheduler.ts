import { HearthError } from "../../spec/errors.ts";

/**
 * Decides which local models are in memory and who may use them. Pure logic: loading, unloading,
 * memory estimates, the clock and timers are injected, so eviction, idle unloading and queueing
 * are unit-tested with fakes (the shape Ollama's scheduler taught us).
 *
 * Per model: `slots` leases at once (one per context sequence) plus at most `maxQueue` waiters;
 * beyond that `acquire` fails at once with `overloaded` (HTTP 503 + Retry-After) instead of
 * piling up requests that would time out anyway.
 */

export type LocalModelState = "unloaded" | "loading" | "loaded" | "unloading";

/** What the scheduler reports per model (`hearth ps`, `/health`, the console). */
export interface ScheduledModelStatus {
  name: string;
  state: LocalModelState;
  /** Requests holding a slot now. */
  activeLeases: number;
  /** Requests waiting for a slot, for the load, or for memory. */
  queued: number;
  slots: number;
  /** Epoch ms of the last lease release (or of the load), undefined if never loaded. */
  lastUsedAt: number | undefined;
  /** Estimated resident bytes (weights + KV cache), undefined until first estimated. */
  estimatedBytes: number | undefined;
  /** True while a load waits for other models' leases to end so that it fits the budget. */
  waitingForMemory: boolean;
}

/** A slot on a loaded model; `release()` must be called exactly once (extra calls are ignored). */
export interface Lease<T> {
  value: T;
  /** Which of the model's slots (0 … slots-1): the context sequence to use. */
  slot: number;
  release(): void;
}

export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerOptions<T> {
  models: ReadonlyArray<{ name: string; slots: number }>;
  load(name: string): Promise<T>;
  unload(name: string, value: T): Promise<void> | void;
  /** Bytes the model will occupy once loaded; asked before every load. */
  estimateBytes(name: string): Promise<number> | number;
  /** Sum of estimated bytes allowed in memory at once; default unlimited. */
  memoryBudgetBytes?: number | undefined;
  /** Unload a model this long after its last lease ends; Infinity keeps it forever. */
  idleTimeoutMs: number;
  /** Waiters allowed per model beyond its slots. */
  maxQueue: number;
  /** Sent with `overloaded` errors as Retry-After. */
  retryAfterSeconds?: number | undefined;
  now(): number;
  timers: SchedulerTimers;
  /** Told about failures that have no request to report to (an unload that threw). */
  onBackgroundError?: ((error: unknown) => void) | undefined;
}

interface Waiter<T> {
  order: number;
  resolve(lease: Lease<T>): void;
  reject(error: unknown): void;
  detach(): void;
}

interface Entry<T> {
  name: string;
  slots: number;
  state: LocalModelState;
  value: T | undefined;
  freeSlots: number[];
  active: number;
  waiters: Waiter<T>[];
  lastUsedAt: number | undefined;
  estimatedBytes: number | undefined;
  /** While loading: whether the estimate is known and counted against the budget. */
  reserved: boolean;
  /** While loading: estimate known, waiting for room. */
  waitingForMemory: boolean;
  idleTimer: unknown;
  /** Settles when the current load or unload ends. */
  transition: Promise<void> | undefined;
}

export interface Scheduler<T> {
  /** Waits for a slot on `name` (loading the model first if needed). */
  acquire(name: string, signal?: AbortSignal): Promise<Lease<T>>;
  status(): ScheduledModelStatus[];
  /** Rejects every waiter, then unloads every model. Active leases should have been ended first. */
  close(): Promise<void>;
}

export function createScheduler<T>(options: SchedulerOptions<T>): Scheduler<T> {
  const entries = new Map<string, Entry<T>>();
  for (const model of options.models) {
    if (!Number.isInteger(model.slots) || model.slots < 1) throw new Error(`Model "${model.name}": slots must be a positive integer.`);
    entries.set(model.name, {
      name: model.name,
      slots: model.slots,
      state: "unloaded",
      value: undefined,
      freeSlots: [],
      active: 0,
      waiters: [],
      lastUsedAt: undefined,
      estimatedBytes: undefined,
      reserved: false,
      waitingForMemory: false,
      idleTimer: undefined,
      transition: undefined,
    });
  }
  const budget = options.memoryBudgetBytes ?? Number.POSITIVE_INFINITY;
  let nextOrder = 0;
  let closed = false;

  function backgroundError(error: unknown): void {
    options.onBackgroundError?.(error);
  }

  function clearIdleTimer(entry: Entry<T>): void {
    if (entry.idleTimer !== undefined) {
      options.timers.clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
  }

  function isIdle(entry: Entry<T>): boolean {
    return entry.state === "loaded" && entry.active === 0 && entry.waiters.length === 0;
  }

  /** Counts from the last release, so re-arming on unrelated events never postpones an unload. */
  function armIdleTimer(entry: Entry<T>): void {
    if (entry.idleTimer !== undefined || !isIdle(entry) || closed || !Number.isFinite(options.idleTimeoutMs)) return;
    const idleSince = entry.lastUsedAt ?? options.now();
    const remaining = Math.max(0, idleSince + options.idleTimeoutMs - options.now());
    entry.idleTimer = options.timers.setTimeout(() => {
      entry.idleTimer = undefined;
      if (isIdle(entry)) startUnload(entry);
    }, remaining);
  }

  function makeLease(entry: Entry<T>, value: T, slot: number): Lease<T> {
    let released = false;
    return {
      value,
      slot,
      release() {
        if (released) return;
        released = true;
        entry.active -= 1;
        entry.freeSlots.push(slot);
        entry.freeSlots.sort((a, b) => a - b);
        entry.lastUsedAt = options.now();
        pumpAll();
      },
    };
  }

  function rejectAllWaiters(entry: Entry<T>, error: unknown): void {
    const waiters = entry.waiters.splice(0);
    for (const waiter of waiters) {
      waiter.detach();
      waiter.reject(error);
    }
  }

  /** Bytes of other models counted against the budget; `steady` leaves out those already unloading. */
  function usedBytes(except: Entry<T>, steady: boolean): number {
    let total = 0;
    for (const entry of entries.values()) {
      if (entry === except) continue;
      const counts =
        entry.state === "loaded" ||
        (entry.state === "loading" && entry.reserved) ||
        (!steady && entry.state === "unloading");
      if (counts) total += entry.estimatedBytes ?? 0;
    }
    return total;
  }

  function leastRecentlyUsedIdle(except: Entry<T>): Entry<T> | undefined {
    let best: Entry<T> | undefined;
    for (const entry of entries.values()) {
      if (entry === except || !isIdle(entry)) continue;
      if (best === undefined || (entry.lastUsedAt ?? 0) < (best.lastUsedAt ?? 0)) best = entry;
    }
    return best;
  }

  function startLoad(entry: Entry<T>): void {
    clearIdleTimer(entry);
    entry.state = "loading";
    entry.reserved = false;
    entry.waitingForMemory = false;
    entry.transition = (async () => {
      let bytes: number;
      try {
        bytes = await options.estimateBytes(entry.name);
      } catch (error) {
        failLoad(entry, error);
        return;
      }
      entry.estimatedBytes = bytes;
      if (closed) {
        entry.state = "unloaded";
        return;
      }
      if (bytes > budget) {
        entry.state = "unloaded";
        rejectAllWaiters(
          entry,
          new HearthError(
            "model_load_failed",
            `Model "${entry.name}" needs about ${formatBytes(bytes)}, more than the whole memory budget of ${formatBytes(budget)}. ` +
              "Raise engine.memoryBudget, lower the model's contextSize or parallel, or use a smaller quantization.",
          ),
        );
        pumpAll();
        return;
      }
      entry.waitingForMemory = true;
      pumpAll();
    })();
  }

  /** For a loading entry whose estimate is known: evict idle models if needed, then load when it fits. */
  function tryReserve(entry: Entry<T>): void {
    if (entry.waiters.length === 0) {
      // Everyone who wanted it went away before it got memory: do not load it for nobody.
      entry.state = "unloaded";
      entry.waitingForMemory = false;
      return;
    }
    const need = entry.estimatedBytes ?? 0;
    let steady = usedBytes(entry, true);
    while (steady + need > budget) {
      const victim = leastRecentlyUsedIdle(entry);
      if (victim === undefined) break;
      steady -= victim.estimatedBytes ?? 0;
      startUnload(victim);
    }
    if (steady + need > budget) return; // wait for leases elsewhere to end
    if (usedBytes(entry, false) + need > budget) return; // wait for evictions to finish
    entry.waitingForMemory = false;
    entry.reserved = true;
    entry.transition = runLoad(entry);
  }

  async function runLoad(entry: Entry<T>): Promise<void> {
    let value: T;
    try {
      value = await options.load(entry.name);
    } catch (error) {
      failLoad(entry, error);
      return;
    }
    if (closed) {
      entry.state = "unloaded";
      entry.reserved = false;
      try {
        await options.unload(entry.name, value);
      } catch (error) {
        backgroundError(error);
      }
      return;
    }
    entry.state = "loaded";
    entry.reserved = false;
    entry.value = value;
    entry.freeSlots = Array.from({ length: entry.slots }, (_, index) => index);
    entry.active = 0;
    entry.lastUsedAt = options.now();
    pumpAll();
  }

  function failLoad(entry: Entry<T>, error: unknown): void {
    entry.state = "unloaded";
    entry.reserved = false;
    entry.waitingForMemory = false;
    const message = error instanceof Error ? error.message : String(error);
    rejectAllWaiters(
      entry,
      HearthError.isInstance(error) && error.code === "model_load_failed"
        ? error
        : new HearthError("model_load_failed", `Model "${entry.name}" failed to load: ${message}`, { cause: error }),
    );
    pumpAll();
  }

  function startUnload(entry: Entry<T>): void {
    clearIdleTimer(entry);
    const value = entry.value as T;
    entry.state = "unloading";
    entry.value = undefined;
    entry.freeSlots = [];
    entry.transition = (async () => {
      try {
        await options.unload(entry.name, value);
      } catch (error) {
        backgroundError(error);
      }
      entry.state = "unloaded";
      pumpAll();
    })();
  }

  function pump(entry: Entry<T>): void {
    if (entry.state === "loaded") {
      while (entry.waiters.length > 0 && entry.freeSlots.length > 0) {
        const waiter = entry.waiters.shift() as Waiter<T>;
        const slot = entry.freeSlots.shift() as number;
        waiter.detach();
        entry.active += 1;
        waiter.resolve(makeLease(entry, entry.value as T, slot));
      }
      if (isIdle(entry)) armIdleTimer(entry);
      else clearIdleTimer(entry);
    } else if (entry.state === "unloaded") {
      if (entry.waiters.length > 0) startLoad(entry);
    } else if (entry.state === "loading" && entry.waitingForMemory) {
      tryReserve(entry);
    }
  }

  let pumping = false;
  let pumpAgain = false;
  /** Re-evaluates every model, oldest waiter first (so memory goes to whoever waited longest). */
  function pumpAll(): void {
    if (closed) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        const ordered = [...entries.values()].sort(
          (a, b) => (a.waiters[0]?.order ?? Number.POSITIVE_INFINITY) - (b.waiters[0]?.order ?? Number.POSITIVE_INFINITY),
        );
        for (const entry of ordered) pump(entry);
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  function acquire(name: string, signal?: AbortSignal): Promise<Lease<T>> {
    const entry = entries.get(name);
    if (entry === undefined) return Promise.reject(new HearthError("model_not_found", `The model "${name}" does not exist.`, { param: "model" }));
    if (closed) return Promise.reject(new HearthError("overloaded", "The local engine is shutting down.", { retryAfterSeconds: options.retryAfterSeconds ?? 1 }));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (entry.active + entry.waiters.length >= entry.slots + options.maxQueue) {
      return Promise.reject(
        new HearthError(
          "overloaded",
          `Model "${name}" is busy: ${entry.active} requests running and ${entry.waiters.length} waiting (the limit). Retry shortly.`,
          { retryAfterSeconds: options.retryAfterSeconds ?? 1 },
        ),
      );
    }
    return new Promise<Lease<T>>((resolve, reject) => {
      const onAbort = (): void => {
        const index = entry.waiters.indexOf(waiter);
        if (index >= 0) entry.waiters.splice(index, 1);
        reject(signal?.reason);
        pumpAll();
      };
      const waiter: Waiter<T> = {
        order: nextOrder++,
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      entry.waiters.push(waiter);
      clearIdleTimer(entry);
      pumpAll();
    });
  }

  function status(): ScheduledModelStatus[] {
    return [...entries.values()].map((entry) => ({
      name: entry.name,
      state: entry.state,
      activeLeases: entry.active,
      queued: entry.waiters.length,
      slots: entry.slots,
      lastUsedAt: entry.lastUsedAt,
      estimatedBytes: entry.estimatedBytes,
      waitingForMemory: entry.state === "loading" && entry.waitingForMemory,
    }));
  }

  async function close(): Promise<void> {
    closed = true;
    const shuttingDown = new HearthError("overloaded", "The local engine is shutting down.", { retryAfterSeconds: options.retryAfterSeconds ?? 1 });
    for (const entry of entries.values()) {
      clearIdleTimer(entry);
      rejectAllWaiters(entry, shuttingDown);
    }
    // Loads in flight finish (and unload themselves because `closed` is set); unloads finish.
    await Promise.all([...entries.values()].map((entry) => entry.transition));
    for (const entry of entries.values()) {
      if (entry.state === "loading") entry.state = "unloaded";
    }
    const unloads: Promise<void>[] = [];
    for (const entry of entries.values()) {
      if (entry.state !== "loaded") continue;
      const value = entry.value as T;
      entry.state = "unloading";
      entry.value = undefined;
      unloads.push(
        (async () => {
          try {
            await options.unload(entry.name, value);
          } catch (error) {
            backgroundError(error);
          }
          entry.state = "unloaded";
        })(),
      );
    }
    await Promise.all(unloads);
  }

  return { acquire, status, close };
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

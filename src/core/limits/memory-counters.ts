import { bucketLeavesWindowAt, bucketOf, oldestCountedBucket } from "./periods.ts";
import type {
  AdjustCommand,
  CounterStore,
  RaiseCommand,
  ReadCommand,
  ReadResult,
  ReserveCommand,
  ReserveOutcome,
  SeedCommand,
  WindowSpec,
} from "./types.ts";

interface BudgetCounter {
  spentMicros: number;
  generation: string;
  expiresAt: number;
}

/** The in-memory store also lets tests and operators drop every counter, as a Redis flush would. */
export interface MemoryCounterStore extends CounterStore {
  clear(): void;
}

/**
 * Counters in this process's memory: right for a single replica. Every method does its whole
 * work synchronously before it returns, so concurrent admissions cannot interleave inside one.
 */
export function createMemoryCounterStore(): MemoryCounterStore {
  const windows = new Map<string, Map<number, number>>();
  const budgets = new Map<string, BudgetCounter>();

  /** The window's buckets still counted at `now`, with older ones dropped. */
  function liveBuckets(key: string, now: number, spec: WindowSpec): Map<number, number> | undefined {
    const buckets = windows.get(key);
    if (buckets === undefined) return undefined;
    const oldest = oldestCountedBucket(now, spec.windowMs, spec.bucketMs);
    for (const bucket of buckets.keys()) if (bucket < oldest) buckets.delete(bucket);
    if (buckets.size === 0) {
      windows.delete(key);
      return undefined;
    }
    return buckets;
  }

  function sum(buckets: Map<number, number> | undefined): number {
    let total = 0;
    if (buckets !== undefined) for (const amount of buckets.values()) total += amount;
    return total;
  }

  function budget(key: string, now: number): BudgetCounter | undefined {
    const counter = budgets.get(key);
    if (counter !== undefined && counter.expiresAt <= now) {
      budgets.delete(key);
      return undefined;
    }
    return counter;
  }

  function retryAfterMs(buckets: Map<number, number> | undefined, limit: number, amount: number, now: number, spec: WindowSpec): number {
    const ordered = [...(buckets ?? new Map<number, number>()).entries()].sort(([a], [b]) => a - b);
    let used = sum(buckets);
    let leavesAt = now;
    for (const [bucket, value] of ordered) {
      used -= value;
      leavesAt = bucketLeavesWindowAt(bucket, spec.windowMs, spec.bucketMs);
      if (used < limit && used + amount <= limit) break;
    }
    return Math.max(0, leavesAt - now);
  }

  function add(key: string, bucket: number, amount: number): void {
    if (amount === 0) return;
    let buckets = windows.get(key);
    if (buckets === undefined) {
      buckets = new Map();
      windows.set(key, buckets);
    }
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + amount);
  }

  return {
    async reserve(command: ReserveCommand): Promise<ReserveOutcome> {
      const { now, window: spec } = command;
      const missing = command.budgets.flatMap((charge, index) => (budget(charge.key, now) === undefined ? [index] : []));
      if (missing.length > 0) return { status: "missing", budgets: missing };

      const refusedWindows: { index: number; retryAfterMs: number }[] = [];
      command.windows.forEach((charge, index) => {
        const buckets = liveBuckets(charge.key, now, spec);
        const used = sum(buckets);
        if (used >= charge.limit || used + charge.amount > charge.limit) {
          refusedWindows.push({ index, retryAfterMs: retryAfterMs(buckets, charge.limit, charge.amount, now, spec) });
        }
      });
      const refusedBudgets = command.budgets.flatMap((charge, index) => {
        const spent = budget(charge.key, now)?.spentMicros ?? 0;
        return spent >= charge.capMicros || spent + charge.amountMicros > charge.capMicros ? [index] : [];
      });
      if (refusedWindows.length > 0 || refusedBudgets.length > 0) return { status: "refused", windows: refusedWindows, budgets: refusedBudgets };

      const bucket = bucketOf(now, spec.bucketMs);
      for (const charge of command.windows) add(charge.key, bucket, charge.amount);
      const generations = command.budgets.map((charge) => {
        const counter = budget(charge.key, now);
        if (counter === undefined) throw new Error("unreachable: a budget counter vanished during reserve");
        counter.spentMicros += charge.amountMicros;
        return counter.generation;
      });
      return { status: "reserved", bucket, generations };
    },

    async seed(commands: readonly SeedCommand[]): Promise<void> {
      for (const command of commands) {
        if (budget(command.key, command.now) !== undefined) continue;
        budgets.set(command.key, { spentMicros: command.spentMicros, generation: command.generation, expiresAt: command.expiresAt });
      }
    },

    async adjust(command: AdjustCommand): Promise<void> {
      const { now, window: spec } = command;
      const current = bucketOf(now, spec.bucketMs);
      for (const adjustment of command.windows) {
        const buckets = liveBuckets(adjustment.key, now, spec);
        const held = buckets?.get(adjustment.bucket);
        if (buckets !== undefined && held !== undefined && adjustment.remove > 0) {
          const left = held - adjustment.remove;
          if (left > 0) buckets.set(adjustment.bucket, left);
          else buckets.delete(adjustment.bucket);
        }
        add(adjustment.key, current, adjustment.add);
      }
      for (const adjustment of command.budgets) {
        const counter = budget(adjustment.key, now);
        if (counter === undefined) continue;
        const removed = counter.generation === adjustment.generation ? adjustment.removeMicros : 0;
        counter.spentMicros += adjustment.addMicros - removed;
      }
    },

    async read(command: ReadCommand): Promise<ReadResult> {
      return {
        windows: command.windows.map((key) => sum(liveBuckets(key, command.now, command.window))),
        budgets: command.budgets.map((key) => budget(key, command.now)?.spentMicros),
      };
    },

    async raise(commands: readonly RaiseCommand[]): Promise<number[]> {
      return commands.map((command) => {
        const counter = budget(command.key, command.now);
        const wanted = Math.round(command.atLeastMicros);
        if (counter === undefined || counter.spentMicros >= wanted) return 0;
        const raised = wanted - counter.spentMicros;
        counter.spentMicros = wanted;
        return raised;
      });
    },

    clear(): void {
      windows.clear();
      budgets.clear();
    },
  };
}

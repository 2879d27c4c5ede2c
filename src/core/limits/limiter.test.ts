import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Logger } from "../logger.ts";
import { createLimiter } from "./limiter.ts";
import { createMemoryCounterStore } from "./memory-counters.ts";
import type { CounterStore, LimitSubject } from "./types.ts";

const budgeted: LimitSubject = { kind: "team", id: "team-1", name: "research", budget: { day: 1 } };
const rated: LimitSubject = { kind: "key", id: "key-1", name: "ci-bot", rpm: 10, tpm: 1000 };

/** A store whose every call fails, as a Redis that went away. */
function brokenStore(calls: string[] = []): CounterStore {
  const fail = (operation: string) => async (): Promise<never> => {
    calls.push(operation);
    throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  };
  return { reserve: fail("reserve"), seed: fail("seed"), adjust: fail("adjust"), read: fail("read"), raise: fail("raise") };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) };
}

describe("limiter when the counter store is unavailable", () => {
  test("by default budgets fail closed with a 503-style refusal and rate limits fail open", async () => {
    const logger = recordingLogger();
    const limiter = createLimiter({ counters: brokenStore(), logger });
    const refused = await limiter.admit({ subjects: [rated, budgeted], estimatedTokens: 10, estimatedCostUsd: 0.01 });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.code, "overloaded");
      assert.equal(refused.limit, "unavailable");
      assert.equal(refused.subject.name, "research");
      assert.ok(refused.retryAfterSeconds >= 1);
      assert.match(refused.message, /Spending limits of team "research" cannot be checked right now/);
    }
    const admitted = await limiter.admit({ subjects: [rated], estimatedTokens: 10, estimatedCostUsd: 0.01 });
    assert.ok(admitted.ok);
    assert.equal(admitted.reservation.degraded, true);
    await limiter.settle(admitted.reservation, { actualTokens: 5, actualCostUsd: 0 });
    assert.equal(logger.warnings.length, 2, "each failed admission is reported; a degraded settle touches nothing");
    assert.match(logger.warnings[0] ?? "", /ECONNREFUSED/);
  });

  test("the fail mode is configurable per limit kind", async () => {
    const limiter = createLimiter({ counters: brokenStore(), whenUnavailable: { rate: "closed", budget: "open" } });
    const rate = await limiter.admit({ subjects: [rated], estimatedTokens: 10, estimatedCostUsd: 0 });
    assert.equal(rate.ok, false);
    if (!rate.ok) assert.match(rate.message, /Rate limits of key "ci-bot" cannot be checked/);
    const budget = await limiter.admit({ subjects: [budgeted], estimatedTokens: 10, estimatedCostUsd: 0 });
    assert.ok(budget.ok && budget.reservation.degraded);
  });

  test("a store that does not answer counts as unavailable after timeoutMs", async () => {
    const hanging: CounterStore = { ...createMemoryCounterStore(), reserve: () => new Promise(() => {}) };
    const limiter = createLimiter({ counters: hanging, timeoutMs: 50 });
    const started = performance.now();
    const result = await limiter.admit({ subjects: [budgeted], estimatedTokens: 1, estimatedCostUsd: 0.01 });
    assert.ok(performance.now() - started < 1_000);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.limit, "unavailable");
  });

  test("a failing durable-usage lookup cannot seed a budget, so the budget fails closed", async () => {
    const limiter = createLimiter({
      counters: createMemoryCounterStore(),
      spentSoFar: async () => {
        throw new Error("database is locked");
      },
    });
    const result = await limiter.admit({ subjects: [budgeted], estimatedTokens: 1, estimatedCostUsd: 0.01 });
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.code, "overloaded");
  });

  test("settle and release never reject, even when the store fails", async () => {
    const calls: string[] = [];
    const store = createMemoryCounterStore();
    const limiter = createLimiter({ counters: { ...store, adjust: brokenStore(calls).adjust } });
    const result = await limiter.admit({ subjects: [rated, budgeted], estimatedTokens: 10, estimatedCostUsd: 0.01 });
    assert.ok(result.ok);
    await limiter.settle(result.reservation, { actualTokens: 5, actualCostUsd: 0.02 });
    await limiter.release(result.reservation);
    assert.deepEqual(calls, ["adjust"], "release after settle is ignored");
  });
});

describe("limiter inputs", () => {
  test("a request with no limits admits without touching the store", async () => {
    const calls: string[] = [];
    const limiter = createLimiter({ counters: brokenStore(calls) });
    const result = await limiter.admit({ subjects: [{ kind: "key", id: "free" }], estimatedTokens: 10, estimatedCostUsd: 1 });
    assert.ok(result.ok && !result.reservation.degraded);
    await limiter.settle(result.reservation, { actualTokens: 10, actualCostUsd: 1 });
    assert.deepEqual(calls, []);
  });

  test("negative or non-finite amounts and limits are programming errors", async () => {
    const limiter = createLimiter({ counters: createMemoryCounterStore() });
    await assert.rejects(limiter.admit({ subjects: [rated], estimatedTokens: -1, estimatedCostUsd: 0 }), RangeError);
    await assert.rejects(limiter.admit({ subjects: [rated], estimatedTokens: 1, estimatedCostUsd: Number.NaN }), RangeError);
    await assert.rejects(limiter.admit({ subjects: [{ kind: "key", id: "k", rpm: -5 }], estimatedTokens: 1, estimatedCostUsd: 0 }), RangeError);
    assert.throws(() => createLimiter({ counters: createMemoryCounterStore(), bucketMs: 7_000 }), RangeError);
  });

  test("a limit of 0 refuses everything", async () => {
    const limiter = createLimiter({ counters: createMemoryCounterStore() });
    const result = await limiter.admit({ subjects: [{ kind: "key", id: "k", budget: { month: 0 } }], estimatedTokens: 0, estimatedCostUsd: 0 });
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.limit, "budget_month");
  });

  test("a coarser bucket holds a request up to one bucket longer, never less than the window", async () => {
    let now = Date.parse("2025-06-10T12:00:03.000Z");
    const limiter = createLimiter({ counters: createMemoryCounterStore(), clock: () => now, bucketMs: 10_000 });
    const key: LimitSubject = { kind: "key", id: "k", rpm: 1 };
    assert.ok((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).ok);
    const refusal = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 });
    assert.equal(refusal.ok, false);
    if (!refusal.ok) assert.equal(refusal.retryAfterSeconds, 67, "bucket 12:00:00 leaves at 12:01:10");
    now = Date.parse("2025-06-10T12:01:09.999Z");
    assert.equal((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).ok, false);
    now = Date.parse("2025-06-10T12:01:10.000Z");
    assert.ok((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).ok);
  });
});

describe("limiter reconcile", () => {
  const key: LimitSubject = { kind: "key", id: "k", budget: { day: 1 } };

  test("without durable usage there is nothing to compare with, and the store is not touched", async () => {
    const calls: string[] = [];
    const limiter = createLimiter({ counters: brokenStore(calls) });
    assert.deepEqual(await limiter.reconcile([key, rated]), { checked: 0, raised: [] });
    assert.deepEqual(calls, []);
  });

  test("subjects without budgets cost no lookup; a failing store or usage lookup rejects for the caller to report", async () => {
    const asked: string[] = [];
    const spentSoFar = async (subject: { id: string }) => {
      asked.push(subject.id);
      return 0;
    };
    assert.deepEqual(await createLimiter({ counters: createMemoryCounterStore(), spentSoFar }).reconcile([rated]), { checked: 0, raised: [] });
    assert.deepEqual(asked, []);
    await assert.rejects(createLimiter({ counters: brokenStore(), spentSoFar }).reconcile([key]), /ECONNREFUSED/);
    // An existing counter (seeded through a healthy limiter) and a usage lookup that answers nonsense.
    const counters = createMemoryCounterStore();
    assert.ok((await createLimiter({ counters, spentSoFar }).admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.1 })).ok);
    await assert.rejects(createLimiter({ counters, spentSoFar: async () => Number.NaN }).reconcile([key]), /spentSoFar\(\) returned NaN/);
  });
});

/**
 * One behaviour suite for every CounterStore adapter, run through the limiter as the gateway uses
 * it. Each adapter's test file calls `describeCounterStore` with a harness factory.
 */
import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createLimiter, type Limiter, type LimiterOptions } from "./limiter.ts";
import type { AdmitResult, BudgetPeriod, CounterStore, LimitSubject, Reservation, SpentSoFar, SubjectRef } from "./types.ts";

export interface CounterHarness {
  /** A store as another replica would hold it (its own connection), sharing counters with the others. */
  newStore(): Promise<CounterStore>;
  /** Loses every counter, as a restart of an in-memory store or a Redis flush would. */
  forget(): Promise<void>;
  close(): Promise<void>;
}

export interface SuiteOptions {
  /** Set when the adapter cannot run here (e.g. no Redis server); every test is skipped with it. */
  skip?: string | undefined;
}

const second = 1_000;

/** A clock tests move by hand. */
function manualClock(iso: string): { now: number; read: () => number } {
  const clock = { now: Date.parse(iso), read: () => clock.now };
  return clock;
}

function reservations(results: readonly AdmitResult[]): Reservation[] {
  return results.flatMap((result) => (result.ok ? [result.reservation] : []));
}

function refusalOf(result: AdmitResult): Exclude<AdmitResult, { ok: true }> {
  assert.equal(result.ok, false, "expected a refusal");
  if (result.ok) throw new Error("unreachable");
  return result;
}

function close(actual: number | undefined, expected: number, message?: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${message ?? "value"}: expected ${expected}, got ${actual}`);
}

/** A spentSoFar that answers from a table and records every call. */
function durableUsage(table: Record<string, number> = {}): SpentSoFar & { calls: string[]; table: Record<string, number> } {
  const calls: string[] = [];
  const spentSoFar = async (subject: SubjectRef, period: BudgetPeriod): Promise<number> => {
    const name = `${subject.kind}:${subject.id}:${period.id}`;
    calls.push(name);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return spentSoFar.table[name] ?? 0;
  };
  spentSoFar.calls = calls;
  spentSoFar.table = table;
  return spentSoFar;
}

export function describeCounterStore(name: string, open: () => Promise<CounterHarness>, options: SuiteOptions = {}): void {
  describe(`limits with the ${name} counter store`, { skip: options.skip ?? false }, () => {
    async function setup(context: TestContext, clock: { read: () => number }, extra: Partial<LimiterOptions> = {}): Promise<{ harness: CounterHarness; limiter: Limiter }> {
      const harness = await open();
      context.after(() => harness.close());
      const limiter = createLimiter({ counters: await harness.newStore(), clock: clock.read, ...extra });
      return { harness, limiter };
    }

    test("64 concurrent admissions against a budget that fits exactly 33 admit exactly 33 and never overshoot", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const { limiter } = await setup(context, clock);
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 1 } };
      const key: LimitSubject = { kind: "key", id: "key-1", name: "ci-bot", budget: { month: 50 } };
      const results = await Promise.all(Array.from({ length: 64 }, () => limiter.admit({ subjects: [key, team], estimatedTokens: 100, estimatedCostUsd: 0.03 })));
      assert.equal(reservations(results).length, 33);
      for (const result of results.filter((result) => !result.ok)) {
        const refusal = refusalOf(result);
        assert.equal(refusal.limit, "budget_day");
        assert.equal(refusal.code, "rate_limited");
        assert.deepEqual(refusal.subject, { kind: "team", id: "research", name: "research" });
      }
      close((await limiter.usage(team)).spentTodayUsd, 0.99, "team spend");
      close((await limiter.usage(key)).spentThisMonthUsd, 0.99, "key spend: refused requests left nothing behind");
    });

    test("three replicas, each with its own store connection, hold one team budget globally", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const harness = await open();
      context.after(() => harness.close());
      const usage = durableUsage({ "team:research:2025-06-10": 0.1 });
      const replicas = await Promise.all([0, 1, 2].map(async () => createLimiter({ counters: await harness.newStore(), clock: clock.read, spentSoFar: usage })));
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 1 } };
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, index) => replicas[index % 3]!.admit({ subjects: [{ kind: "key", id: `key-${index % 3}` }, team], estimatedTokens: 10, estimatedCostUsd: 0.03 })),
      );
      assert.equal(reservations(results).length, 30, "(1.00 - 0.10 seeded) / 0.03 = 30");
      assert.ok(usage.calls.length >= 1 && usage.calls.length <= 3, `each replica seeds at most once, got ${usage.calls.length} calls`);
      for (const replica of replicas) close((await replica.usage(team)).spentTodayUsd, 1.0, "every replica sees the same spend");
      await Promise.all(reservations(results).map((reservation, index) => replicas[index % 3]!.settle(reservation, { actualTokens: 10, actualCostUsd: 0.02 })));
      close((await replicas[0]!.usage(team)).spentTodayUsd, 0.1 + 30 * 0.02, "settled spend from all replicas");
    });

    test("RPM refuses with a Retry-After until the oldest request leaves the sliding minute, and a refusal reserves nothing", async (context) => {
      const clock = manualClock("2025-06-10T12:00:10.200Z");
      const { limiter } = await setup(context, clock);
      const key: LimitSubject = { kind: "key", id: "key-1", name: "ci-bot", rpm: 3 };
      const team: LimitSubject = { kind: "team", id: "research", rpm: 100 };
      for (let index = 0; index < 3; index++) assert.equal((await limiter.admit({ subjects: [key, team], estimatedTokens: 1, estimatedCostUsd: 0 })).ok, true);
      let refusal = refusalOf(await limiter.admit({ subjects: [key, team], estimatedTokens: 1, estimatedCostUsd: 0 }));
      assert.equal(refusal.limit, "rpm");
      assert.equal(refusal.subject.name, "ci-bot");
      assert.equal(refusal.retryAfterSeconds, 61, "the 12:00:10 bucket leaves the window at 12:01:11");
      assert.match(refusal.message, /key "ci-bot" allows 3 requests per minute; retry in 61 s/);
      assert.equal((await limiter.usage(team)).requests, 3, "the team was not charged for the refused request");

      clock.now += 30 * second;
      refusal = refusalOf(await limiter.admit({ subjects: [key, team], estimatedTokens: 1, estimatedCostUsd: 0 }));
      assert.equal(refusal.retryAfterSeconds, 31);
      clock.now += 30_800;
      assert.equal((await limiter.admit({ subjects: [key, team], estimatedTokens: 1, estimatedCostUsd: 0 })).ok, true, "admitted once the window slid past");
      assert.equal((await limiter.usage(key)).requests, 1);
    });

    test("the sliding window does not let twice the limit through around a minute boundary", async (context) => {
      const clock = manualClock("2025-06-10T12:00:59.500Z");
      const { limiter } = await setup(context, clock);
      const key: LimitSubject = { kind: "key", id: "key-1", rpm: 10 };
      const burst = await Promise.all(Array.from({ length: 12 }, () => limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })));
      assert.equal(reservations(burst).length, 10);
      clock.now = Date.parse("2025-06-10T12:01:00.500Z");
      assert.equal((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).ok, false, "a calendar-minute counter would admit here");
      clock.now = Date.parse("2025-06-10T12:01:59.999Z");
      assert.equal((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).ok, false);
      clock.now = Date.parse("2025-06-10T12:02:00.000Z");
      const after = await Promise.all(Array.from({ length: 12 }, () => limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })));
      assert.equal(reservations(after).length, 10);
    });

    test("TPM reserves the estimate; settle replaces it with the actual count, release refunds it, overruns are kept in full", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const { limiter } = await setup(context, clock);
      const key: LimitSubject = { kind: "key", id: "key-1", tpm: 1000 };
      const first = await limiter.admit({ subjects: [key], estimatedTokens: 600, estimatedCostUsd: 0 });
      assert.ok(first.ok);
      assert.equal(refusalOf(await limiter.admit({ subjects: [key], estimatedTokens: 600, estimatedCostUsd: 0 })).limit, "tpm");
      clock.now += 2 * second;
      await limiter.settle(first.reservation, { actualTokens: 200, actualCostUsd: 0 });
      assert.equal((await limiter.usage(key)).tokens, 200);
      const second_ = await limiter.admit({ subjects: [key], estimatedTokens: 600, estimatedCostUsd: 0 });
      assert.ok(second_.ok);
      assert.equal((await limiter.usage(key)).tokens, 800);
      await limiter.release(second_.reservation);
      assert.equal((await limiter.usage(key)).tokens, 200);
      await limiter.release(second_.reservation);
      assert.equal((await limiter.usage(key)).tokens, 200, "a second release is ignored");

      const overrun = await limiter.admit({ subjects: [key], estimatedTokens: 100, estimatedCostUsd: 0 });
      assert.ok(overrun.ok);
      await limiter.settle(overrun.reservation, { actualTokens: 900, actualCostUsd: 0 });
      assert.equal((await limiter.usage(key)).tokens, 1100, "the overrun is recorded in full");
      assert.equal(refusalOf(await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 })).limit, "tpm");

      const tooBig = refusalOf(await limiter.admit({ subjects: [{ kind: "key", id: "key-2", tpm: 1000 }], estimatedTokens: 1500, estimatedCostUsd: 0 }));
      assert.equal(tooBig.limit, "tpm");
      assert.match(tooBig.message, /estimated 1500 tokens exceed the limit of 1000 tokens per minute/);
    });

    test("budget settle and release arithmetic, in whole micro-dollars", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const { limiter } = await setup(context, clock);
      const key: LimitSubject = { kind: "key", id: "key-1", budget: { day: 10, month: 100 } };
      const first = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 1 });
      assert.ok(first.ok);
      let usage = await limiter.usage(key);
      close(usage.spentTodayUsd, 1);
      close(usage.spentThisMonthUsd, 1);
      await limiter.settle(first.reservation, { actualTokens: 0, actualCostUsd: 0.000125 });
      await limiter.settle(first.reservation, { actualTokens: 0, actualCostUsd: 5 });
      usage = await limiter.usage(key);
      close(usage.spentTodayUsd, 0.000125, "settled once; the second settle is ignored");
      close(usage.spentThisMonthUsd, 0.000125);

      const second_ = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 2 });
      assert.ok(second_.ok);
      close((await limiter.usage(key)).spentTodayUsd, 2.000125);
      await limiter.release(second_.reservation);
      close((await limiter.usage(key)).spentTodayUsd, 0.000125);

      const third = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 9.9 });
      assert.ok(third.ok);
      await limiter.settle(third.reservation, { actualTokens: 0, actualCostUsd: 12.5 });
      close((await limiter.usage(key)).spentTodayUsd, 12.500125, "a request that cost more than estimated is recorded in full");
      const refusal = refusalOf(await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0 }));
      assert.equal(refusal.limit, "budget_day");
      assert.match(refusal.message, /daily budget of \$10\.00 of key "key-1" is spent/);
    });

    test("a missing budget counter is seeded once from durable usage, and again after the counters are lost", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const usage = durableUsage({ "team:research:2025-06-10": 0.9, "team:research:2025-06": 5 });
      const { harness, limiter } = await setup(context, clock, { spentSoFar: usage });
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 1, month: 10 } };
      const results = await Promise.all(Array.from({ length: 10 }, () => limiter.admit({ subjects: [team], estimatedTokens: 0, estimatedCostUsd: 0.05 })));
      assert.equal(reservations(results).length, 2, "(1.00 - 0.90) / 0.05");
      assert.deepEqual([...usage.calls].sort(), ["team:research:2025-06", "team:research:2025-06-10"], "one lookup per counter despite 10 concurrent admissions");
      close((await limiter.usage(team)).spentThisMonthUsd, 5.1);

      await harness.forget();
      usage.table["team:research:2025-06-10"] = 0.95;
      const after = await Promise.all(Array.from({ length: 5 }, () => limiter.admit({ subjects: [team], estimatedTokens: 0, estimatedCostUsd: 0.05 })));
      assert.equal(reservations(after).length, 1);
      assert.equal(usage.calls.length, 4);
    });

    test("a reservation made before the counters were lost adds its actual cost to the rebuilt counter, not actual minus estimate", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const usage = durableUsage();
      const { harness, limiter } = await setup(context, clock, { spentSoFar: usage });
      const key: LimitSubject = { kind: "key", id: "key-1", budget: { day: 10 } };
      const before = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.1 });
      assert.ok(before.ok);
      await harness.forget();
      usage.table["key:key-1:2025-06-10"] = 0.5;
      const after = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.2 });
      assert.ok(after.ok);
      close((await limiter.usage(key)).spentTodayUsd, 0.7);
      await limiter.settle(before.reservation, { actualTokens: 0, actualCostUsd: 0.08 });
      close((await limiter.usage(key)).spentTodayUsd, 0.78, "the rebuilt counter never held the old estimate");
      await limiter.settle(after.reservation, { actualTokens: 0, actualCostUsd: 0.15 });
      close((await limiter.usage(key)).spentTodayUsd, 0.73);
    });

    test("reconcile raises a counter that lost a settle to durable usage, never lowers one, and leaves missing ones missing", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const usage = durableUsage();
      const { limiter } = await setup(context, clock, { spentSoFar: usage });
      const key: LimitSubject = { kind: "key", id: "key-1", budget: { day: 1, month: 10 } };
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 5 } };
      const lost = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.2 });
      assert.ok(lost.ok);
      // The request cost 0.5 and its usage row was written, but its settle never reached the counters.
      usage.table["key:key-1:2025-06-10"] = 0.5;
      usage.table["key:key-1:2025-06"] = 0.5;
      close((await limiter.usage(key)).spentTodayUsd, 0.2, "the counter still holds only the estimate");

      const result = await limiter.reconcile([key, team]);
      assert.equal(result.checked, 2, "the key's day and month counters; the team has none yet");
      assert.deepEqual(
        result.raised.map((entry) => [entry.subject.id, entry.period, Number(entry.byUsd.toFixed(6))]),
        [["key-1", "2025-06-10", 0.3], ["key-1", "2025-06", 0.3]],
      );
      close((await limiter.usage(key)).spentTodayUsd, 0.5);
      close((await limiter.usage(key)).spentThisMonthUsd, 0.5);
      assert.equal((await limiter.usage(team)).spentTodayUsd, undefined, "a missing counter stays missing: the next admission seeds it");

      // A counter above durable usage holds reservations in flight: it is left alone.
      const inFlight = await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.25 });
      assert.ok(inFlight.ok);
      assert.deepEqual((await limiter.reconcile([key])).raised, []);
      close((await limiter.usage(key)).spentTodayUsd, 0.75);
      // The raise kept the generation: settling the in-flight reservation still takes its estimate off.
      await limiter.settle(inFlight.reservation, { actualTokens: 0, actualCostUsd: 0.1 });
      close((await limiter.usage(key)).spentTodayUsd, 0.6);
      // And the raised counter still refuses at the cap.
      assert.equal((await limiter.admit({ subjects: [key], estimatedTokens: 0, estimatedCostUsd: 0.41 })).ok, false);
    });

    test("budgets roll over at UTC midnight and on the first of the month, with Retry-After until then", async (context) => {
      const clock = manualClock("2025-01-31T23:59:30.000Z");
      const usage = durableUsage({ "team:research:2025-02": 4.5 });
      const { limiter } = await setup(context, clock, { spentSoFar: usage });
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 1, month: 5 } };
      const admit = () => limiter.admit({ subjects: [team], estimatedTokens: 0, estimatedCostUsd: 0.5 });
      assert.ok((await admit()).ok);
      assert.ok((await admit()).ok);
      let refusal = refusalOf(await admit());
      assert.equal(refusal.limit, "budget_day");
      assert.equal(refusal.retryAfterSeconds, 30);
      assert.match(refusal.message, /daily budget of \$1\.00 of team "research" is spent; it resets at 00:00 UTC \(in 30 s\)/);

      clock.now = Date.parse("2025-02-01T00:00:00.000Z");
      assert.ok((await admit()).ok, "a new day and a new month");
      refusal = refusalOf(await limiter.admit({ subjects: [team], estimatedTokens: 0, estimatedCostUsd: 0.6 }));
      assert.equal(refusal.limit, "budget_month", "day (0.50 + 0.60 > 1) and month (4.50 seeded + 0.50) both refuse; the longer wait decides");
      assert.equal(refusal.retryAfterSeconds, 28 * 86_400);
      assert.match(refusal.message, /monthly budget of \$5\.00 of team "research" is spent; it resets on the 1st/);

      clock.now = Date.parse("2025-02-28T23:59:59.000Z");
      assert.equal(refusalOf(await admit()).retryAfterSeconds, 1, "the month ends in 1 s");
      clock.now = Date.parse("2025-03-01T00:00:00.000Z");
      assert.ok((await admit()).ok);
    });

    test("a refusal by one subject leaves every other counter of the request untouched", async (context) => {
      const clock = manualClock("2025-06-10T12:00:00.000Z");
      const { limiter } = await setup(context, clock);
      const key: LimitSubject = { kind: "key", id: "key-1", rpm: 10, tpm: 10_000, budget: { day: 5 } };
      const team: LimitSubject = { kind: "team", id: "research", budget: { day: 0.05 } };
      const refusal = refusalOf(await limiter.admit({ subjects: [key, team], estimatedTokens: 500, estimatedCostUsd: 0.1 }));
      assert.equal(refusal.limit, "budget_day");
      assert.match(refusal.message, /estimated cost of \$0\.10 exceeds the daily budget of \$0\.05 of team "research"/);
      const usage = await limiter.usage(key);
      assert.equal(usage.requests, 0);
      assert.equal(usage.tokens, 0);
      close(usage.spentTodayUsd, 0);
    });
  });
}

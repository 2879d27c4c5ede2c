import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { CircuitBreakers } from "./breaker.ts";
import { runRouted, type RoutePolicy, type RoutingState } from "./execute.ts";
import { backoffMs, planOrder } from "./plan.ts";

interface Target {
  key: string;
  weight: number;
}

function policy(overrides: Partial<RoutePolicy> = {}): RoutePolicy {
  return {
    strategy: "fallback",
    retries: { attempts: 1, initialDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
    breaker: { failureThreshold: 3, cooldownMs: 10_000 },
    ...overrides,
  };
}

/** Routing state with a manual clock and a sleep that only records how long it was asked to wait. */
function state(): RoutingState & { sleeps: number[]; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const sleeps: number[] = [];
  return {
    breakers: new CircuitBreakers(() => clock.now),
    inFlight: new Map(),
    random: () => 0.5,
    sleeps,
    clock,
    async sleep(milliseconds) {
      sleeps.push(milliseconds);
      clock.now += milliseconds;
    },
  };
}

const a: Target = { key: "p/a", weight: 1 };
const b: Target = { key: "p/b", weight: 1 };
const never = new AbortController().signal;

/** An attempt function that fails per a script of outcomes for each target, in call order. */
function scripted(outcomes: Record<string, Array<HearthError | string>>) {
  const calls: string[] = [];
  const attempt = async (target: Target): Promise<string> => {
    calls.push(target.key);
    const next = outcomes[target.key]?.shift();
    if (next === undefined) return `ok:${target.key}`;
    if (typeof next === "string") return next;
    throw next;
  };
  return { calls, attempt };
}

const serverError = () => new HearthError("upstream_error", "boom", { upstreamStatus: 500 });

describe("runRouted", () => {
  test("the first target answers: no retries, no fallback", async () => {
    const { calls, attempt } = scripted({});
    const routed = await runRouted(policy(), [a, b], state(), never, attempt);
    assert.equal(routed.result, "ok:p/a");
    assert.deepEqual(calls, ["p/a"]);
    assert.deepEqual(routed.failures, []);
  });

  test("a retryable failure is retried on the same target with backoff, then falls back", async () => {
    const routing = state();
    const { calls, attempt } = scripted({ "p/a": [serverError(), serverError()] });
    const routed = await runRouted(policy(), [a, b], routing, never, attempt);
    assert.equal(routed.result, "ok:p/b");
    assert.deepEqual(calls, ["p/a", "p/a", "p/b"]);
    assert.deepEqual(routed.failures.map((failure) => failure.errorCode), ["upstream_error", "upstream_error"]);
    assert.equal(routing.sleeps.length, 1, "one backoff between the two tries on p/a");
    assert.ok(routing.sleeps[0]! >= 50 && routing.sleeps[0]! <= 100, `backoff ${routing.sleeps[0]} within [initial/2, initial]`);
  });

  test("Retry-After is honoured when retrying the same target", async () => {
    const routing = state();
    const limited = new HearthError("rate_limited", "slow down", { upstreamStatus: 429, retryAfterSeconds: 2 });
    const { calls, attempt } = scripted({ "p/a": [limited] });
    await runRouted(policy(), [a, b], routing, never, attempt);
    assert.deepEqual(calls, ["p/a", "p/a"]);
    assert.deepEqual(routing.sleeps, [2_000]);
  });

  test("a Retry-After longer than maxRetryAfter moves on to the next target without waiting", async () => {
    const routing = state();
    const limited = new HearthError("rate_limited", "slow down", { upstreamStatus: 429, retryAfterSeconds: 60 });
    const { calls, attempt } = scripted({ "p/a": [limited] });
    const routed = await runRouted(policy(), [a, b], routing, never, attempt);
    assert.deepEqual(calls, ["p/a", "p/b"]);
    assert.deepEqual(routing.sleeps, []);
    assert.equal(routed.result, "ok:p/b");
  });

  test("a request error (400) stops at once: other targets would refuse it too", async () => {
    const { calls, attempt } = scripted({ "p/a": [new HearthError("invalid_request", "bad", { upstreamStatus: 400 })] });
    await assert.rejects(runRouted(policy(), [a, b], state(), never, attempt), (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request");
    assert.deepEqual(calls, ["p/a"]);
  });

  test("a credentials failure (401) is not retried on the same target but falls back", async () => {
    const { calls, attempt } = scripted({ "p/a": [new HearthError("upstream_error", "bad key", { upstreamStatus: 401 })] });
    const routed = await runRouted(policy(), [a, b], state(), never, attempt);
    assert.deepEqual(calls, ["p/a", "p/b"]);
    assert.equal(routed.result, "ok:p/b");
  });

  test("context_length_exceeded falls back to a target that may have a larger window", async () => {
    const { calls, attempt } = scripted({ "p/a": [new HearthError("context_length_exceeded", "too long")] });
    const routed = await runRouted(policy(), [a, b], state(), never, attempt);
    assert.deepEqual(calls, ["p/a", "p/b"]);
    assert.equal(routed.result, "ok:p/b");
  });

  test("when every target fails, the last error is thrown and every attempt is recorded", async () => {
    const failures: Array<{ target: string; errorCode: string }> = [];
    const { attempt } = scripted({ "p/a": [serverError(), serverError()], "p/b": [serverError(), new HearthError("timeout", "slow")] });
    await assert.rejects(runRouted(policy(), [a, b], state(), never, attempt, failures), (error: unknown) => HearthError.isInstance(error) && error.code === "timeout");
    assert.deepEqual(failures.map((failure) => failure.target), ["p/a", "p/a", "p/b", "p/b"]);
  });

  test("a client abort stops routing at once and is not counted against the target", async () => {
    const routing = state();
    const controller = new AbortController();
    const attempt = async (): Promise<string> => {
      controller.abort(new HearthError("aborted", "client left"));
      throw new HearthError("aborted", "client left");
    };
    await assert.rejects(runRouted(policy(), [a, b], routing, controller.signal, attempt), (error: unknown) => HearthError.isInstance(error) && error.code === "aborted");
    assert.equal(routing.breakers.state("p/a", policy().breaker), "closed");
  });

  test("in-flight counts rise during an attempt and fall when it is settled", async () => {
    const routing = state();
    const routed = await runRouted(policy(), [a], routing, never, async () => {
      assert.equal(routing.inFlight.get("p/a"), 1);
      return "x";
    });
    assert.equal(routing.inFlight.get("p/a"), 1, "still busy until the stream ends");
    routed.settle();
    assert.equal(routing.inFlight.get("p/a"), 0);
  });
});

describe("circuit breaker", () => {
  const settings = { failureThreshold: 3, cooldownMs: 10_000 };

  test("opens after N consecutive failures, skips the target, then lets one trial through after the cooldown", async () => {
    const routing = state();
    const noRetry = policy({ retries: { attempts: 0, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const { calls, attempt } = scripted({ "p/a": [serverError(), serverError(), serverError()] });
    for (let index = 0; index < 3; index++) (await runRouted(noRetry, [a, b], routing, never, attempt)).settle();
    assert.equal(routing.breakers.state("p/a", settings), "open");
    calls.length = 0;
    (await runRouted(noRetry, [a, b], routing, never, attempt)).settle();
    assert.deepEqual(calls, ["p/b"], "an open circuit is skipped");

    routing.clock.now += 10_000;
    assert.equal(routing.breakers.state("p/a", settings), "half-open");
    assert.equal(routing.breakers.tryAcquire("p/a", settings), true, "one trial");
    assert.equal(routing.breakers.tryAcquire("p/a", settings), false, "only one trial at a time");
    routing.breakers.success("p/a");
    assert.equal(routing.breakers.state("p/a", settings), "closed");
  });

  test("a plain model (no breaker) still reaches a target whose circuit a route opened", async () => {
    const routing = state();
    for (let index = 0; index < 3; index++) routing.breakers.failure("p/a", settings);
    const plain = policy({ breaker: { failureThreshold: Number.POSITIVE_INFINITY, cooldownMs: 0 } });
    const first = await runRouted(plain, [a], routing, never, async () => "one");
    const second = await runRouted(plain, [a], routing, never, async () => "two");
    assert.deepEqual([first.result, second.result], ["one", "two"], "two concurrent requests, no half-open gate");
  });

  test("a failed trial opens the circuit again at once", () => {
    let now = 0;
    const breakers = new CircuitBreakers(() => now);
    for (let index = 0; index < 3; index++) breakers.failure("k", settings);
    now += 10_000;
    assert.ok(breakers.tryAcquire("k", settings));
    breakers.failure("k", settings);
    assert.equal(breakers.state("k", settings), "open");
    assert.equal(breakers.remainingMs("k", settings), 10_000);
  });

  test("a success resets the count of consecutive failures", () => {
    const breakers = new CircuitBreakers(() => 0);
    breakers.failure("k", settings);
    breakers.failure("k", settings);
    breakers.success("k");
    breakers.failure("k", settings);
    breakers.failure("k", settings);
    assert.equal(breakers.state("k", settings), "closed");
  });

  test("when every target's circuit is open the answer is 503 overloaded with a Retry-After", async () => {
    const routing = state();
    for (let index = 0; index < 3; index++) {
      routing.breakers.failure("p/a", settings);
      routing.breakers.failure("p/b", settings);
    }
    routing.clock.now += 4_000;
    await assert.rejects(runRouted(policy(), [a, b], routing, never, async () => "never"), (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, "overloaded");
      assert.equal(error.retryAfterSeconds, 6);
      return true;
    });
  });

  test("a full local queue (overloaded without an upstream status) does not open the circuit", async () => {
    const routing = state();
    const busy = () => new HearthError("overloaded", "queue full");
    const noRetry = policy({ retries: { attempts: 0, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const { attempt } = scripted({ "p/a": [busy(), busy(), busy(), busy()] });
    for (let index = 0; index < 4; index++) (await runRouted(noRetry, [a, b], routing, never, attempt)).settle();
    assert.equal(routing.breakers.state("p/a", settings), "closed");
  });
});

describe("planOrder and backoff", () => {
  test("fallback keeps the configured order", () => {
    assert.deepEqual(planOrder("fallback", [a, b], () => 5).map((target) => target.key), ["p/a", "p/b"]);
  });

  test("loadbalance prefers the least busy target relative to its weight", () => {
    const busy = new Map([["p/a", 3], ["p/b", 0]]);
    assert.deepEqual(planOrder("loadbalance", [a, b], (key) => busy.get(key) ?? 0).map((target) => target.key), ["p/b", "p/a"]);
    const heavy = { key: "p/a", weight: 4 };
    // 3/4 beats 1/1
    assert.equal(planOrder("loadbalance", [heavy, b], (key) => (key === "p/a" ? 3 : 1))[0]?.key, "p/a");
  });

  test("loadbalance spreads idle traffic by weight (3:1 within tolerance over 4,000 draws)", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const heavy = { key: "p/a", weight: 3 };
    let first = 0;
    for (let index = 0; index < 4_000; index++) if (planOrder("loadbalance", [heavy, b], () => 0, random)[0]?.key === "p/a") first += 1;
    const share = first / 4_000;
    assert.ok(share > 0.7 && share < 0.8, `heavy target first in ${share} of draws (expected ~0.75)`);
  });

  test("backoff doubles per attempt, is capped, and a Retry-After wins when longer", () => {
    const settings = { initialDelayMs: 100, maxDelayMs: 1_000 };
    const top = () => 0.999_999;
    assert.equal(backoffMs(0, settings, undefined, top), 100);
    assert.equal(backoffMs(1, settings, undefined, top), 200);
    assert.equal(backoffMs(5, settings, undefined, top), 1_000);
    assert.equal(backoffMs(0, settings, undefined, () => 0), 50, "full jitter down to half");
    assert.equal(backoffMs(0, settings, 3, top), 3_000);
  });
});

import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { CircuitBreakers, type BreakerTransition } from "../../core/routing/breaker.ts";
import { startBreakerSync, type BreakerSync } from "./breakers.ts";
import { connectTestClient, deleteKeys, redisUnavailable, uniquePrefix } from "./test-server.ts";

const settings = { failureThreshold: 3, cooldownMs: 10_000 };

describe("circuit breaker transitions (no Redis)", () => {
  test("opening and closing are reported; remote transitions are applied silently, latest first", () => {
    let now = 1_000;
    const breakers = new CircuitBreakers(() => now);
    const seen: BreakerTransition[] = [];
    const stop = breakers.onTransition((transition) => seen.push(transition));
    for (let index = 0; index < 3; index++) breakers.failure("p/a", settings);
    assert.deepEqual(seen, [{ key: "p/a", state: "open", at: 1_000, cooldownMs: 10_000 }]);
    now = 12_000;
    assert.ok(breakers.tryAcquire("p/a", settings));
    breakers.success("p/a");
    assert.deepEqual(seen.at(-1), { key: "p/a", state: "closed", at: 12_000 });
    breakers.success("p/a");
    assert.equal(seen.length, 2, "a success on a closed circuit is no transition");

    assert.equal(breakers.applyRemote({ key: "p/a", state: "open", at: 11_000, cooldownMs: 10_000 }), false, "older than the local close");
    assert.equal(breakers.state("p/a", settings), "closed");
    assert.equal(breakers.applyRemote({ key: "p/a", state: "open", at: 12_500, cooldownMs: 10_000 }), true);
    assert.equal(breakers.state("p/a", settings), "open");
    assert.equal(breakers.remainingMs("p/a", settings), 10_500, "the cooldown runs from the remote opening time");
    assert.equal(seen.length, 2, "remote transitions are not echoed");
    assert.equal(breakers.applyRemote({ key: "p/a", state: "closed", at: 13_000 }), true);
    assert.equal(breakers.state("p/a", settings), "closed");
    stop();
    for (let index = 0; index < 3; index++) breakers.failure("p/b", settings);
    assert.equal(seen.length, 2, "an unsubscribed listener hears nothing");
  });
});

const skip = await redisUnavailable();

describe("circuit breakers shared through Redis", { skip: skip ?? false }, () => {
  async function replica(context: TestContext, prefix: string, clock: { now: number }): Promise<{ breakers: CircuitBreakers; sync: BreakerSync }> {
    const client = await connectTestClient();
    const subscriber = client.duplicate();
    subscriber.on("error", () => {});
    await subscriber.connect();
    const breakers = new CircuitBreakers(() => clock.now);
    const sync = await startBreakerSync(breakers, { client, subscriber, prefix, now: () => clock.now });
    context.after(async () => {
      await sync.stop();
      await deleteKeys(client, prefix);
      await Promise.all([client.close(), subscriber.close()]);
    });
    return { breakers, sync };
  }

  async function eventually(check: () => boolean, what: string): Promise<void> {
    const deadline = performance.now() + 2_000;
    while (!check()) {
      if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  test("failures on one replica open the circuit on the other; a successful trial there closes it here", async (context) => {
    const prefix = uniquePrefix();
    const clock = { now: Date.parse("2025-06-10T12:00:00.000Z") };
    const one = await replica(context, prefix, clock);
    const two = await replica(context, prefix, clock);

    for (let index = 0; index < 3; index++) one.breakers.failure("openai/gpt-4o", settings);
    await eventually(() => two.breakers.state("openai/gpt-4o", settings) === "open", "replica two sees the circuit open");
    assert.equal(two.breakers.tryAcquire("openai/gpt-4o", settings), false);
    assert.equal(two.breakers.remainingMs("openai/gpt-4o", settings), 10_000);
    assert.equal(two.breakers.state("openai/other", settings), "closed", "other targets are untouched");

    clock.now += 10_000;
    assert.ok(two.breakers.tryAcquire("openai/gpt-4o", settings), "half-open: replica two sends the trial");
    two.breakers.success("openai/gpt-4o");
    await eventually(() => one.breakers.state("openai/gpt-4o", settings) === "closed", "replica one sees the circuit closed");
    assert.ok(one.breakers.tryAcquire("openai/gpt-4o", settings));
  });

  test("a replica that starts later loads circuits that are still open, and skips ones whose cooldown ended", async (context) => {
    const prefix = uniquePrefix();
    const clock = { now: Date.parse("2025-06-10T12:00:00.000Z") };
    const one = await replica(context, prefix, clock);
    for (let index = 0; index < 3; index++) one.breakers.failure("p/old", settings);
    clock.now += 8_000;
    for (let index = 0; index < 3; index++) one.breakers.failure("p/new", settings);
    await one.sync.flushed();
    clock.now += 3_000;

    const late = await replica(context, prefix, clock);
    assert.equal(late.breakers.state("p/new", settings), "open", "opened 3 s ago with a 10 s cooldown");
    assert.equal(late.breakers.remainingMs("p/new", settings), 7_000);
    assert.equal(late.breakers.state("p/old", settings), "closed", "its cooldown ended before start-up");
  });

  test("a transition older than the one Redis holds is neither stored nor published", async (context) => {
    const prefix = uniquePrefix();
    const clock = { now: Date.parse("2025-06-10T12:00:00.000Z") };
    const slowClock = { now: clock.now - 5_000 };
    const fast = await replica(context, prefix, clock);
    // A replica that hears nothing, as one whose copy of the newer message is still on its way.
    const client = await connectTestClient();
    context.after(() => client.close());
    const deaf = new CircuitBreakers(() => slowClock.now);
    const deafSync = await startBreakerSync(deaf, { client, subscriber: { subscribe: async () => {}, unsubscribe: async () => {} }, prefix, now: () => slowClock.now });
    context.after(() => deafSync.stop());

    for (let index = 0; index < 3; index++) fast.breakers.failure("p/a", settings);
    await fast.sync.flushed();
    for (let index = 0; index < 3; index++) deaf.failure("p/a", settings);
    deaf.success("p/a");
    await deafSync.flushed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fast.breakers.state("p/a", settings), "open", "the older close was not published");
    const late = await replica(context, prefix, clock);
    assert.equal(late.breakers.state("p/a", settings), "open", "nor stored");
  });

  test("a close that follows a remote open is never dated before it, so it wins even from a slower clock", async (context) => {
    const prefix = uniquePrefix();
    const clock = { now: Date.parse("2025-06-10T12:00:00.000Z") };
    const slowClock = { now: clock.now - 5_000 };
    const fast = await replica(context, prefix, clock);
    const slow = await replica(context, prefix, slowClock);
    for (let index = 0; index < 3; index++) fast.breakers.failure("p/a", settings);
    await eventually(() => slow.breakers.state("p/a", settings) === "open", "the slow replica sees it open");
    // A request that was already in flight on the slow replica succeeds: that closes the circuit.
    slow.breakers.success("p/a");
    await eventually(() => fast.breakers.state("p/a", settings) === "closed", "the fast replica sees it closed");
  });
});

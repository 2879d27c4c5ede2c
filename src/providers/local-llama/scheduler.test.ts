import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { createScheduler, type Lease, type SchedulerOptions } from "./scheduler.ts";

/** A manual clock: timers fire only when the test advances time. */
function fakeClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    timers: {
      setTimeout(callback: () => void, ms: number): unknown {
        const id = nextId++;
        timers.set(id, { at: now + ms, callback });
        return id;
      },
      clearTimeout(handle: unknown): void {
        timers.delete(handle as number);
      },
    },
    advance(ms: number): void {
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Harness {
  clock: ReturnType<typeof fakeClock>;
  loads: string[];
  unloads: string[];
  /** Set to make the next loads of a model fail or wait. */
  failNext: Set<string>;
  gate: Map<string, Promise<void>>;
}

function setup(overrides: Partial<SchedulerOptions<string>> & { sizes?: Record<string, number>; slots?: Record<string, number> } = {}) {
  const clock = fakeClock();
  const harness: Harness = { clock, loads: [], unloads: [], failNext: new Set(), gate: new Map() };
  const sizes = overrides.sizes ?? { a: 100, b: 100, c: 100 };
  const scheduler = createScheduler<string>({
    models: Object.keys(sizes).map((name) => ({ name, slots: overrides.slots?.[name] ?? 1 })),
    async load(name) {
      harness.loads.push(name);
      await harness.gate.get(name);
      if (harness.failNext.delete(name)) throw new Error(`cannot read ${name}.gguf`);
      return `model:${name}`;
    },
    unload(name) {
      harness.unloads.push(name);
    },
    estimateBytes: (name) => sizes[name] ?? 0,
    idleTimeoutMs: 1000,
    maxQueue: 4,
    now: clock.now,
    timers: clock.timers,
    ...overrides,
  });
  return { scheduler, harness, clock };
}

function stateOf(scheduler: ReturnType<typeof setup>["scheduler"], name: string) {
  const status = scheduler.status().find((model) => model.name === name);
  assert.ok(status);
  return status;
}

describe("scheduler", () => {
  test("an unknown model is model_not_found", async () => {
    const { scheduler } = setup();
    await assert.rejects(scheduler.acquire("nope"), (error: unknown) => HearthError.isInstance(error) && error.code === "model_not_found");
  });

  test("concurrent acquirers share one load and get distinct slots", async () => {
    const { scheduler, harness } = setup({ slots: { a: 3 } });
    const leases = await Promise.all([scheduler.acquire("a"), scheduler.acquire("a"), scheduler.acquire("a")]);
    assert.deepEqual(harness.loads, ["a"]);
    assert.deepEqual(leases.map((lease) => lease.slot).sort(), [0, 1, 2]);
    assert.ok(leases.every((lease) => lease.value === "model:a"));
    assert.equal(stateOf(scheduler, "a").activeLeases, 3);
    for (const lease of leases) lease.release();
    assert.equal(stateOf(scheduler, "a").activeLeases, 0);
  });

  test("a failed load rejects every waiter with model_load_failed and is retried next time", async () => {
    const { scheduler, harness } = setup({ slots: { a: 2 } });
    harness.failNext.add("a");
    const results = await Promise.allSettled([scheduler.acquire("a"), scheduler.acquire("a")]);
    assert.equal(harness.loads.length, 1);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      const reason = (result as PromiseRejectedResult).reason;
      assert.ok(HearthError.isInstance(reason) && reason.code === "model_load_failed" && reason.message.includes("cannot read a.gguf"));
    }
    assert.equal(stateOf(scheduler, "a").state, "unloaded");
    const lease = await scheduler.acquire("a");
    assert.equal(harness.loads.length, 2);
    assert.equal(lease.value, "model:a");
    lease.release();
  });

  test("an idle model unloads after idleTimeoutMs and not before", async () => {
    const { scheduler, harness, clock } = setup();
    const lease = await scheduler.acquire("a");
    clock.advance(5000); // time while leased does not count
    assert.deepEqual(harness.unloads, []);
    lease.release();
    clock.advance(999);
    await settle();
    assert.deepEqual(harness.unloads, []);
    assert.equal(stateOf(scheduler, "a").state, "loaded");
    clock.advance(1);
    await settle();
    assert.deepEqual(harness.unloads, ["a"]);
    assert.equal(stateOf(scheduler, "a").state, "unloaded");
  });

  test("activity on other models does not postpone an idle unload", async () => {
    const { scheduler, harness, clock } = setup();
    (await scheduler.acquire("a")).release();
    clock.advance(600);
    (await scheduler.acquire("b")).release();
    clock.advance(400);
    await settle();
    assert.deepEqual(harness.unloads, ["a"]);
  });

  test("a new lease cancels the idle unload", async () => {
    const { scheduler, harness, clock } = setup();
    (await scheduler.acquire("a")).release();
    clock.advance(900);
    const lease = await scheduler.acquire("a");
    clock.advance(5000);
    await settle();
    assert.deepEqual(harness.unloads, []);
    lease.release();
    clock.advance(1000);
    await settle();
    assert.deepEqual(harness.unloads, ["a"]);
    assert.deepEqual(harness.loads, ["a"]);
  });

  test("a full queue answers overloaded with Retry-After, and the queue drains in order", async () => {
    const { scheduler } = setup({ maxQueue: 2, retryAfterSeconds: 3 });
    const first = await scheduler.acquire("a");
    const order: number[] = [];
    const second = scheduler.acquire("a").then((lease) => (order.push(2), lease));
    const third = scheduler.acquire("a").then((lease) => (order.push(3), lease));
    await assert.rejects(scheduler.acquire("a"), (error: unknown) => {
      return HearthError.isInstance(error) && error.code === "overloaded" && error.retryAfterSeconds === 3 && error.status === 503;
    });
    assert.equal(stateOf(scheduler, "a").queued, 2);
    first.release();
    (await second).release();
    (await third).release();
    assert.deepEqual(order, [2, 3]);
  });

  test("maxQueue 0 admits only as many requests as there are slots", async () => {
    const { scheduler } = setup({ maxQueue: 0, slots: { a: 2 } });
    const leases = await Promise.all([scheduler.acquire("a"), scheduler.acquire("a")]);
    await assert.rejects(scheduler.acquire("a"), (error: unknown) => HearthError.isInstance(error) && error.code === "overloaded");
    for (const lease of leases) lease.release();
  });

  test("a waiter whose signal aborts leaves the queue at once", async () => {
    const { scheduler } = setup({ maxQueue: 1 });
    const first = await scheduler.acquire("a");
    const controller = new AbortController();
    const waiting = scheduler.acquire("a", controller.signal);
    assert.equal(stateOf(scheduler, "a").queued, 1);
    controller.abort();
    await assert.rejects(waiting, (error: unknown) => error instanceof Error && error.name === "AbortError");
    assert.equal(stateOf(scheduler, "a").queued, 0);
    // The freed queue place can be used again, and the aborted waiter never receives the slot.
    const next = scheduler.acquire("a");
    first.release();
    const lease = await next;
    assert.equal(lease.slot, 0);
    lease.release();
  });

  test("an already aborted signal is refused without queueing", async () => {
    const { scheduler, harness } = setup();
    await assert.rejects(scheduler.acquire("a", AbortSignal.abort()), (error: unknown) => error instanceof Error && error.name === "AbortError");
    assert.deepEqual(harness.loads, []);
  });

  test("release is idempotent", async () => {
    const { scheduler } = setup({ slots: { a: 2 } });
    const lease = await scheduler.acquire("a");
    lease.release();
    lease.release();
    assert.equal(stateOf(scheduler, "a").activeLeases, 0);
    const leases = await Promise.all([scheduler.acquire("a"), scheduler.acquire("a")]);
    assert.deepEqual(leases.map((l) => l.slot).sort(), [0, 1]);
    for (const l of leases) l.release();
  });

  test("loading past the memory budget evicts the least recently used idle model first", async () => {
    const { scheduler, harness, clock } = setup({ memoryBudgetBytes: 250 });
    const a = await scheduler.acquire("a");
    clock.advance(10);
    const b = await scheduler.acquire("b");
    clock.advance(10);
    b.release(); // b idle since t=20
    clock.advance(10);
    a.release(); // a idle since t=30: a is the more recently used
    clock.advance(10);
    const c = await scheduler.acquire("c");
    assert.deepEqual(harness.unloads, ["b"]);
    assert.equal(stateOf(scheduler, "a").state, "loaded");
    assert.equal(stateOf(scheduler, "c").state, "loaded");
    c.release();
  });

  test("a model that does not fit waits for leases elsewhere to end, then evicts and loads", async () => {
    const { scheduler, harness } = setup({ memoryBudgetBytes: 150 });
    const a = await scheduler.acquire("a");
    let gotB = false;
    const pendingB = scheduler.acquire("b").then((lease) => ((gotB = true), lease));
    await settle();
    assert.equal(gotB, false);
    const statusB = stateOf(scheduler, "b");
    assert.equal(statusB.state, "loading");
    assert.equal(statusB.waitingForMemory, true);
    assert.equal(statusB.queued, 1);
    assert.deepEqual(harness.loads, ["a"]);
    a.release();
    const b = await pendingB;
    assert.deepEqual(harness.unloads, ["a"]);
    assert.deepEqual(harness.loads, ["a", "b"]);
    assert.equal(stateOf(scheduler, "a").state, "unloaded");
    b.release();
  });

  test("a model that waits for memory and then loses all its waiters is not loaded", async () => {
    const { scheduler, harness } = setup({ memoryBudgetBytes: 150 });
    const a = await scheduler.acquire("a");
    const controller = new AbortController();
    const pendingB = scheduler.acquire("b", controller.signal);
    await settle();
    controller.abort();
    await assert.rejects(pendingB);
    a.release();
    await settle();
    assert.deepEqual(harness.loads, ["a"]);
    assert.equal(stateOf(scheduler, "b").state, "unloaded");
    assert.equal(stateOf(scheduler, "a").state, "loaded");
  });

  test("a model larger than the whole budget fails clearly without evicting anything", async () => {
    const { scheduler, harness } = setup({ memoryBudgetBytes: 150, sizes: { a: 100, huge: 400 } });
    (await scheduler.acquire("a")).release();
    await assert.rejects(scheduler.acquire("huge"), (error: unknown) => {
      return HearthError.isInstance(error) && error.code === "model_load_failed" && /memory budget/.test(error.message);
    });
    assert.deepEqual(harness.unloads, []);
    assert.deepEqual(harness.loads, ["a"]);
    assert.equal(stateOf(scheduler, "huge").estimatedBytes, 400);
  });

  test("status reports state, leases, queue, last use and estimate", async () => {
    const { scheduler, harness, clock } = setup({ slots: { a: 1 } });
    let release!: () => void;
    harness.gate.set("a", new Promise((resolve) => (release = resolve)));
    const pending = scheduler.acquire("a");
    await settle();
    assert.equal(stateOf(scheduler, "a").state, "loading");
    assert.equal(stateOf(scheduler, "a").queued, 1);
    clock.advance(7);
    release();
    const lease = await pending;
    const status = stateOf(scheduler, "a");
    assert.equal(status.state, "loaded");
    assert.equal(status.activeLeases, 1);
    assert.equal(status.queued, 0);
    assert.equal(status.lastUsedAt, 7);
    assert.equal(status.estimatedBytes, 100);
    lease.release();
  });

  test("close rejects waiters and unloads every model", async () => {
    const { scheduler, harness } = setup();
    const a = await scheduler.acquire("a");
    (await scheduler.acquire("b")).release();
    const waiting = scheduler.acquire("a");
    assert.equal(stateOf(scheduler, "a").activeLeases, 1); // left active on purpose: close() unloads regardless
    void a;
    await scheduler.close();
    await assert.rejects(waiting, (error: unknown) => HearthError.isInstance(error) && error.code === "overloaded");
    assert.deepEqual([...harness.unloads].sort(), ["a", "b"]);
    assert.ok(scheduler.status().every((model) => model.state === "unloaded"));
    await assert.rejects(scheduler.acquire("a"), (error: unknown) => HearthError.isInstance(error) && error.code === "overloaded");
  });

  test("close waits for a load in flight and unloads it", async () => {
    const { scheduler, harness } = setup();
    let release!: () => void;
    harness.gate.set("a", new Promise((resolve) => (release = resolve)));
    const pending: Promise<Lease<string>> = scheduler.acquire("a");
    await settle();
    const closing = scheduler.close();
    release();
    await closing;
    await assert.rejects(pending);
    assert.deepEqual(harness.unloads, ["a"]);
  });
});

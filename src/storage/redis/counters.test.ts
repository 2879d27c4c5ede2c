import { test } from "node:test";
import assert from "node:assert/strict";
import { describeCounterStore } from "../../core/limits/counters.suite.ts";
import { createLimiter } from "../../core/limits/limiter.ts";
import { createRedisCounterStore } from "./counters.ts";
import { connectTestClient, deleteKeys, redisUnavailable, uniquePrefix, type TestRedisClient } from "./test-server.ts";

const skip = await redisUnavailable();

describeCounterStore(
  "Redis",
  async () => {
    const prefix = uniquePrefix();
    const clients: TestRedisClient[] = [];
    const admin = await connectTestClient();
    return {
      async newStore() {
        const client = await connectTestClient();
        clients.push(client);
        return createRedisCounterStore({ client, prefix });
      },
      forget: () => deleteKeys(admin, prefix),
      async close() {
        await deleteKeys(admin, prefix);
        await Promise.all([admin, ...clients].map((client) => client.close()));
      },
    };
  },
  { skip },
);

test("Redis counters live under the configured prefix and expire", { skip: skip ?? false }, async (context) => {
  const prefix = uniquePrefix();
  const client = await connectTestClient();
  context.after(async () => {
    await deleteKeys(client, prefix);
    await client.close();
  });
  const limiter = createLimiter({ counters: createRedisCounterStore({ client, prefix }), clock: () => Date.parse("2025-06-10T12:00:00.000Z") });
  const result = await limiter.admit({
    subjects: [{ kind: "team", id: "r&d:west", rpm: 5, tpm: 500, budget: { day: 1, month: 10 } }],
    estimatedTokens: 10,
    estimatedCostUsd: 0.01,
  });
  assert.ok(result.ok);
  const keys = ((await client.sendCommand(["KEYS", `${prefix}*`])) as string[]).sort();
  assert.deepEqual(keys, [
    `${prefix}limits:team:r%26d%3Awest:day:2025-06-10`,
    `${prefix}limits:team:r%26d%3Awest:month:2025-06`,
    `${prefix}limits:team:r%26d%3Awest:rpm`,
    `${prefix}limits:team:r%26d%3Awest:tpm`,
  ]);
  for (const key of keys) {
    const ttl = (await client.sendCommand(["PTTL", key])) as number;
    assert.ok(ttl > 0, `${key} has a TTL`);
  }
  assert.ok(((await client.sendCommand(["PTTL", `${prefix}limits:team:r%26d%3Awest:rpm`])) as number) <= 62_000, "window keys outlive the window by two buckets at most");
  assert.equal(await client.sendCommand(["HGET", `${prefix}limits:team:r%26d%3Awest:day:2025-06-10`, "s"]), "10000", "money is integer micro-dollars");
});

test("an unreachable Redis fails budgets closed and rate limits open", { skip: skip ?? false }, async () => {
  const { createClient } = await import("redis");
  // A client that is not connected rejects every command at once (no offline queue).
  const client = createClient({ url: "redis://127.0.0.1:1", disableOfflineQueue: true });
  const limiter = createLimiter({ counters: createRedisCounterStore({ client }), timeoutMs: 500 });
  const budget = await limiter.admit({ subjects: [{ kind: "team", id: "t", budget: { day: 1 } }], estimatedTokens: 1, estimatedCostUsd: 0.01 });
  assert.equal(budget.ok, false);
  if (!budget.ok) {
    assert.equal(budget.code, "overloaded");
    assert.equal(budget.limit, "unavailable");
  }
  const rate = await limiter.admit({ subjects: [{ kind: "key", id: "k", rpm: 1 }], estimatedTokens: 1, estimatedCostUsd: 0.01 });
  assert.ok(rate.ok && rate.reservation.degraded);
});

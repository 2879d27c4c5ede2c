import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiKeyRecord, KeyStore } from "../core/keys/types.ts";
import type { UsageRecord, UsageStore } from "../core/usage/types.ts";

/**
 * One test suite for the key and usage stores, run against every adapter (SQLite and
 * PostgreSQL), so both keep the same contract. `open` gives a fresh, empty store set.
 */
export interface AccountingStores {
  keys: KeyStore;
  usage: UsageStore;
  close(): Promise<void>;
}

const day = Date.UTC(2026, 10, 22, 12);

function key(overrides: Partial<ApiKeyRecord> = {}): Omit<ApiKeyRecord, "revokedAt"> {
  return {
    id: "key_1",
    name: "alice",
    team: "research",
    role: "user",
    digest: "a".repeat(64),
    prefix: "hk_abcd",
    createdAt: day,
    expiresAt: null,
    models: ["gpt", "claude-*"],
    localities: ["third-party"],
    limits: { rpm: 60, tpm: 10_000, budgetDay: 5, budgetMonth: 100.5 },
    ...overrides,
  };
}

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time: day,
    key: "alice",
    team: "research",
    model: "gpt",
    provider: "openai",
    locality: "third-party",
    endpoint: "chat.completions",
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.25,
    priced: true,
    error: false,
    ...overrides,
  };
}

export function registerAccountingStoreTests(adapter: string, open: () => Promise<AccountingStores>): void {
  test(`${adapter} keys: insert, find by digest, list newest first, every field round-trips`, async () => {
    const stores = await open();
    try {
      assert.equal(await stores.keys.insert(key()), "inserted");
      assert.equal(await stores.keys.insert(key({ id: "key_2", name: "bob", digest: "b".repeat(64), createdAt: day + 1, team: null, models: null, localities: null, limits: {} })), "inserted");
      const found = await stores.keys.findByDigest("a".repeat(64));
      assert.deepEqual(found, { ...key(), revokedAt: null });
      assert.equal(await stores.keys.findByDigest("c".repeat(64)), undefined);
      const list = await stores.keys.list();
      assert.deepEqual(
        list.map((record) => record.name),
        ["bob", "alice"],
      );
      assert.deepEqual(list[0]?.limits, { rpm: undefined, tpm: undefined, budgetDay: undefined, budgetMonth: undefined });
      assert.equal(await stores.keys.countActive(), 2);
    } finally {
      await stores.close();
    }
  });

  test(`${adapter} keys: a taken name is refused and nothing is stored; revoke by id or name keeps the first time`, async () => {
    const stores = await open();
    try {
      await stores.keys.insert(key());
      assert.equal(await stores.keys.insert(key({ id: "key_9", digest: "9".repeat(64) })), "name_taken");
      assert.equal((await stores.keys.list()).length, 1);
      const revoked = await stores.keys.revoke("alice", day + 10);
      assert.equal(revoked?.revokedAt, day + 10);
      const again = await stores.keys.revoke("key_1", day + 20);
      assert.equal(again?.revokedAt, day + 10, "revoking twice keeps the first time");
      assert.equal(await stores.keys.revoke("nobody", day), undefined);
      assert.equal(await stores.keys.countActive(), 0);
      assert.equal((await stores.keys.findByDigest("a".repeat(64)))?.revokedAt, day + 10);
    } finally {
      await stores.close();
    }
  });

  test(`${adapter} usage: roll-ups add up per day and dimension; grouping and filters; pending records count for spent()`, async () => {
    const stores = await open();
    try {
      stores.usage.record(usage());
      stores.usage.record(usage({ costUsd: 0.5, inputTokens: 1 }));
      stores.usage.record(usage({ key: "bob", team: "ops", model: "local", provider: "local-llama", locality: "in-process", costUsd: 0, priced: false }));
      stores.usage.record(usage({ time: day + 86_400_000, endpoint: "embeddings", costUsd: 1, error: true }));
      stores.usage.record(usage({ key: null, team: null, costUsd: 0.125 }));
      // Queued records already count towards budgets.
      assert.equal(await stores.usage.spent({ team: "research" }, Date.UTC(2026, 10, 1)), 1.75);
      await stores.usage.flush();
      assert.equal(await stores.usage.spent({ key: "alice" }, Date.UTC(2026, 10, 1)), 1.75);
      assert.equal(await stores.usage.spent({ key: "alice" }, Date.UTC(2026, 10, 23)), 1, "since the next day");
      assert.equal(await stores.usage.spent({ team: "ops" }, Date.UTC(2026, 10, 1)), 0);

      const [total] = await stores.usage.summary();
      assert.deepEqual(total, { group: {}, requests: 5, errors: 1, inputTokens: 41, outputTokens: 25, costUsd: 1.875, unpriced: 1 });

      const byKeyDay = await stores.usage.summary({ groupBy: ["day", "key"] });
      assert.deepEqual(
        byKeyDay.map((row) => [row.group.day, row.group.key, row.requests, row.costUsd]),
        [
          ["2026-11-22", "", 1, 0.125],
          ["2026-11-22", "alice", 2, 0.75],
          ["2026-11-22", "bob", 1, 0],
          ["2026-11-23", "alice", 1, 1],
        ],
      );
      const teamOnly = await stores.usage.summary({ team: "research", groupBy: ["endpoint"] });
      assert.deepEqual(
        teamOnly.map((row) => [row.group.endpoint, row.requests]),
        [
          ["chat.completions", 2],
          ["embeddings", 1],
        ],
      );
      const window = await stores.usage.summary({ since: day + 86_400_000, until: day + 2 * 86_400_000 });
      assert.equal(window[0]?.requests, 1);
      // More records for an existing bucket add to it (another replica, a later flush).
      stores.usage.record(usage());
      await stores.usage.flush();
      const [after] = await stores.usage.summary({ key: "alice", since: day, until: day + 1 });
      assert.equal(after?.requests, 3);
      assert.equal(after?.costUsd, 1);
    } finally {
      await stores.close();
    }
  });
}

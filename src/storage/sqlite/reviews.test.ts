import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { openSqliteStorage } from "./open.ts";
import { fingerprint, input, registerReviewStoreTests, start } from "../review-store.suite.ts";
import type { ReviewStore, Storage } from "../types.ts";

function freshPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hearth-reviews-")), "hearth.db");
}

async function open(file: string): Promise<{ storage: Storage; reviews: ReviewStore }> {
  const storage = await openSqliteStorage(file);
  assert.ok(storage.reviews, "SQLite storage offers a review queue");
  return { storage, reviews: storage.reviews };
}

describe("SQLite review store", () => {
  registerReviewStoreTests("SQLite", async () => {
    const { storage, reviews } = await open(freshPath());
    return { reviews, close: () => storage.close() };
  });

  test("two connections deciding the same item one after the other: exactly one wins", async () => {
    const file = freshPath();
    const one = await open(file);
    const two = await open(file);
    try {
      for (let round = 0; round < 20; round++) {
        const item = await one.reviews.create(input({ fingerprint: fingerprint(`round-${round}`) }));
        const results = await Promise.all([
          one.reviews.decide(item.id, "approved", "alice", null, start + 1),
          two.reviews.decide(item.id, "denied", "bob", null, start + 1),
          one.reviews.decide(item.id, "denied", "carol", null, start + 1),
        ]);
        const winners = results.filter((result) => result.outcome === "decided");
        assert.equal(winners.length, 1, `round ${round}: one decision wins`);
        const stored = await two.reviews.get(item.id, start + 2);
        const winner = winners[0];
        assert.equal(winner?.outcome === "decided" && winner.item.status, stored?.status);
        assert.equal(winner?.outcome === "decided" && winner.item.decidedBy, stored?.decidedBy);
      }
    } finally {
      await one.storage.close();
      await two.storage.close();
    }
  });

  test("two threads racing to decide the same items: each item has exactly one winner", async () => {
    const file = freshPath();
    const { storage, reviews } = await open(file);
    const ids: string[] = [];
    try {
      for (let index = 0; index < 200; index++) ids.push((await reviews.create(input({ fingerprint: fingerprint(`race-${index}`) }))).id);
    } finally {
      await storage.close();
    }
    // Each worker opens its own connection and decides every item as fast as it can.
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.module).then(async ({ openSqliteStorage }) => {
        const storage = await openSqliteStorage(workerData.file);
        parentPort.postMessage("ready");
        await new Promise((resolve) => parentPort.once("message", resolve));
        const won = [];
        for (const id of workerData.ids) {
          const result = await storage.reviews.decide(id, workerData.decision, workerData.decision, null, workerData.now);
          if (result.outcome === "decided") won.push(id);
        }
        await storage.close();
        parentPort.postMessage(won);
      });
    `;
    const module = new URL("./open.ts", import.meta.url).href;
    const workers = (["approved", "denied"] as const).map(
      (decision) => new Worker(source, { eval: true, workerData: { module, file, ids, decision, now: start + 1 } }),
    );
    await Promise.all(workers.map((worker) => once(worker, "message")));
    const results = workers.map((worker) => once(worker, "message").then(([won]) => won as string[]));
    for (const worker of workers) worker.postMessage("go");
    const [approvedWins, deniedWins] = await Promise.all(results);
    assert.ok(approvedWins && deniedWins);
    assert.equal(approvedWins.length + deniedWins.length, ids.length, "every item decided exactly once");
    assert.deepEqual([...new Set([...approvedWins, ...deniedWins])].sort(), [...ids].sort());

    const check = await open(file);
    try {
      const approved = new Set(approvedWins);
      for (const id of ids) assert.equal((await check.reviews.get(id, start + 2))?.status, approved.has(id) ? "approved" : "denied");
    } finally {
      await check.storage.close();
    }
  });

  test("a pending item survives closing and reopening the database file, and can be decided afterwards", async () => {
    const file = freshPath();
    const before = await open(file);
    const item = await before.reviews.create(input({ expiresAt: Date.now() + 60_000, createdAt: Date.now() }));
    await before.storage.close();

    const after = await open(file);
    try {
      const pending = await after.reviews.list({ status: "pending" }, Date.now());
      assert.deepEqual(pending.map((found) => [found.id, found.preview, found.reasons]), [[item.id, item.preview, item.reasons]]);
      const decided = await after.reviews.decide(item.id, "approved", "alice", null, Date.now());
      assert.equal(decided.outcome, "decided");
    } finally {
      await after.storage.close();
    }
  });

  test("using the store after close is a storage_closed error", async () => {
    const { storage, reviews } = await open(freshPath());
    await storage.close();
    await assert.rejects(reviews.get("x", start), (error: unknown) => (error as { code?: string }).code === "storage_closed");
  });
});

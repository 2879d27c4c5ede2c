import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { openSqliteStorage } from "./open.ts";
import type { ReviewInput, ReviewStore, Storage } from "../types.ts";

const start = 1_800_000_000_000;

function freshPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hearth-reviews-")), "hearth.db");
}

function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function input(overrides: Partial<ReviewInput> = {}): ReviewInput {
  return {
    createdAt: start,
    expiresAt: start + 60_000,
    kind: "request",
    fingerprint: fingerprint("request-1"),
    keyId: "key-1",
    model: "gpt-remote",
    route: null,
    rule: "pii-to-third-party",
    reasons: ["email", "iban"],
    preview: "Send the invoice to [EMAIL] for [IBAN]",
    ...overrides,
  };
}

async function open(file: string): Promise<{ storage: Storage; reviews: ReviewStore }> {
  const storage = await openSqliteStorage(file);
  assert.ok(storage.reviews, "SQLite storage offers a review queue");
  return { storage, reviews: storage.reviews };
}

describe("SQLite review store", () => {
  test("create stores a pending item with a time-ordered id and reads back every field", async () => {
    const { storage, reviews } = await open(freshPath());
    try {
      const created = await reviews.create(input({ kind: "tool_call", route: "smart", keyId: null }));
      assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(created.status, "pending");
      const read = await reviews.get(created.id, start + 1);
      assert.deepEqual(read, {
        ...input({ kind: "tool_call", route: "smart", keyId: null }),
        id: created.id,
        status: "pending",
        decidedAt: null,
        decidedBy: null,
        note: null,
      });
      assert.equal(await reviews.get("no-such-id", start), undefined);
    } finally {
      await storage.close();
    }
  });

  test("list filters by status, newest first, and honours the limit", async () => {
    const { storage, reviews } = await open(freshPath());
    try {
      const first = await reviews.create(input({ createdAt: start, fingerprint: fingerprint("a") }));
      const second = await reviews.create(input({ createdAt: start + 10, fingerprint: fingerprint("b") }));
      const third = await reviews.create(input({ createdAt: start + 20, fingerprint: fingerprint("c") }));
      const shortLived = await reviews.create(input({ createdAt: start + 30, expiresAt: start + 100, fingerprint: fingerprint("d") }));
      await reviews.decide(second.id, "approved", "alice", null, start + 50);
      await reviews.decide(third.id, "denied", "bob", "not allowed", start + 50);

      const now = start + 1_000;
      assert.deepEqual((await reviews.list({}, now)).map((item) => item.id), [shortLived.id, third.id, second.id, first.id]);
      assert.deepEqual((await reviews.list({ status: "pending" }, now)).map((item) => item.id), [first.id]);
      assert.deepEqual((await reviews.list({ status: "approved" }, now)).map((item) => item.id), [second.id]);
      assert.deepEqual((await reviews.list({ status: "denied" }, now)).map((item) => item.id), [third.id]);
      assert.deepEqual((await reviews.list({ status: "expired" }, now)).map((item) => [item.id, item.status]), [[shortLived.id, "expired"]]);
      assert.deepEqual((await reviews.list({ limit: 2 }, now)).map((item) => item.id), [shortLived.id, third.id]);
      assert.deepEqual(await reviews.list({ limit: 0 }, now), []);
    } finally {
      await storage.close();
    }
  });

  test("decide records who and why; a second decision is a conflict that leaves the first standing", async () => {
    const { storage, reviews } = await open(freshPath());
    try {
      const item = await reviews.create(input());
      const approved = await reviews.decide(item.id, "approved", "alice", "ok for this customer", start + 5);
      assert.equal(approved.outcome, "decided");
      assert.equal(approved.outcome === "decided" && approved.item.status, "approved");

      const again = await reviews.decide(item.id, "denied", "bob", null, start + 6);
      assert.equal(again.outcome, "conflict");
      assert.equal(again.outcome === "conflict" && again.item.status, "approved");

      const read = await reviews.get(item.id, start + 7);
      assert.equal(read?.status, "approved");
      assert.equal(read?.decidedAt, start + 5);
      assert.equal(read?.decidedBy, "alice");
      assert.equal(read?.note, "ok for this customer");

      assert.deepEqual(await reviews.decide("no-such-id", "approved", "alice", null, start), { outcome: "not_found" });
    } finally {
      await storage.close();
    }
  });

  test("an item past its expiry reads as expired, cannot be decided, and the sweep writes it down", async () => {
    const { storage, reviews } = await open(freshPath());
    try {
      const item = await reviews.create(input({ expiresAt: start + 100 }));
      assert.equal((await reviews.get(item.id, start + 99))?.status, "pending");
      assert.equal((await reviews.get(item.id, start + 100))?.status, "expired");

      const late = await reviews.decide(item.id, "approved", "alice", null, start + 100);
      assert.equal(late.outcome, "conflict");
      assert.equal(late.outcome === "conflict" && late.item.status, "expired");

      assert.equal(await reviews.expire(start + 100), 1);
      assert.equal(await reviews.expire(start + 100), 0);
      // Written down: it stays expired even when read with an earlier clock.
      const read = await reviews.get(item.id, start);
      assert.equal(read?.status, "expired");
      assert.equal(read?.decidedAt, null);
    } finally {
      await storage.close();
    }
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

  test("findApproved honours the grace period; findPending skips expired and decided items", async () => {
    const { storage, reviews } = await open(freshPath());
    try {
      const print = fingerprint("retry-me");
      const older = await reviews.create(input({ fingerprint: print, createdAt: start, expiresAt: start + 100 }));
      assert.equal((await reviews.findPending(print, start + 50))?.id, older.id);
      assert.equal(await reviews.findPending(print, start + 100), undefined);
      assert.equal(await reviews.findApproved(print, start + 50, 1_000), undefined);

      const newer = await reviews.create(input({ fingerprint: print, createdAt: start + 200, expiresAt: start + 300 }));
      await reviews.decide(newer.id, "approved", "alice", null, start + 250);
      assert.equal(await reviews.findPending(print, start + 250), undefined);
      assert.equal((await reviews.findApproved(print, start + 1_299, 1_000))?.id, newer.id);
      assert.equal(await reviews.findApproved(print, start + 1_300, 1_000), undefined);
      assert.equal(await reviews.findApproved(fingerprint("other"), start + 250, 1_000), undefined);

      const denied = await reviews.create(input({ fingerprint: fingerprint("denied"), createdAt: start, expiresAt: start + 300 }));
      await reviews.decide(denied.id, "denied", "bob", null, start + 10);
      assert.equal(await reviews.findApproved(fingerprint("denied"), start + 20, 1_000), undefined);
    } finally {
      await storage.close();
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

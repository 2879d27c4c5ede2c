import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteStorage } from "../../storage/sqlite/open.ts";
import type { Storage } from "../../storage/types.ts";
import { HearthError } from "../../spec/errors.ts";
import { createReviewService, type ReviewServiceOptions, type ReviewSubmission } from "./service.ts";
import type { ReviewStore } from "./types.ts";

function freshPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hearth-review-service-")), "hearth.db");
}

function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function submission(overrides: Partial<ReviewSubmission> = {}): ReviewSubmission {
  return {
    kind: "request",
    fingerprint: fingerprint("request"),
    keyId: "key-1",
    model: "gpt-remote",
    route: null,
    rule: "secrets-need-review",
    reasons: ["aws_access_key"],
    preview: "deploy with [AWS_ACCESS_KEY]",
    ...overrides,
  };
}

async function openStore(file = freshPath()): Promise<{ storage: Storage; store: ReviewStore; file: string }> {
  const storage = await openSqliteStorage(file);
  assert.ok(storage.reviews);
  return { storage, store: storage.reviews, file };
}

/** A service with background timers far away unless a test asks for them. */
function service(store: ReviewStore, options: Partial<ReviewServiceOptions> = {}) {
  return createReviewService({ store, pollIntervalMs: 60_000, sweepIntervalMs: 0, ...options });
}

describe("review service", () => {
  test("a decision made through the service wakes the waiter at once, without waiting for a poll", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const { id, reused } = await reviews.submit(submission());
      assert.equal(reused, false);
      const started = performance.now();
      const waiting = reviews.wait(id, { timeoutMs: 10_000 });
      setTimeout(() => void reviews.decide(id, "approved", "alice", "fine"), 20);
      assert.equal(await waiting, "approved");
      assert.ok(performance.now() - started < 1_000, "woken well before the 60 s poll");
      const item = await reviews.get(id);
      assert.equal(item?.decidedBy, "alice");
      assert.equal(item?.note, "fine");
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("every waiter on the same item hears a denial", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const { id } = await reviews.submit(submission());
      const waits = [reviews.wait(id), reviews.wait(id), reviews.wait(id)];
      await reviews.decide(id, "denied", "bob");
      assert.deepEqual(await Promise.all(waits), ["denied", "denied", "denied"]);
      // An item already decided answers at once.
      assert.equal(await reviews.wait(id), "denied");
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("a wait that runs out of time answers expired and leaves the item open for a later approval", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const { id } = await reviews.submit(submission());
      assert.equal(await reviews.wait(id, { timeoutMs: 30 }), "expired");
      assert.equal((await reviews.get(id))?.status, "pending");
      assert.equal((await reviews.decide(id, "approved", "alice")).outcome, "decided");
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("a wait ends at the item's own expiry, which then refuses a decision", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const { id } = await reviews.submit(submission({ ttlMs: 40 }));
      assert.equal(await reviews.wait(id, { timeoutMs: 10_000 }), "expired");
      assert.equal((await reviews.get(id))?.status, "expired");
      const late = await reviews.decide(id, "approved", "alice");
      assert.equal(late.outcome, "conflict");
      assert.equal(await reviews.sweep(), 1);
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("aborting the signal rejects the wait with its reason, and a later decision still works", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const { id } = await reviews.submit(submission());
      const controller = new AbortController();
      const waiting = reviews.wait(id, { timeoutMs: 10_000, signal: controller.signal });
      const reason = new HearthError("aborted", "The client closed the connection.");
      setTimeout(() => controller.abort(reason), 10);
      await assert.rejects(waiting, (error) => error === reason);
      await assert.rejects(reviews.wait(id, { signal: controller.signal }), (error) => error === reason);
      assert.equal((await reviews.decide(id, "approved", "alice")).outcome, "decided");
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("a decision written by another connection to the same file is picked up by the poll", async () => {
    const { storage, store, file } = await openStore();
    const other = await openStore(file);
    const reviews = service(store, { pollIntervalMs: 25 });
    try {
      const { id } = await reviews.submit(submission());
      const started = performance.now();
      const waiting = reviews.wait(id, { timeoutMs: 5_000 });
      setTimeout(() => void other.store.decide(id, "denied", "cli", "no", Date.now()), 30);
      assert.equal(await waiting, "denied");
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1_000, `picked up in ${elapsed.toFixed(0)} ms`);
    } finally {
      reviews.close();
      await other.storage.close();
      await storage.close();
    }
  });

  test("an identical request still pending reuses the open review instead of opening a second", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      const first = await reviews.submit(submission());
      const again = await reviews.submit(submission());
      assert.deepEqual(again, { id: first.id, reused: true });
      const together = await Promise.all([1, 2, 3].map(() => reviews.submit(submission({ fingerprint: fingerprint("arriving together") }))));
      assert.equal(new Set(together.map((result) => result.id)).size, 1, "three identical requests at once share one review");
      assert.deepEqual(together.map((result) => result.reused), [false, true, true]);
      const other = await reviews.submit(submission({ fingerprint: fingerprint("other request") }));
      assert.notEqual(other.id, first.id);
      assert.equal((await reviews.list({ status: "pending" })).length, 3);
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("approvedFor serves an identical retry until the approval's grace period ends", async () => {
    const { storage, store } = await openStore();
    let now = 1_800_000_000_000;
    const reviews = service(store, { clock: () => now, ttlMs: 1_000, approvalGraceMs: 5_000 });
    try {
      const print = fingerprint("retry");
      const { id } = await reviews.submit(submission({ fingerprint: print }));
      assert.equal(await reviews.approvedFor(print), undefined, "pending is not approved");
      now += 500;
      await reviews.decide(id, "approved", "alice");
      assert.equal((await reviews.approvedFor(print))?.id, id);
      assert.equal(await reviews.approvedFor(fingerprint("different")), undefined);
      now += 500 + 4_999;
      assert.equal((await reviews.approvedFor(print))?.id, id, "still inside expiresAt + grace");
      now += 1;
      assert.equal(await reviews.approvedFor(print), undefined, "grace over");
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("across a restart: the pending item is found again, a retry attaches to it, and its approval serves the retry", async () => {
    const file = freshPath();
    const before = await openStore(file);
    const first = service(before.store);
    const print = fingerprint("survives");
    const { id } = await first.submit(submission({ fingerprint: print }));
    const cut = first.wait(id, { timeoutMs: 10_000 });
    first.close();
    await assert.rejects(cut, (error) => HearthError.isInstance(error) && error.code === "overloaded" && error.retryable);
    await before.storage.close();

    const after = await openStore(file);
    const second = service(after.store);
    try {
      assert.deepEqual((await second.list({ status: "pending" })).map((item) => item.id), [id]);
      assert.deepEqual(await second.submit(submission({ fingerprint: print })), { id, reused: true });
      const waiting = second.wait(id);
      await second.decide(id, "approved", "alice");
      assert.equal(await waiting, "approved");
      assert.equal((await second.approvedFor(print))?.id, id);
    } finally {
      second.close();
      await after.storage.close();
    }
  });

  test("an unknown id is a not_found rejection; a bad fingerprint is refused; long previews are clipped", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store);
    try {
      await assert.rejects(reviews.wait("no-such-id"), (error) => HearthError.isInstance(error) && error.code === "not_found");
      await assert.rejects(reviews.submit(submission({ fingerprint: "not-a-digest" })), TypeError);
      const { id } = await reviews.submit(submission({ preview: "x".repeat(10_000), reasons: Array.from({ length: 50 }, (_, index) => `reason-${index}`) }));
      const item = await reviews.get(id);
      assert.equal(item?.preview.length, 4_000);
      assert.ok(item?.preview.endsWith("…"));
      assert.equal(item?.reasons.length, 32);
    } finally {
      reviews.close();
      await storage.close();
    }
  });

  test("the sweep timer writes expired items down on its own", async () => {
    const { storage, store } = await openStore();
    const reviews = service(store, { sweepIntervalMs: 20 });
    try {
      const { id } = await reviews.submit(submission({ ttlMs: 10 }));
      await new Promise((resolve) => setTimeout(resolve, 80));
      // Read with a clock before the expiry: only a written-down expiry shows.
      assert.equal((await store.get(id, 0))?.status, "expired");
    } finally {
      reviews.close();
      await storage.close();
    }
  });
});

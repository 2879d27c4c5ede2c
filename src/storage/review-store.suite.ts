import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ReviewInput, ReviewStore } from "../core/review/types.ts";

/**
 * The review store's contract, run against every adapter (SQLite and PostgreSQL). `open` gives a
 * fresh, empty store. Adapter-specific behaviour (concurrent connections, reopening a file) is
 * tested beside each adapter.
 */
export const start = 1_800_000_000_000;

export function fingerprint(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A review input with test defaults. */
export function input(overrides: Partial<ReviewInput> = {}): ReviewInput {
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

export function registerReviewStoreTests(adapter: string, open: () => Promise<{ reviews: ReviewStore; close(): Promise<void> }>): void {
  test(`${adapter} create stores a pending item with a time-ordered id and reads back every field`, async () => {
    const { reviews, close } = await open();
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
      await close();
    }
  });

  test(`${adapter} list filters by status, newest first, and honours the limit`, async () => {
    const { reviews, close } = await open();
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
      await close();
    }
  });

  test(`${adapter} decide records who and why; a second decision is a conflict that leaves the first standing`, async () => {
    const { reviews, close } = await open();
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
      await close();
    }
  });

  test(`${adapter} an item past its expiry reads as expired, cannot be decided, and the sweep writes it down`, async () => {
    const { reviews, close } = await open();
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
      await close();
    }
  });

  test(`${adapter} findApproved honours the grace period; findPending skips expired and decided items`, async () => {
    const { reviews, close } = await open();
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
      await close();
    }
  });

}

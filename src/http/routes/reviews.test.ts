import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { createReviewService, type ReviewService, type ReviewSubmission } from "../../core/review/service.ts";
import { openSqliteStorage } from "../../storage/sqlite/open.ts";
import type { Environment } from "../kit.ts";
import { mountReviewRoutes } from "./reviews.ts";

function submission(text: string, overrides: Partial<ReviewSubmission> = {}): ReviewSubmission {
  return {
    kind: "request",
    fingerprint: createHash("sha256").update(text).digest("hex"),
    keyId: "key-1",
    model: "gpt-remote",
    route: "smart",
    rule: "pii-to-third-party",
    reasons: ["email"],
    preview: `about ${text}: write to [EMAIL]`,
    ...overrides,
  };
}

/** A bare app with the routes mounted; `caller` stands in for what createApp's key check sets. */
async function setup(caller?: { key: string }): Promise<{ app: Hono<Environment>; reviews: ReviewService; close(): Promise<void> }> {
  const storage = await openSqliteStorage(":memory:");
  assert.ok(storage.reviews);
  const reviews = createReviewService({ store: storage.reviews, pollIntervalMs: 60_000, sweepIntervalMs: 0 });
  const app = new Hono<Environment>();
  app.use("*", async (context, next) => {
    context.set("requestId", "req-test");
    context.set("caller", caller);
    await next();
  });
  mountReviewRoutes(app, { reviews });
  return {
    app,
    reviews,
    async close() {
      reviews.close();
      await storage.close();
    },
  };
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

function post(app: Hono<Environment>, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(
    app.request(path, { method: "POST", ...(body === undefined ? {} : { body, headers: { "content-type": "application/json", ...headers } }) }),
  );
}

describe("review routes", () => {
  test("GET /v1/hearth/reviews lists items newest first, filtered by status, as review objects", async () => {
    const { app, reviews, close } = await setup();
    try {
      const empty = await app.request("/v1/hearth/reviews");
      assert.equal(empty.status, 200);
      assert.deepEqual(await empty.json(), { object: "list", data: [] });

      const first = await reviews.submit(submission("first"));
      await new Promise((resolve) => setTimeout(resolve, 2));
      const second = await reviews.submit(submission("second"));
      await reviews.decide(first.id, "denied", "bob", "no");

      const all = (await (await app.request("/v1/hearth/reviews")).json()) as { data: Array<Record<string, unknown>> };
      assert.deepEqual(all.data.map((item) => [item.id, item.status]), [[second.id, "pending"], [first.id, "denied"]]);
      const shown = all.data[0] ?? {};
      assert.equal(shown.object, "hearth.review");
      assert.equal(shown.preview, "about second: write to [EMAIL]");
      assert.deepEqual(shown.reasons, ["email"]);
      assert.equal(shown.route, "smart");
      assert.equal(typeof shown.created_at, "number");
      assert.ok((shown.expires_at as number) > (shown.created_at as number));
      assert.equal("fingerprint" in shown, false, "the request hash is not shown");

      const pending = (await (await app.request("/v1/hearth/reviews?status=pending")).json()) as { data: Array<{ id: string }> };
      assert.deepEqual(pending.data.map((item) => item.id), [second.id]);
      const limited = (await (await app.request("/v1/hearth/reviews?limit=1&status=all")).json()) as { data: Array<{ id: string }> };
      assert.deepEqual(limited.data.map((item) => item.id), [second.id]);
    } finally {
      await close();
    }
  });

  test("a bad status or limit is a 400 naming the parameter", async () => {
    const { app, close } = await setup();
    try {
      for (const [query, param] of [["status=done", "status"], ["limit=0", "limit"], ["limit=abc", "limit"], ["limit=5000", "limit"]] as const) {
        const response = await app.request(`/v1/hearth/reviews?${query}`);
        assert.equal(response.status, 400, query);
        const body = (await response.json()) as ErrorBody;
        assert.equal(body.error.type, "invalid_request_error");
        assert.equal(body.error.param, param);
      }
    } finally {
      await close();
    }
  });

  test("GET /v1/hearth/reviews/:id returns one item; an unknown id is a 404 in OpenAI's error shape", async () => {
    const { app, reviews, close } = await setup();
    try {
      const { id } = await reviews.submit(submission("one", { kind: "tool_call" }));
      const found = await app.request(`/v1/hearth/reviews/${id}`);
      assert.equal(found.status, 200);
      const item = (await found.json()) as Record<string, unknown>;
      assert.equal(item.id, id);
      assert.equal(item.kind, "tool_call");
      assert.equal(item.decided_at, null);

      const missing = await app.request("/v1/hearth/reviews/nope");
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get("x-request-id"), "req-test");
      const body = (await missing.json()) as ErrorBody;
      assert.equal(body.error.code, "not_found");
      assert.equal(body.error.type, "not_found_error");
      assert.match(body.error.message, /nope/);
    } finally {
      await close();
    }
  });

  test("approve records the reviewer and note, wakes the waiting request, and a second decision is a 409", async () => {
    const { app, reviews, close } = await setup();
    try {
      const { id } = await reviews.submit(submission("approve me"));
      const waiting = reviews.wait(id, { timeoutMs: 5_000 });
      const approved = await post(app, `/v1/hearth/reviews/${id}/approve`, JSON.stringify({ note: "customer consented", by: "alice" }));
      assert.equal(approved.status, 200);
      const item = (await approved.json()) as Record<string, unknown>;
      assert.equal(item.status, "approved");
      assert.equal(item.decided_by, "alice");
      assert.equal(item.note, "customer consented");
      assert.equal(typeof item.decided_at, "number");
      assert.equal(await waiting, "approved");

      for (const action of ["deny", "approve"]) {
        const again = await post(app, `/v1/hearth/reviews/${id}/${action}`);
        assert.equal(again.status, 409, action);
        const body = (await again.json()) as ErrorBody;
        assert.equal(body.error.code, "conflict");
        assert.match(body.error.message, /already approved by alice/);
      }
      assert.equal((await reviews.get(id))?.status, "approved");
    } finally {
      await close();
    }
  });

  test("the decision is recorded against the caller's API key, beside any name the reviewer gave", async () => {
    const { app, reviews, close } = await setup({ key: "ops-key" });
    try {
      const named = await reviews.submit(submission("named"));
      const response = await post(app, `/v1/hearth/reviews/${named.id}/approve`, JSON.stringify({ by: "alice" }));
      assert.equal(((await response.json()) as Record<string, unknown>).decided_by, "alice (key ops-key)");
      const anonymous = await reviews.submit(submission("anonymous"));
      const bare = await post(app, `/v1/hearth/reviews/${anonymous.id}/deny`);
      assert.equal(((await bare.json()) as Record<string, unknown>).decided_by, "ops-key");
    } finally {
      await close();
    }
  });

  test("deny without a body is recorded as decided by the API with no note", async () => {
    const { app, reviews, close } = await setup();
    try {
      const { id } = await reviews.submit(submission("deny me"));
      const denied = await post(app, `/v1/hearth/reviews/${id}/deny`);
      assert.equal(denied.status, 200);
      const item = (await denied.json()) as Record<string, unknown>;
      assert.deepEqual([item.status, item.decided_by, item.note], ["denied", "api", null]);
    } finally {
      await close();
    }
  });

  test("deciding an expired item is a 409 that says it expired; an unknown id is a 404", async () => {
    const { app, reviews, close } = await setup();
    try {
      const { id } = await reviews.submit(submission("too late", { ttlMs: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const late = await post(app, `/v1/hearth/reviews/${id}/approve`);
      assert.equal(late.status, 409);
      assert.match(((await late.json()) as ErrorBody).error.message, /expired/);

      const missing = await post(app, "/v1/hearth/reviews/nope/deny");
      assert.equal(missing.status, 404);
    } finally {
      await close();
    }
  });

  test("a malformed decision body is a 400 and decides nothing", async () => {
    const { app, reviews, close } = await setup();
    try {
      const { id } = await reviews.submit(submission("careful"));
      const cases: Array<[string, string, string | null]> = [
        ["{not json", "invalid_json", null],
        [JSON.stringify({ by: "  " }), "invalid_request", "by"],
        [JSON.stringify({ note: 42 }), "invalid_request", "note"],
        [JSON.stringify(["approve"]), "invalid_request", null],
      ];
      for (const [body, code, param] of cases) {
        const response = await post(app, `/v1/hearth/reviews/${id}/approve`, body);
        assert.equal(response.status, 400, body);
        const error = ((await response.json()) as ErrorBody).error;
        assert.equal(error.code, code, body);
        assert.equal(error.param, param, body);
      }
      const tooBig = await post(app, `/v1/hearth/reviews/${id}/approve`, JSON.stringify({ note: "x".repeat(20_000) }));
      assert.equal(tooBig.status, 413);
      assert.equal((await reviews.get(id))?.status, "pending");
    } finally {
      await close();
    }
  });
});

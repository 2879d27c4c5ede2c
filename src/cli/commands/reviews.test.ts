import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { Hono } from "hono";
import { createReviewService, type ReviewService, type ReviewSubmission } from "../../core/review/service.ts";
import { errorResponse, openAIErrorFormat, type Environment } from "../../http/kit.ts";
import { mountReviewRoutes } from "../../http/routes/reviews.ts";
import { listen } from "../../http/serve.ts";
import { HearthError } from "../../spec/errors.ts";
import { openSqliteStorage } from "../../storage/sqlite/open.ts";
import { unusedServerUrl } from "../../../test/support/fake-openai-server.ts";
import { formatReviewTable, reviewsDecideCommand, reviewsListCommand, span } from "./reviews.ts";

const apiKey = "test-key";

function submission(text: string, overrides: Partial<ReviewSubmission> = {}): ReviewSubmission {
  return {
    kind: "request",
    fingerprint: createHash("sha256").update(text).digest("hex"),
    keyId: "key-1",
    model: "gpt-remote",
    route: null,
    rule: "pii-to-third-party",
    reasons: ["email", "phone"],
    preview: `${text}: call [PHONE]`,
    ...overrides,
  };
}

/** A real HTTP server with only the review routes, behind a one-key bearer check. */
async function startReviewServer(): Promise<{ url: string; reviews: ReviewService; close(): Promise<void> }> {
  const storage = await openSqliteStorage(":memory:");
  assert.ok(storage.reviews);
  const reviews = createReviewService({ store: storage.reviews, pollIntervalMs: 60_000, sweepIntervalMs: 0 });
  const app = new Hono<Environment>();
  app.use("/v1/*", async (context, next) => {
    if (context.req.header("authorization") !== `Bearer ${apiKey}`) {
      return errorResponse(new HearthError("unauthorized", "Invalid API key."), undefined, openAIErrorFormat);
    }
    await next();
  });
  mountReviewRoutes(app, { reviews });
  const server = await listen(app, "127.0.0.1", 0);
  return {
    url: server.url,
    reviews,
    async close() {
      await server.close(1_000);
      reviews.close();
      await storage.close();
    },
  };
}

function capture(): { output: PassThrough; errorOutput: PassThrough; read(): { stdout: string; stderr: string } } {
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let stdout = "";
  let stderr = "";
  output.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  errorOutput.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return { output, errorOutput, read: () => ({ stdout, stderr }) };
}

function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/ {2,}/));
}

describe("hearth reviews", () => {
  test("list prints the pending queue as a table; --status all and --json show everything", async () => {
    const server = await startReviewServer();
    try {
      const held = await server.reviews.submit(submission("held", { route: "smart", kind: "tool_call" }));
      const decided = await server.reviews.submit(submission("decided"));
      await server.reviews.decide(decided.id, "denied", "bob");

      const streams = capture();
      const code = await reviewsListCommand({ baseUrl: server.url, apiKey, ...streams });
      const { stdout, stderr } = streams.read();
      assert.equal(code, 0, stderr);
      const rows = cells(stdout);
      assert.deepEqual(rows[0], ["ID", "STATUS", "KIND", "MODEL", "RULE", "REASONS", "AGE", "EXPIRES", "PREVIEW"]);
      assert.equal(rows.length, 2, "only the pending item");
      const row = rows[1] ?? [];
      assert.deepEqual(row.slice(0, 6), [held.id, "pending", "tool_call", "gpt-remote (smart)", "pii-to-third-party", "email,phone"]);
      assert.match(row[6] ?? "", /^\d+s ago$/);
      assert.match(row[7] ?? "", /^in (9m|10m)$/);
      assert.equal(row[8], "held: call [PHONE]");

      const all = capture();
      assert.equal(await reviewsListCommand({ baseUrl: server.url, apiKey, status: "all", ...all }), 0);
      const byId = new Map(cells(all.read().stdout).slice(1).map((cellsOfRow) => [cellsOfRow[0], cellsOfRow]));
      assert.deepEqual([...byId.keys()].sort(), [held.id, decided.id].sort());
      assert.deepEqual([byId.get(decided.id)?.[1], byId.get(decided.id)?.[7]], ["denied", "-"]);
      assert.equal(byId.get(held.id)?.[1], "pending");

      const json = capture();
      assert.equal(await reviewsListCommand({ baseUrl: server.url, apiKey, status: "denied", json: true, ...json }), 0);
      const body = JSON.parse(json.read().stdout) as { object: string; data: Array<{ id: string; decided_by: string }> };
      assert.equal(body.object, "list");
      assert.deepEqual(body.data.map((item) => [item.id, item.decided_by]), [[decided.id, "bob"]]);
    } finally {
      await server.close();
    }
  });

  test("list says so when nothing is pending, and refuses an unknown --status before calling the server", async () => {
    const server = await startReviewServer();
    try {
      const empty = capture();
      assert.equal(await reviewsListCommand({ baseUrl: server.url, apiKey, ...empty }), 0);
      assert.equal(empty.read().stdout, "No pending reviews.\n");

      const bad = capture();
      assert.equal(await reviewsListCommand({ baseUrl: server.url, apiKey, status: "done", ...bad }), 2);
      assert.match(bad.read().stderr, /--status must be one of pending, approved, denied, expired, all/);
    } finally {
      await server.close();
    }
  });

  test("approve wakes the held request and records the note and reviewer; a second decision explains the conflict", async () => {
    const server = await startReviewServer();
    try {
      const { id } = await server.reviews.submit(submission("approve"));
      const waiting = server.reviews.wait(id, { timeoutMs: 5_000 });

      const approve = capture();
      const code = await reviewsDecideCommand({ baseUrl: server.url, apiKey, id, decision: "approve", note: "ok", by: "alice", ...approve });
      assert.equal(code, 0, approve.read().stderr);
      assert.equal(approve.read().stdout, `Approved review ${id} (gpt-remote, rule pii-to-third-party).\n`);
      assert.equal(await waiting, "approved");
      const item = await server.reviews.get(id);
      assert.deepEqual([item?.status, item?.decidedBy, item?.note], ["approved", "alice", "ok"]);

      const deny = capture();
      assert.equal(await reviewsDecideCommand({ baseUrl: server.url, apiKey, id, decision: "deny", ...deny }), 1);
      assert.equal(deny.read().stderr, `Error: Review ${id} was already approved by alice.\n`);
    } finally {
      await server.close();
    }
  });

  test("deny --json prints the decided review; an unknown id is reported from the server's message", async () => {
    const server = await startReviewServer();
    try {
      const { id } = await server.reviews.submit(submission("deny"));
      const deny = capture();
      assert.equal(await reviewsDecideCommand({ baseUrl: server.url, apiKey, id, decision: "deny", json: true, ...deny }), 0);
      const body = JSON.parse(deny.read().stdout) as { id: string; status: string; decided_by: string };
      assert.equal(body.id, id);
      assert.equal(body.status, "denied");
      assert.ok(body.decided_by.length > 0, "the local user is recorded");

      const missing = capture();
      assert.equal(await reviewsDecideCommand({ baseUrl: server.url, apiKey, id: "no-such-id", decision: "approve", ...missing }), 1);
      assert.equal(missing.read().stderr, "Error: No review with id no-such-id.\n");
    } finally {
      await server.close();
    }
  });

  test("a wrong key and an unreachable server are one clear line each", async () => {
    const server = await startReviewServer();
    try {
      const refused = capture();
      assert.equal(await reviewsListCommand({ baseUrl: server.url, apiKey: "wrong", ...refused }), 1);
      assert.equal(refused.read().stderr, "Error: Invalid API key.\n");
    } finally {
      await server.close();
    }
    const url = await unusedServerUrl();
    const down = capture();
    assert.equal(await reviewsDecideCommand({ baseUrl: url, id: "x", decision: "approve", ...down }), 1);
    assert.equal(down.read().stderr, `Cannot reach Hearth at ${url} — start it with \`hearth serve\` (or \`npm start -- --demo\`).\n`);
  });

  test("the table clips long previews, shows '-' for what the server left out, and ages in whole units", () => {
    const now = 1_800_000_000_000;
    const table = formatReviewTable(
      [
        { id: "a", status: "pending", created_at: now / 1000 - 125, expires_at: now / 1000 + 7_300, preview: "p".repeat(100) },
        { id: "b", status: "expired" },
      ],
      now,
    );
    const rows = cells(table);
    assert.deepEqual(rows[1]?.slice(1, 8), ["pending", "-", "-", "-", "-", "2m ago", "in 2h"]);
    assert.equal(rows[1]?.[8], `${"p".repeat(59)}…`);
    assert.deepEqual(rows[2], ["b", "expired", "-", "-", "-", "-", "-", "-", "-"]);
    assert.deepEqual([span(59), span(60), span(3_599), span(86_400 * 3 + 5)], ["59s", "1m", "59m", "3d"]);
  });
});

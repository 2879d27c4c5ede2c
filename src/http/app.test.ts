import { createKeyService } from "../core/keys/service.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createGateway, type CatalogEntry } from "../core/gateway.ts";
import { createCatalog } from "../core/catalog.ts";
import type { RequestLogEntry } from "../core/request-log.ts";
import { silentLogger } from "../core/logger.ts";
import { HearthError } from "../spec/errors.ts";
import type { ModelProvider, StreamPart } from "../spec/model.ts";
import { createApp } from "./app.ts";

// The HTTP layer with a scripted provider (no engine, no socket: app.request()), to pin down
// behaviour a real model cannot be made to show on demand: failures mid-stream, slow models.

type Script = (signal: AbortSignal) => AsyncGenerator<StreamPart>;

function harness(script: Script, options: { requestTimeoutMs?: number } = {}) {
  const log: Array<Omit<RequestLogEntry, "id">> = [];
  const provider: ModelProvider = {
    id: "scripted",
    chat: (_request, call) => script(call.signal),
    complete: (_request, call) => script(call.signal),
    embed: async () => ({ embeddings: [[0.5, -0.25]], usage: { inputTokens: 2 } }),
  };
  const entry: CatalogEntry = {
    info: { name: "m", provider: "scripted", contextLength: 128, locality: "in-process", capabilities: { chat: true, completion: true, embedding: true } },
    provider,
    created: 0,
    state: () => "loaded",
  };
  const gateway = createGateway({ catalog: createCatalog([entry]), requestLog: { append: (item) => log.push(item) } });
  const app = createApp({ gateway, logger: silentLogger, version: "test", maxBodyBytes: 10_000, requestTimeoutMs: options.requestTimeoutMs ?? 60_000, keys: createKeyService() });
  const post = (path: string, body: unknown) =>
    app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { app, log, post };
}

const chat = (stream: boolean) => ({ model: "m", messages: [{ role: "user", content: "hi" }], stream });

describe("HTTP layer", () => {
  test("a stream that breaks after it started ends with an error event and no [DONE], logged as failed", async () => {
    const { post, log } = harness(async function* () {
      yield { type: "text-delta", text: "Hel" };
      yield { type: "text-delta", text: "lo" };
      throw new HearthError("upstream_error", "The model crashed.");
    });
    const response = await post("/v1/chat/completions", chat(true));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const text = await response.text();
    const events = text.split("\n\n").filter(Boolean).map((event) => event.replace(/^data: /, ""));
    assert.ok(!events.includes("[DONE]"), "no [DONE] after a failure");
    const last = JSON.parse(events.at(-1) ?? "{}") as { error?: { code: string; message: string } };
    assert.equal(last.error?.code, "upstream_error");
    const deltas = events.slice(0, -1).map((event) => (JSON.parse(event) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? "");
    assert.equal(deltas.join(""), "Hello");
    assert.equal(log.length, 1);
    assert.equal(log[0]?.errorCode, "upstream_error");
  });

  test("a non-streamed request whose model fails mid-answer gets the error, not a partial answer", async () => {
    const { post } = harness(async function* () {
      yield { type: "text-delta", text: "partial" };
      throw new HearthError("upstream_error", "The model crashed.");
    });
    const response = await post("/v1/chat/completions", chat(false));
    assert.equal(response.status, 502);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "upstream_error");
  });

  test("a stream that ends without a finish part is an error, never a clean end", async () => {
    const { post } = harness(async function* () {
      yield { type: "text-delta", text: "cut" };
    });
    const text = await (await post("/v1/chat/completions", chat(true))).text();
    assert.ok(!text.includes("[DONE]"));
    assert.match(text, /"code":"upstream_error"/);
  });

  test("errors raised before the first byte keep their status and Retry-After", async () => {
    const { post, log } = harness(async function* () {
      throw new HearthError("overloaded", "Busy.", { retryAfterSeconds: 2.2 });
    });
    const response = await post("/v1/chat/completions", chat(true));
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "3");
    assert.ok(response.headers.get("x-request-id"));
    assert.equal(log[0]?.status, 503);
  });

  test("a request running past the timeout is stopped with 504", async () => {
    const { post } = harness(
      async function* (signal) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 5_000);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
        });
        yield { type: "finish", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 0 } };
      },
      { requestTimeoutMs: 50 },
    );
    const response = await post("/v1/chat/completions", chat(false));
    assert.equal(response.status, 504);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "timeout");
  });

  test("text completions stream with the same failure rule", async () => {
    const { post } = harness(async function* () {
      yield { type: "text-delta", text: "a" };
      yield { type: "finish", finishReason: "length", usage: { inputTokens: 1, outputTokens: 1 } };
    });
    const text = await (await post("/v1/completions", { model: "m", prompt: "x", stream: true })).text();
    assert.ok(text.trimEnd().endsWith("data: [DONE]"));
    assert.match(text, /"finish_reason":"length"/);
  });

  test("a JSON body sent as another content type is refused", async () => {
    const { app } = harness(async function* () {});
    const response = await app.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(chat(false)) });
    assert.equal(response.status, 400);
  });
});

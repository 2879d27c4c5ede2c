import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import Anthropic, { APIError, BadRequestError, NotFoundError, OverloadedError } from "@anthropic-ai/sdk";
import { Hono } from "hono";
import { createCatalog } from "../../core/catalog.ts";
import { createGateway, type CatalogEntry } from "../../core/gateway.ts";
import { silentLogger } from "../../core/logger.ts";
import type { RequestLogEntry } from "../../core/request-log.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import type { ChatRequest, ModelProvider, StreamPart } from "../../spec/model.ts";
import { createRouteKit, errorResponse, openAIErrorFormat, type Environment } from "../kit.ts";
import { listen, type RunningServer } from "../serve.ts";
import { registerAnthropicRoutes, useAnthropicErrorFormat } from "./anthropic.ts";

// The Anthropic dialect end to end: a small app (the same middleware as app.ts) with a scripted
// provider, driven over a real socket by the official @anthropic-ai/sdk client.

type Script = (signal: AbortSignal) => AsyncGenerator<StreamPart>;

let script: Script = async function* () {};
let countResult: () => Promise<number> = async () => 0;
const received: ChatRequest[] = [];
const log: Array<Omit<RequestLogEntry, "id">> = [];

const provider: ModelProvider = {
  id: "scripted",
  chat(request, call) {
    received.push(request);
    return script(call.signal);
  },
  complete: (_request, call) => script(call.signal),
  embed: async () => ({ embeddings: [], usage: { inputTokens: 0 } }),
  countTokens: async (request) => {
    received.push(request);
    return countResult();
  },
};

const entry: CatalogEntry = {
  info: { name: "local-model", provider: "scripted", contextLength: 4096, locality: "in-process", capabilities: { chat: true, completion: true, embedding: false } },
  provider,
  upstreamModel: "upstream-name",
  created: 0,
  state: () => "loaded",
};

function buildApp() {
  const gateway = createGateway({
    catalog: createCatalog([entry]),
    requestLog: { append: (item) => log.push(item) },
  });
  const app = new Hono<Environment>();
  app.use("*", async (context, next) => {
    const requestId = context.req.header("x-request-id") ?? randomUUID();
    context.set("requestId", requestId);
    context.set("errorFormat", openAIErrorFormat);
    await next();
    context.res.headers.set("x-request-id", requestId);
  });
  app.onError((error, context) => errorResponse(toHearthError(error), context.get("requestId"), context.get("errorFormat") ?? openAIErrorFormat));
  app.notFound((context) =>
    errorResponse(new HearthError("not_found", `Unknown endpoint: ${context.req.method} ${context.req.path}`), undefined, context.get("errorFormat") ?? openAIErrorFormat),
  );
  useAnthropicErrorFormat(app);
  registerAnthropicRoutes(app, createRouteKit({ gateway, logger: silentLogger, maxBodyBytes: 100_000, requestTimeoutMs: 30_000 }));
  return app;
}

const usage = { inputTokens: 21, outputTokens: 5 };

describe("Anthropic Messages API (official SDK against Hearth)", () => {
  let server: RunningServer;
  let client: Anthropic;

  before(async () => {
    server = await listen(buildApp(), "127.0.0.1", 0);
    client = new Anthropic({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
  });

  after(async () => {
    await server.close(1_000);
  });

  beforeEach(() => {
    received.length = 0;
    log.length = 0;
  });

  test("messages.create answers a plain message", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "Bonjour" };
      yield { type: "text-delta", text: " !" };
      yield { type: "finish", finishReason: "stop", usage };
    };
    const message = await client.messages.create({
      model: "local-model",
      max_tokens: 64,
      system: "Answer in French.",
      messages: [{ role: "user", content: "Hello" }],
    });
    assert.match(message.id, /^msg_/);
    assert.equal(message.model, "local-model");
    assert.equal(message.role, "assistant");
    assert.deepEqual(message.content, [{ type: "text", text: "Bonjour !" }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.usage.input_tokens, 21);
    assert.equal(message.usage.output_tokens, 5);
    assert.equal(received[0]?.model, "upstream-name");
    assert.equal(received[0]?.maxTokens, 64);
    assert.deepEqual(received[0]?.messages, [
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Hello" },
    ]);
    assert.equal(log.at(-1)?.endpoint, "messages");
    assert.equal(log.at(-1)?.status, 200);
  });

  test("messages.stream().finalMessage() assembles thinking with its signature, text and tool input", async () => {
    script = async function* () {
      yield { type: "reasoning-delta", text: "The user wants " };
      yield { type: "reasoning-delta", text: "the weather." };
      yield { type: "reasoning-end", signature: "c2lnbmF0dXJl" };
      yield { type: "text-delta", text: "Let me check." };
      yield { type: "tool-call", toolCall: { id: "toolu_01A", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } };
      yield { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 100, outputTokens: 30, cacheReadTokens: 80 } };
    };
    const texts: string[] = [];
    const stream = client.messages.stream({
      model: "local-model",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [{ name: "get_weather", description: "Current weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    stream.on("text", (text) => texts.push(text));
    const message = await stream.finalMessage();
    assert.deepEqual(texts, ["Let me check."]);
    assert.deepEqual(
      message.content.map((block) => {
        if (block.type === "thinking") return { type: block.type, thinking: block.thinking, signature: block.signature };
        if (block.type === "text") return { type: block.type, text: block.text };
        if (block.type === "tool_use") return { type: block.type, id: block.id, name: block.name, input: block.input };
        return { type: block.type };
      }),
      [
        { type: "thinking", thinking: "The user wants the weather.", signature: "c2lnbmF0dXJl" },
        { type: "text", text: "Let me check." },
        { type: "tool_use", id: "toolu_01A", name: "get_weather", input: { city: "Paris", unit: "celsius" } },
      ],
    );
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.usage.input_tokens, 20);
    assert.equal(message.usage.cache_read_input_tokens, 80);
    assert.equal(message.usage.output_tokens, 30);
    assert.deepEqual(received[0]?.reasoning, { budgetTokens: 1024 });
    assert.equal(received[0]?.tools?.[0]?.name, "get_weather");
  });

  test("a raw stream delivers the events in Anthropic's order", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "a" };
      yield { type: "text-delta", text: "b" };
      yield { type: "finish", finishReason: "length", usage };
    };
    const stream = await client.messages.create({ model: "local-model", max_tokens: 2, messages: [{ role: "user", content: "x" }], stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type === "content_block_delta" ? `${event.type}:${event.index}` : event.type);
    assert.deepEqual(types, [
      "message_start",
      "content_block_start",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  test("the wire framing: named events, a ping after message_start, SSE headers", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "hi" };
      yield { type: "finish", finishReason: "stop", usage };
    };
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local-model", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(response.headers.get("x-hearth-model"), "scripted/upstream-name");
    const frames = (await response.text()).split("\n\n").filter(Boolean);
    const names = frames.map((frame) => /^event: (\S+)\ndata: \{/.exec(frame)?.[1]);
    assert.deepEqual(names, ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
  });

  test("a tool_result round trip reaches the provider as a tool message with the same id", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "It is 18°C." };
      yield { type: "finish", finishReason: "stop", usage };
    };
    const message = await client.messages.create({
      model: "local-model",
      max_tokens: 64,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_01A", name: "get_weather", input: { city: "Paris" } }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01A", content: "18°C, sunny" },
            { type: "text", text: "Thanks" },
          ],
        },
      ],
      tools: [{ name: "get_weather", input_schema: { type: "object" } }],
    });
    assert.equal(message.content[0]?.type, "text");
    assert.deepEqual(received[0]?.messages, [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, toolCalls: [{ id: "toolu_01A", name: "get_weather", arguments: '{"city":"Paris"}' }] },
      { role: "tool", toolCallId: "toolu_01A", content: "18°C, sunny" },
      { role: "user", content: [{ type: "text", text: "Thanks" }] },
    ]);
  });

  test("count_tokens counts on the serving model", async () => {
    countResult = async () => 42;
    const counted = await client.messages.countTokens({ model: "local-model", messages: [{ role: "user", content: "How many?" }], system: "s" });
    assert.deepEqual(counted, { input_tokens: 42 });
    assert.deepEqual(received[0]?.messages, [
      { role: "system", content: "s" },
      { role: "user", content: "How many?" },
    ]);
    assert.equal(log.at(-1)?.endpoint, "messages.count_tokens");
    assert.equal(log.at(-1)?.inputTokens, 42);
  });

  test("an invalid body is a BadRequestError with Anthropic's error body", async () => {
    const body = { model: "local-model", messages: [{ role: "user", content: "x" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const error = await client.messages.create(body).then(
      () => assert.fail("expected a 400"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.status, 400);
    assert.deepEqual(error.error, { type: "error", error: { type: "invalid_request_error", message: "max_tokens: Field required" } });
    assert.equal(log.at(-1)?.status, 400);
    assert.equal(log.at(-1)?.endpoint, "messages");
  });

  test("an unsupported block is a 400 that says so", async () => {
    const error = await client.messages
      .create({
        model: "local-model",
        max_tokens: 10,
        messages: [{ role: "user", content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "doc" } }] }],
      })
      .then(
        () => assert.fail("expected a 400"),
        (failure: unknown) => failure,
      );
    assert.ok(error instanceof BadRequestError);
    assert.match(error.message, /messages\.0\.content\.0: content blocks of type 'document' are not supported/);
  });

  test("an unknown model is a NotFoundError", async () => {
    const error = await client.messages.create({ model: "nope", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).then(
      () => assert.fail("expected a 404"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.type, "not_found_error");
    assert.match(error.message, /'nope' does not exist/);
  });

  test("an overloaded model answers 529, which the SDK raises as OverloadedError, with Retry-After", async () => {
    script = async function* () {
      throw new HearthError("overloaded", "All slots are busy.", { retryAfterSeconds: 2 });
    };
    for (const stream of [false, true]) {
      const error = await client.messages.create({ model: "local-model", max_tokens: 10, messages: [{ role: "user", content: "x" }], stream }).then(
        () => assert.fail("expected a 529"),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof OverloadedError, `stream=${stream}`);
      assert.equal(error.status, 529);
      assert.equal(error.type, "overloaded_error");
      assert.equal(error.headers?.get("retry-after"), "2");
      assert.ok(error.headers?.get("x-request-id"));
    }
  });

  test("a failure after the first byte makes the SDK stream throw instead of returning a cut answer", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "Half an ans" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    const stream = client.messages.stream({ model: "local-model", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    const error = await stream.finalMessage().then(
      () => assert.fail("expected the stream to fail"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof APIError);
    assert.equal(error.type, "api_error");
    assert.match(error.message, /The model crashed/);
    assert.equal(log.at(-1)?.errorCode, "upstream_error");

    const raw = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local-model", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    const text = await raw.text();
    assert.ok(!text.includes("message_stop"), "no message_stop after a failure");
    assert.ok(text.trimEnd().endsWith('data: {"type":"error","error":{"type":"api_error","message":"The model crashed."}}'));
  });

  test("a non-streamed request whose model fails mid-answer gets the error, not a partial answer", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "partial" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    const error = await client.messages.create({ model: "local-model", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).then(
      () => assert.fail("expected a 502"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 502);
    assert.equal(error.type, "api_error");
  });

  test("a client that stops reading mid-stream stops the model", async () => {
    let aborted: () => void = () => undefined;
    const modelStopped = new Promise<void>((resolve) => (aborted = resolve));
    script = async function* (signal) {
      signal.addEventListener("abort", () => aborted(), { once: true });
      yield { type: "text-delta", text: "first" };
      await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      yield { type: "finish", finishReason: "stop", usage };
    };
    const stream = client.messages.stream({ model: "local-model", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    stream.on("text", () => stream.abort());
    await stream.done().catch(() => undefined);
    const stopped = await Promise.race([modelStopped.then(() => true), delay(5_000, false, { ref: false })]);
    assert.ok(stopped, "the provider's signal fired");
  });

  test("wrong methods and unknown paths under /v1/messages answer in Anthropic's shape", async () => {
    const get = await fetch(`${server.url}/v1/messages`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.deepEqual(await get.json(), { type: "error", error: { type: "invalid_request_error", message: "Use POST for /v1/messages." } });
    const getCount = await fetch(`${server.url}/v1/messages/count_tokens`);
    assert.equal(getCount.status, 405);
    const unknown = await fetch(`${server.url}/v1/messages/batches`, { method: "POST" });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { type: string } }).error.type, "not_found_error");
    const badJson = await fetch(`${server.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { type: string }).type, "error");
  });
});

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { collect, type ChatRequest, type StreamPart, type ToolDefinition } from "../../spec/model.ts";
import { mockThinkingSignature, startMockAnthropic, type MockAnthropic } from "../../../test/support/mock-vendors/anthropic.ts";
import { jsonToolName } from "./convert.ts";
import { createAnthropicProvider, type AnthropicProvider } from "./provider.ts";

const never = new AbortController().signal;
const model = "claude-sonnet-4-6";
const weather: ToolDefinition = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Berlin"] } }, required: ["city"] },
};
// A 1x1 transparent PNG.
const pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

async function drain(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

async function failure(parts: AsyncIterable<StreamPart>): Promise<{ error: HearthError; seen: StreamPart[] }> {
  const seen: StreamPart[] = [];
  try {
    for await (const part of parts) seen.push(part);
  } catch (error) {
    assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
    return { error, seen };
  }
  assert.fail("the stream should have failed");
}

function lastBody(mock: MockAnthropic): Record<string, unknown> {
  const body = mock.requests.at(-1)?.body;
  assert.ok(typeof body === "object" && body !== null);
  return body as Record<string, unknown>;
}

describe("anthropic provider against the mock Messages API", () => {
  let mock: MockAnthropic;
  let provider: AnthropicProvider;

  before(async () => {
    mock = await startMockAnthropic();
    provider = createAnthropicProvider({ id: "anthropic", baseUrl: `${mock.url}/v1`, apiKey: mock.apiKey });
  });
  after(async () => {
    await provider.close();
    await mock.close();
  });
  beforeEach(() => mock.reset());

  test("sends x-api-key, anthropic-version 2023-06-01 and the default max_tokens of 4096", async () => {
    const result = await collect(provider.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never }));
    assert.equal(result.text, `Hello from ${model}. You said: Hi`);
    const request = mock.requests.at(-1);
    assert.equal(request?.path, "/v1/messages");
    assert.equal(request?.headers["x-api-key"], mock.apiKey);
    assert.equal(request?.headers["anthropic-version"], "2023-06-01");
    assert.equal(lastBody(mock).max_tokens, 4096);
    assert.equal(lastBody(mock).stream, true);
  });

  test("a multi-turn conversation with a tool round trip, streamed and not", async () => {
    for (const stream of [true, false]) {
      const first: ChatRequest = { model, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris?" }], tools: [weather] };
      const call = await collect(provider.chat(first, { signal: never, stream }));
      assert.equal(call.finishReason, "tool_calls");
      assert.equal(call.toolCalls.length, 1);
      const toolCall = call.toolCalls[0];
      assert.ok(toolCall !== undefined);
      assert.match(toolCall.id, /^toolu_/);
      assert.deepEqual(JSON.parse(toolCall.arguments), { city: "Paris" });
      const answer = await collect(
        provider.chat(
          {
            ...first,
            messages: [
              ...first.messages,
              { role: "assistant", content: null, toolCalls: call.toolCalls },
              { role: "tool", toolCallId: toolCall.id, content: '{"temperature":21}' },
            ],
          },
          { signal: never, stream },
        ),
      );
      assert.equal(answer.text, 'Tool results: {"temperature":21}');
      assert.equal(answer.finishReason, "stop");
      const body = lastBody(mock);
      assert.equal(body.system, "Be brief.");
      assert.deepEqual(body.messages, [
        { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
        { role: "assistant", content: [{ type: "tool_use", id: toolCall.id, name: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: toolCall.id, content: '{"temperature":21}' }] },
      ]);
    }
  });

  test("images travel as base64 sources and the model sees them", async () => {
    const result = await collect(
      provider.chat({ model, messages: [{ role: "user", content: [{ type: "image", url: pixel }, { type: "text", text: "What is this?" }] }] }, { signal: never }),
    );
    assert.equal(result.text, `Hello from ${model}. You said: What is this? I see 1 image(s).`);
    const messages = lastBody(mock).messages as Array<{ content: Array<{ type: string; source?: unknown }> }>;
    assert.deepEqual(messages[0]?.content[0]?.source, { type: "base64", media_type: "image/png", data: pixel.slice(pixel.indexOf(",") + 1) });
  });

  test("thinking comes back as reasoning with its signature, and the signed block is accepted on the next turn", async () => {
    const first: ChatRequest = { model, messages: [{ role: "user", content: "Weather in Berlin?" }], tools: [weather], reasoning: { budgetTokens: 2048 } };
    const call = await collect(provider.chat(first, { signal: never }));
    assert.equal(lastBody(mock).max_tokens, 4096 + 2048);
    assert.equal(call.reasoning.length, 1);
    const thinking = call.reasoning[0];
    assert.ok(thinking?.type === "reasoning");
    assert.ok(thinking.text.length > 0);
    assert.equal(thinking.signature, mockThinkingSignature(thinking.text), "the signature is passed through unchanged");
    const toolCall = call.toolCalls[0];
    assert.ok(toolCall !== undefined);
    const next = (signature: string): ChatRequest => ({
      ...first,
      messages: [
        ...first.messages,
        { role: "assistant", content: null, toolCalls: call.toolCalls, reasoning: [{ ...thinking, signature }] },
        { role: "tool", toolCallId: toolCall.id, content: "cloudy" },
      ],
    });
    const answer = await collect(provider.chat(next(thinking.signature ?? ""), { signal: never, stream: false }));
    assert.equal(answer.text, "Tool results: cloudy");
    const sent = (lastBody(mock).messages as Array<{ content: Array<Record<string, unknown>> }>)[1]?.content[0];
    assert.deepEqual(sent, { type: "thinking", thinking: thinking.text, signature: thinking.signature });
    // The mock verifies signatures as Anthropic does: an altered one is refused.
    const { error } = await failure(provider.chat(next(`${thinking.signature ?? ""}x`), { signal: never }));
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, /signature/);
  });

  test("prompt caching: the first call writes the cache, the second reads it, inputTokens counts the whole prompt", async () => {
    const request: ChatRequest = {
      model,
      messages: [{ role: "system", content: "A long, stable system prompt. ".repeat(20) }, { role: "user", content: "Hi" }],
      passthrough: { format: "anthropic", fields: { cache_control: { type: "ephemeral" } } },
    };
    const first = await collect(provider.chat(request, { signal: never }));
    const second = await collect(provider.chat(request, { signal: never, stream: false }));
    assert.deepEqual(lastBody(mock).cache_control, { type: "ephemeral" });
    assert.ok((first.usage.cacheWriteTokens ?? 0) > 0, "first call writes");
    assert.equal(first.usage.cacheReadTokens, 0);
    assert.ok((second.usage.cacheReadTokens ?? 0) > 0, "second call reads");
    assert.equal(second.usage.cacheWriteTokens, 0);
    assert.equal(first.usage.inputTokens, second.usage.inputTokens);
    assert.equal(second.usage.inputTokens, await provider.countTokens?.(request, { signal: never }));
  });

  test("JSON mode via a forced tool comes back as JSON text with finish stop", async () => {
    for (const stream of [true, false]) {
      const result = await collect(
        provider.chat(
          {
            model,
            messages: [{ role: "user", content: "Is it sunny?" }],
            responseFormat: { type: "json_schema", name: "answer", schema: { type: "object", properties: { sunny: { type: "boolean" }, city: { type: "string" } }, required: ["sunny"] } },
          },
          { signal: never, stream },
        ),
      );
      assert.deepEqual(JSON.parse(result.text), { sunny: true, city: "Paris" });
      assert.equal(result.finishReason, "stop");
      assert.deepEqual(result.toolCalls, []);
      assert.deepEqual(lastBody(mock).tool_choice, { type: "tool", name: jsonToolName });
    }
  });

  test("stop sequences end the answer and are reported on the finish part", async () => {
    const result = await collect(provider.chat({ model, messages: [{ role: "user", content: "Hi" }], stop: ["said"] }, { signal: never }));
    assert.equal(result.text, `Hello from ${model}. You `);
    assert.equal(result.stopSequence, "said");
    assert.equal(result.finishReason, "stop");
  });

  test("429 maps to rate_limited with retry-after, 529 to overloaded, 500 to upstream_error", async () => {
    const ask: ChatRequest = { model, messages: [{ role: "user", content: "Hi" }] };
    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 7 });
    const limited = (await failure(provider.chat(ask, { signal: never }))).error;
    assert.equal(limited.code, "rate_limited");
    assert.equal(limited.retryAfterSeconds, 7);
    assert.equal(limited.upstreamStatus, 429);
    mock.failNext({ kind: "status", status: 529 });
    const overloaded = (await failure(provider.chat(ask, { signal: never, stream: false }))).error;
    assert.equal(overloaded.code, "overloaded");
    assert.match(overloaded.message, /Overloaded/, "Anthropic's error.message is read from its error body");
    mock.failNext({ kind: "status", status: 500 });
    assert.equal((await failure(provider.chat(ask, { signal: never }))).error.code, "upstream_error");
  });

  test("a refused key is an upstream_error whose message never carries the key", async () => {
    const key = "sk-ant-api03-wrongwrongwrongwrong";
    const wrong = createAnthropicProvider({ id: "anthropic", baseUrl: mock.url, apiKey: key });
    try {
      const { error } = await failure(wrong.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never }));
      assert.equal(error.code, "upstream_error");
      assert.equal(error.upstreamStatus, 401);
      assert.match(error.message, /credentials/);
      assert.equal(error.message.includes(key), false);
    } finally {
      await wrong.close();
    }
  });

  test("a stream cut mid-way fails with upstream_error after the parts already sent, and no finish", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 5 });
    const { error, seen } = await failure(provider.chat({ model, messages: [{ role: "user", content: "Tell me something long" }] }, { signal: never }));
    assert.equal(error.code, "upstream_error");
    assert.ok(seen.some((part) => part.type === "text-delta"), "text arrived before the cut");
    assert.equal(seen.some((part) => part.type === "finish"), false);
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 0 });
    assert.equal((await failure(provider.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never, stream: false }))).error.code, "upstream_error");
  });

  test("an `event: error` mid-stream throws the mapped error and no finish", async () => {
    mock.failNext({ kind: "error-mid-stream", afterEvents: 4, errorType: "overloaded_error" });
    const { error, seen } = await failure(provider.chat({ model, messages: [{ role: "user", content: "Tell me something long" }] }, { signal: never }));
    assert.equal(error.code, "overloaded");
    assert.equal(seen.some((part) => part.type === "finish"), false);
    mock.failNext({ kind: "error-mid-stream", afterEvents: 2, errorType: "api_error" });
    assert.equal((await failure(provider.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never }))).error.code, "upstream_error");
  });

  test("a reset connection and a slow first byte map to upstream_error and timeout", async () => {
    mock.failNext({ kind: "reset" });
    assert.equal((await failure(provider.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never }))).error.code, "upstream_error");
    const impatient = createAnthropicProvider({ id: "anthropic", baseUrl: mock.url, apiKey: mock.apiKey, firstTokenTimeoutMs: 100 });
    try {
      mock.failNext({ kind: "slow-first-token", delayMs: 1000 });
      assert.equal((await failure(impatient.chat({ model, messages: [{ role: "user", content: "Hi" }] }, { signal: never }))).error.code, "timeout");
    } finally {
      await impatient.close();
    }
  });

  test("the first-token limit runs until the first part, past Anthropic's early headers, and then stops", async () => {
    const slow = await startMockAnthropic({ eventDelayMs: 60 });
    const ask: ChatRequest = { model, messages: [{ role: "user", content: "Hi" }] };
    // message_start, content_block_start and ping come first: the first text is ~180 ms in.
    const strict = createAnthropicProvider({ id: "anthropic", baseUrl: slow.url, apiKey: slow.apiKey, firstTokenTimeoutMs: 120 });
    const relaxed = createAnthropicProvider({ id: "anthropic", baseUrl: slow.url, apiKey: slow.apiKey, firstTokenTimeoutMs: 400 });
    try {
      const { error, seen } = await failure(strict.chat(ask, { signal: never }));
      assert.equal(error.code, "timeout");
      assert.deepEqual(seen, []);
      const started = Date.now();
      const result = await collect(relaxed.chat(ask, { signal: never }));
      assert.ok(Date.now() - started > 400, "the whole answer took longer than the limit");
      assert.equal(result.text, `Hello from ${model}. You said: Hi`);
    } finally {
      await strict.close();
      await relaxed.close();
      await slow.close();
    }
  });

  test("aborting mid-stream cancels the upstream request", async () => {
    const controller = new AbortController();
    const seen: StreamPart[] = [];
    const text = "word ".repeat(200);
    await assert.rejects(
      (async () => {
        for await (const part of provider.chat({ model, messages: [{ role: "user", content: text }] }, { signal: controller.signal })) {
          seen.push(part);
          if (part.type === "text-delta") controller.abort();
        }
      })(),
      (error: unknown) => HearthError.isInstance(error) && error.code === "aborted",
    );
    assert.equal(seen.some((part) => part.type === "finish"), false);
    const deadline = Date.now() + 2000;
    while (mock.cancelledStreams === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(mock.cancelledStreams, 1, "the mock saw the client go away before message_stop");
  });

  test("countTokens asks count_tokens and matches the prompt tokens a chat reports", async () => {
    const request: ChatRequest = { model, messages: [{ role: "system", content: "Sys" }, { role: "user", content: "Count me, please." }], tools: [weather], maxTokens: 50 };
    const counted = await provider.countTokens?.(request, { signal: never });
    const countRequest = mock.requests.at(-1);
    assert.equal(countRequest?.path, "/v1/messages/count_tokens");
    assert.equal("max_tokens" in (countRequest?.body as object), false);
    const chat = await collect(provider.chat({ ...request, toolChoice: "none" }, { signal: never }));
    assert.ok(counted !== undefined && counted > 0);
    assert.equal(chat.usage.inputTokens, counted);
  });

  test("text completion and embeddings are unsupported", async () => {
    assert.equal((await failure(provider.complete({ model, prompt: "Once" }, { signal: never }))).error.code, "unsupported");
    await assert.rejects(provider.embed({ model, input: ["x"] }, { signal: never }), (error: unknown) => HearthError.isInstance(error) && error.code === "unsupported");
    assert.equal(mock.requests.length, 0, "nothing was sent upstream");
  });
});

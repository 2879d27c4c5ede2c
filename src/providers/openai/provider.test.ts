import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import { collect, type ChatRequest, type StreamPart, type ToolDefinition } from "../../spec/model.ts";
import { startMockOpenAI, type MockOpenAI } from "../../../test/support/mock-vendors/openai.ts";
import { createOpenAIProvider, type OpenAIProvider, type OpenAIProviderOptions } from "./index.ts";

/**
 * The `openai` provider against the loopback OpenAI mock (faults included) and against a replay
 * server that sends the hand-written wire samples in test/fixtures/openai/ byte for byte.
 */

const never = new AbortController().signal;
const fixtures = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "openai");
let mock: MockOpenAI;
let provider: OpenAIProvider;
const extraProviders: OpenAIProvider[] = [];

before(async () => {
  mock = await startMockOpenAI();
  provider = createOpenAIProvider({ id: "openai-test", baseUrl: `${mock.url}/v1`, apiKey: mock.apiKey });
});

after(async () => {
  await provider.close();
  for (const extra of extraProviders) await extra.close();
  await mock.close();
});

function another(options: Partial<OpenAIProviderOptions> = {}): OpenAIProvider {
  const created = createOpenAIProvider({ id: "openai-test", baseUrl: `${mock.url}/v1`, apiKey: mock.apiKey, ...options });
  extraProviders.push(created);
  return created;
}

const ask = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], ...overrides });

async function drain(parts: AsyncIterable<StreamPart>, seen: StreamPart[] = []): Promise<StreamPart[]> {
  for await (const part of parts) seen.push(part);
  return seen;
}

function isHearthError(code: ErrorCode, check?: (error: HearthError) => void) {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected HearthError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error);
    return true;
  };
}

const lastBody = (): Record<string, unknown> => mock.requests.at(-1)?.body as Record<string, unknown>;

const weatherTool: ToolDefinition = {
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Berlin"] } }, required: ["city"] },
};

describe("requests as the upstream sees them", () => {
  test("a streamed chat asks for usage; stream:false makes a plain call", async () => {
    await drain(provider.chat(ask({ maxTokens: 50 }), { signal: never, stream: true }));
    assert.equal(lastBody().stream, true);
    assert.deepEqual(lastBody().stream_options, { include_usage: true });
    assert.equal(lastBody().max_tokens, 50);
    assert.equal(mock.requests.at(-1)?.headers.authorization, `Bearer ${mock.apiKey}`);
    const result = await collect(provider.chat(ask(), { signal: never, stream: false }));
    assert.equal("stream" in lastBody(), false);
    assert.equal(result.text, "Hello from gpt-4o-mini. You said: Say hello.");
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
  });

  test("OpenAI-format passthrough fields arrive upstream verbatim", async () => {
    const fields = { user: "user-42", logit_bias: { "1234": -100 }, metadata: { team: "a" }, store: false, service_tier: "default", vendor_extension: { nested: [1, "two"] } };
    await drain(provider.chat(ask({ passthrough: { format: "openai", fields } }), { signal: never }));
    const body = lastBody();
    for (const [key, value] of Object.entries(fields)) assert.deepEqual(body[key], value, key);
  });

  test("custom headers are sent and the reasoning-model quirk decides the limit field", async () => {
    const custom = another({ headers: { "HTTP-Referer": "https://hearth.example", "X-Title": "Hearth" }, quirks: { maxTokensField: "max_completion_tokens" } });
    const result = await collect(custom.chat(ask({ model: "o4-mini", maxTokens: 100 }), { signal: never }));
    assert.equal(mock.requests.at(-1)?.headers["http-referer"], "https://hearth.example");
    assert.equal(lastBody().max_completion_tokens, 100);
    assert.ok((result.usage.reasoningTokens ?? 0) > 0, "reasoning tokens counted");
    // The same request with max_tokens is refused by OpenAI's reasoning models.
    await assert.rejects(drain(provider.chat(ask({ model: "o4-mini", maxTokens: 100 }), { signal: never })), isHearthError("invalid_request", (error) => assert.match(error.message, /max_completion_tokens/)));
  });

  test("images travel as image_url parts", async () => {
    const result = await collect(
      provider.chat(ask({ messages: [{ role: "user", content: [{ type: "text", text: "Look" }, { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" }] }] }), { signal: never }),
    );
    assert.equal(result.text, "Hello from gpt-4o-mini. You said: Look I see 1 image(s).");
  });
});

describe("answers", () => {
  test("n=2 yields parts for choice 1 and its finish reason, streamed and not", async () => {
    for (const stream of [true, false]) {
      const parts = await drain(provider.chat(ask({ passthrough: { format: "openai", fields: { n: 2 } } }), { signal: never, stream }));
      assert.ok(parts.some((part) => part.type === "text-delta" && part.choice === 1), `choice 1 parts (stream=${stream})`);
      const finish = parts.at(-1);
      assert.ok(finish?.type === "finish");
      assert.deepEqual(finish.otherChoices, [{ choice: 1, finishReason: "stop" }]);
      const result = await collect((async function* () { yield* parts; })());
      assert.equal(result.otherChoices[0]?.text, result.text);
    }
  });

  test("logprobs pass through on the text deltas", async () => {
    for (const stream of [true, false]) {
      const result = await collect(provider.chat(ask({ passthrough: { format: "openai", fields: { logprobs: true, top_logprobs: 2 } } }), { signal: never, stream }));
      const entries = (result.logprobs ?? []) as Array<{ token: string; top_logprobs: unknown[] }>;
      assert.ok(entries.length > 1, `logprobs arrived (stream=${stream})`);
      assert.equal(entries.map((entry) => entry.token).join(""), result.text);
      assert.ok(entries.every((entry) => entry.top_logprobs.length === 2));
    }
  });

  test("tool calls arrive whole; a forced named tool reads as tool_calls", async () => {
    for (const stream of [true, false]) {
      const result = await collect(provider.chat(ask({ tools: [weatherTool], toolChoice: { name: "get_weather" } }), { signal: never, stream }));
      assert.equal(result.toolCalls.length, 1);
      assert.deepEqual(JSON.parse(result.toolCalls[0]?.arguments ?? ""), { city: "Paris" });
      assert.equal(result.finishReason, "tool_calls");
    }
  });

  test("a repeated long prompt reports cached tokens", async () => {
    const long = "lorem ipsum dolor ".repeat(300);
    await collect(provider.chat(ask({ messages: [{ role: "user", content: long }], maxTokens: 4 }), { signal: never }));
    const second = await collect(provider.chat(ask({ messages: [{ role: "user", content: long }], maxTokens: 4 }), { signal: never }));
    assert.ok((second.usage.cacheReadTokens ?? 0) >= 1024, String(second.usage.cacheReadTokens));
  });

  test("text completions stream; embeddings read the same as float or base64", async () => {
    const completion = await collect(provider.complete({ model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time", maxTokens: 50 }, { signal: never }));
    assert.equal(completion.text, "Hello from gpt-3.5-turbo-instruct. You said: Once upon a time");
    const floats = await provider.embed({ model: "text-embedding-3-small", input: ["a", "b"], dimensions: 32 }, { signal: never });
    assert.equal(lastBody().encoding_format, "float");
    const base64 = await another({ quirks: { embeddingEncoding: "base64" } }).embed({ model: "text-embedding-3-small", input: ["a", "b"], dimensions: 32 }, { signal: never });
    assert.equal(lastBody().encoding_format, "base64");
    assert.equal(floats.embeddings[0]?.length, 32);
    assert.deepEqual(base64, floats);
  });
});

describe("failures", () => {
  test("429 is rate_limited with the upstream's retry-after", async () => {
    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 12 });
    await assert.rejects(
      drain(provider.chat(ask(), { signal: never })),
      isHearthError("rate_limited", (error) => {
        assert.equal(error.retryAfterSeconds, 12);
        assert.equal(error.upstreamStatus, 429);
      }),
    );
  });

  test("401 is upstream_error and its message never carries the key", async () => {
    const key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    const wrong = another({ apiKey: key });
    await assert.rejects(
      drain(wrong.chat(ask(), { signal: never })),
      isHearthError("upstream_error", (error) => {
        assert.equal(error.upstreamStatus, 401);
        assert.match(error.message, /credentials/);
        assert.ok(!error.message.includes(key));
      }),
    );
    // Even when the upstream echoes the whole key back.
    mock.failNext({ kind: "status", status: 401, message: `Incorrect API key provided: ${mock.apiKey}.` });
    await assert.rejects(drain(provider.chat(ask(), { signal: never })), isHearthError("upstream_error", (error) => assert.ok(!error.message.includes(mock.apiKey), error.message)));
  });

  test("500 is upstream_error, 503 overloaded, an unknown model upstream_error before any part", async () => {
    mock.failNext({ kind: "status", status: 500 });
    await assert.rejects(drain(provider.chat(ask(), { signal: never })), isHearthError("upstream_error"));
    mock.failNext({ kind: "status", status: 503 });
    await assert.rejects(drain(provider.chat(ask(), { signal: never })), isHearthError("overloaded"));
    const seen: StreamPart[] = [];
    await assert.rejects(drain(provider.chat(ask({ model: "no-such-model" }), { signal: never }), seen), isHearthError("upstream_error", (error) => assert.equal(error.upstreamStatus, 404)));
    assert.equal(seen.length, 0);
  });

  test("a reset connection is upstream_error", async () => {
    mock.failNext({ kind: "reset" });
    await assert.rejects(drain(provider.chat(ask(), { signal: never })), isHearthError("upstream_error", (error) => assert.match(error.message, /closed the connection|reached/)));
  });

  test("a stream cut mid-way throws upstream_error after the parts that arrived, with no finish", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 4 });
    const seen: StreamPart[] = [];
    await assert.rejects(drain(provider.chat(ask(), { signal: never }), seen), isHearthError("upstream_error"));
    assert.ok(seen.length >= 2, `parts before the cut: ${seen.length}`);
    assert.ok(seen.every((part) => part.type === "text-delta"));
    // Cut after the finish_reason chunk but before usage and [DONE]: still no finish part.
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 7 });
    const late: StreamPart[] = [];
    await assert.rejects(drain(provider.chat(ask(), { signal: never }), late), isHearthError("upstream_error"));
    assert.ok(late.length > 0 && late.every((part) => part.type !== "finish"));
  });

  test("a non-streamed body cut in half is upstream_error", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 1 });
    await assert.rejects(drain(provider.chat(ask(), { signal: never, stream: false })), isHearthError("upstream_error"));
  });

  test("a first token slower than firstTokenTimeoutMs is a timeout", async () => {
    // undici checks header timeouts on a coarse clock (about half a second), hence the wide margins.
    const impatient = another({ firstTokenTimeoutMs: 200 });
    mock.failNext({ kind: "slow-first-token", delayMs: 2_500 });
    const started = performance.now();
    await assert.rejects(drain(impatient.chat(ask(), { signal: never })), isHearthError("timeout", (error) => assert.match(error.message, /first-token/)));
    assert.ok(performance.now() - started < 2_400, "gave up before the upstream answered");
  });

  test("aborting stops reading and closes the upstream request", async () => {
    const slowMock = await startMockOpenAI({ eventDelayMs: 30 });
    const slow = createOpenAIProvider({ id: "slow", baseUrl: `${slowMock.url}/v1`, apiKey: slowMock.apiKey });
    try {
      const controller = new AbortController();
      const seen: StreamPart[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of slow.chat(ask({ messages: [{ role: "user", content: "a long question ".repeat(20) }] }), { signal: controller.signal })) {
            seen.push(part);
            controller.abort();
          }
        })(),
        isHearthError("aborted"),
      );
      assert.equal(seen.length, 1);
      const deadline = Date.now() + 2_000;
      while (slowMock.abortedResponses === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(slowMock.abortedResponses, 1, "the mock saw its response closed before it finished");
    } finally {
      await slow.close();
      await slowMock.close();
    }
  });

  test("a consumer that stops early closes the upstream request too", async () => {
    const slowMock = await startMockOpenAI({ eventDelayMs: 30 });
    const slow = createOpenAIProvider({ id: "slow", baseUrl: `${slowMock.url}/v1`, apiKey: slowMock.apiKey });
    try {
      for await (const part of slow.chat(ask({ messages: [{ role: "user", content: "a long question ".repeat(20) }] }), { signal: never })) {
        assert.equal(part.type, "text-delta");
        break;
      }
      const deadline = Date.now() + 2_000;
      while (slowMock.abortedResponses === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(slowMock.abortedResponses, 1);
    } finally {
      await slow.close();
      await slowMock.close();
    }
  });
});

describe("replaying OpenAI's wire samples", () => {
  let server: Server;
  let url: string;
  let body = "";
  let connections = 0;
  let closedConnections = 0;
  /** Headers (and the role-only first chunk) at once, the rest this much later. */
  let firstTokenDelayMs = 0;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        // Split the body at awkward places, as TCP may.
        const third = firstTokenDelayMs > 0 ? body.indexOf("\n\n") + 2 : Math.floor(body.length / 3);
        response.write(body.slice(0, third));
        setTimeout(() => {
          response.write(body.slice(third, third * 2 + 7));
          response.write(body.slice(third * 2 + 7));
          // The body's end comes a moment after [DONE], as it may from a real server.
          setTimeout(() => response.end(), 20);
        }, 5 + firstTokenDelayMs);
      });
    });
    server.on("connection", (socket) => {
      connections += 1;
      socket.on("close", () => (closedConnections += 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("fragmented arguments of two tool calls arrive whole and in index order, with usage", async () => {
    body = await readFile(join(fixtures, "chat-stream-tool-call.chunks.txt"), "utf8");
    const replay = another({ baseUrl: url });
    const parts = await drain(replay.chat(ask({ tools: [weatherTool] }), { signal: never }));
    assert.deepEqual(parts, [
      { type: "tool-call", toolCall: { id: "call_Vb7nM2xQ9pL4kT1sR8wY3zA6", name: "get_weather", arguments: '{"city":"Paris"}' } },
      { type: "tool-call", toolCall: { id: "call_Hk4sN7pW2qX9vB1mT6yR3cL8", name: "get_weather", arguments: '{"city": "Berlin"}' } },
      { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 80, outputTokens: 34, cacheReadTokens: 0, reasoningTokens: 0 } },
    ]);
  });

  test("finished streams keep their keep-alive connection, even when the consumer stops at the finish part", async () => {
    body = await readFile(join(fixtures, "chat-stream-text.chunks.txt"), "utf8");
    const replay = another({ baseUrl: url });
    const openedBefore = connections;
    const closedBefore = closedConnections;
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 0) assert.equal((await collect(replay.chat(ask(), { signal: never }))).text, "Hello!");
      else {
        for await (const part of replay.chat(ask(), { signal: never })) if (part.type === "finish") break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(closedConnections - closedBefore, 0, "no connection was dropped");
    // A request sent the instant the previous one ends may open a second connection before the
    // pool sees the first one free; after that they are reused.
    assert.ok(connections - openedBefore <= 2, `opened ${connections - openedBefore}`);
  });

  test("a server that sends its headers at once is still held to the first-token limit", async () => {
    body = await readFile(join(fixtures, "chat-stream-text.chunks.txt"), "utf8");
    firstTokenDelayMs = 800;
    try {
      const started = performance.now();
      const impatient = another({ baseUrl: url, firstTokenTimeoutMs: 150 });
      await assert.rejects(drain(impatient.chat(ask(), { signal: never })), isHearthError("timeout", (error) => assert.match(error.message, /no first token within 150 ms/)));
      assert.ok(performance.now() - started < 700, "gave up before the first token came");
      // A patient provider gets the answer; the limit does not apply once parts flow.
      const patient = another({ baseUrl: url, firstTokenTimeoutMs: 2_000 });
      assert.equal((await collect(patient.chat(ask(), { signal: never }))).text, "Hello!");
    } finally {
      firstTokenDelayMs = 0;
    }
  });

  test("a body that ends cleanly without [DONE] is accepted only when every choice finished", async () => {
    const text = await readFile(join(fixtures, "chat-stream-text.chunks.txt"), "utf8");
    body = text.replace("data: [DONE]\n\n", "");
    const replay = another({ baseUrl: url });
    const result = await collect(replay.chat(ask(), { signal: never }));
    assert.equal(result.text, "Hello!");
    assert.equal(result.usage.inputTokens, 19);
    // Only the first two events: the choice never finished.
    body = text.split("\n\n").slice(0, 2).join("\n\n") + "\n\n";
    const seen: StreamPart[] = [];
    await assert.rejects(drain(replay.chat(ask(), { signal: never }), seen), isHearthError("upstream_error", (error) => assert.match(error.message, /ended early/)));
    assert.deepEqual(seen, [{ type: "text-delta", text: "Hello" }]);
  });
});

describe("dropping a stream early", () => {
  for (const [name, sendDone] of [
    ["mid-answer", false],
    ["after [DONE], with the body still open", true],
  ] as const) {
    test(`a consumer that stops ${name} raises no uncaught error and the upstream connection is dropped`, async () => {
      // A server that sends its chunks and then holds the connection open, as a slow or sloppy server would.
      let closed = false;
      const server: Server = createServer((request, response) => {
        request.resume();
        response.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: object, finish: string | null) =>
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        response.write(chunk({ content: "Hello" }, null));
        if (sendDone) response.write(`${chunk({}, "stop")}data: [DONE]\n\n`);
        response.on("close", () => {
          closed = true;
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on("uncaughtException", onUncaught);
      const slow = another({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
      try {
        for await (const part of slow.chat(ask(), { signal: never, stream: true })) {
          assert.equal(part.type, "text-delta");
          // The consumer is busy (a held tool call, a slow client) past the provider's 1 s drain
          // limit for a body that stays open after [DONE], then stops.
          await new Promise((resolve) => setTimeout(resolve, sendDone ? 1_200 : 50));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(uncaught, []);
        assert.equal(closed, true, "the upstream connection was dropped");
      } finally {
        process.off("uncaughtException", onUncaught);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});

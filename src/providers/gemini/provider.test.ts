import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import { collect, type ChatRequest, type StreamPart, type ToolDefinition } from "../../spec/model.ts";
import { startMockGemini, type MockGemini } from "../../../test/support/mock-vendors/gemini.ts";
import { createGeminiProvider, type GeminiProvider } from "./index.ts";
import type { GeminiContent } from "./convert.ts";

// The Gemini provider against the loopback Gemini mock: what goes on the wire, and what comes
// back as StreamParts and HearthErrors.

const never = new AbortController().signal;
const wrongKey = "AIzaSyWrongWrongWrongWrongWrongWrong12";
let mock: MockGemini;
let provider: GeminiProvider;

before(async () => {
  mock = await startMockGemini();
  provider = createGeminiProvider({ id: "gemini-test", baseUrl: mock.url, apiKey: mock.apiKey });
});

after(async () => {
  await provider.close();
  await mock.close();
});

beforeEach(() => {
  mock.reset();
});

const weather: ToolDefinition = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Berlin"] }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
};

async function drain(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

function chat(request: Partial<ChatRequest>, stream = true, target: GeminiProvider = provider): Promise<StreamPart[]> {
  return drain(target.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], ...request }, { signal: never, stream }));
}

function finishOf(parts: StreamPart[]) {
  const last = parts.at(-1);
  assert.ok(last?.type === "finish", `the last part is a finish, got ${last?.type}`);
  return last;
}

function failsWith(code: ErrorCode, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern !== undefined) assert.match(error.message, pattern);
    assert.ok(!error.message.includes(mock.apiKey) && !error.message.includes(wrongKey), "no key in the message");
    return true;
  };
}

function sentContents(index = -1): GeminiContent[] {
  return (mock.requests.at(index)?.body as { contents: GeminiContent[] }).contents;
}

describe("gemini provider: requests on the wire", () => {
  test("streams from :streamGenerateContent?alt=sse with the key in x-goog-api-key, never in the URL", async () => {
    const parts = await chat({ messages: [{ role: "system", content: "Be terse." }, { role: "user", content: "Say hello." }] });
    assert.equal(parts.filter((part) => part.type === "text-delta").map((part) => (part.type === "text-delta" ? part.text : "")).join(""), "Hello from gemini-2.5-flash. You said: Say hello.");
    assert.equal(finishOf(parts).finishReason, "stop");
    const sent = mock.requests.at(-1);
    assert.equal(sent?.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assert.equal(sent?.headers["x-goog-api-key"], mock.apiKey);
    assert.ok(!sent?.path.includes("key="));
    assert.deepEqual((sent?.body as { systemInstruction: unknown }).systemInstruction, { parts: [{ text: "Be terse." }] });
  });

  test("a non-streamed chat calls :generateContent and yields the same parts", async () => {
    const streamed = await collect((async function* () { yield* await chat({ messages: [{ role: "user", content: "Same?" }] }); })());
    const whole = await collect((async function* () { yield* await chat({ messages: [{ role: "user", content: "Same?" }] }, false); })());
    assert.equal(mock.requests.at(-1)?.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert.equal(whole.text, streamed.text);
    assert.deepEqual(whole.usage, streamed.usage);
  });

  test("images: a data: URL goes inline, an http URL as fileData; the model sees both", async () => {
    const parts = await chat({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "image", url: "https://example.com/photo.webp" },
          ],
        },
      ],
    });
    const text = parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("");
    assert.match(text, /I see 2 image\(s\)\./);
    assert.deepEqual(sentContents()[0]?.parts.slice(1), [
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { mimeType: "image/webp", fileUri: "https://example.com/photo.webp" } },
    ]);
  });

  test("JSON mode sends responseMimeType + responseJsonSchema and gets JSON back", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" }, city: { type: "string" } }, required: ["ok", "city"], additionalProperties: false };
    const result = await collect(provider.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "JSON please" }], responseFormat: { type: "json_schema", name: "a", schema } }, { signal: never }));
    assert.deepEqual(JSON.parse(result.text), { ok: true, city: "Paris" });
    const config = (mock.requests.at(-1)?.body as { generationConfig: Record<string, unknown> }).generationConfig;
    assert.deepEqual(config, { responseMimeType: "application/json", responseJsonSchema: schema });
  });
});

describe("gemini provider: several candidates", () => {
  test("OpenAI n=2 becomes candidateCount; each candidate streams as its own choice", async () => {
    const parts = await chat({ messages: [{ role: "user", content: "Two please" }], passthrough: { format: "openai", fields: { n: 2 } } });
    const text = (choice: number) => parts.map((part) => (part.type === "text-delta" && (part.choice ?? 0) === choice ? part.text : "")).join("");
    assert.equal(text(0), "Hello from gemini-2.5-flash. You said: Two please");
    assert.equal(text(1), text(0));
    assert.deepEqual(finishOf(parts).otherChoices, [{ choice: 1, finishReason: "stop" }]);
    assert.equal((mock.requests.at(-1)?.body as { generationConfig: { candidateCount: number } }).generationConfig.candidateCount, 2);
  });
});

describe("gemini provider: tools", () => {
  test("tool round trip: synthesised call ids, functionResponse named after the call, text answer", async () => {
    const first = await chat({ messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weather], toolChoice: "required" });
    const calls = first.flatMap((part) => (part.type === "tool-call" ? [part.toolCall] : []));
    assert.equal(calls.length, 1);
    const call = calls[0];
    assert.ok(call !== undefined);
    assert.match(call.id, /^call_[0-9a-f]{12}_0$/);
    assert.deepEqual(JSON.parse(call.arguments), { city: "Paris", unit: "c" });
    assert.equal(finishOf(first).finishReason, "tool_calls");
    const body = mock.requests.at(-1)?.body as { tools: unknown; toolConfig: unknown };
    assert.deepEqual(body.tools, [{ functionDeclarations: [{ name: "get_weather", parametersJsonSchema: weather.parameters, description: weather.description }] }]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: "ANY" } });

    const second = await collect(
      provider.chat(
        {
          model: "gemini-2.5-flash",
          messages: [
            { role: "user", content: "Weather in Paris?" },
            { role: "assistant", content: null, toolCalls: [call] },
            { role: "tool", toolCallId: call.id, content: '{"temperature":21}' },
          ],
          tools: [weather],
        },
        { signal: never },
      ),
    );
    assert.equal(second.text, 'Tool results: {"temperature":21}');
    assert.equal(second.finishReason, "stop");
    assert.deepEqual(sentContents().slice(1), [
      { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris", unit: "c" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temperature: 21 } } }] },
    ]);
  });

  test("gemini-3: the signature Gemini put on a call is handed back on the next turn", async () => {
    const model = "gemini-3-pro-preview";
    const first = await collect(provider.chat({ model, messages: [{ role: "user", content: "Weather?" }], tools: [weather] }, { signal: never }));
    const signature = first.reasoning[0]?.type === "reasoning" ? first.reasoning[0].signature : undefined;
    assert.ok(signature?.startsWith("gemini:"), "the signature surfaced as reasoning, tagged");
    const call = first.toolCalls[0];
    assert.ok(call !== undefined);
    const second = await collect(
      provider.chat(
        {
          model,
          messages: [
            { role: "user", content: "Weather?" },
            { role: "assistant", content: null, toolCalls: first.toolCalls, reasoning: first.reasoning },
            { role: "tool", toolCallId: call.id, content: "sunny" },
          ],
          tools: [weather],
        },
        { signal: never },
      ),
    );
    assert.equal(second.text, "Tool results: sunny");
    assert.equal(sentContents()[1]?.parts[0]?.thoughtSignature, signature?.slice("gemini:".length), "the real signature, not the skip value");
  });

  test("thinking: reasoning deltas arrive before the text; usage counts thoughts as output and reasoning", async () => {
    const parts = await chat({ messages: [{ role: "user", content: "Think" }], reasoning: { budgetTokens: 512 } });
    const types = parts.map((part) => part.type);
    assert.equal(types[0], "reasoning-delta");
    assert.ok(types.indexOf("reasoning-end") < types.indexOf("text-delta"));
    const sent = mock.requests.at(-1)?.body as { generationConfig: unknown };
    assert.deepEqual(sent.generationConfig, { thinkingConfig: { thinkingBudget: 512, includeThoughts: true } });
    const { usage } = finishOf(parts);
    const counted = await provider.countTokens?.({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Think" }] }, { signal: never });
    assert.equal(usage.inputTokens, counted, "inputTokens is Gemini's promptTokenCount");
    assert.ok(usage.reasoningTokens !== undefined && usage.reasoningTokens > 0);
    const visible = Math.ceil("Hello from gemini-2.5-flash. You said: Think".length / 4);
    assert.equal(usage.outputTokens, visible + usage.reasoningTokens);
  });
});

describe("gemini provider: safety", () => {
  for (const stream of [true, false]) {
    test(`a SAFETY-blocked answer finishes as content_filter with the ratings (stream=${stream})`, async () => {
      const parts = await chat({ messages: [{ role: "user", content: "show the unsafe-demo" }] }, stream);
      assert.equal(parts.length, 1, "no text, only the finish");
      const finish = finishOf(parts);
      assert.equal(finish.finishReason, "content_filter");
      const gemini = finish.providerMetadata?.gemini as { finishReason: string; safetyRatings: Array<{ category: string; blocked?: boolean }> };
      assert.equal(gemini.finishReason, "SAFETY");
      assert.ok(gemini.safetyRatings.some((rating) => rating.blocked === true && rating.category === "HARM_CATEGORY_DANGEROUS_CONTENT"));
    });
  }

  test("a blocked prompt finishes as content_filter with the prompt feedback", async () => {
    const finish = finishOf(await chat({ messages: [{ role: "user", content: "prompt-block-demo" }] }));
    assert.equal(finish.finishReason, "content_filter");
    assert.deepEqual((finish.providerMetadata?.gemini as { promptFeedback: { blockReason: string } }).promptFeedback.blockReason, "SAFETY");
    assert.ok(finish.usage.inputTokens > 0);
  });
});

describe("gemini provider: upstream failures", () => {
  test("429 RESOURCE_EXHAUSTED → rate_limited with Google's RetryInfo delay as retryAfterSeconds", async () => {
    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 21 });
    await assert.rejects(chat({}), (error: unknown) => {
      failsWith("rate_limited", /HTTP 429/)(error);
      assert.equal((error as HearthError).retryAfterSeconds, 21);
      assert.equal((error as HearthError).upstreamStatus, 429);
      return true;
    });
  });

  test("500 → upstream_error, 503 → overloaded, before any part", async () => {
    mock.failNext({ kind: "status", status: 500 });
    await assert.rejects(chat({}), failsWith("upstream_error", /HTTP 500.*internal error/));
    mock.failNext({ kind: "status", status: 503 });
    await assert.rejects(chat({}, false), failsWith("overloaded", /overloaded/));
  });

  test("a wrong key (Gemini's 400) and a missing key (403) are Hearth's credential problem, and no key leaks", async () => {
    const wrong = createGeminiProvider({ id: "gemini-wrong", baseUrl: mock.url, apiKey: wrongKey });
    const none = createGeminiProvider({ id: "gemini-none", baseUrl: mock.url });
    try {
      await assert.rejects(chat({}, true, wrong), failsWith("upstream_error", /credentials \(HTTP 400\)/));
      await assert.rejects(chat({}, false, none), failsWith("upstream_error", /credentials \(HTTP 403\)/));
      await assert.rejects(wrong.embed({ model: "gemini-embedding-001", input: ["x"] }, { signal: never }), failsWith("upstream_error", /credentials/));
    } finally {
      await wrong.close();
      await none.close();
    }
  });

  test("an error object sent inside the stream ends it with the mapped HearthError", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(`data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}\r\n\r\n`);
      response.end(`data: {"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}\r\n\r\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const target = createGeminiProvider({ id: "gemini-raw", baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "k" });
    try {
      const seen: StreamPart[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of target.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }, { signal: never })) seen.push(part);
        })(),
        failsWith("overloaded", /overloaded/),
      );
      assert.deepEqual(seen, [{ type: "text-delta", text: "Hi" }]);
    } finally {
      await target.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("an unknown model is an upstream 404 HearthError", async () => {
    await assert.rejects(chat({ model: "no-such-model" }), failsWith("upstream_error", /404.*not found/));
  });

  test("a stream cut mid-way yields what arrived, then upstream_error and no finish", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 2 });
    const seen: StreamPart[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of provider.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "A long enough answer" }] }, { signal: never })) seen.push(part);
      })(),
      failsWith("upstream_error"),
    );
    assert.equal(seen.length, 2);
    assert.ok(seen.every((part) => part.type === "text-delta"));
  });

  test("a non-streamed answer cut in half is upstream_error", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 1 });
    await assert.rejects(chat({}, false), failsWith("upstream_error"));
  });

  test("a reset connection is upstream_error; a slow first byte trips firstTokenTimeoutMs", async () => {
    mock.failNext({ kind: "reset" });
    await assert.rejects(chat({}), failsWith("upstream_error", /closed the connection|could not be reached/));
    const impatient = createGeminiProvider({ id: "gemini-impatient", baseUrl: mock.url, apiKey: mock.apiKey, firstTokenTimeoutMs: 100 });
    try {
      for (const stream of [true, false]) {
        mock.failNext({ kind: "slow-first-token", delayMs: 1500 });
        const started = Date.now();
        await assert.rejects(chat({}, stream, impatient), failsWith("timeout", /first token within 100 ms/));
        assert.ok(Date.now() - started < 1000, "gave up well before the first byte came");
      }
      assert.equal(finishOf(await chat({}, true, impatient)).finishReason, "stop", "a prompt answer is not cut by the limit");
    } finally {
      await impatient.close();
    }
  });

  test("aborting mid-stream cancels the upstream request", async () => {
    const slow = await startMockGemini({ eventDelayMs: 25 });
    const target = createGeminiProvider({ id: "gemini-slow", baseUrl: slow.url, apiKey: slow.apiKey });
    try {
      const controller = new AbortController();
      const seen: StreamPart[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of target.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x".repeat(400) }] }, { signal: controller.signal })) {
            seen.push(part);
            controller.abort();
          }
        })(),
        (error: unknown) => HearthError.isInstance(error) && error.code === "aborted",
      );
      assert.equal(seen.length, 1);
      for (let waited = 0; slow.abortedStreams === 0 && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(slow.abortedStreams, 1, "the mock saw the client go away before it finished");
    } finally {
      await target.close();
      await slow.close();
    }
  });
});

describe("gemini provider: countTokens, embeddings, completion", () => {
  test("countTokens sends the whole request (system, tools) and returns totalTokens", async () => {
    const request: ChatRequest = { model: "gemini-2.5-flash", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Count this" }], tools: [weather] };
    const counted = await provider.countTokens?.(request, { signal: never });
    const sent = mock.requests.at(-1);
    assert.equal(sent?.path, "/v1beta/models/gemini-2.5-flash:countTokens");
    const body = sent?.body as { generateContentRequest: { model: string; systemInstruction: unknown; tools: unknown } };
    assert.equal(body.generateContentRequest.model, "models/gemini-2.5-flash");
    assert.ok(body.generateContentRequest.systemInstruction !== undefined && body.generateContentRequest.tools !== undefined);
    const parts = await chat(request);
    assert.equal(counted, finishOf(parts).usage.inputTokens, "the same count generateContent bills");
  });

  test("embeddings: batchEmbedContents, dimensions honoured, batches of 100, estimated usage", async () => {
    const small = await provider.embed({ model: "gemini-embedding-001", input: ["first", "second text"], dimensions: 16 }, { signal: never });
    assert.equal(small.embeddings.length, 2);
    assert.ok(small.embeddings.every((vector) => vector.length === 16));
    assert.notDeepEqual(small.embeddings[0], small.embeddings[1]);
    assert.equal(small.usage.inputTokens, 2 + 3, "ceil(chars / 4) per text: Gemini reports no usage for embeddings");
    assert.equal(mock.requests.at(-1)?.path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");

    mock.reset();
    const input = Array.from({ length: 150 }, (_, index) => `text number ${index}`);
    const large = await provider.embed({ model: "text-embedding-004", input }, { signal: never });
    assert.equal(large.embeddings.length, 150);
    assert.equal(mock.requests.length, 2, "two batches");
    const again = await provider.embed({ model: "text-embedding-004", input: ["text number 120"] }, { signal: never });
    assert.deepEqual(again.embeddings[0], large.embeddings[120], "order kept across batches");
  });

  test("text completion is unsupported", async () => {
    await assert.rejects(drain(provider.complete({ model: "gemini-2.5-flash", prompt: "Once" }, { signal: never })), failsWith("unsupported"));
  });
});

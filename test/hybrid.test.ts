import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { FunctionCallingConfigMode, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { startMockAnthropic, type MockAnthropic } from "./support/mock-vendors/anthropic.ts";
import { startMockGemini, type MockGemini } from "./support/mock-vendors/gemini.ts";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

/**
 * The hybrid gateway end to end: one Hearth with the in-process model and three mock vendors
 * (speaking OpenAI's, Anthropic's and Gemini's wire formats), driven by the official SDKs.
 * Routes fall back across failing vendors to the local model; a stream cut after its first
 * byte reaches the client as an error and is logged as failed.
 */

let openaiVendor: MockOpenAI;
let anthropicVendor: MockAnthropic;
let geminiVendor: MockGemini;
let hearth: TestServer;

const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Berlin"] } }, required: ["city"], additionalProperties: false },
};

before(async () => {
  [openaiVendor, anthropicVendor, geminiVendor] = await Promise.all([
    startMockOpenAI({ eventDelayMs: 1 }),
    startMockAnthropic({ eventDelayMs: 1 }),
    startMockGemini({ eventDelayMs: 1 }),
  ]);
  hearth = await startServer({
    providers: [
      { name: "oa", type: "openai", baseUrl: `${openaiVendor.url}/v1`, apiKey: openaiVendor.apiKey, retries: 1 },
      { name: "an", type: "anthropic", baseUrl: anthropicVendor.url, apiKey: anthropicVendor.apiKey, retries: 0 },
      { name: "ge", type: "gemini", baseUrl: geminiVendor.url, apiKey: geminiVendor.apiKey, retries: 0 },
    ],
    models: [
      await tinyModelConfig("local"),
      { name: "gpt", provider: "oa", model: "gpt-4o-mini" },
      { name: "embed-3", provider: "oa", model: "text-embedding-3-small", chat: false, embedding: true },
      { name: "claude", provider: "an", model: "claude-sonnet-4-5" },
      { name: "gem", provider: "ge", model: "gemini-2.5-flash" },
    ],
    routes: [
      { name: "smart", targets: ["claude", "gpt", "local"], retries: { attempts: 0 } },
      { name: "closed-first", targets: ["gem", "local"], retries: { attempts: 0 }, circuitBreaker: { failureThreshold: 2, cooldown: "1m" } },
      { name: "spread", strategy: "loadbalance", targets: ["gpt", "claude"] },
      { name: "impatient", targets: [{ model: "gpt", timeouts: { firstToken: "300ms" } }, "claude"], retries: { attempts: 0 } },
    ],
  });
});

after(async () => {
  await hearth?.close();
  await Promise.all([openaiVendor?.close(), anthropicVendor?.close(), geminiVendor?.close()]);
});

async function logFor(requestId: string) {
  await hearth.composition.storage.requestLog.flush();
  const entries = await hearth.composition.storage.requestLog.query({ limit: 1000 });
  const entry = entries.find((candidate) => candidate.requestId === requestId);
  assert.ok(entry, `a log entry for ${requestId}`);
  return entry;
}

describe("OpenAI SDK through Hearth to every kind of model", () => {
  for (const model of ["gpt", "claude", "gem"]) {
    test(`${model}: plain, streamed, tools and JSON answers are correct`, async () => {
      const client = hearth.client;
      const plain = await client.chat.completions.create({ model, messages: [{ role: "user", content: "ping" }] });
      assert.match(plain.choices[0]?.message.content ?? "", /You said: ping/);
      assert.ok((plain.usage?.prompt_tokens ?? 0) > 0);

      const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "stream me" }] });
      let text = "";
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish ??= chunk.choices[0]?.finish_reason;
      }
      assert.match(text, /You said: stream me/);
      assert.equal(finish, "stop");

      const tools = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "weather?" }],
        tools: [{ type: "function", function: weatherTool }],
        tool_choice: "required",
      });
      const call = tools.choices[0]?.message.tool_calls?.[0];
      assert.ok(call !== undefined && call.type === "function");
      assert.equal(call.function.name, "get_weather");
      assert.deepEqual(JSON.parse(call.function.arguments), { city: "Paris" });
      assert.equal(tools.choices[0]?.finish_reason, "tool_calls");

      const json = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "json please" }],
        response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } } },
      });
      assert.deepEqual(JSON.parse(json.choices[0]?.message.content ?? ""), { ok: true });
    });
  }

  test("embeddings through a remote embedding model", async () => {
    const result = await hearth.client.embeddings.create({ model: "embed-3", input: ["a", "b"] });
    assert.equal(result.data.length, 2);
    assert.ok((result.data[0]?.embedding.length ?? 0) > 0);
  });

  test("fields Hearth does not interpret reach an OpenAI-compatible upstream verbatim", async () => {
    openaiVendor.reset();
    await hearth.client.chat.completions.create({
      model: "gpt",
      messages: [{ role: "user", content: "x" }],
      user: "user-42",
      logit_bias: { "50256": -100 },
      // @ts-expect-error a vendor field the SDK does not know
      vendor_extension: { mode: "fast" },
    });
    const body = openaiVendor.requests.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.user, "user-42");
    assert.deepEqual(body.logit_bias, { "50256": -100 });
    assert.deepEqual(body.vendor_extension, { mode: "fast" });
    assert.equal(body.model, "gpt-4o-mini", "the upstream name replaces the public one");
  });
});

describe("Anthropic and Gemini SDKs through Hearth", () => {
  test("the Anthropic SDK gets answers from the local model and from a mock vendor", async () => {
    const client = new Anthropic({ baseURL: hearth.url, apiKey: "unused", maxRetries: 0 });
    for (const model of ["claude", "gpt"]) {
      const message = await client.messages.create({ model, max_tokens: 200, messages: [{ role: "user", content: "hello there" }] });
      const block = message.content[0];
      assert.ok(block?.type === "text" && /You said: hello there/.test(block.text), JSON.stringify(message.content));
      const streamed = await client.messages.stream({ model, max_tokens: 200, tools: [{ name: weatherTool.name, input_schema: weatherTool.parameters as Anthropic.Tool.InputSchema }], tool_choice: { type: "any" }, messages: [{ role: "user", content: "weather" }] }).finalMessage();
      const use = streamed.content.find((item) => item.type === "tool_use");
      assert.ok(use?.type === "tool_use");
      assert.deepEqual(use.input, { city: "Paris" });
      assert.equal(streamed.stop_reason, "tool_use");
    }
    const local = await client.messages.create({ model: "local", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    assert.equal(local.type, "message");
    assert.ok(local.usage.input_tokens > 0);
    const counted = await client.messages.countTokens({ model: "local", messages: [{ role: "user", content: "hi" }] });
    assert.equal(counted.input_tokens, local.usage.input_tokens);
  });

  test("Responses input_tokens counts what the model will see, or says plainly it cannot", async () => {
    const created = await hearth.client.responses.create({ model: "local", instructions: "Be brief.", input: "count me", max_output_tokens: 4 });
    const counted = await hearth.client.responses.inputTokens.count({ model: "local", instructions: "Be brief.", input: "count me" });
    assert.equal(counted.object, "response.input_tokens");
    assert.equal(counted.input_tokens, created.usage?.input_tokens);
    const claude = await hearth.client.responses.inputTokens.count({ model: "claude", input: "count me" });
    assert.ok(claude.input_tokens > 0, "an Anthropic upstream counts with its own endpoint");
    await assert.rejects(hearth.client.responses.inputTokens.count({ model: "gpt", input: "x" }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 400);
      assert.match(error.message, /cannot count tokens/);
      return true;
    });
  });

  test("the Gemini SDK gets answers from a mock vendor and the local model", async () => {
    const client = new GoogleGenAI({ apiKey: "unused", httpOptions: { baseUrl: hearth.url } });
    const answer = await client.models.generateContent({ model: "gpt", contents: "bonjour" });
    assert.match(answer.text ?? "", /You said: bonjour/);
    let streamed = "";
    for await (const chunk of await client.models.generateContentStream({ model: "gem", contents: "streaming" })) streamed += chunk.text ?? "";
    assert.match(streamed, /You said: streaming/);
    const local = await client.models.generateContent({ model: "local", contents: "hi", config: { maxOutputTokens: 8 } });
    assert.ok((local.usageMetadata?.promptTokenCount ?? 0) > 0);
  });
});

describe("routes", () => {
  test("a route falls back across failing vendors to the local model, and says so", async () => {
    anthropicVendor.failNext({ kind: "status", status: 529 });
    openaiVendor.failNext({ kind: "reset" });
    const response = await hearth.client.chat.completions
      .create({ model: "smart", messages: [{ role: "user", content: "hi" }], max_tokens: 8, temperature: 0 })
      .withResponse();
    assert.equal(response.response.headers.get("x-hearth-route"), "smart");
    assert.equal(response.response.headers.get("x-hearth-model"), "local-llama/local");
    const entry = await logFor(response.response.headers.get("x-request-id") ?? "");
    assert.equal(entry.route, "smart");
    assert.equal(entry.target, "local-llama/local");
    assert.equal(entry.attempts, 3, "claude, gpt (the route allows no retries), then local");
    assert.equal(entry.status, 200);
  });

  test("a 429 with Retry-After is retried on the same vendor after waiting", async () => {
    openaiVendor.reset();
    openaiVendor.failNext({ kind: "status", status: 429, retryAfterSeconds: 1 });
    const started = performance.now();
    const response = await hearth.client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "again" }] }).withResponse();
    const waited = performance.now() - started;
    assert.match(response.data.choices[0]?.message.content ?? "", /You said: again/);
    assert.ok(waited >= 950, `waited ${Math.round(waited)} ms for Retry-After: 1`);
    assert.equal(openaiVendor.requests.filter((request) => request.path.startsWith("/v1/chat")).length, 2);
  });

  test("a stream cut mid-answer reaches the client as an error, is logged as failed, and is not re-sent elsewhere", async () => {
    anthropicVendor.reset();
    openaiVendor.reset();
    anthropicVendor.failNext({ kind: "cut-mid-stream", afterEvents: 4 });
    const stream = await hearth.client.chat.completions.create({ model: "smart", stream: true, messages: [{ role: "user", content: "a long answer please" }] }).withResponse();
    let text = "";
    let failure: unknown;
    try {
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? "";
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof Error, "the SDK raised instead of ending cleanly");
    assert.match(String((failure as Error).message), /upstream|stream/i);
    const entry = await logFor(stream.response.headers.get("x-request-id") ?? "");
    assert.equal(entry.errorCode, "upstream_error");
    assert.notEqual(entry.status, 200);
    assert.equal(openaiVendor.requests.length, 0, "no fallback after the first byte");
  });

  test("the circuit opens after repeated failures and the route stops calling the failing vendor", async () => {
    geminiVendor.reset();
    geminiVendor.failNext({ kind: "status", status: 500 }, 10);
    for (let index = 0; index < 3; index++) {
      const response = await hearth.client.chat.completions.create({ model: "closed-first", messages: [{ role: "user", content: "x" }], max_tokens: 4 }).withResponse();
      assert.equal(response.response.headers.get("x-hearth-model"), "local-llama/local");
    }
    assert.equal(geminiVendor.requests.length, 2, "after two failures the vendor is skipped");
    geminiVendor.reset();
  });

  test("a loadbalance route spreads requests over its targets and says which one answered", async () => {
    const served = new Map<string, number>();
    for (let index = 0; index < 24; index++) {
      const response = await hearth.client.chat.completions.create({ model: "spread", messages: [{ role: "user", content: "spread" }] }).withResponse();
      assert.match(response.data.choices[0]?.message.content ?? "", /You said: spread/);
      const target = response.response.headers.get("x-hearth-model") ?? "";
      served.set(target, (served.get(target) ?? 0) + 1);
    }
    // Equal weights on an idle gateway: a fair draw per request (all 24 on one side has odds ~1e-7).
    assert.deepEqual([...served.keys()].sort(), ["an/claude-sonnet-4-5", "oa/gpt-4o-mini"]);
  });

  test("a target slow to its first token is abandoned for the next one, before any byte reaches the client", async () => {
    openaiVendor.reset();
    openaiVendor.failNext({ kind: "slow-first-token", delayMs: 3_000 });
    const response = await hearth.client.chat.completions.create({ model: "impatient", stream: true, messages: [{ role: "user", content: "quick" }] }).withResponse();
    let text = "";
    for await (const chunk of response.data) text += chunk.choices[0]?.delta.content ?? "";
    assert.match(text, /You said: quick/);
    assert.equal(response.response.headers.get("x-hearth-model"), "an/claude-sonnet-4-5");
    const entry = await logFor(response.response.headers.get("x-request-id") ?? "");
    assert.equal(entry.attempts, 2);
    assert.equal(entry.status, 200);
  });

  test("an upstream credential failure does not leak the key", async () => {
    const bad = await startServer({
      providers: [{ name: "oa", type: "openai", baseUrl: `${openaiVendor.url}/v1`, apiKey: "sk-wrong-key-0123456789abcdef", retries: 0 }],
      models: [{ name: "gpt", provider: "oa" }],
    });
    try {
      await assert.rejects(bad.client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "x" }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 502);
        assert.doesNotMatch(JSON.stringify(error.error), /0123456789abcdef/);
        return true;
      });
    } finally {
      await bad.close();
    }
  });
});

/**
 * Every official SDK against every kind of model: plain, streamed, tools and JSON. Mock vendors
 * answer deterministically, so their text is checked exactly; the local model has random
 * weights, so for it the checks are structural (forced tool calls and JSON are grammar-bound
 * and must parse and match the schema).
 */
describe("SDK × model matrix", () => {
  const models = ["local", "gpt", "claude", "gem"] as const;
  const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
  const expectText = (model: string, text: string, said: string) => {
    if (model !== "local") assert.match(text, new RegExp(`You said: ${said}`));
  };

  for (const model of models) {
    test(`Responses API (openai SDK) → ${model}`, async () => {
      const client = hearth.client;
      const plain = await client.responses.create({ model, input: "hi responses", max_output_tokens: model === "local" ? 8 : 200 });
      expectText(model, plain.output_text, "hi responses");
      const stream = client.responses.stream({ model, input: "streamed responses", max_output_tokens: model === "local" ? 8 : 200 });
      let deltas = "";
      stream.on("response.output_text.delta", (event) => (deltas += event.delta));
      const final = await stream.finalResponse();
      assert.equal(final.output_text, deltas);
      expectText(model, deltas, "streamed responses");
      const tools = await client.responses.create({ model, input: "weather?", tools: [{ type: "function", ...weatherTool, strict: true }], tool_choice: "required", max_output_tokens: 256 });
      const call = tools.output.find((item) => item.type === "function_call");
      assert.ok(call?.type === "function_call");
      assert.ok(["Paris", "Berlin"].includes((JSON.parse(call.arguments) as { city: string }).city));
      const json = await client.responses.create({ model, input: "json", text: { format: { type: "json_schema", name: "a", schema, strict: true } }, max_output_tokens: 256 });
      assert.equal(typeof (JSON.parse(json.output_text) as { ok: unknown }).ok, "boolean");
    });

    test(`Anthropic SDK → ${model}`, async () => {
      const client = new Anthropic({ baseURL: hearth.url, apiKey: "unused", maxRetries: 0 });
      const maxTokens = model === "local" ? 8 : 200;
      const plain = await client.messages.create({ model, max_tokens: maxTokens, messages: [{ role: "user", content: "hi anthropic" }] });
      expectText(model, plain.content.map((block) => (block.type === "text" ? block.text : "")).join(""), "hi anthropic");
      const streamed = await client.messages.stream({ model, max_tokens: maxTokens, messages: [{ role: "user", content: "streamed anthropic" }] }).finalMessage();
      expectText(model, streamed.content.map((block) => (block.type === "text" ? block.text : "")).join(""), "streamed anthropic");
      const tools = await client.messages.create({
        model,
        max_tokens: 256,
        tools: [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters as Anthropic.Tool.InputSchema }],
        tool_choice: { type: "tool", name: "get_weather" },
        messages: [{ role: "user", content: "weather?" }],
      });
      const use = tools.content.find((block) => block.type === "tool_use");
      assert.ok(use?.type === "tool_use");
      assert.ok(["Paris", "Berlin"].includes((use.input as { city: string }).city));
      const json = await client.messages.create({
        model,
        max_tokens: 256,
        messages: [{ role: "user", content: "json" }],
        output_config: { format: { type: "json_schema", schema } },
      });
      const text = json.content.map((block) => (block.type === "text" ? block.text : "")).join("");
      assert.equal(typeof (JSON.parse(text) as { ok: unknown }).ok, "boolean");
    });

    test(`Gemini SDK → ${model}`, async () => {
      const client = new GoogleGenAI({ apiKey: "unused", httpOptions: { baseUrl: hearth.url } });
      const maxOutputTokens = model === "local" ? 8 : 200;
      const plain = await client.models.generateContent({ model, contents: "hi gemini", config: { maxOutputTokens } });
      expectText(model, plain.text ?? "", "hi gemini");
      let streamed = "";
      for await (const chunk of await client.models.generateContentStream({ model, contents: "streamed gemini", config: { maxOutputTokens } })) streamed += chunk.text ?? "";
      expectText(model, streamed, "streamed gemini");
      const tools = await client.models.generateContent({
        model,
        contents: "weather?",
        config: {
          maxOutputTokens: 256,
          tools: [{ functionDeclarations: [{ name: weatherTool.name, description: weatherTool.description, parametersJsonSchema: weatherTool.parameters }] }],
          toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } },
        },
      });
      const call = tools.functionCalls?.[0];
      assert.equal(call?.name, "get_weather");
      assert.ok(["Paris", "Berlin"].includes(String(call?.args?.city)));
      const json = await client.models.generateContent({ model, contents: "json", config: { maxOutputTokens: 256, responseMimeType: "application/json", responseJsonSchema: schema } });
      assert.equal(typeof (JSON.parse(json.text ?? "") as { ok: unknown }).ok, "boolean");
    });
  }
});

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type, type Content } from "@google/genai";
import { Hono } from "hono";
import { createCatalog } from "../../core/catalog.ts";
import { createGateway, type CatalogEntry } from "../../core/gateway.ts";
import { silentLogger } from "../../core/logger.ts";
import type { RequestLogEntry } from "../../core/request-log.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import type { ChatRequest, EmbeddingRequest, ModelInfo, ModelProvider, StreamPart } from "../../spec/model.ts";
import { createRouteKit, errorResponse, openAIErrorFormat, type Environment } from "../kit.ts";
import { listen, type RunningServer } from "../serve.ts";
import { registerGeminiRoutes, useGeminiErrorFormat } from "./gemini.ts";
import { registerOpenAIRoutes } from "./openai.ts";

// The Gemini dialect driven by Google's own SDK over a real socket, against a scripted provider,
// so what is pinned down is what an unmodified @google/genai app sees.

type Script = (request: ChatRequest, signal: AbortSignal) => AsyncGenerator<StreamPart>;

const finish = (reason: "stop" | "tool_calls" | "length" = "stop"): StreamPart => ({
  type: "finish",
  finishReason: reason,
  usage: { inputTokens: 7, outputTokens: 3 },
});

function textScript(...pieces: string[]): Script {
  return async function* () {
    for (const text of pieces) yield { type: "text-delta", text };
    yield finish();
  };
}

const state: {
  script: Script;
  chats: ChatRequest[];
  embeds: EmbeddingRequest[];
  headers: Headers[];
  log: Array<Omit<RequestLogEntry, "id">>;
} = { script: textScript(""), chats: [], embeds: [], headers: [], log: [] };

const provider: ModelProvider = {
  id: "scripted",
  chat(request, options) {
    state.chats.push(request);
    return state.script(request, options.signal);
  },
  complete: () => {
    throw new HearthError("unsupported", "no completions here");
  },
  async embed(request) {
    state.embeds.push(request);
    return { embeddings: request.input.map((text, index) => [text.length, index, 0.5]), usage: { inputTokens: request.input.length } };
  },
  async countTokens(request) {
    const text = request.messages.map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content))).join(" ");
    return text.split(/\s+/).filter(Boolean).length;
  },
};

function entry(name: string, capabilities: ModelInfo["capabilities"]): CatalogEntry {
  return { info: { name, provider: "scripted", contextLength: 4096, locality: "in-process", capabilities }, provider, created: 0, state: () => "loaded" };
}

const entries = [
  entry("m", { chat: true, completion: false, embedding: true }),
  entry("qwen/qwen3:8b", { chat: true, completion: false, embedding: false }),
];

let server: RunningServer;
/** The SDK as an app uses it: its default API version (v1 in @google/genai 3.x). */
let ai: GoogleGenAI;
/** The SDK pinned to v1beta, the version Google documents the REST API under. */
let aiBeta: GoogleGenAI;

before(async () => {
  const gateway = createGateway({
    catalog: createCatalog(entries),
    requestLog: { append: (item) => state.log.push(item) },
  });
  const app = new Hono<Environment>();
  app.use("*", async (context, next) => {
    state.headers.push(context.req.raw.headers);
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
  // What app.ts is asked to do: Gemini error shape first, then a key check on both API versions
  // that also takes Google's x-goog-api-key header and ?key= parameter.
  useGeminiErrorFormat(app);
  for (const path of ["/v1/*", "/v1beta/*"]) {
    app.use(path, async (context, next) => {
      const bearer = /^Bearer\s+(.+)$/i.exec(context.req.header("authorization") ?? "")?.[1];
      const key = bearer ?? context.req.header("x-goog-api-key") ?? context.req.query("key");
      if (key !== "test-key") throw new HearthError("unauthorized", key === undefined ? "Missing API key." : "Invalid API key.");
      await next();
    });
  }
  const kit = createRouteKit({ gateway, logger: silentLogger, maxBodyBytes: 1_000_000, requestTimeoutMs: 30_000 });
  registerGeminiRoutes(app, kit);
  // Registered after, as app.ts must: GET /v1/models is shared with the OpenAI dialect.
  registerOpenAIRoutes(app, kit);
  server = await listen(app, "127.0.0.1", 0);
  ai = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl: server.url } });
  aiBeta = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl: server.url, apiVersion: "v1beta" } });
});

after(async () => {
  await server.close(1_000);
});

beforeEach(() => {
  state.chats = [];
  state.embeds = [];
  state.headers = [];
  state.log = [];
});

async function rejectsWith(promise: Promise<unknown>, status: number, pattern?: RegExp): Promise<ApiError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ApiError, `expected ApiError, got ${String(caught)}`);
  assert.equal(caught.status, status);
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

describe("Gemini API through @google/genai", () => {
  test("generateContent: text, usage, settings and the SDK's api-key header", async () => {
    state.script = textScript("Hello", " world");
    const response = await ai.models.generateContent({
      model: "m",
      contents: "Say hello",
      config: { systemInstruction: "Be brief.", temperature: 0.3, topP: 0.8, topK: 20, maxOutputTokens: 50, stopSequences: ["END"], seed: 9 },
    });
    assert.equal(response.text, "Hello world");
    assert.equal(response.candidates?.[0]?.finishReason, "STOP");
    assert.equal(response.modelVersion, "m");
    assert.ok((response.responseId ?? "").length > 0);
    assert.deepEqual(
      { prompt: response.usageMetadata?.promptTokenCount, candidates: response.usageMetadata?.candidatesTokenCount, total: response.usageMetadata?.totalTokenCount },
      { prompt: 7, candidates: 3, total: 10 },
    );
    assert.equal(response.sdkHttpResponse?.headers?.["x-hearth-model"], "scripted/m");
    const seen = state.chats[0];
    assert.ok(seen !== undefined);
    assert.deepEqual(seen.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hello" },
    ]);
    assert.deepEqual([seen.temperature, seen.topP, seen.maxTokens, seen.stop, seen.seed], [0.3, 0.8, 50, ["END"], 9]);
    assert.deepEqual(seen.passthrough, { format: "gemini", fields: { generationConfig: { topK: 20 } } });
    assert.equal(state.headers[0]?.get("x-goog-api-key"), "test-key");
    assert.equal(state.log[0]?.endpoint, "gemini.generate_content");
  });

  test("generateContentStream: one chunk per delta, then finishReason and usage", async () => {
    state.script = textScript("Hel", "lo", "!");
    const stream = await ai.models.generateContentStream({ model: "m", contents: "hi" });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.map((chunk) => chunk.text ?? "").join(""), "Hello!");
    assert.equal(chunks.length, 4);
    const last = chunks.at(-1);
    assert.equal(last?.candidates?.[0]?.finishReason, "STOP");
    assert.equal(last?.usageMetadata?.totalTokenCount, 10);
    assert.equal(chunks[0]?.candidates?.[0]?.finishReason, undefined);
    assert.equal(state.log[0]?.stream, true);
  });

  test("a model name holding '/' and ':' is split at the last colon", async () => {
    state.script = textScript("ok");
    const response = await ai.models.generateContent({ model: "qwen/qwen3:8b", contents: "hi" });
    assert.equal(response.text, "ok");
    assert.equal(state.chats[0]?.model, "qwen/qwen3:8b");
    const streamed = await ai.models.generateContentStream({ model: "models/qwen/qwen3:8b", contents: "hi" });
    let text = "";
    for await (const chunk of streamed) text += chunk.text ?? "";
    assert.equal(text, "ok");
  });

  test("function calling round trip: the functionResponse reaches the provider as a tool message for that call", async () => {
    state.script = async function* () {
      yield { type: "tool-call", toolCall: { id: "call_up_1", name: "get_weather", arguments: '{"city":"Paris"}' } };
      yield finish("tool_calls");
    };
    const tools = [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Weather for a city",
            parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] },
          },
          { name: "get_time", parametersJsonSchema: { type: "object", properties: { zone: { type: "string" } } } },
        ],
      },
    ];
    const contents: Content[] = [{ role: "user", parts: [{ text: "Weather in Paris?" }] }];
    const first = await ai.models.generateContent({
      model: "m",
      contents,
      config: { tools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ["get_weather"] } } },
    });
    assert.deepEqual(first.functionCalls?.map((call) => ({ name: call.name, args: call.args })), [{ name: "get_weather", args: { city: "Paris" } }]);
    assert.equal(first.candidates?.[0]?.finishReason, "STOP");
    const seen = state.chats[0];
    assert.deepEqual(seen?.tools?.map((tool) => tool.name), ["get_weather"], "allowedFunctionNames narrows the tools");
    assert.deepEqual(seen?.tools?.[0]?.parameters, { type: "object", properties: { city: { type: "string" } }, required: ["city"] });
    assert.deepEqual(seen?.toolChoice, { name: "get_weather" });

    state.script = textScript("It is 21°C in Paris.");
    const modelTurn = first.candidates?.[0]?.content;
    assert.ok(modelTurn !== undefined);
    const second = await ai.models.generateContent({
      model: "m",
      contents: [...contents, modelTurn, { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temperature: 21 } } }] }],
      config: { tools },
    });
    assert.equal(second.text, "It is 21°C in Paris.");
    const messages = state.chats[1]?.messages ?? [];
    const assistant = messages[1];
    assert.ok(assistant?.role === "assistant");
    const callId = assistant.toolCalls?.[0]?.id;
    assert.ok(callId !== undefined);
    assert.deepEqual(assistant.toolCalls, [{ id: callId, name: "get_weather", arguments: '{"city":"Paris"}' }]);
    assert.deepEqual(messages[2], { role: "tool", toolCallId: callId, content: '{"temperature":21}' });
    assert.deepEqual(state.chats[1]?.tools?.map((tool) => tool.name), ["get_weather", "get_time"]);
  });

  test("history without call ids (as Google's own API returns it) gets deterministic ids matched by name, in order", async () => {
    state.script = textScript("done");
    await ai.models.generateContent({
      model: "m",
      contents: [
        { role: "user", parts: [{ text: "Two cities" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Oslo" } } }, { functionCall: { name: "get_weather", args: { city: "Rome" } } }] },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { output: "cold" } } },
            { functionResponse: { name: "get_weather", response: { output: "warm" } } },
          ],
        },
      ],
    });
    const messages = state.chats[0]?.messages ?? [];
    assert.deepEqual(messages.slice(1), [
      {
        role: "assistant",
        content: null,
        toolCalls: [
          { id: "call_1_0", name: "get_weather", arguments: '{"city":"Oslo"}' },
          { id: "call_1_1", name: "get_weather", arguments: '{"city":"Rome"}' },
        ],
      },
      { role: "tool", toolCallId: "call_1_0", content: '{"output":"cold"}' },
      { role: "tool", toolCallId: "call_1_1", content: '{"output":"warm"}' },
    ]);
  });

  test("a streamed chat with a tool call keeps its history valid and answers the call on the next turn", async () => {
    state.script = async function* () {
      yield { type: "text-delta", text: "Let me check." };
      yield { type: "tool-call", toolCall: { id: "call_up_9", name: "lookup", arguments: '{"q":"x"}' } };
      yield finish("tool_calls");
    };
    const chat = ai.chats.create({ model: "m", config: { tools: [{ functionDeclarations: [{ name: "lookup" }] }] } });
    const stream = await chat.sendMessageStream({ message: "find x" });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    assert.deepEqual(calls.map((call) => call.name), ["lookup"]);
    assert.equal(chat.getHistory(true).length, 4, "the user turn plus one model content per chunk (text, call, finish), none dropped");

    state.script = textScript("found");
    const answer = await chat.sendMessage({ message: [{ functionResponse: { name: "lookup", response: { output: 42 } } }] });
    assert.equal(answer.text, "found");
    const messages = state.chats[1]?.messages ?? [];
    assert.deepEqual(messages.map((message) => message.role), ["user", "assistant", "tool"]);
    const assistant = messages[1];
    assert.ok(assistant?.role === "assistant");
    assert.equal(assistant.content, "Let me check.");
    assert.equal(assistant.toolCalls?.length, 1, "consecutive model contents merge into one assistant turn");
    assert.deepEqual(messages[2], { role: "tool", toolCallId: assistant.toolCalls?.[0]?.id, content: '{"output":42}' });
  });

  test("JSON output: responseMimeType + responseSchema arrive as a JSON Schema response format", async () => {
    state.script = textScript('{"name":"Ada","age":36}');
    const response = await ai.models.generateContent({
      model: "m",
      contents: "Who?",
      config: {
        responseMimeType: "application/json",
        responseSchema: {
          type: Type.OBJECT,
          properties: { name: { type: Type.STRING }, age: { type: Type.INTEGER, nullable: true } },
          required: ["name"],
          propertyOrdering: ["name", "age"],
        },
      },
    });
    assert.deepEqual(JSON.parse(response.text ?? ""), { name: "Ada", age: 36 });
    assert.deepEqual(state.chats[0]?.responseFormat, {
      type: "json_schema",
      name: "response",
      schema: { type: "object", properties: { name: { type: "string" }, age: { type: ["integer", "null"] } }, required: ["name"] },
    });
  });

  test("reasoning comes back as thought parts that response.text skips, and round-trips with its signature", async () => {
    state.script = async function* () {
      yield { type: "reasoning-delta", text: "Think" };
      yield { type: "reasoning-delta", text: "ing." };
      yield { type: "reasoning-end", signature: "sig-1" };
      yield { type: "text-delta", text: "Answer" };
      yield { type: "finish", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 9, reasoningTokens: 4 } };
    };
    const response = await ai.models.generateContent({ model: "m", contents: "q", config: { thinkingConfig: { thinkingBudget: 512 } } });
    assert.equal(response.text, "Answer");
    assert.deepEqual(response.candidates?.[0]?.content?.parts?.[0], { text: "Thinking.", thought: true, thoughtSignature: "sig-1" });
    assert.equal(response.usageMetadata?.thoughtsTokenCount, 4);
    assert.equal(response.usageMetadata?.candidatesTokenCount, 5);
    assert.deepEqual(state.chats[0]?.reasoning, { budgetTokens: 512 });

    const stream = await ai.models.generateContentStream({ model: "m", contents: "q" });
    const history: Content[] = [{ role: "user", parts: [{ text: "q" }] }];
    for await (const chunk of stream) if (chunk.candidates?.[0]?.content !== undefined) history.push(chunk.candidates[0].content);
    state.script = textScript("next");
    await ai.models.generateContent({ model: "m", contents: [...history, { role: "user", parts: [{ text: "more" }] }] });
    const assistant = state.chats[2]?.messages[1];
    assert.deepEqual(assistant, { role: "assistant", content: "Answer", reasoning: [{ type: "reasoning", text: "Thinking.", signature: "sig-1" }] });
  });

  test("countTokens counts on the serving model", async () => {
    const response = await ai.models.countTokens({ model: "m", contents: "how many tokens here" });
    assert.equal(response.totalTokens, 4);
    assert.equal(state.log[0]?.endpoint, "gemini.count_tokens");
  });

  test("embedContent embeds each text through batchEmbedContents", async () => {
    const response = await ai.models.embedContent({ model: "m", contents: ["a", "bbb"], config: { taskType: "RETRIEVAL_DOCUMENT" } });
    assert.deepEqual(response.embeddings?.map((embedding) => embedding.values), [
      [1, 0, 0.5],
      [3, 1, 0.5],
    ]);
    assert.deepEqual(state.embeds[0]?.input, ["a", "bbb"]);
    assert.deepEqual(state.embeds[0]?.passthrough, { format: "gemini", fields: { taskType: "RETRIEVAL_DOCUMENT" } });
    await rejectsWith(ai.models.embedContent({ model: "m", contents: "a", config: { outputDimensionality: 8 } }), 400, /outputDimensionality/);
  });

  test("the single-text embedContent method answers { embedding: { values } }", async () => {
    const response = await fetch(`${server.url}/v1beta/models/m:embedContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "test-key" },
      body: JSON.stringify({ content: { parts: [{ text: "four" }] } }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { embedding: { values: [4, 0, 0.5] } });
  });

  test("models.list and models.get answer in Gemini's Model shape", async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? "");
    assert.deepEqual(names, ["models/m", "models/qwen/qwen3:8b"]);
    const model = await ai.models.get({ model: "m" });
    assert.equal(model.inputTokenLimit, 4096);
    assert.deepEqual(model.supportedActions, ["generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"]);
    await rejectsWith(ai.models.get({ model: "nope" }), 404, /NOT_FOUND/);
  });

  test("an unknown model is ApiError 404 with Google's error status", async () => {
    const error = await rejectsWith(ai.models.generateContent({ model: "nope", contents: "hi" }), 404);
    const body = JSON.parse(error.message) as { error: { code: number; status: string; message: string } };
    assert.equal(body.error.code, 404);
    assert.equal(body.error.status, "NOT_FOUND");
    assert.match(body.error.message, /nope/);
  });

  test("what Hearth cannot do is refused with 400 naming it", async () => {
    await rejectsWith(ai.models.generateContent({ model: "m", contents: "hi", config: { tools: [{ googleSearch: {} }] } }), 400, /googleSearch/);
    await rejectsWith(ai.models.generateContent({ model: "m", contents: "hi", config: { candidateCount: 2 } }), 400, /candidateCount/);
    await rejectsWith(
      ai.models.generateContent({ model: "m", contents: [{ role: "user", parts: [{ inlineData: { mimeType: "application/pdf", data: "JVBE" } }] }] }),
      400,
      /application\/pdf/,
    );
    assert.equal(state.chats.length, 0, "nothing reached the model");
  });

  test("an error before the first byte of a stream keeps its status", async () => {
    state.script = async function* () {
      throw new HearthError("rate_limited", "Slow down.", { retryAfterSeconds: 2 });
    };
    const error = await rejectsWith(ai.models.generateContentStream({ model: "m", contents: "hi" }), 429, /RESOURCE_EXHAUSTED/);
    assert.match(error.message, /RetryInfo/);
  });

  test("a failure after the first byte makes the SDK's stream throw, after the text already sent", async () => {
    state.script = async function* () {
      yield { type: "text-delta", text: "Hel" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    const stream = await ai.models.generateContentStream({ model: "m", contents: "hi" });
    const received: string[] = [];
    let caught: unknown;
    try {
      for await (const chunk of stream) received.push(chunk.text ?? "");
    } catch (error) {
      caught = error;
    }
    assert.deepEqual(received, ["Hel"]);
    assert.ok(caught instanceof ApiError, `expected ApiError, got ${String(caught)}`);
    assert.equal(caught.status, 502);
    assert.match(caught.message, /The model crashed/);
    assert.equal(state.log[0]?.errorCode, "upstream_error");
  });

  test("a stream that ends without a finish part also throws in the SDK", async () => {
    state.script = async function* () {
      yield { type: "text-delta", text: "cut" };
    };
    const stream = await ai.models.generateContentStream({ model: "m", contents: "hi" });
    await rejectsWith(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
      502,
    );
  });

  test("without alt=sse the stream is one JSON array, left unclosed after a failure", async () => {
    state.script = textScript("a", "b");
    const url = `${server.url}/v1beta/models/m:streamGenerateContent`;
    const init = { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "test-key" }, body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }) };
    const complete = await fetch(url, init);
    assert.match(complete.headers.get("content-type") ?? "", /application\/json/);
    const chunks = JSON.parse(await complete.text()) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason?: string }> }>;
    assert.deepEqual(chunks.map((chunk) => chunk.candidates[0]?.content.parts[0]?.text), ["a", "b", ""]);
    assert.equal(chunks.at(-1)?.candidates[0]?.finishReason, "STOP");

    state.script = async function* () {
      yield { type: "text-delta", text: "a" };
      throw new HearthError("upstream_error", "boom");
    };
    const broken = await (await fetch(url, init)).text();
    assert.throws(() => JSON.parse(broken));
    assert.match(broken, /"status":"UNAVAILABLE"/);
    const bad = await fetch(`${url}?alt=proto`, init);
    assert.equal(bad.status, 400);
  });

  test("the SDK pinned to v1beta gets the same answers", async () => {
    state.script = textScript("Hi", " there");
    assert.equal((await aiBeta.models.generateContent({ model: "m", contents: "hi" })).text, "Hi there");
    let text = "";
    for await (const chunk of await aiBeta.models.generateContentStream({ model: "m", contents: "hi" })) text += chunk.text ?? "";
    assert.equal(text, "Hi there");
    assert.equal((await aiBeta.models.countTokens({ model: "m", contents: "one two" })).totalTokens, 2);
    await rejectsWith(aiBeta.models.generateContent({ model: "nope", contents: "hi" }), 404, /NOT_FOUND/);
  });

  test("GET /v1/models answers Gemini clients in Gemini's shape and everyone else in OpenAI's", async () => {
    const openAI = (await (await fetch(`${server.url}/v1/models`, { headers: { authorization: "Bearer test-key" } })).json()) as { object?: string; data?: unknown[] };
    assert.equal(openAI.object, "list");
    assert.equal(openAI.data?.length, 2);
    const gemini = (await (await fetch(`${server.url}/v1/models?key=test-key`)).json()) as { models?: Array<{ name: string }> };
    assert.deepEqual(gemini.models?.map((model) => model.name), ["models/m", "models/qwen/qwen3:8b"]);
    const openAIModel = (await (await fetch(`${server.url}/v1/models/qwen/qwen3:8b`, { headers: { authorization: "Bearer test-key" } })).json()) as { id?: string };
    assert.equal(openAIModel.id, "qwen/qwen3:8b");
  });

  test("a client that stops reading mid-stream stops the model", async () => {
    let aborted = false;
    state.script = async function* (_request, signal) {
      yield { type: "text-delta", text: "first" };
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      aborted = signal.aborted;
      yield finish();
    };
    const controller = new AbortController();
    const stream = await ai.models.generateContentStream({ model: "m", contents: "hi", config: { abortSignal: controller.signal } });
    const received: string[] = [];
    try {
      for await (const chunk of stream) {
        received.push(chunk.text ?? "");
        controller.abort();
      }
    } catch {
      // The SDK surfaces the abort as an error; what matters is the server side.
    }
    assert.deepEqual(received, ["first"]);
    for (let wait = 0; wait < 50 && !aborted; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(aborted, true, "the provider's signal fired");
  });

  test("a wrong key is ApiError 401 in Google's shape, on both API versions", async () => {
    for (const apiVersion of ["v1", "v1beta"]) {
      const intruder = new GoogleGenAI({ apiKey: "wrong", httpOptions: { baseUrl: server.url, apiVersion } });
      await rejectsWith(intruder.models.generateContent({ model: "m", contents: "hi" }), 401, /UNAUTHENTICATED/);
    }
    assert.equal(state.chats.length, 0);
  });

  test("unknown methods and paths under /v1beta answer in Google's error shape", async () => {
    const unknownMethod = await fetch(`${server.url}/v1beta/models/m:predict`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "test-key" }, body: "{}" });
    assert.equal(unknownMethod.status, 404);
    assert.equal(((await unknownMethod.json()) as { error: { status: string } }).error.status, "NOT_FOUND");
    const unknownPath = await fetch(`${server.url}/v1beta/files?key=test-key`);
    assert.equal(unknownPath.status, 404);
    assert.equal(((await unknownPath.json()) as { error: { status: string } }).error.status, "NOT_FOUND");
    const badJson = await fetch(`${server.url}/v1beta/models/m:generateContent`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "test-key" }, body: "{" });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { error: { status: string } }).error.status, "INVALID_ARGUMENT");
  });
});

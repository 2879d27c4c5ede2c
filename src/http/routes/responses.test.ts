import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { Hono } from "hono";
import OpenAI from "openai";
import { createCatalog } from "../../core/catalog.ts";
import { createGateway, type CatalogEntry } from "../../core/gateway.ts";
import { silentLogger } from "../../core/logger.ts";
import type { RequestLogEntry } from "../../core/request-log.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import type { ChatRequest, ModelProvider, StreamPart } from "../../spec/model.ts";
import { createRouteKit, errorResponse, openAIErrorFormat, type Environment } from "../kit.ts";
import { listen, type RunningServer } from "../serve.ts";
import { registerResponsesRoutes } from "./responses.ts";

// /v1/responses driven by the official openai SDK over a real socket, against a scripted
// in-memory provider: each test sets the parts the "model" produces and reads back the
// ChatRequest the provider received.

type Script = (request: ChatRequest) => AsyncGenerator<StreamPart>;

const usage = { inputTokens: 11, outputTokens: 5 };

function textScript(...texts: string[]): Script {
  return async function* () {
    for (const text of texts) yield { type: "text-delta", text };
    yield { type: "finish", finishReason: "stop", usage };
  };
}

let script: Script = textScript("Hello");
let received: ChatRequest[] = [];
const log: Array<Omit<RequestLogEntry, "id">> = [];

const provider: ModelProvider = {
  id: "scripted",
  chat(request) {
    received.push(request);
    return script(request);
  },
  complete() {
    throw new HearthError("unsupported", "no completions");
  },
  embed: async () => {
    throw new HearthError("unsupported", "no embeddings");
  },
};

const entry: CatalogEntry = {
  info: { name: "m", provider: "scripted", contextLength: 4096, locality: "in-process", capabilities: { chat: true, completion: false, embedding: false } },
  provider,
  created: 0,
  state: () => "loaded",
};

let server: RunningServer;
let client: OpenAI;

before(async () => {
  const gateway = createGateway({ catalog: createCatalog([entry]), requestLog: { append: (item) => log.push(item) } });
  const app = new Hono<Environment>();
  app.use("*", async (context, next) => {
    const requestId = context.req.header("x-request-id") ?? randomUUID();
    context.set("requestId", requestId);
    context.set("errorFormat", openAIErrorFormat);
    await next();
    context.res.headers.set("x-request-id", requestId);
  });
  app.onError((error, context) => errorResponse(toHearthError(error), context.get("requestId"), context.get("errorFormat") ?? openAIErrorFormat));
  registerResponsesRoutes(app, createRouteKit({ gateway, logger: silentLogger, maxBodyBytes: 100_000, requestTimeoutMs: 10_000 }));
  server = await listen(app, "127.0.0.1", 0);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});

after(async () => {
  await server.close(100);
});

beforeEach(() => {
  script = textScript("Hello");
  received = [];
  log.length = 0;
});

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true,
};

describe("POST /v1/responses through the openai SDK", () => {
  test("a plain request answers a completed response whose output_text is the model's text", async () => {
    script = textScript("Hel", "lo", " there");
    const response = await client.responses.create({ model: "m", input: "Say hello" });
    assert.match(response.id, /^resp_/);
    assert.equal(response.object, "response");
    assert.equal(response.status, "completed");
    assert.equal(response.model, "m");
    assert.equal(response.output_text, "Hello there");
    assert.equal(response.error, null);
    assert.equal(response.incomplete_details, null);
    assert.deepEqual(response.usage, {
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 16,
    });
    const message = response.output[0];
    assert.equal(message?.type, "message");
    assert.deepEqual(received[0]?.messages, [{ role: "user", content: "Say hello" }]);
    assert.equal(log[0]?.endpoint, "responses");
    assert.equal(log[0]?.status, 200);
  });

  test("instructions become the first system message and are echoed back", async () => {
    const response = await client.responses.create({
      model: "m",
      instructions: "Be terse.",
      input: [{ role: "developer", content: "No emoji." }, { role: "user", content: [{ type: "input_text", text: "hi" }] }],
      temperature: 0.3,
      max_output_tokens: 64,
    });
    assert.equal(response.instructions, "Be terse.");
    assert.equal(response.temperature, 0.3);
    assert.equal(response.max_output_tokens, 64);
    assert.deepEqual(received[0]?.messages, [
      { role: "system", content: "Be terse." },
      { role: "system", content: "No emoji." },
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ]);
    assert.equal(received[0]?.temperature, 0.3);
    assert.equal(received[0]?.maxTokens, 64);
  });

  test("function tools: the model's call comes back as a function_call item, and its output reaches the provider as a tool message", async () => {
    script = async function* () {
      yield { type: "tool-call", toolCall: { id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' } };
      yield { type: "finish", finishReason: "tool_calls", usage };
    };
    const first = await client.responses.create({ model: "m", input: "Weather in Oslo?", tools: [weatherTool], tool_choice: "required" });
    assert.equal(first.status, "completed");
    assert.equal(first.output.length, 1, "no empty message next to the call");
    const call = first.output[0];
    assert.ok(call?.type === "function_call");
    assert.equal(call.call_id, "call_1");
    assert.equal(call.name, "get_weather");
    assert.equal(call.arguments, '{"city":"Oslo"}');
    assert.match(call.id ?? "", /^fc_/);
    assert.equal(first.output_text, "");
    assert.deepEqual(received[0]?.tools, [{ name: "get_weather", description: "Weather for a city", parameters: weatherTool.parameters }]);
    assert.equal(received[0]?.toolChoice, "required");
    assert.equal(first.tools.length, 1);

    script = textScript("It is 3°C in Oslo.");
    const second = await client.responses.create({
      model: "m",
      tools: [weatherTool],
      input: [
        { role: "user", content: "Weather in Oslo?" },
        // What clients do: hand the previous output items back as input (the SDK's types lag here).
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: "call_1", output: '{"celsius":3}' },
      ],
    });
    assert.equal(second.output_text, "It is 3°C in Oslo.");
    assert.deepEqual(received[1]?.messages, [
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", toolCallId: "call_1", content: '{"celsius":3}' },
    ]);
  });

  test("text.format json_schema reaches the provider as a json_schema response format", async () => {
    script = textScript('{"answer":42}');
    const response = await client.responses.create({
      model: "m",
      input: "What is the answer?",
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object", properties: { answer: { type: "number" } } }, strict: true } },
    });
    assert.deepEqual(received[0]?.responseFormat, { type: "json_schema", name: "answer", schema: { type: "object", properties: { answer: { type: "number" } } }, strict: true });
    assert.deepEqual(JSON.parse(response.output_text), { answer: 42 });
    assert.equal(response.text?.format?.type, "json_schema");
  });

  test("hitting max_output_tokens answers status incomplete with the reason", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "cut sh" };
      yield { type: "finish", finishReason: "length", usage };
    };
    const response = await client.responses.create({ model: "m", input: "Write an essay", max_output_tokens: 16 });
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(response.output_text, "cut sh");
  });

  test("previous_response_id is a 400 that says the endpoint is stateless", async () => {
    await assert.rejects(
      client.responses.create({ model: "m", input: "and then?", previous_response_id: "resp_123" }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.match(error.message, /stateless/);
        assert.equal(error.param, "previous_response_id");
        return true;
      },
    );
    assert.equal(received.length, 0);
  });

  test("built-in tools are refused naming the tool type", async () => {
    await assert.rejects(client.responses.create({ model: "m", input: "news?", tools: [{ type: "web_search" }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /'web_search'/);
      return true;
    });
  });

  test("an error before the first part keeps its HTTP status, streaming or not", async () => {
    script = async function* () {
      throw new HearthError("overloaded", "Busy.", { retryAfterSeconds: 1 });
    };
    for (const stream of [true, false]) {
      await assert.rejects(client.responses.create({ model: "m", input: "hi", stream }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 503);
        assert.equal(error.headers?.get("retry-after"), "1");
        return true;
      });
    }
  });

  test("a non-streamed request whose model fails mid-answer gets the error status, not a partial response", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "partial" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    await assert.rejects(client.responses.create({ model: "m", input: "hi" }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      return true;
    });
  });

  test("an unknown model is a 404", async () => {
    await assert.rejects(client.responses.create({ model: "nope", input: "hi" }), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });
});

describe("streaming /v1/responses through the openai SDK", () => {
  test("raw stream: the event types come in the documented order with increasing sequence numbers", async () => {
    script = async function* () {
      yield { type: "reasoning-delta", text: "Think" };
      yield { type: "reasoning-delta", text: "ing." };
      yield { type: "reasoning-end", signature: "sig" };
      yield { type: "text-delta", text: "Let me " };
      yield { type: "text-delta", text: "check." };
      yield { type: "tool-call", toolCall: { id: "call_9", name: "get_weather", arguments: '{"city":"Rome"}' } };
      yield { type: "finish", finishReason: "tool_calls", usage: { ...usage, reasoningTokens: 2 } };
    };
    const stream = await client.responses.create({ model: "m", input: "Weather in Rome?", tools: [weatherTool], stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assert.deepEqual(
      events.map((event) => event.type),
      [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.reasoning_text.delta",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const completed = events.at(-1);
    assert.ok(completed?.type === "response.completed");
    assert.equal(completed.response.status, "completed");
    assert.deepEqual(
      completed.response.output.map((item) => item.type),
      ["reasoning", "message", "function_call"],
    );
    assert.equal(completed.response.usage?.output_tokens_details.reasoning_tokens, 2);
    const reasoning = completed.response.output[0];
    assert.ok(reasoning?.type === "reasoning");
    assert.deepEqual(reasoning.content, [{ type: "reasoning_text", text: "Thinking." }]);
    assert.equal(reasoning.encrypted_content, "sig");
  });

  test("the stream helper assembles the final response from the events", async () => {
    script = textScript("Strea", "med ", "answer");
    const stream = client.responses.stream({ model: "m", input: "Say something" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    assert.equal(final.status, "completed");
    assert.equal(final.output_text, "Streamed answer");
    assert.deepEqual(deltas, ["Strea", "med ", "answer"]);
    assert.equal(final.usage?.total_tokens, 16);
    assert.equal(received[0]?.messages[0]?.role, "user");
  });

  test("the stream helper's final response is incomplete when max_output_tokens cut the answer", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "partial" };
      yield { type: "finish", finishReason: "length", usage };
    };
    const final = await client.responses.stream({ model: "m", input: "long", max_output_tokens: 16 }).finalResponse();
    assert.equal(final.status, "incomplete");
    assert.deepEqual(final.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(final.output_text, "partial");
    const message = final.output[0];
    assert.ok(message?.type === "message");
    assert.equal(message.status, "incomplete");
  });

  test("a failure after the first byte: raw iteration sees response.failed, then the SDK throws the error", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "Hal" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    const stream = await client.responses.create({ model: "m", input: "hi", stream: true });
    const types: string[] = [];
    let failed: OpenAI.Responses.Response | undefined;
    await assert.rejects(
      (async () => {
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === "response.failed") failed = event.response;
        }
      })(),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.match(error.message, /The model crashed/);
        return true;
      },
    );
    assert.ok(!types.includes("response.completed"));
    assert.equal(types.at(-1), "response.failed");
    assert.equal(failed?.status, "failed");
    assert.equal(failed?.error?.code, "server_error");
    assert.equal(failed?.error?.message, "The model crashed.");
    const partial = failed?.output[0];
    assert.ok(partial?.type === "message");
    assert.equal(partial.status, "incomplete");
    assert.deepEqual(partial.content.map((part) => (part.type === "output_text" ? part.text : "")), ["Hal"]);
    assert.equal(log.at(-1)?.errorCode, "upstream_error");
  });

  test("a failure after the first byte: the stream helper's finalResponse rejects", async () => {
    script = async function* () {
      yield { type: "text-delta", text: "Hal" };
      throw new HearthError("upstream_error", "The model crashed.");
    };
    const stream = client.responses.stream({ model: "m", input: "hi" });
    let sawFailed = false;
    stream.on("response.failed", () => {
      sawFailed = true;
    });
    await assert.rejects(stream.finalResponse(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.match(error.message, /The model crashed/);
      return true;
    });
    assert.ok(sawFailed, "the response.failed event was delivered before the error");
  });
});

describe("the rest of /v1/responses", () => {
  test("the wire frames each event with an event: line and its JSON, and sends no [DONE]", async () => {
    script = textScript("ok");
    const response = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi", stream: true }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    assert.equal(response.headers.get("x-hearth-model"), "scripted/m");
    const text = await response.text();
    assert.ok(!text.includes("[DONE]"));
    const frames = text.split("\n\n").filter(Boolean);
    for (const frame of frames) {
      const [eventLine, dataLine] = frame.split("\n");
      const name = /^event: (.+)$/.exec(eventLine ?? "")?.[1];
      assert.ok(name !== undefined, frame);
      assert.equal((JSON.parse((dataLine ?? "").replace(/^data: /, "")) as { type: string }).type, name);
    }
    assert.match(frames.at(-1) ?? "", /^event: response\.completed\n/);
  });

  test("the non-streamed answer carries the served-model header", async () => {
    const response = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi" }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-hearth-model"), "scripted/m");
    assert.ok(response.headers.get("x-request-id"));
  });

  test("GET /v1/responses is a 405; retrieving a stored response is a clear 404", async () => {
    const wrongMethod = await fetch(`${server.url}/v1/responses`);
    assert.equal(wrongMethod.status, 405);
    await assert.rejects(client.responses.retrieve("resp_abc"), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.match(error.message, /does not store responses/);
      return true;
    });
    const deleted = await fetch(`${server.url}/v1/responses/resp_abc`, { method: "DELETE" });
    assert.equal(deleted.status, 404);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

// End-to-end: the official OpenAI SDK against a real Hearth on 127.0.0.1, real llama.cpp,
// a generated random-weight model. Assertions are about structure, never the words.

let hearth: TestServer;

before(async () => {
  hearth = await startServer({ models: [await tinyModelConfig("tiny", { contextSize: 2048 })], engine: { maxQueue: 8 } });
});

after(async () => {
  await hearth.close();
});

describe("chat completions through the openai SDK", () => {
  test("a non-streamed completion has ids, usage and a finish reason", async () => {
    const completion = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say something." },
      ],
      max_tokens: 8,
      temperature: 0,
    });
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "tiny");
    assert.ok(Math.abs(completion.created - Date.now() / 1000) < 60);
    const choice = completion.choices[0];
    assert.ok(choice);
    assert.equal(choice.message.role, "assistant");
    assert.equal(typeof choice.message.content, "string");
    assert.ok(choice.finish_reason === "stop" || choice.finish_reason === "length");
    assert.ok(completion.usage);
    assert.ok(completion.usage.prompt_tokens > 0);
    assert.ok(completion.usage.completion_tokens <= 8);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
    if (choice.finish_reason === "length") assert.equal(completion.usage.completion_tokens, 8);
  });

  test("a streamed completion's chunks join to the text and end with usage", async () => {
    const stream = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Count to ten." }],
      max_tokens: 12,
      temperature: 0,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      ids.add(chunk.id);
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      text += choice.delta.content ?? "";
      if (choice.finish_reason !== null) finish = choice.finish_reason;
    }
    assert.equal(ids.size, 1, "every chunk carries the same id");
    assert.ok(finish === "stop" || finish === "length");
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);

    // Same seed, greedy, non-streamed: the same text (streaming is the same path, drained).
    const whole = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Count to ten." }],
      max_tokens: 12,
      temperature: 0,
      seed: 7,
    });
    assert.equal(text, whole.choices[0]?.message.content);
  });

  test("max_tokens ends the answer with finish_reason length at exactly that many tokens", async () => {
    const completion = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Write a long story." }],
      max_completion_tokens: 5,
      temperature: 0,
    });
    const choice = completion.choices[0];
    if (choice?.finish_reason === "length") assert.equal(completion.usage?.completion_tokens, 5);
    else assert.ok((completion.usage?.completion_tokens ?? 99) <= 5);
  });

  test("json_schema answers parse and match the schema (grammar-enforced)", async () => {
    const completion = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Classify the weather." }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "weather",
          strict: true,
          schema: {
            type: "object",
            properties: { sky: { type: "string", enum: ["sunny", "cloudy", "rainy"] }, windy: { type: "boolean" } },
            required: ["sky", "windy"],
            additionalProperties: false,
          },
        },
      },
      // Random weights pad grammar-constrained JSON with whitespace; real models close it at once.
      max_tokens: 300,
    });
    assert.equal(completion.choices[0]?.finish_reason, "stop");
    const parsed = JSON.parse(completion.choices[0]?.message.content ?? "") as { sky: string; windy: boolean };
    assert.ok(["sunny", "cloudy", "rainy"].includes(parsed.sky));
    assert.equal(typeof parsed.windy, "boolean");
  });

  test("json_object answers are valid JSON objects", async () => {
    const completion = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_object" },
      max_tokens: 48,
      temperature: 0,
    });
    const content = completion.choices[0]?.message.content ?? "";
    if (completion.choices[0]?.finish_reason === "stop") {
      const value: unknown = JSON.parse(content);
      assert.equal(typeof value, "object");
    } else {
      assert.equal(completion.choices[0]?.finish_reason, "length");
    }
  });

  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather for a city",
        parameters: {
          type: "object",
          properties: { city: { type: "string", enum: ["Paris", "Oslo"] }, unit: { type: "string", enum: ["c", "f"] } },
          required: ["city", "unit"],
        },
      },
    },
    { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { utc: { type: "boolean" } }, required: ["utc"] } } },
  ];

  test("tool_choice required yields a tool call with schema-valid arguments", async () => {
    const completion = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "What's the weather in Paris?" }],
      tools,
      tool_choice: "required",
      // Random weights pad grammar-constrained JSON with whitespace; real models close it at once.
      max_tokens: 300,
    });
    const choice = completion.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    const call = choice?.message.tool_calls?.[0];
    assert.ok(call && call.type === "function");
    assert.match(call.id, /^call_/);
    assert.ok(["get_weather", "get_time"].includes(call.function.name));
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    if (call.function.name === "get_weather") {
      assert.ok(["Paris", "Oslo"].includes(args.city as string));
      assert.ok(["c", "f"].includes(args.unit as string));
    } else {
      assert.equal(typeof args.utc, "boolean");
    }
  });

  test("a named tool_choice streams one complete tool call, then a tool result round-trips", async () => {
    const stream = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Time?" }],
      tools,
      tool_choice: { type: "function", function: { name: "get_time" } },
      max_tokens: 300,
      stream: true,
    });
    const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      calls.push(...(choice.delta.tool_calls ?? []));
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert.equal(finish, "tool_calls");
    assert.equal(calls.length, 1, "the call arrives whole, in one delta");
    const call = calls[0];
    assert.equal(call?.function?.name, "get_time");
    const args = JSON.parse(call?.function?.arguments ?? "") as { utc: unknown };
    assert.equal(typeof args.utc, "boolean");

    const followUp = await hearth.client.chat.completions.create({
      model: "tiny",
      messages: [
        { role: "user", content: "Time?" },
        { role: "assistant", content: null, tool_calls: [{ id: call?.id ?? "call_x", type: "function", function: { name: "get_time", arguments: call?.function?.arguments ?? "{}" } }] },
        { role: "tool", tool_call_id: call?.id ?? "call_x", content: "12:00" },
      ],
      tools,
      max_tokens: 6,
      temperature: 0,
    });
    assert.ok(["stop", "length", "tool_calls"].includes(followUp.choices[0]?.finish_reason ?? ""));
  });
});

describe("completions, embeddings and models", () => {
  test("/v1/completions returns a text_completion with usage", async () => {
    const completion = await hearth.client.completions.create({ model: "tiny", prompt: "Once upon a time", max_tokens: 6, temperature: 0 });
    assert.equal(completion.object, "text_completion");
    assert.equal(typeof completion.choices[0]?.text, "string");
    assert.ok(completion.usage && completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens <= 6);
  });

  test("embeddings come back with the model's dimension, as floats and as base64", async () => {
    const floats = await hearth.client.embeddings.create({ model: "tiny", input: ["hello world", "goodbye"], encoding_format: "float" });
    assert.equal(floats.data.length, 2);
    assert.equal(floats.data[0]?.embedding.length, 64, "tiny model: hidden size 64");
    assert.ok(floats.usage.prompt_tokens > 0);
    // The SDK asks for base64 by default and decodes it to floats.
    const decoded = await hearth.client.embeddings.create({ model: "tiny", input: "hello world" });
    assert.equal(decoded.data[0]?.embedding.length, 64);
    const expected = floats.data[0]?.embedding ?? [];
    decoded.data[0]?.embedding.forEach((value, index) => assert.ok(Math.abs(value - (expected[index] ?? NaN)) < 1e-5));
  });

  test("/v1/models lists the configured model with its context length", async () => {
    const page = await hearth.client.models.list();
    const model = page.data.find((entry) => entry.id === "tiny") as (OpenAI.Model & { context_length?: number }) | undefined;
    assert.ok(model);
    assert.equal(model.context_length, 2048);
    const one = await hearth.client.models.retrieve("tiny");
    assert.equal(one.id, "tiny");
  });
});

describe("errors in OpenAI's shape", () => {
  async function raw(path: string, init: RequestInit) {
    const response = await fetch(`${hearth.url}${path}`, init);
    const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    return { status: response.status, headers: response.headers, body };
  }

  test("broken JSON is a 400 invalid_json", async () => {
    const { status, body } = await raw("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: '{"model": "tiny", "messages": [' });
    assert.equal(status, 400);
    assert.equal(body.error.code, "invalid_json");
    assert.equal(body.error.type, "invalid_request_error");
  });

  test("a schema violation names the param", async () => {
    await assert.rejects(
      hearth.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "x" }], temperature: 5 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && (error.error as { param?: string }).param === "temperature",
    );
  });

  test("an unknown model is a 404 model_not_found listing what exists", async () => {
    await assert.rejects(hearth.client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, "model_not_found");
      assert.match(error.message, /tiny/);
      return true;
    });
  });

  test("a prompt longer than the context is a 400 context_length_exceeded, never truncated", async () => {
    const long = "lorem ipsum dolor sit amet ".repeat(1000);
    await assert.rejects(hearth.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: long }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.code, "context_length_exceeded");
      assert.match(error.message, /2048/);
      return true;
    });
    await assert.rejects(hearth.client.embeddings.create({ model: "tiny", input: long }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === "context_length_exceeded");
  });

  test("a body over the limit is a 413", async () => {
    const huge = JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "x".repeat(9_000_000) }] });
    const { status, body } = await raw("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    assert.equal(status, 413);
    assert.equal(body.error.code, "payload_too_large");
  });

  test("unknown paths and wrong methods get OpenAI-shaped 404 and 405", async () => {
    assert.equal((await raw("/v1/nothing", { method: "GET" })).status, 404);
    const wrong = await raw("/v1/chat/completions", { method: "GET" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, "method_not_allowed");
  });
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import OpenAI from "openai";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";

/**
 * The OpenAI mock must speak the real protocol, so these tests point the official `openai` SDK
 * straight at it (no Hearth in between) and compare its raw output with hand-written samples of
 * OpenAI's documented wire format (test/fixtures/openai/).
 */

const fixtures = join(import.meta.dirname, "fixtures", "openai");
let mock: MockOpenAI;
let client: OpenAI;

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Paris", "Berlin"] }, unit: { type: "string", enum: ["c", "f"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};

before(async () => {
  mock = await startMockOpenAI();
  client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: mock.apiKey, maxRetries: 0 });
});

after(async () => {
  await mock.close();
});

/** The structure of a JSON value: keys in order and value types, array elements as a set of shapes. */
function shape(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    const shapes = [...new Set(value.map((entry) => JSON.stringify(shape(entry))))].sort();
    return shapes.map((entry) => JSON.parse(entry) as unknown);
  }
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, entry]) => [key, shape(entry)]));
  }
  return typeof value;
}

const shapeText = (value: unknown): string => JSON.stringify(shape(value));

/** Splits an SSE body into its `data:` payloads, asserting OpenAI's framing on the way. */
function sseData(text: string): string[] {
  assert.match(text, /^(data: [^\n]+\n\n)+$/, "every event is one `data: ` line followed by a blank line");
  assert.ok(text.endsWith("data: [DONE]\n\n"), "the stream ends with data: [DONE]");
  return text
    .split("\n\n")
    .filter((event) => event !== "")
    .map((event) => event.slice("data: ".length));
}

async function raw(path: string, body: unknown, key = mock.apiKey): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const fixtureText = (name: string): Promise<string> => readFile(join(fixtures, name), "utf8");
const fixtureJson = async (name: string): Promise<unknown> => JSON.parse(await fixtureText(name)) as unknown;

/** Compares a streamed body with a sample: same framing, every event shape known to the sample, same opening and closing shapes. */
async function assertStreamLike(response: Response, fixture: string): Promise<unknown[]> {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.match(response.headers.get("x-request-id") ?? "", /^req_[0-9a-f]{32}$/);
  assert.match(response.headers.get("openai-processing-ms") ?? "", /^\d+$/);
  const events = sseData(await response.text()).slice(0, -1).map((data) => JSON.parse(data) as unknown);
  const expected = sseData(await fixtureText(fixture)).slice(0, -1).map((data) => JSON.parse(data) as unknown);
  const known = new Set(expected.map(shapeText));
  for (const event of events) assert.ok(known.has(shapeText(event)), `event shape not in ${fixture}: ${JSON.stringify(event)}`);
  assert.equal(shapeText(events[0]), shapeText(expected[0]), "first event");
  assert.equal(shapeText(events.at(-1)), shapeText(expected.at(-1)), "last event");
  assert.equal(shapeText(events.at(-2)), shapeText(expected.at(-2)), "finish event");
  return events;
}

describe("mock OpenAI output has the structure of OpenAI's documented samples", () => {
  test("chat completion (text)", async () => {
    const response = await raw("/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(shapeText(await response.json()), shapeText(await fixtureJson("chat-completion.json")));
  });

  test("chat completion (tool call)", async () => {
    const response = await raw("/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    assert.equal(shapeText(await response.json()), shapeText(await fixtureJson("chat-completion-tool-call.json")));
  });

  test("streamed chat (text, include_usage)", async () => {
    const response = await raw("/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say something longer than one chunk." }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = await assertStreamLike(response, "chat-stream-text.chunks.txt");
    assert.ok(events.length > 4, "several content chunks");
  });

  test("streamed chat (tool call fragments, include_usage)", async () => {
    const response = await raw("/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = (await assertStreamLike(response, "chat-stream-tool-call.chunks.txt")) as Array<{
      choices: Array<{ delta: { tool_calls?: Array<{ function: { arguments: string } }> } }>;
    }>;
    const fragments = events.flatMap((event) => event.choices.flatMap((choice) => choice.delta.tool_calls?.map((call) => call.function.arguments) ?? []));
    assert.equal(fragments[0], "", "the call header carries empty arguments");
    assert.ok(fragments.length > 3, "arguments arrive in several fragments");
    assert.deepEqual(JSON.parse(fragments.join("")), { city: "Paris", unit: "c" });
  });

  test("text completion, plain and streamed", async () => {
    const plain = await raw("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time", max_tokens: 7 });
    assert.equal(shapeText(await plain.json()), shapeText(await fixtureJson("completion.json")));
    const streamed = await raw("/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time", stream: true, stream_options: { include_usage: true } });
    await assertStreamLike(streamed, "completion-stream.chunks.txt");
  });

  test("embeddings and models", async () => {
    const embeddings = await raw("/v1/embeddings", { model: "text-embedding-3-small", input: "hello", encoding_format: "float" });
    assert.equal(shapeText(await embeddings.json()), shapeText(await fixtureJson("embeddings.json")));
    const models = await fetch(`${mock.url}/v1/models`, { headers: { authorization: `Bearer ${mock.apiKey}` } });
    assert.equal(shapeText(await models.json()), shapeText(await fixtureJson("models.json")));
  });

  test("error bodies: 401, 404 model, 429", async () => {
    const unauthorized = await raw("/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }, "sk-abcdefghijklmnopqrstuvwxyz");
    assert.equal(unauthorized.status, 401);
    const unauthorizedBody = (await unauthorized.json()) as { error: { message: string } };
    assert.equal(shapeText(unauthorizedBody), shapeText(await fixtureJson("error-401.json")));
    assert.ok(!unauthorizedBody.error.message.includes("sk-abcdefghijklmnopqrstuvwxyz"), "the wrong key is echoed masked");
    assert.ok(unauthorizedBody.error.message.includes("sk-ab"));

    const missing = await raw("/v1/chat/completions", { model: "no-such-model", messages: [{ role: "user", content: "Hi" }] });
    assert.equal(missing.status, 404);
    assert.equal(shapeText(await missing.json()), shapeText(await fixtureJson("error-404-model.json")));

    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 2 });
    const limited = await raw("/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.equal(limited.headers.get("x-ratelimit-remaining-requests"), "0");
    assert.equal(shapeText(await limited.json()), shapeText(await fixtureJson("error-429.json")));
  });

  test("bad JSON is a 400 with OpenAI's error body", async () => {
    const response = await fetch(`${mock.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${mock.apiKey}`, "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /could not parse the JSON body/);
  });
});

describe("the official openai SDK works against the mock", () => {
  test("plain chat", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Say hello." },
      ],
    });
    assert.equal(completion.object, "chat.completion");
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.choices[0]?.message.content, "Hello from gpt-4o-mini. You said: Say hello.");
    assert.equal(completion.choices[0]?.finish_reason, "stop");
    assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
    assert.equal(completion.usage?.total_tokens, (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const sent = mock.requests.at(-1);
    assert.equal(sent?.headers.authorization, `Bearer ${mock.apiKey}`);
  });

  test("images in user content are seen", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
    });
    assert.equal(completion.choices[0]?.message.content, "Hello from gpt-4o-mini. You said: What is this? I see 1 image(s).");
  });

  test("streamed chat with include_usage", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello." }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 3);
    assert.equal(text, "Hello from gpt-4o-mini. You said: Say hello.");
    assert.equal(finish, "stop");
    assert.ok((usage?.completion_tokens ?? 0) > 0);
  });

  test("the SDK's stream helper assembles streamed tool calls", async () => {
    const stream = client.chat.completions.stream({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    const deltas: string[] = [];
    stream.on("tool_calls.function.arguments.delta", (event) => deltas.push(event.arguments_delta));
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    const call = calls[0];
    assert.ok(call !== undefined && call.type === "function");
    assert.equal(call.function.name, "get_weather");
    assert.match(call.id, /^call_/);
    assert.deepEqual(JSON.parse(call.function.arguments), { city: "Paris", unit: "c" });
    assert.ok(deltas.length > 3, "the helper saw several argument fragments");
    assert.equal(final.choices[0]?.finish_reason, "tool_calls");
  });

  test("a forced named tool finishes with 'stop', as OpenAI does", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    assert.equal(completion.choices[0]?.finish_reason, "stop");
    assert.equal(completion.choices[0]?.message.tool_calls?.length, 1);
  });

  test("tool results are answered with text", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature":21}' },
      ],
      tools: [weatherTool],
    });
    assert.equal(completion.choices[0]?.message.content, 'Tool results: {"temperature":21}');
  });

  test("JSON schema response format", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Give me an answer." }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", strict: true, schema: { type: "object", properties: { ok: { type: "boolean" }, count: { type: "integer" } }, required: ["ok", "count"], additionalProperties: false } },
      },
    });
    assert.deepEqual(JSON.parse(completion.choices[0]?.message.content ?? ""), { ok: true, count: 1 });
    const jsonObject = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "JSON please" }], response_format: { type: "json_object" } });
    assert.deepEqual(JSON.parse(jsonObject.choices[0]?.message.content ?? ""), { ok: true });
  });

  test("n=2 returns two indexed choices, streamed and not", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], n: 2 });
    assert.deepEqual(completion.choices.map((choice) => choice.index), [0, 1]);
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], n: 2, stream: true });
    const texts = ["", ""];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? "";
    }
    assert.deepEqual(texts, ["Hello from gpt-4o-mini. You said: Hi", "Hello from gpt-4o-mini. You said: Hi"]);
  });

  test("logprobs with top_logprobs", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], logprobs: true, top_logprobs: 3 });
    const choice = completion.choices[0];
    const entries = choice?.logprobs?.content ?? [];
    assert.ok(entries.length > 1);
    assert.equal(entries.map((entry) => entry.token).join(""), choice?.message.content);
    for (const entry of entries) {
      assert.ok(entry.logprob <= 0);
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.token)]);
      assert.equal(entry.top_logprobs.length, 3);
      assert.equal(entry.top_logprobs[0]?.token, entry.token);
    }
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], logprobs: true, stream: true });
    let streamedTokens = "";
    for await (const chunk of stream) streamedTokens += (chunk.choices[0]?.logprobs?.content ?? []).map((entry) => entry.token).join("");
    assert.equal(streamedTokens, choice?.message.content);
  });

  test("stop sequences and max_completion_tokens", async () => {
    const stopped = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stop: ["You said"] });
    assert.equal(stopped.choices[0]?.message.content, "Hello from gpt-4o-mini. ");
    assert.equal(stopped.choices[0]?.finish_reason, "stop");
    const cut = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 2 });
    assert.equal(cut.choices[0]?.message.content, "Hello fr");
    assert.equal(cut.choices[0]?.finish_reason, "length");
  });

  test("reasoning models refuse max_tokens and report reasoning tokens", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "o4-mini", messages: [{ role: "user", content: "Hi" }], max_tokens: 10 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === "max_tokens",
    );
    const completion = await client.chat.completions.create({ model: "o4-mini", messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 100 });
    assert.ok((completion.usage?.completion_tokens_details?.reasoning_tokens ?? 0) > 0);
  });

  test("embeddings as floats (shortened) and as base64, decoded by the SDK", async () => {
    const floats = await client.embeddings.create({ model: "text-embedding-3-small", input: ["first", "second text"], encoding_format: "float", dimensions: 256 });
    assert.equal(floats.data.length, 2);
    const [first, second] = floats.data.map((entry) => entry.embedding);
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.length, 256);
    assert.ok(Math.abs(Math.hypot(...first) - 1) < 1e-5, "unit length");
    assert.notDeepEqual(first, second);
    // Without encoding_format the SDK asks for base64 and decodes it itself.
    const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input: ["first", "second text"], dimensions: 256 });
    assert.equal((mock.requests.at(-1)?.body as { encoding_format?: string }).encoding_format, "base64");
    assert.deepEqual(decoded.data.map((entry) => entry.embedding), [first, second]);
    assert.ok(decoded.usage.prompt_tokens > 0);
    const full = await client.embeddings.create({ model: "text-embedding-3-large", input: "first", encoding_format: "float" });
    assert.equal(full.data[0]?.embedding.length, 3072);
  });

  test("legacy completions, plain and streamed", async () => {
    const completion = await client.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time", max_tokens: 50 });
    assert.equal(completion.object, "text_completion");
    assert.equal(completion.choices[0]?.text, "Hello from gpt-3.5-turbo-instruct. You said: Once upon a time");
    const stream = await client.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time", max_tokens: 50, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    assert.equal(text, completion.choices[0]?.text);
  });

  test("models list", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes("gpt-4o-mini") && ids.includes("text-embedding-3-small"));
  });

  test("a wrong key is an AuthenticationError", async () => {
    const wrong = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: "sk-wrongwrongwrongwrong", maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.code, "invalid_api_key");
      return true;
    });
  });

  test("an unknown model is a NotFoundError", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "Hi" }] }),
      (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === "model_not_found",
    );
  });

  test("a 429 is a RateLimitError carrying the rate-limit headers", async () => {
    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 7 });
    await assert.rejects(client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.equal(error.code, "rate_limit_exceeded");
      assert.equal(error.headers?.get("retry-after"), "7");
      assert.equal(error.headers?.get("x-ratelimit-remaining-requests"), "0");
      assert.equal(error.headers?.get("x-ratelimit-reset-requests"), "7s");
      return true;
    });
  });

  test("a 500 is an InternalServerError", async () => {
    mock.failNext({ kind: "status", status: 500 });
    await assert.rejects(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }),
      (error: unknown) => error instanceof OpenAI.InternalServerError && error.type === "server_error",
    );
  });

  test("a reset before any byte is an APIConnectionError", async () => {
    mock.failNext({ kind: "reset" });
    await assert.rejects(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }),
      (error: unknown) => error instanceof OpenAI.APIConnectionError,
    );
  });

  // The socket dies inside a chunked body, so the SDK's fetch (undici) rejects the body read with
  // its generic `TypeError: terminated` (cause: UND_ERR_SOCKET); the SDK passes that through rather
  // than ending the iteration quietly, so a caller cannot mistake a cut stream for a complete one.
  const isTerminated = (error: unknown): boolean => error instanceof TypeError && error.message === "terminated";

  test("a stream cut mid-way makes the SDK's iteration throw after the chunks that arrived", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 3 });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello." }], stream: true });
    const seen: Array<string | null | undefined> = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.finish_reason);
      })(),
      isTerminated,
    );
    assert.equal(seen.length, 3, "the three events before the cut arrived");
    assert.ok(seen.every((reason) => reason === null), "none of them finished the choice");
  });

  test("a non-streamed body cut in half makes the SDK throw", async () => {
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 1 });
    await assert.rejects(client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }), isTerminated);
  });

  test("a slow first token delays the answer", async () => {
    mock.failNext({ kind: "slow-first-token", delayMs: 150 });
    const started = performance.now();
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
    assert.ok(performance.now() - started >= 140);
    assert.equal(completion.choices[0]?.finish_reason, "stop");
  });
});

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Anthropic, { AnthropicError, APIError, AuthenticationError, BadRequestError, NotFoundError, OverloadedError, RateLimitError } from "@anthropic-ai/sdk";
import { countTokens } from "./support/mock-vendors/brain.ts";
import { mockThinkingSignature, redactedThinkingTrigger, startMockAnthropic, type MockAnthropic } from "./support/mock-vendors/anthropic.ts";

// The official Anthropic SDK pointed straight at the mock: if the SDK parses every answer, error
// and stream the mock produces, the mock speaks Anthropic's wire format.

const model = "claude-sonnet-4-6";
const fixtures = new URL("./fixtures/anthropic/", import.meta.url);
const weatherTool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string", enum: ["Paris", "Berlin"] } }, required: ["city"] },
};
const pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/** The structure of a JSON value: keys and value kinds, not the values. */
function shape(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "empty-array" : ["array", shape(value[0])];
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, shape(item)]),
    );
  }
  return typeof value;
}

interface Frame {
  name: string;
  data: Record<string, unknown>;
}

/** Splits an SSE body framed the way Anthropic frames it; fails on any other framing. */
function frames(text: string): Frame[] {
  assert.match(text, /^(event: [a-z_]+\ndata: \{[^\n]*\}\n\n)+$/, "every event is `event: <type>\\ndata: <json>\\n\\n`");
  return text
    .split("\n\n")
    .filter((chunk) => chunk !== "")
    .map((chunk) => {
      const [eventLine = "", dataLine = ""] = chunk.split("\n");
      const frame = { name: eventLine.slice("event: ".length), data: JSON.parse(dataLine.slice("data: ".length)) as Record<string, unknown> };
      assert.equal(frame.data.type, frame.name, "the event name repeats data.type");
      return frame;
    });
}

/** What kind of event a frame is, finely enough that two frames of one kind share a shape. */
function kind(frame: Frame): string {
  const block = frame.data.content_block as { type?: string } | undefined;
  const delta = frame.data.delta as { type?: string } | undefined;
  if (frame.name === "content_block_start") return `${frame.name}:${block?.type}`;
  if (frame.name === "content_block_delta") return `${frame.name}:${delta?.type}`;
  return frame.name;
}

/** The stream grammar: message_start, ping, blocks opened/closed in order, message_delta, message_stop. */
function assertGrammar(list: Frame[]): void {
  assert.equal(list[0]?.name, "message_start");
  assert.deepEqual(list.slice(-2).map((frame) => frame.name), ["message_delta", "message_stop"]);
  assert.equal(list.filter((frame) => frame.name === "ping").length, 1);
  let open: number | undefined;
  let next = 0;
  for (const frame of list.slice(1, -2)) {
    if (frame.name === "ping") continue;
    const index = frame.data.index;
    if (frame.name === "content_block_start") {
      assert.equal(open, undefined, "one block open at a time");
      assert.equal(index, next, "blocks open in index order");
      open = next;
    } else if (frame.name === "content_block_delta") assert.equal(index, open);
    else if (frame.name === "content_block_stop") {
      assert.equal(index, open);
      open = undefined;
      next += 1;
    } else assert.fail(`unexpected ${frame.name} between message_start and message_delta`);
  }
  assert.equal(open, undefined, "every block was closed");
}

function fixture(name: string): string {
  return readFileSync(new URL(name, fixtures), "utf8");
}

describe("mock Anthropic Messages API, driven by the official SDK", () => {
  let mock: MockAnthropic;
  let client: Anthropic;

  const raw = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${mock.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": mock.apiKey, "anthropic-version": "2023-06-01", ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    mock = await startMockAnthropic();
    client = new Anthropic({ baseURL: mock.url, apiKey: mock.apiKey, maxRetries: 0 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test("a plain message, with Anthropic's response headers", async () => {
    const { data: message, response } = await client.messages
      .create({ model, max_tokens: 256, system: "Be terse.", messages: [{ role: "user", content: "Hello there" }] })
      .withResponse();
    assert.match(message.id, /^msg_/);
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    assert.equal(message.model, model);
    assert.deepEqual(message.content, [{ type: "text", text: `Hello from ${model}. You said: Hello there` }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.stop_sequence, null);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
    assert.equal(message.usage.cache_read_input_tokens, 0);
    assert.match(response.headers.get("request-id") ?? "", /^req_/);
    assert.ok(response.headers.get("anthropic-ratelimit-requests-remaining") !== null);
    assert.ok(response.headers.get("anthropic-ratelimit-tokens-reset") !== null);
    // This SDK version sends the API key as a bearer token (not x-api-key) and its own API
    // version; the mock accepts both forms of the key, like the API the SDK was written for.
    const request = mock.requests.at(-1);
    assert.equal(request?.headers.authorization, `Bearer ${mock.apiKey}`);
    assert.match(String(request?.headers["anthropic-version"]), /^\d{4}-\d{2}-\d{2}$/);
  });

  test("max_tokens and stop_sequences end the answer with max_tokens / stop_sequence", async () => {
    const cut = await client.messages.create({ model, max_tokens: 2, messages: [{ role: "user", content: "Hello there" }] });
    assert.equal(cut.stop_reason, "max_tokens");
    const stopped = await client.messages.create({ model, max_tokens: 100, stop_sequences: ["said"], messages: [{ role: "user", content: "Hello there" }] });
    assert.equal(stopped.stop_reason, "stop_sequence");
    assert.equal(stopped.stop_sequence, "said");
    assert.deepEqual(stopped.content, [{ type: "text", text: `Hello from ${model}. You ` }]);
  });

  test("messages.stream(): text events and a final message equal to the non-streamed one", async () => {
    const stream = client.messages.stream({ model, max_tokens: 256, messages: [{ role: "user", content: "Stream this please" }] });
    const texts: string[] = [];
    stream.on("text", (text) => texts.push(text));
    const message = await stream.finalMessage();
    assert.ok(texts.length > 1, "the text arrived in several deltas");
    assert.equal(texts.join(""), `Hello from ${model}. You said: Stream this please`);
    assert.deepEqual(message.content, [{ type: "text", text: texts.join("") }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.ok(message.usage.output_tokens > 1, "message_delta's output_tokens replaced message_start's");
  });

  test("raw stream: true iteration yields the documented event order", async () => {
    const stream = await client.messages.create({ model, max_tokens: 256, stream: true, messages: [{ role: "user", content: "Hi" }] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type === "content_block_delta" ? `delta:${event.delta.type}` : event.type);
    // The SDK drops ping events itself.
    assert.equal(types[0], "message_start");
    assert.equal(types[1], "content_block_start");
    assert.ok(types.slice(2, -3).every((type) => type === "delta:text_delta"));
    assert.deepEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
  });

  test("tools: tool_use with tool_choice, then a tool_result round trip", async () => {
    for (const tool_choice of [{ type: "any" as const }, { type: "tool" as const, name: "get_weather" }]) {
      const stream = client.messages.stream({ model, max_tokens: 256, tools: [weatherTool], tool_choice, messages: [{ role: "user", content: "Weather in Paris?" }] });
      const fragments: string[] = [];
      stream.on("inputJson", (partial) => fragments.push(partial));
      const message = await stream.finalMessage();
      assert.ok(fragments.length > 2, "input_json_delta arrived in several fragments");
      assert.equal(message.stop_reason, "tool_use");
      const use = message.content.find((block) => block.type === "tool_use");
      assert.ok(use?.type === "tool_use");
      assert.match(use.id, /^toolu_/);
      assert.equal(use.name, "get_weather");
      assert.deepEqual(use.input, { city: "Paris" });
    }
    const first = await client.messages.create({ model, max_tokens: 256, tools: [weatherTool], messages: [{ role: "user", content: "Weather in Paris?" }] });
    const use = first.content.find((block) => block.type === "tool_use");
    assert.ok(use?.type === "tool_use");
    const second = await client.messages.create({
      model,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: use.id, content: [{ type: "text", text: "21C and sunny" }] },
            { type: "text", text: "Thanks" },
          ],
        },
      ],
    });
    assert.deepEqual(second.content, [{ type: "text", text: "Tool results: 21C and sunny" }]);
    assert.equal(second.stop_reason, "end_turn");
    // Like Anthropic, the mock refuses a tool_result that answers no tool_use, and a tool_use left unanswered.
    await assert.rejects(
      client.messages.create({
        model,
        max_tokens: 256,
        tools: [weatherTool],
        messages: [
          { role: "user", content: "Weather?" },
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_other", content: "x" }] },
        ],
      }),
      (error: unknown) => error instanceof BadRequestError && /tool_use_id/.test(error.message),
    );
    await assert.rejects(
      client.messages.create({
        model,
        max_tokens: 256,
        tools: [weatherTool],
        messages: [{ role: "user", content: "Weather?" }, { role: "assistant", content: first.content }, { role: "user", content: "Go on" }],
      }),
      (error: unknown) => error instanceof BadRequestError && /without `tool_result`/.test(error.message),
    );
  });

  test("thinking: a signed thinking block first, streamed with thinking and signature deltas, verified when sent back", async () => {
    const stream = client.messages.stream({
      model,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [weatherTool],
      messages: [{ role: "user", content: "Weather in Berlin?" }],
    });
    const thinkingDeltas: string[] = [];
    let signature = "";
    stream.on("thinking", (delta) => thinkingDeltas.push(delta));
    stream.on("signature", (value) => (signature = value));
    const message = await stream.finalMessage();
    const [thinking, use] = message.content;
    assert.ok(thinking?.type === "thinking");
    assert.equal(thinkingDeltas.join(""), thinking.thinking);
    assert.equal(thinking.signature, signature);
    assert.equal(signature, mockThinkingSignature(thinking.thinking));
    assert.ok(use?.type === "tool_use");
    const history = (content: typeof message.content) =>
      client.messages.create({
        model,
        max_tokens: 4096,
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [weatherTool],
        messages: [
          { role: "user", content: "Weather in Berlin?" },
          { role: "assistant", content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "snow" }] },
        ],
      });
    const answer = await history(message.content);
    assert.deepEqual(answer.content, [{ type: "text", text: "Tool results: snow" }], "no new thinking after tool results");
    await assert.rejects(history([{ ...thinking, signature: `${thinking.signature}x` }, use]), (error: unknown) => error instanceof BadRequestError && /signature/.test(error.message));
    await assert.rejects(history([use]), (error: unknown) => error instanceof BadRequestError && /must start with a thinking block/.test(error.message));
    await assert.rejects(
      client.messages.create({ model, max_tokens: 1024, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "x" }] }),
      (error: unknown) => error instanceof BadRequestError && /budget_tokens/.test(error.message),
    );
  });

  test("thinking: Anthropic's documented trigger string yields a redacted_thinking block", async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: `${redactedThinkingTrigger} hello` }],
    });
    assert.equal(message.content[0]?.type, "redacted_thinking");
    assert.equal(message.content[1]?.type, "text");
  });

  test("images: base64 image blocks are seen by the model; a bad media type is refused", async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 256,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: pixel } }, { type: "text", text: "What is it?" }] }],
    });
    assert.deepEqual(message.content, [{ type: "text", text: `Hello from ${model}. You said: What is it? I see 1 image(s).` }]);
    const response = await raw("/v1/messages", {
      model,
      max_tokens: 10,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/bmp", data: pixel } }] }],
    });
    assert.equal(response.status, 400);
  });

  test("count_tokens equals the prompt tokens of the message, and the brain's count", async () => {
    const params = { model, system: "Be terse.", tools: [weatherTool], messages: [{ role: "user" as const, content: "How many tokens is this?" }] };
    const counted = await client.messages.countTokens(params);
    const message = await client.messages.create({ ...params, max_tokens: 256, tool_choice: { type: "none" } });
    assert.equal(counted.input_tokens, message.usage.input_tokens);
    const promptText = [JSON.stringify({ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.input_schema }), "Be terse.", "How many tokens is this?"].join("\n");
    assert.equal(counted.input_tokens, countTokens(promptText));
    const extra = await raw("/v1/messages/count_tokens", { ...params, max_tokens: 10 });
    assert.equal(extra.status, 400, "count_tokens refuses max_tokens, like Anthropic");
  });

  test("prompt caching on a system block: first request writes, the next one reads", async () => {
    const params = {
      model,
      max_tokens: 64,
      system: [{ type: "text" as const, text: "Long stable instructions. ".repeat(30), cache_control: { type: "ephemeral" as const } }],
      messages: [{ role: "user" as const, content: "Hi" }],
    };
    const first = await client.messages.create(params);
    const second = await client.messages.create({ ...params, messages: [{ role: "user", content: "Something else entirely" }] });
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) > 0);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
  });

  test("GET /v1/models in Anthropic's list format", async () => {
    const ids: string[] = [];
    for await (const item of client.models.list()) {
      assert.equal(item.type, "model");
      assert.ok(item.display_name.length > 0 && item.created_at.length > 0);
      ids.push(item.id);
    }
    assert.ok(ids.includes(model));
    const page = await client.models.list({ limit: 1 });
    assert.equal(page.data.length, 1);
    assert.equal(page.has_more, true);
  });

  test("errors map to the SDK's classes: 401, 404, 400, 429 with retry-after, 529", async () => {
    const ask = () => client.messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "Hi" }] });
    const wrong = new Anthropic({ baseURL: mock.url, apiKey: "wrong-key", maxRetries: 0 });
    await assert.rejects(wrong.messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.type, "authentication_error");
      assert.match(error.requestID ?? "", /^req_/);
      return true;
    });
    await assert.rejects(client.messages.create({ model: "no-such-model", max_tokens: 16, messages: [{ role: "user", content: "Hi" }] }), NotFoundError);
    mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 12 });
    await assert.rejects(ask(), (error: unknown) => {
      assert.ok(error instanceof RateLimitError);
      assert.equal(error.type, "rate_limit_error");
      assert.equal(error.headers.get("retry-after"), "12");
      return true;
    });
    mock.failNext({ kind: "status", status: 529 });
    await assert.rejects(ask(), (error: unknown) => {
      assert.ok(error instanceof OverloadedError);
      assert.equal(error.status, 529);
      assert.equal(error.type, "overloaded_error");
      assert.equal(error.apiMessage, "Overloaded");
      return true;
    });
    const missing = await raw("/v1/messages", { model, messages: [{ role: "user", content: "Hi" }] });
    assert.equal(missing.status, 400);
    assert.deepEqual(((await missing.json()) as { error: unknown }).error, { type: "invalid_request_error", message: "max_tokens: Field required" });
    const noVersion = await fetch(`${mock.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": mock.apiKey },
      body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "Hi" }] }),
    });
    assert.equal(noVersion.status, 400);
    assert.equal(((await noVersion.json()) as { error: { message: string } }).error.message, "anthropic-version: header is required");
    const unknownField = await raw("/v1/messages", { model, max_tokens: 5, messages: [{ role: "user", content: "Hi" }], logit_bias: {} });
    assert.equal(unknownField.status, 400);
    const systemRole = await raw("/v1/messages", { model, max_tokens: 5, messages: [{ role: "system", content: "s" }] });
    assert.equal(systemRole.status, 400);
  });

  test("cut mid-stream: the SDK rejects with a connection error, and never produces a final message", async () => {
    // The mock writes 4 events and destroys the socket. Node's fetch (under the SDK) reports the
    // truncated body as `TypeError: terminated` (cause: undici's "other side closed"); the raw
    // iterator rethrows it as is, and MessageStream wraps it in an AnthropicError. Neither path
    // yields message_stop, so no partial message is ever presented as complete.
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 4 });
    const stream = client.messages.stream({ model, max_tokens: 256, messages: [{ role: "user", content: "A long answer please" }] });
    const texts: string[] = [];
    stream.on("text", (text) => texts.push(text));
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof AnthropicError);
      assert.match(error.message, /terminated/);
      return true;
    });
    assert.equal(texts.length, 1, "the one text delta before the cut was delivered");

    mock.failNext({ kind: "cut-mid-stream", afterEvents: 4 });
    const types: string[] = [];
    await assert.rejects(
      (async () => {
        const events = await client.messages.create({ model, max_tokens: 256, stream: true, messages: [{ role: "user", content: "A long answer please" }] });
        for await (const event of events) types.push(event.type);
      })(),
      (error: unknown) => error instanceof TypeError && /terminated/.test(error.message),
    );
    assert.deepEqual(types, ["message_start", "content_block_start", "content_block_delta"], "ping was the 3rd event and the SDK drops pings");
  });

  test("an `event: error` mid-stream surfaces as an APIError carrying Anthropic's error type", async () => {
    mock.failNext({ kind: "error-mid-stream", afterEvents: 4, errorType: "overloaded_error" });
    const stream = client.messages.stream({ model, max_tokens: 256, messages: [{ role: "user", content: "A long answer please" }] });
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.status, undefined, "the HTTP status was 200; the error came in the stream");
      assert.equal(error.type, "overloaded_error");
      return true;
    });
  });

  test("the mock's streams have the documented framing, grammar and event shapes (fixture comparison)", async () => {
    const documented = [...frames(fixture("stream-text-tool-use.sse")), ...frames(fixture("stream-thinking.sse"))];
    assertGrammar(frames(fixture("stream-text-tool-use.sse")));
    assertGrammar(frames(fixture("stream-thinking.sse")));
    const shapes = new Map<string, unknown>();
    for (const frame of documented) shapes.set(kind(frame), shape(frame.data));
    const bodies = [
      { model, max_tokens: 256, stream: true, messages: [{ role: "user", content: "Hi" }] },
      { model, max_tokens: 256, stream: true, tools: [weatherTool], messages: [{ role: "user", content: "Weather?" }] },
      { model, max_tokens: 4096, stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "Think" }] },
    ];
    const seen = new Set<string>();
    for (const body of bodies) {
      const response = await raw("/v1/messages", body);
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const list = frames(await response.text());
      assertGrammar(list);
      for (const frame of list) {
        seen.add(kind(frame));
        assert.ok(shapes.has(kind(frame)), `documented event kind ${kind(frame)}`);
        assert.deepEqual(shape(frame.data), shapes.get(kind(frame)), `shape of ${kind(frame)}`);
      }
    }
    assert.deepEqual([...seen].sort(), [...shapes.keys()].sort(), "the mock produces every documented event kind");
  });

  test("the mock's message and error bodies have the documented shapes (fixture comparison)", async () => {
    const documented = JSON.parse(fixture("message.json")) as { content: Array<{ type: string }> } & Record<string, unknown>;
    // A tool's input follows the tool's own schema, so only the block around it is compared.
    const blockShape = (block: { type: string }): unknown => shape(block.type === "tool_use" ? { ...block, input: {} } : block);
    const blockShapes = new Map(documented.content.map((block) => [block.type, blockShape(block)]));
    for (const body of [
      { model, max_tokens: 256, messages: [{ role: "user", content: "Hi" }] },
      { model, max_tokens: 256, tools: [weatherTool], messages: [{ role: "user", content: "Weather?" }] },
    ]) {
      const message = (await (await raw("/v1/messages", body)).json()) as { content: Array<{ type: string }> } & Record<string, unknown>;
      assert.deepEqual(shape({ ...message, content: [] }), shape({ ...documented, content: [] }));
      for (const block of message.content) assert.deepEqual(blockShape(block), blockShapes.get(block.type), `shape of a ${block.type} block`);
    }
    mock.failNext({ kind: "status", status: 529 });
    const overloaded = await raw("/v1/messages", { model, max_tokens: 16, messages: [{ role: "user", content: "Hi" }] });
    assert.equal(overloaded.status, 529);
    assert.deepEqual(shape(await overloaded.json()), shape(JSON.parse(fixture("error-529.json"))));
  });
});

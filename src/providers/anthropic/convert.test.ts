import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { HearthError } from "../../spec/errors.ts";
import type { ChatRequest, StreamPart } from "../../spec/model.ts";
import { SseDecoder, type ServerSentEvent } from "../shared/sse-decoder.ts";
import {
  finishReasonOf,
  fromMessage,
  imageSource,
  jsonToolName,
  MessagesStreamReader,
  streamErrorOf,
  toCountTokensBody,
  toMessagesRequest,
  usageOf,
  type MessagesPlan,
} from "./convert.ts";
import type { WireMessage } from "./wire.ts";

const fixtures = new URL("../../../test/fixtures/anthropic/", import.meta.url);

function fixtureEvents(name: string): ServerSentEvent[] {
  const decoder = new SseDecoder();
  return [...decoder.push(readFileSync(new URL(name, fixtures), "utf8")), ...decoder.end()];
}

function event(data: Record<string, unknown>): ServerSentEvent {
  return { event: String(data.type), data: JSON.stringify(data), id: undefined };
}

function read(plan: MessagesPlan, events: ServerSentEvent[]): StreamPart[] {
  const reader = new MessagesStreamReader(plan, "anthropic", ["sk-ant-secret-key-123456"]);
  const parts = events.flatMap((item) => reader.push(item));
  reader.end();
  return parts;
}

const base: ChatRequest = { model: "claude-test", messages: [{ role: "user", content: "Hi" }] };
const plain = (): MessagesPlan => toMessagesRequest(base);
const weather = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

function rejectsWith(code: string, run: () => unknown, param?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(HearthError.isInstance(error), String(error));
    assert.equal(error.code, code);
    if (param !== undefined) assert.equal(error.param, param);
    return true;
  });
}

describe("toMessagesRequest: conversation", () => {
  test("system messages join into the top-level system, wherever they appear", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Hi" },
        { role: "system", content: "Answer in French." },
      ],
    });
    assert.equal(body.system, "Be terse.\n\nAnswer in French.");
    assert.deepEqual(body.messages, [{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
  });

  test("consecutive turns of one role merge so user and assistant alternate", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: [{ type: "text", text: "two" }] },
        { role: "assistant", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "three" },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] },
      { role: "assistant", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "user", content: [{ type: "text", text: "three" }] },
    ]);
  });

  test("assistant tool calls become tool_use blocks and tool results one user turn, results first", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          toolCalls: [
            { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
            { id: "call.2", name: "get_weather", arguments: "" },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: "21C" },
        { role: "tool", toolCallId: "call.2", content: [{ type: "text", text: "no data" }], isError: true },
        { role: "user", content: "Thanks, and?" },
      ],
    });
    assert.deepEqual(body.messages[1], {
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "call_2", name: "get_weather", input: {} },
      ],
    });
    assert.deepEqual(body.messages[2], {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_1", content: "21C" },
        { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "no data" }], is_error: true },
        { type: "text", text: "Thanks, and?" },
      ],
    });
    assert.equal(body.messages.length, 3);
  });

  test("tool results merged after user text still come first in the turn", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        { role: "assistant", content: null, toolCalls: [{ id: "t1", name: "f", arguments: "{}" }] },
        { role: "user", content: "note" },
        { role: "tool", toolCallId: "t1", content: "done" },
      ],
    });
    assert.deepEqual(body.messages[1]?.content.map((block) => block.type), ["tool_result", "text"]);
  });

  test("tool call arguments that are not a JSON object are refused as invalid_request", () => {
    const ask = (args: string) => () =>
      toMessagesRequest({ model: "m", messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, toolCalls: [{ id: "c", name: "f", arguments: args }] }] });
    rejectsWith("invalid_request", ask("{city:"), "messages[1].tool_calls[0].function.arguments");
    rejectsWith("invalid_request", ask("[1,2]"));
  });

  test("signed reasoning goes back first as thinking blocks; redacted stays; unsigned is dropped", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "answer",
          reasoning: [
            { type: "reasoning", text: "thoughts", signature: "sig-1" },
            { type: "redacted-reasoning", data: "opaque" },
            { type: "reasoning", text: "from another provider" },
          ],
          toolCalls: [{ id: "t", name: "f", arguments: "{}" }],
        },
        { role: "tool", toolCallId: "t", content: "ok" },
      ],
    });
    assert.deepEqual(body.messages[1]?.content, [
      { type: "thinking", thinking: "thoughts", signature: "sig-1" },
      { type: "redacted_thinking", data: "opaque" },
      { type: "text", text: "answer" },
      { type: "tool_use", id: "t", name: "f", input: {} },
    ]);
  });

  test("images: data: URLs become base64 sources, http(s) URLs url sources", () => {
    const { body } = toMessagesRequest({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "image", url: "https://example.com/cat.jpg" },
            { type: "text", text: "What are these?" },
          ],
        },
      ],
    });
    assert.deepEqual(body.messages[0]?.content, [
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
      { type: "text", text: "What are these?" },
    ]);
    assert.deepEqual(imageSource("data:image/svg+xml,%3Csvg%2F%3E", "p"), { type: "base64", media_type: "image/svg+xml", data: Buffer.from("<svg/>").toString("base64") });
    rejectsWith("invalid_request", () => imageSource("file:///etc/passwd", "p"), "p");
  });

  test("a conversation of system messages only is refused before any call", () => {
    rejectsWith("invalid_request", () => toMessagesRequest({ model: "m", messages: [{ role: "system", content: "s" }] }), "messages");
  });
});

describe("toMessagesRequest: settings", () => {
  test("max_tokens defaults to 4096 (or the configured default) because Anthropic requires it", () => {
    assert.equal(plain().body.max_tokens, 4096);
    assert.equal(toMessagesRequest(base, { defaultMaxTokens: 1000 }).body.max_tokens, 1000);
    assert.equal(toMessagesRequest({ ...base, maxTokens: 77 }).body.max_tokens, 77);
  });

  test("tools carry input_schema; tool choices map to auto / none / any / tool", () => {
    const bare = { name: "ping", parameters: {} };
    const { body } = toMessagesRequest({ ...base, tools: [weather, bare], toolChoice: "required" });
    assert.deepEqual(body.tools, [
      { name: "get_weather", description: "Weather for a city", input_schema: weather.parameters },
      { name: "ping", input_schema: { type: "object" } },
    ]);
    assert.deepEqual(body.tool_choice, { type: "any" });
    assert.deepEqual(toMessagesRequest({ ...base, tools: [weather], toolChoice: "auto" }).body.tool_choice, { type: "auto" });
    assert.deepEqual(toMessagesRequest({ ...base, tools: [weather], toolChoice: "none" }).body.tool_choice, { type: "none" });
    assert.deepEqual(toMessagesRequest({ ...base, tools: [weather], toolChoice: { name: "get_weather" } }).body.tool_choice, { type: "tool", name: "get_weather" });
    assert.equal(toMessagesRequest({ ...base, tools: [weather] }).body.tool_choice, undefined);
    assert.equal(toMessagesRequest({ ...base, toolChoice: "required" }).body.tool_choice, undefined, "no tool_choice without tools");
  });

  test("parallelToolCalls false sets disable_parallel_tool_use", () => {
    assert.deepEqual(toMessagesRequest({ ...base, tools: [weather], parallelToolCalls: false }).body.tool_choice, { type: "auto", disable_parallel_tool_use: true });
    assert.deepEqual(toMessagesRequest({ ...base, tools: [weather], toolChoice: "required", parallelToolCalls: false }).body.tool_choice, {
      type: "any",
      disable_parallel_tool_use: true,
    });
  });

  test("stop becomes stop_sequences; whitespace-only sequences are refused (Anthropic rejects them)", () => {
    assert.deepEqual(toMessagesRequest({ ...base, stop: ["END", ""] }).body.stop_sequences, ["END"]);
    rejectsWith("unsupported", () => toMessagesRequest({ ...base, stop: ["\n"] }), "stop");
  });

  test("sampling: temperature is kept within Anthropic's 0..1, seed has no counterpart", () => {
    const { body } = toMessagesRequest({ ...base, temperature: 1.5, topP: 0.9, seed: 7 });
    assert.equal(body.temperature, 1);
    assert.equal(body.top_p, 0.9);
    assert.equal("seed" in body, false);
  });

  test("a reasoning budget turns on thinking, adds it to the default max_tokens and leaves out temperature", () => {
    const { body } = toMessagesRequest({ ...base, reasoning: { budgetTokens: 2000 }, temperature: 0.2, topP: 0.5 });
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 2000 });
    assert.equal(body.max_tokens, 4096 + 2000);
    assert.equal(body.temperature, undefined);
    assert.equal(body.top_p, undefined);
    assert.deepEqual(toMessagesRequest({ ...base, reasoning: { effort: "low" }, maxTokens: 5000 }).body, {
      model: "claude-test",
      max_tokens: 5000,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
    assert.equal(toMessagesRequest({ ...base, reasoning: { budgetTokens: 0 } }).body.thinking, undefined);
  });

  test("JSON mode: a forced tool whose input_schema is the schema", () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const plan = toMessagesRequest({ ...base, responseFormat: { type: "json_schema", name: "answer", schema } });
    assert.deepEqual(plan.jsonTool, { name: jsonToolName, wrapped: false });
    assert.equal(plan.body.tools?.length, 1);
    assert.equal(plan.body.tools?.[0]?.name, jsonToolName);
    assert.deepEqual(plan.body.tools?.[0]?.input_schema, schema);
    assert.deepEqual(plan.body.tool_choice, { type: "tool", name: jsonToolName });
  });

  test("JSON mode: a non-object root schema travels wrapped as { value }", () => {
    const schema = { type: "array", items: { type: "string" } };
    const plan = toMessagesRequest({ ...base, responseFormat: { type: "json_schema", name: "list", schema } });
    assert.deepEqual(plan.jsonTool, { name: jsonToolName, wrapped: true });
    assert.deepEqual(plan.body.tools?.[0]?.input_schema, { type: "object", properties: { value: schema }, required: ["value"] });
    const object = toMessagesRequest({ ...base, responseFormat: { type: "json_object" } });
    assert.deepEqual(object.body.tools?.[0]?.input_schema, { type: "object" });
  });

  test("JSON mode with the caller's tools lets the model pick any of them; with thinking it is unsupported", () => {
    const plan = toMessagesRequest({ ...base, tools: [weather], responseFormat: { type: "json_object" } });
    assert.deepEqual(plan.body.tools?.map((tool) => tool.name), ["get_weather", jsonToolName]);
    assert.deepEqual(plan.body.tool_choice, { type: "any" });
    const named = toMessagesRequest({ ...base, tools: [weather], toolChoice: { name: "get_weather" }, responseFormat: { type: "json_object" } });
    assert.deepEqual(named.body.tool_choice, { type: "tool", name: "get_weather" });
    rejectsWith("unsupported", () => toMessagesRequest({ ...base, responseFormat: { type: "json_object" }, reasoning: { budgetTokens: 2048 } }), "response_format");
    rejectsWith("invalid_request", () => toMessagesRequest({ ...base, tools: [{ ...weather, name: jsonToolName }], responseFormat: { type: "json_object" } }), "tools");
  });

  test("passthrough fields merge only from Anthropic-format requests and never override converted ones", () => {
    const { body } = toMessagesRequest({
      ...base,
      maxTokens: 10,
      passthrough: { format: "anthropic", fields: { top_k: 5, metadata: { user_id: "u1" }, service_tier: "auto", max_tokens: 99999, stream: true } },
    });
    assert.equal(body.top_k, 5);
    assert.deepEqual(body.metadata, { user_id: "u1" });
    assert.equal(body.service_tier, "auto");
    assert.equal(body.max_tokens, 10);
    assert.equal(body.stream, undefined);
    const openai = toMessagesRequest({ ...base, passthrough: { format: "openai", fields: { presence_penalty: 0.5, user: "end-user-7" } } }).body;
    assert.equal("presence_penalty" in openai, false);
    assert.deepEqual(openai.metadata, { user_id: "end-user-7" });
    rejectsWith("unsupported", () => toMessagesRequest({ ...base, passthrough: { format: "openai", fields: { n: 2 } } }), "n");
    rejectsWith("unsupported", () => toMessagesRequest({ ...base, passthrough: { format: "openai", fields: { logprobs: true } } }), "logprobs");
  });

  test("count_tokens gets the prompt fields only", () => {
    const plan = toMessagesRequest({ ...base, messages: [{ role: "system", content: "s" }, ...base.messages], tools: [weather], temperature: 0.3, maxTokens: 9 });
    assert.deepEqual(toCountTokensBody(plan), { model: "claude-test", messages: plan.body.messages, system: "s", tools: plan.body.tools });
  });
});

describe("answers to parts", () => {
  test("stop reasons map to finish reasons", () => {
    assert.equal(finishReasonOf("end_turn"), "stop");
    assert.equal(finishReasonOf("stop_sequence"), "stop");
    assert.equal(finishReasonOf("pause_turn"), "stop");
    assert.equal(finishReasonOf("max_tokens"), "length");
    assert.equal(finishReasonOf("tool_use"), "tool_calls");
    assert.equal(finishReasonOf("refusal"), "content_filter");
  });

  test("usage counts cached prompt tokens in inputTokens and reports them apart", () => {
    assert.deepEqual(usageOf({ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 5 }), {
      inputTokens: 1110,
      outputTokens: 5,
      cacheReadTokens: 1000,
      cacheWriteTokens: 100,
    });
    assert.deepEqual(usageOf({ input_tokens: 3, output_tokens: 1 }), { inputTokens: 3, outputTokens: 1 });
  });

  test("the documented text + tool_use stream: text deltas, one whole tool call at block stop, finish tool_calls", () => {
    const parts = read(plain(), fixtureEvents("stream-text-tool-use.sse"));
    assert.deepEqual(parts, [
      { type: "text-delta", text: "Okay" },
      { type: "text-delta", text: ", let's check the weather for San Francisco, CA:" },
      {
        type: "tool-call",
        toolCall: { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: '{"location": "San Francisco, CA", "unit": "fahrenheit"}' },
      },
      { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 472, outputTokens: 89, cacheReadTokens: 0, cacheWriteTokens: 0 } },
    ]);
  });

  test("the documented thinking stream: reasoning deltas, then reasoning-end carrying the signature", () => {
    const parts = read(plain(), fixtureEvents("stream-thinking.sse"));
    assert.deepEqual(
      parts.map((part) => part.type),
      ["reasoning-delta", "reasoning-delta", "reasoning-end", "text-delta", "finish"],
    );
    const end = parts[2];
    assert.ok(end?.type === "reasoning-end");
    assert.match(end.signature ?? "", /^[A-Za-z0-9+/]+=*$/);
    const finish = parts.at(-1);
    assert.ok(finish?.type === "finish");
    assert.equal(finish.finishReason, "stop");
    assert.equal(finish.usage.outputTokens, 112);
  });

  test("redacted thinking becomes one reasoning-redacted part; stop_sequence reaches the finish part", () => {
    const parts = read(plain(), [
      event({ type: "message_start", message: { usage: { input_tokens: 5, output_tokens: 1 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "EmwKAhgB" } }),
      event({ type: "content_block_stop", index: 0 }),
      event({ type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
      event({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } }),
      event({ type: "content_block_stop", index: 1 }),
      event({ type: "message_delta", delta: { stop_reason: "stop_sequence", stop_sequence: "END" }, usage: { output_tokens: 7 } }),
      event({ type: "message_stop" }),
    ]);
    assert.deepEqual(parts, [
      { type: "reasoning-redacted", data: "EmwKAhgB" },
      { type: "text-delta", text: "Hi" },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 7 }, stopSequence: "END" },
    ]);
  });

  test("the forced JSON tool streams back as text, finishing with stop", () => {
    const plan = toMessagesRequest({ ...base, responseFormat: { type: "json_object" } });
    const parts = read(plan, [
      event({ type: "message_start", message: { usage: { input_tokens: 5, output_tokens: 1 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: jsonToolName, input: {} } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"ok":' } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "true}" } }),
      event({ type: "content_block_stop", index: 0 }),
      event({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } }),
      event({ type: "message_stop" }),
    ]);
    assert.deepEqual(parts, [
      { type: "text-delta", text: '{"ok":' },
      { type: "text-delta", text: "true}" },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 9 } },
    ]);
  });

  test("a wrapped JSON answer is unwrapped from { value }", () => {
    const plan = toMessagesRequest({ ...base, responseFormat: { type: "json_schema", name: "list", schema: { type: "array", items: { type: "string" } } } });
    const parts = read(plan, [
      event({ type: "message_start", message: { usage: { input_tokens: 5, output_tokens: 1 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: jsonToolName, input: {} } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"value": ["a",' } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: ' "b"]}' } }),
      event({ type: "content_block_stop", index: 0 }),
      event({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } }),
      event({ type: "message_stop" }),
    ]);
    assert.deepEqual(parts.slice(0, 1), [{ type: "text-delta", text: '["a","b"]' }]);
    const message: WireMessage = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "tool_use", id: "toolu_1", name: jsonToolName, input: { value: ["x"] } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 2 },
    };
    assert.deepEqual(fromMessage(message, plan), [
      { type: "text-delta", text: '["x"]' },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 2 } },
    ]);
  });

  test("event: error mid-stream throws the mapped HearthError, with secrets scrubbed", () => {
    const reader = new MessagesStreamReader(plain(), "anthropic", ["sk-ant-secret-key-123456"]);
    reader.push(event({ type: "message_start", message: { usage: { input_tokens: 5, output_tokens: 1 } } }));
    assert.throws(
      () => reader.push({ event: "error", data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), id: undefined }),
      (error: unknown) => HearthError.isInstance(error) && error.code === "overloaded" && /Overloaded/.test(error.message),
    );
    const leaked = streamErrorOf({ type: "error", error: { type: "invalid_request_error", message: "bad key sk-ant-secret-key-123456" } }, "anthropic", ["sk-ant-secret-key-123456"]);
    assert.equal(leaked.code, "invalid_request");
    assert.equal(leaked.message.includes("sk-ant-secret-key-123456"), false);
    assert.equal(streamErrorOf({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }, "a", []).code, "rate_limited");
    assert.equal(streamErrorOf({ type: "error", error: { type: "api_error", message: "boom" } }, "a", []).code, "upstream_error");
  });

  test("a stream that ends before message_stop is an upstream_error, never a finish", () => {
    const events = fixtureEvents("stream-text-tool-use.sse").slice(0, -2);
    const reader = new MessagesStreamReader(plain(), "anthropic");
    const parts = events.flatMap((item) => reader.push(item));
    assert.equal(parts.some((part) => part.type === "finish"), false);
    assert.throws(() => reader.end(), (error: unknown) => HearthError.isInstance(error) && error.code === "upstream_error");
  });

  test("a non-streamed message (documented shape) gives the same parts a stream would", () => {
    const message = JSON.parse(readFileSync(new URL("message.json", fixtures), "utf8")) as WireMessage;
    assert.deepEqual(fromMessage(message, plain()), [
      { type: "text-delta", text: "I'll check the current weather in San Francisco for you." },
      { type: "tool-call", toolCall: { id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: '{"location":"San Francisco, CA","unit":"celsius"}' } },
      { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 384, outputTokens: 92, cacheReadTokens: 0, cacheWriteTokens: 0 } },
    ]);
  });
});

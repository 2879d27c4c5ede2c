import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import type { StreamPart } from "../../spec/model.ts";
import { MessageStreamWriter, type AnthropicStreamEvent } from "./stream.ts";

const identity = { id: "msg_s", model: "m" };

function run(parts: StreamPart[]): AnthropicStreamEvent[] {
  const writer = new MessageStreamWriter(identity);
  return [...writer.start(), ...parts.flatMap((part) => writer.part(part))];
}

/** `event:index` shorthands, e.g. `content_block_start:0`. */
function outline(events: AnthropicStreamEvent[]): string[] {
  return events.map((item) => (typeof item.data.index === "number" ? `${item.event}:${item.data.index}` : item.event));
}

const finish = (overrides: Partial<Extract<StreamPart, { type: "finish" }>> = {}): StreamPart => ({
  type: "finish",
  finishReason: "stop",
  usage: { inputTokens: 12, outputTokens: 4 },
  ...overrides,
});

describe("MessageStreamWriter", () => {
  test("opens with message_start and ping, every event's data repeats its name", () => {
    const events = new MessageStreamWriter(identity).start();
    assert.deepEqual(outline(events), ["message_start", "ping"]);
    assert.deepEqual(events[0]?.data, {
      type: "message_start",
      message: {
        id: "msg_s",
        type: "message",
        role: "assistant",
        model: "m",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    for (const item of run([{ type: "text-delta", text: "x" }, finish()])) assert.equal(item.data.type, item.event);
  });

  test("text deltas share one block; finish closes it and reports stop reason and usage", () => {
    const events = run([{ type: "text-delta", text: "Hel" }, { type: "text-delta", text: "lo" }, finish({ usage: { inputTokens: 50, outputTokens: 4, cacheReadTokens: 40 } })]);
    assert.deepEqual(outline(events), [
      "message_start",
      "ping",
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(events[2]?.data.content_block, { type: "text", text: "" });
    assert.deepEqual(events[4]?.data.delta, { type: "text_delta", text: "lo" });
    assert.deepEqual(events[6]?.data, {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 40 },
    });
  });

  test("thinking, then text, then tool calls: blocks counted up with signatures and whole tool inputs", () => {
    const events = run([
      { type: "reasoning-delta", text: "Let me " },
      { type: "reasoning-delta", text: "think." },
      { type: "reasoning-end", signature: "sig-xyz" },
      { type: "reasoning-redacted", data: "opaque" },
      { type: "text-delta", text: "Calling." },
      { type: "tool-call", toolCall: { id: "toolu_1", name: "get_weather", arguments: '{"city": "Paris"}' } },
      { type: "tool-call", toolCall: { id: "call_2", name: "noop", arguments: "" } },
      finish({ finishReason: "tool_calls" }),
    ]);
    assert.deepEqual(outline(events), [
      "message_start",
      "ping",
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "content_block_start:1",
      "content_block_stop:1",
      "content_block_start:2",
      "content_block_delta:2",
      "content_block_stop:2",
      "content_block_start:3",
      "content_block_delta:3",
      "content_block_stop:3",
      "content_block_start:4",
      "content_block_delta:4",
      "content_block_stop:4",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(events[2]?.data.content_block, { type: "thinking", thinking: "", signature: "" });
    assert.deepEqual(events[3]?.data.delta, { type: "thinking_delta", thinking: "Let me " });
    assert.deepEqual(events[5]?.data.delta, { type: "signature_delta", signature: "sig-xyz" });
    assert.deepEqual(events[7]?.data.content_block, { type: "redacted_thinking", data: "opaque" });
    assert.deepEqual(events[12]?.data.content_block, { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} });
    assert.deepEqual(events[13]?.data.delta, { type: "input_json_delta", partial_json: '{"city": "Paris"}' });
    assert.deepEqual(events[16]?.data.delta, { type: "input_json_delta", partial_json: "{}" });
    assert.deepEqual((events[18]?.data.delta as { stop_reason: string }).stop_reason, "tool_use");
  });

  test("text after unsigned thinking closes the thinking block first", () => {
    const events = run([{ type: "reasoning-delta", text: "hmm" }, { type: "text-delta", text: "ok" }, finish()]);
    assert.deepEqual(outline(events).slice(2, 8), [
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "content_block_start:1",
      "content_block_delta:1",
      "content_block_stop:1",
    ]);
  });

  test("an answer with no content still has one (empty) text block, like the non-streamed message", () => {
    const events = run([{ type: "text-delta", text: "" }, finish({ finishReason: "length" })]);
    assert.deepEqual(outline(events), ["message_start", "ping", "content_block_start:0", "content_block_stop:0", "message_delta", "message_stop"]);
    assert.equal((events[4]?.data.delta as { stop_reason: string }).stop_reason, "max_tokens");
  });

  test("a stop sequence is reported", () => {
    const events = run([{ type: "text-delta", text: "a" }, finish({ stopSequence: "###" })]);
    assert.deepEqual(events.at(-2)?.data.delta, { stop_reason: "stop_sequence", stop_sequence: "###" });
  });

  test("parts of other choices are dropped", () => {
    const events = run([{ type: "text-delta", text: "zero" }, { type: "text-delta", text: "one", choice: 1 }, finish()]);
    const texts = events.filter((item) => item.event === "content_block_delta").map((item) => (item.data.delta as { text: string }).text);
    assert.deepEqual(texts, ["zero"]);
  });

  test("a tool call whose arguments are not an object fails the stream", () => {
    const writer = new MessageStreamWriter(identity);
    writer.start();
    assert.throws(() => writer.part({ type: "tool-call", toolCall: { id: "t", name: "f", arguments: "oops" } }), (error: unknown) => HearthError.isInstance(error) && error.code === "upstream_error");
  });

  test("error() is Anthropic's error event", () => {
    const writer = new MessageStreamWriter(identity);
    assert.deepEqual(writer.error(new HearthError("overloaded", "Busy.")), { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Busy." } } });
  });
});

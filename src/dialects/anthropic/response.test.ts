import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import type { CollectedResult } from "../../spec/model.ts";
import { toAnthropicError, anthropicStatus } from "./errors.ts";
import { toAnthropicMessage, toAnthropicUsage } from "./response.ts";

const identity = { id: "msg_test", model: "public-name" };

function result(overrides: Partial<CollectedResult>): CollectedResult {
  return { text: "", toolCalls: [], finishReason: "stop", usage: { inputTokens: 10, outputTokens: 3 }, reasoning: [], otherChoices: [], ...overrides };
}

describe("toAnthropicMessage", () => {
  test("a plain answer", () => {
    assert.deepEqual(toAnthropicMessage(identity, result({ text: "Hello" })), {
      id: "msg_test",
      type: "message",
      role: "assistant",
      model: "public-name",
      content: [{ type: "text", text: "Hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  test("reasoning first, then text, then tool calls with parsed input and unchanged ids", () => {
    const message = toAnthropicMessage(
      identity,
      result({
        text: "Checking.",
        reasoning: [
          { type: "reasoning", text: "think", signature: "sig" },
          { type: "reasoning", text: "unsigned" },
          { type: "redacted-reasoning", data: "blob" },
        ],
        toolCalls: [
          { id: "call_abc", name: "get_weather", arguments: '{"city":"Paris"}' },
          { id: "toolu_2", name: "noop", arguments: "" },
        ],
        finishReason: "tool_calls",
      }),
    );
    assert.deepEqual(message.content, [
      { type: "thinking", thinking: "think", signature: "sig" },
      { type: "thinking", thinking: "unsigned", signature: "" },
      { type: "redacted_thinking", data: "blob" },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "toolu_2", name: "noop", input: {} },
    ]);
    assert.equal(message.stop_reason, "tool_use");
  });

  test("an empty text block is left out when there are tool calls, kept when there are none", () => {
    const withTools = toAnthropicMessage(identity, result({ toolCalls: [{ id: "t", name: "f", arguments: "{}" }], finishReason: "tool_calls" }));
    assert.deepEqual(withTools.content.map((block) => block.type), ["tool_use"]);
    assert.deepEqual(toAnthropicMessage(identity, result({ finishReason: "length" })).content, [{ type: "text", text: "" }]);
  });

  test("finish reasons map to stop reasons", () => {
    const stop = (overrides: Partial<CollectedResult>) => {
      const message = toAnthropicMessage(identity, result(overrides));
      return [message.stop_reason, message.stop_sequence];
    };
    assert.deepEqual(stop({ finishReason: "stop" }), ["end_turn", null]);
    assert.deepEqual(stop({ finishReason: "stop", stopSequence: "END" }), ["stop_sequence", "END"]);
    assert.deepEqual(stop({ finishReason: "length" }), ["max_tokens", null]);
    assert.deepEqual(stop({ finishReason: "content_filter" }), ["refusal", null]);
    assert.deepEqual(stop({ finishReason: "error" }), ["end_turn", null]);
  });

  test("tool arguments that are not a JSON object are the model's failure, not a made-up input", () => {
    for (const bad of ["{not json", "[1,2]", "3"]) {
      assert.throws(
        () => toAnthropicMessage(identity, result({ toolCalls: [{ id: "t", name: "f", arguments: bad }], finishReason: "tool_calls" })),
        (error: unknown) => HearthError.isInstance(error) && error.code === "upstream_error" && /'f'/.test(error.message),
      );
    }
  });
});

describe("toAnthropicUsage", () => {
  test("cache tokens are reported beside input tokens, not inside them", () => {
    assert.deepEqual(toAnthropicUsage({ inputTokens: 100, outputTokens: 7, cacheReadTokens: 60, cacheWriteTokens: 30 }), {
      input_tokens: 10,
      output_tokens: 7,
      cache_creation_input_tokens: 30,
      cache_read_input_tokens: 60,
    });
  });
});

describe("toAnthropicError", () => {
  test("Anthropic's error body and types", () => {
    assert.deepEqual(toAnthropicError(new HearthError("invalid_request", "bad")), { type: "error", error: { type: "invalid_request_error", message: "bad" } });
    const types = (["unauthorized", "model_not_found", "not_found", "payload_too_large", "rate_limited", "overloaded", "timeout", "upstream_error", "internal"] as const).map(
      (code) => toAnthropicError(new HearthError(code, "x")).error.type,
    );
    assert.deepEqual(types, [
      "authentication_error",
      "not_found_error",
      "not_found_error",
      "request_too_large",
      "rate_limit_error",
      "overloaded_error",
      "timeout_error",
      "api_error",
      "api_error",
    ]);
  });

  test("overloaded is 529 on this dialect; other codes keep the shared status", () => {
    assert.equal(anthropicStatus(new HearthError("overloaded", "busy")), 529);
    assert.equal(anthropicStatus(new HearthError("rate_limited", "slow down")), 429);
    assert.equal(anthropicStatus(new HearthError("model_not_found", "no")), 404);
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { ChatChunkWriter, fromChatCompletionBody, toChatCompletion } from "./chat.ts";

function rejects(body: unknown, code: string, param?: string): void {
  assert.throws(
    () => fromChatCompletionBody(body),
    (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, code);
      if (param !== undefined) assert.equal(error.param, param);
      return true;
    },
  );
}

describe("fromChatCompletionBody", () => {
  test("maps every role, settings and the stream flags", () => {
    const parsed = fromChatCompletionBody({
      model: "m",
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
        { role: "user", content: "hi" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "42" },
      ],
      max_completion_tokens: 7,
      max_tokens: 99,
      temperature: 0.5,
      top_p: 0.9,
      seed: 3,
      stop: "END",
      stream: true,
      stream_options: { include_usage: true },
      user: "ignored-but-accepted",
    });
    assert.equal(parsed.stream, true);
    assert.equal(parsed.includeUsage, true);
    const request = parsed.request;
    assert.equal(request.maxTokens, 7, "max_completion_tokens wins over the deprecated max_tokens");
    assert.deepEqual(request.stop, ["END"]);
    assert.equal(request.temperature, 0.5);
    assert.equal(request.topP, 0.9);
    assert.equal(request.seed, 3);
    assert.deepEqual(request.messages[1], { role: "system", content: "ab" });
    assert.deepEqual(request.messages[3], { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }] });
    assert.deepEqual(request.messages[4], { role: "tool", toolCallId: "call_1", content: "42" });
  });

  test("maps tools, a named tool_choice and a json_schema response format", () => {
    const { request } = fromChatCompletionBody({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
    });
    assert.deepEqual(request.toolChoice, { name: "get_weather" });
    assert.equal(request.tools?.[0]?.name, "get_weather");
    assert.deepEqual(request.responseFormat, { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true });
  });

  test("keeps fields it does not interpret (n, logprobs, logit_bias, user, vendor fields) as OpenAI passthrough", () => {
    const { request } = fromChatCompletionBody({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      n: 2,
      logprobs: true,
      top_logprobs: 3,
      logit_bias: { "50256": -100 },
      user: "u-1",
      vendor_field: { a: 1 },
      temperature: 0.5,
      frequency_penalty: null,
    });
    assert.deepEqual(request.passthrough, {
      format: "openai",
      fields: { n: 2, logprobs: true, top_logprobs: 3, logit_bias: { "50256": -100 }, user: "u-1", vendor_field: { a: 1 } },
    });
    assert.equal(request.temperature, 0.5);
    assert.equal(fromChatCompletionBody({ model: "m", messages: [{ role: "user", content: "x" }], n: 1 }).request.passthrough, undefined);
  });

  test("refuses malformed bodies with the offending param named", () => {
    rejects({ messages: [{ role: "user", content: "x" }] }, "invalid_request", "model");
    rejects({ model: "m", messages: [] }, "invalid_request", "messages");
    rejects({ model: "m", messages: [{ role: "wizard", content: "x" }] }, "invalid_request");
    rejects({ model: "m", messages: [{ role: "user", content: "x" }], temperature: 3 }, "invalid_request", "temperature");
    rejects({ model: "m", messages: [{ role: "user", content: "x" }], max_tokens: 0 }, "invalid_request", "max_tokens");
    rejects({ model: "m", messages: [{ role: "user", content: "x" }], stop: ["a", "b", "c", "d", "e"] }, "invalid_request", "stop");
    rejects(
      { model: "m", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "a" } }], tool_choice: { type: "function", function: { name: "b" } } },
      "invalid_request",
      "tool_choice",
    );
    rejects({ model: "m", messages: [{ role: "user", content: "x" }], tool_choice: "required" }, "invalid_request", "tool_choice");
    rejects("not an object", "invalid_request");
  });
});

describe("OpenAI response shapes", () => {
  const identity = { id: "chatcmpl-1", created: 1700000000, model: "m" };

  test("a tool-call completion has null content, the calls and finish_reason tool_calls", () => {
    const body = toChatCompletion(identity, {
      text: "",
      toolCalls: [{ id: "call_a", name: "f", arguments: '{"x":1}' }],
      finishReason: "tool_calls",
      usage: { inputTokens: 5, outputTokens: 3 },
      reasoning: [],
      otherChoices: [],
    });
    const choice = body.choices[0];
    assert.equal(choice?.message.content, null);
    assert.deepEqual(choice?.message.tool_calls, [{ id: "call_a", type: "function", function: { name: "f", arguments: '{"x":1}' } }]);
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.deepEqual(body.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  test("chunks number tool calls and put usage in a final chunk with no choices", () => {
    const writer = new ChatChunkWriter(identity, true);
    assert.equal(writer.start().choices[0]?.delta.role, "assistant");
    const first = writer.toolCall({ id: "a", name: "f", arguments: "{}" });
    const second = writer.toolCall({ id: "b", name: "g", arguments: "{}" });
    assert.equal((first.choices[0]?.delta.tool_calls as Array<{ index: number }>)[0]?.index, 0);
    assert.equal((second.choices[0]?.delta.tool_calls as Array<{ index: number }>)[0]?.index, 1);
    assert.equal(writer.text("x").usage, null, "include_usage puts usage: null on every ordinary chunk");
    const usage = writer.usage({ inputTokens: 2, outputTokens: 1 });
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.total_tokens, 3);
  });
});

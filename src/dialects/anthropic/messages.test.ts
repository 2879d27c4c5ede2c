import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { fromCountTokensBody, fromMessagesBody } from "./messages.ts";

function rejects(body: unknown, code: string, param?: string, message?: RegExp): void {
  assert.throws(
    () => fromMessagesBody(body),
    (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, code);
      if (param !== undefined) assert.equal(error.param, param);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

const base = { model: "m", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

describe("fromMessagesBody", () => {
  test("maps system blocks, settings and the stream flag", () => {
    const { request, stream } = fromMessagesBody({
      ...base,
      system: [
        { type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer in French." },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END", ""],
      stream: true,
    });
    assert.equal(stream, true);
    assert.equal(request.model, "m");
    assert.equal(request.maxTokens, 100);
    assert.equal(request.temperature, 0.2);
    assert.equal(request.topP, 0.9);
    assert.deepEqual(request.stop, ["END"]);
    assert.deepEqual(request.messages, [
      { role: "system", content: "You are terse.\n\nAnswer in French." },
      { role: "user", content: "hi" },
    ]);
    assert.equal(request.passthrough, undefined, "cache_control on blocks is dropped, not passed through");
  });

  test("a plain string system prompt and a non-streamed request", () => {
    const { request, stream } = fromMessagesBody({ ...base, system: "be kind" });
    assert.equal(stream, false);
    assert.deepEqual(request.messages[0], { role: "system", content: "be kind" });
  });

  test("assistant blocks become text, tool calls and reasoning", () => {
    const { request } = fromMessagesBody({
      ...base,
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Need the tool.", signature: "sig-1" },
            { type: "redacted_thinking", data: "opaque" },
            { type: "text", text: "Let me " },
            { type: "text", text: "check." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[1], {
      role: "assistant",
      content: "Let me check.",
      toolCalls: [{ id: "toolu_01", name: "get_weather", arguments: '{"city":"Paris"}' }],
      reasoning: [
        { type: "reasoning", text: "Need the tool.", signature: "sig-1" },
        { type: "redacted-reasoning", data: "opaque" },
      ],
    });
  });

  test("an assistant turn with only a tool call has null content", () => {
    const { request } = fromMessagesBody({
      ...base,
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: [{ type: "tool_use", id: "call_9", name: "f", input: {} }] },
      ],
    });
    assert.deepEqual(request.messages[1], { role: "assistant", content: null, toolCalls: [{ id: "call_9", name: "f", arguments: "{}" }] });
  });

  test("tool results become tool messages placed before the user's text in the same turn", () => {
    const { request } = fromMessagesBody({
      ...base,
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_a", name: "f", input: {} },
            { type: "tool_use", id: "toolu_b", name: "g", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "Here you are." },
            { type: "tool_result", tool_use_id: "toolu_a", content: "42" },
            { type: "tool_result", tool_use_id: "toolu_b", content: [{ type: "text", text: "boom" }], is_error: true },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages.slice(2), [
      { role: "tool", toolCallId: "toolu_a", content: "42" },
      { role: "tool", toolCallId: "toolu_b", content: [{ type: "text", text: "boom" }], isError: true },
      { role: "user", content: [{ type: "text", text: "Here you are." }] },
    ]);
  });

  test("a user turn holding only tool results adds no empty user message", () => {
    const { request } = fromMessagesBody({
      ...base,
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1" }] },
      ],
    });
    assert.deepEqual(request.messages.at(-1), { role: "tool", toolCallId: "t1", content: "" });
    assert.equal(request.messages.length, 3);
  });

  test("images: base64 sources become data: URLs, url sources stay URLs", () => {
    const { request } = fromMessagesBody({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: "What are these?" },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0], {
      role: "user",
      content: [
        { type: "image", url: "data:image/png;base64,iVBORw0" },
        { type: "image", url: "https://example.com/cat.jpg" },
        { type: "text", text: "What are these?" },
      ],
    });
  });

  test("tools and every tool_choice", () => {
    const tools = [
      { name: "get_weather", description: "Weather now", input_schema: { type: "object", properties: { city: { type: "string" } } }, cache_control: { type: "ephemeral" } },
      { name: "get_time", input_schema: { type: "object" }, type: "custom" },
    ];
    const auto = fromMessagesBody({ ...base, tools, tool_choice: { type: "auto" } }).request;
    assert.deepEqual(auto.tools, [
      { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: { city: { type: "string" } } } },
      { name: "get_time", description: undefined, parameters: { type: "object" } },
    ]);
    assert.equal(auto.toolChoice, "auto");
    assert.equal(auto.parallelToolCalls, undefined);
    const any = fromMessagesBody({ ...base, tools, tool_choice: { type: "any", disable_parallel_tool_use: true } }).request;
    assert.equal(any.toolChoice, "required");
    assert.equal(any.parallelToolCalls, false);
    assert.deepEqual(fromMessagesBody({ ...base, tools, tool_choice: { type: "tool", name: "get_time" } }).request.toolChoice, { name: "get_time" });
    assert.equal(fromMessagesBody({ ...base, tools, tool_choice: { type: "none" } }).request.toolChoice, "none");
  });

  test("thinking sets the reasoning budget; disabled sets none", () => {
    assert.deepEqual(fromMessagesBody({ ...base, thinking: { type: "enabled", budget_tokens: 2048 } }).request.reasoning, { budgetTokens: 2048 });
    const disabled = fromMessagesBody({ ...base, thinking: { type: "disabled" } }).request;
    assert.equal(disabled.reasoning, undefined);
    assert.equal(disabled.passthrough, undefined);
  });

  test("output_config maps a JSON schema format and the effort", () => {
    const { request } = fromMessagesBody({ ...base, output_config: { effort: "max", format: { type: "json_schema", schema: { type: "object" } } } });
    assert.deepEqual(request.responseFormat, { type: "json_schema", name: "output", schema: { type: "object" } });
    assert.deepEqual(request.reasoning, { effort: "high" });
  });

  test("uninterpreted fields travel as anthropic passthrough, nulls dropped", () => {
    const { request } = fromMessagesBody({
      ...base,
      top_k: 40,
      metadata: { user_id: "u-1" },
      service_tier: "auto",
      thinking: { type: "adaptive" },
      vendor_knob: { a: 1 },
      temperature: null,
      container: null,
    });
    assert.deepEqual(request.passthrough, {
      format: "anthropic",
      fields: { top_k: 40, metadata: { user_id: "u-1" }, service_tier: "auto", thinking: { type: "adaptive" }, vendor_knob: { a: 1 } },
    });
    assert.equal(request.temperature, undefined);
    assert.equal(request.reasoning, undefined);
  });

  test("validation errors name the field with Anthropic's dotted path", () => {
    rejects({ model: "m", messages: base.messages }, "invalid_request", "max_tokens", /^max_tokens: Field required$/);
    rejects({ ...base, max_tokens: 0 }, "invalid_request", "max_tokens");
    rejects({ ...base, temperature: 1.5 }, "invalid_request", "temperature");
    rejects({ ...base, messages: [] }, "invalid_request", "messages");
    rejects({ ...base, messages: [{ role: "system", content: "x" }] }, "invalid_request", "messages.0.role", /top-level `system`/);
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "text" }] }] }, "invalid_request", "messages.0.content.0.text");
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png" } }] }] }, "invalid_request", "messages.0.content.0.source.data");
    rejects({ ...base, thinking: { type: "enabled" } }, "invalid_request", "thinking.budget_tokens");
    rejects("not an object", "invalid_request");
  });

  test("blocks in the wrong role are refused", () => {
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }] }, "invalid_request", "messages.0.content.0.type");
    rejects({ ...base, messages: [{ role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }] }, "invalid_request", "messages.0.content.0.type");
    rejects({ ...base, messages: [{ role: "assistant", content: [{ type: "image", source: { type: "url", url: "https://x" } }] }] }, "invalid_request", "messages.0.content.0.type");
  });

  test("unsupported blocks, image sources and server tools get a clear 'unsupported'", () => {
    rejects(
      { ...base, messages: [{ role: "user", content: [{ type: "text", text: "x" }, { type: "document", source: { type: "text", data: "d", media_type: "text/plain" } }] }] },
      "unsupported",
      "messages.0.content.1",
      /'document'/,
    );
    rejects(
      { ...base, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "search_result", source: "s", title: "t", content: [] }] }] }] },
      "unsupported",
      "messages.0.content.0.content.0",
      /'search_result'/,
    );
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }] }, "unsupported", "messages.0.content.0.source.type");
    rejects({ ...base, tools: [{ type: "web_search_20250305", name: "web_search" }] }, "unsupported", "tools.0.type", /server tools/);
  });

  test("tool definitions and tool_choice are checked against each other", () => {
    const tool = { name: "f", input_schema: { type: "object" } };
    rejects({ ...base, tools: [tool, tool] }, "invalid_request", "tools");
    rejects({ ...base, tools: [tool], tool_choice: { type: "tool", name: "g" } }, "invalid_request", "tool_choice.name");
    rejects({ ...base, tool_choice: { type: "any" } }, "invalid_request", "tool_choice");
    rejects({ ...base, tools: [{ name: "has space", input_schema: {} }] }, "invalid_request", "tools.0.name");
    rejects({ ...base, tools: [{ name: "f" }] }, "invalid_request", "tools.0.input_schema");
  });
});

describe("fromCountTokensBody", () => {
  test("accepts a body without max_tokens and converts it like a Messages body", () => {
    const request = fromCountTokensBody({
      model: "m",
      system: "sys",
      messages: [{ role: "user", content: "count me" }],
      tools: [{ name: "f", input_schema: { type: "object" } }],
    });
    assert.equal(request.model, "m");
    assert.equal(request.maxTokens, undefined);
    assert.deepEqual(request.messages, [
      { role: "system", content: "sys" },
      { role: "user", content: "count me" },
    ]);
    assert.equal(request.tools?.length, 1);
  });

  test("is validated the same way", () => {
    assert.throws(() => fromCountTokensBody({ model: "m", messages: [{ role: "user", content: [{ type: "document" }] }] }), (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, "unsupported");
      return true;
    });
    assert.throws(() => fromCountTokensBody({ messages: [] }), (error: unknown) => HearthError.isInstance(error) && error.param === "model");
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { collect, type CollectedResult, type StreamPart } from "../../spec/model.ts";
import { fromResponsesBody, ResponsesStreamWriter, toResponseObject, type ResponsesEvent, type ResponsesIdentity } from "./responses.ts";

function rejects(body: unknown, code: string, param?: string, message?: RegExp): void {
  assert.throws(
    () => fromResponsesBody(body),
    (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, code);
      if (param !== undefined) assert.equal(error.param, param);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

/** Item ids that count up per prefix, so expectations can name them. */
function identity(): ResponsesIdentity {
  const counts = new Map<string, number>();
  return {
    id: "resp_1",
    createdAt: 1_700_000_000,
    model: "m",
    itemId: (prefix) => {
      const next = (counts.get(prefix) ?? 0) + 1;
      counts.set(prefix, next);
      return `${prefix}${next}`;
    },
  };
}

const plainEcho = fromResponsesBody({ model: "m", input: "x" }).echo;
const usage = { inputTokens: 10, outputTokens: 4 };

async function* partsOf(parts: StreamPart[]): AsyncGenerator<StreamPart> {
  yield* parts;
}

describe("fromResponsesBody", () => {
  test("a string input is one user message; instructions come first as a system message", () => {
    const parsed = fromResponsesBody({ model: "m", input: "hi", instructions: "Be brief.", stream: true });
    assert.equal(parsed.stream, true);
    assert.deepEqual(parsed.request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
    ]);
    assert.equal(parsed.echo.instructions, "Be brief.");
  });

  test("maps settings, and echoes the defaults the real API reports", () => {
    const parsed = fromResponsesBody({
      model: "m",
      input: "x",
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      parallel_tool_calls: false,
      seed: 4,
      metadata: { team: "a" },
      reasoning: { effort: "low", summary: "auto" },
    });
    const { request, echo } = parsed;
    assert.equal(request.maxTokens, 100);
    assert.equal(request.temperature, 0.2);
    assert.equal(request.topP, 0.9);
    assert.equal(request.parallelToolCalls, false);
    assert.equal(request.seed, 4);
    assert.deepEqual(request.reasoning, { effort: "low" });
    assert.equal(echo.parallel_tool_calls, false);
    assert.deepEqual(echo.metadata, { team: "a" });
    assert.deepEqual(echo.reasoning, { effort: "low", summary: "auto" });
    assert.equal(parsed.request.passthrough, undefined, "metadata is echoed, not forwarded");

    assert.equal(plainEcho.parallel_tool_calls, true);
    assert.equal(plainEcho.tool_choice, "auto");
    assert.deepEqual(plainEcho.text, { format: { type: "text" } });
    assert.equal(plainEcho.temperature, null);
    assert.deepEqual(plainEcho.tools, []);
    assert.deepEqual(plainEcho.metadata, {});
  });

  test("reasoning effort: none asks for nothing, levels above high clamp to high", () => {
    assert.equal(fromResponsesBody({ model: "m", input: "x", reasoning: { effort: "none" } }).request.reasoning, undefined);
    assert.deepEqual(fromResponsesBody({ model: "m", input: "x", reasoning: { effort: "xhigh" } }).request.reasoning, { effort: "high" });
  });

  test("a multi-turn item list folds each turn's output items into one assistant message", () => {
    const { request } = fromResponsesBody({
      model: "m",
      input: [
        { role: "developer", content: [{ type: "input_text", text: "Use tools." }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Look: " }, { type: "input_image", image_url: "https://example.com/a.png", detail: "auto" }] },
        { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "Need the weather." }], encrypted_content: "sig-1" },
        { type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
        { type: "function_call", id: "fc_1", call_id: "call_a", name: "weather", arguments: '{"city":"Oslo"}', status: "completed" },
        { type: "function_call", id: "fc_2", call_id: "call_b", name: "weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "call_a", output: "3C" },
        { type: "function_call_output", call_id: "call_b", output: [{ type: "input_text", text: "18" }, { type: "input_text", text: "C" }] },
        { role: "assistant", content: "Oslo 3C, Rome 18C." },
        { role: "user", content: "Thanks" },
      ],
    });
    assert.deepEqual(request.messages, [
      { role: "system", content: "Use tools." },
      { role: "user", content: [{ type: "text", text: "Look: " }, { type: "image", url: "https://example.com/a.png" }] },
      {
        role: "assistant",
        content: "Checking.",
        reasoning: [{ type: "reasoning", text: "Need the weather.", signature: "sig-1" }],
        toolCalls: [
          { id: "call_a", name: "weather", arguments: '{"city":"Oslo"}' },
          { id: "call_b", name: "weather", arguments: '{"city":"Rome"}' },
        ],
      },
      { role: "tool", toolCallId: "call_a", content: "3C" },
      { role: "tool", toolCallId: "call_b", content: "18C" },
      { role: "assistant", content: "Oslo 3C, Rome 18C." },
      { role: "user", content: "Thanks" },
    ]);
  });

  test("reasoning items: opaque-only is redacted reasoning, summary-only is unsigned text, empty is dropped", () => {
    const { request } = fromResponsesBody({
      model: "m",
      input: [
        { role: "user", content: "q" },
        { type: "reasoning", summary: [], encrypted_content: "blob" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "Thought about it." }] },
        { type: "reasoning", summary: [] },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }] },
      ],
    });
    assert.deepEqual(request.messages.slice(1), [
      {
        role: "assistant",
        content: null,
        reasoning: [
          { type: "redacted-reasoning", data: "blob" },
          { type: "reasoning", text: "Thought about it." },
        ],
        toolCalls: [{ id: "c", name: "f", arguments: "{}" }],
      },
      { role: "tool", toolCallId: "c", content: [{ type: "image", url: "data:image/png;base64,AAAA" }] },
    ]);
  });

  test("function tools, a named tool_choice and text.format json_schema", () => {
    const parameters = { type: "object", properties: { city: { type: "string" } } };
    const { request, echo } = fromResponsesBody({
      model: "m",
      input: "x",
      tools: [{ type: "function", name: "weather", description: "Weather", parameters, strict: true }, { type: "function", name: "time", parameters: null }],
      tool_choice: { type: "function", name: "weather" },
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
    });
    assert.deepEqual(request.tools, [
      { name: "weather", description: "Weather", parameters },
      { name: "time", description: undefined, parameters: { type: "object", properties: {} } },
    ]);
    assert.deepEqual(request.toolChoice, { name: "weather" });
    assert.deepEqual(request.responseFormat, { type: "json_schema", name: "out", schema: { type: "object" }, strict: true });
    assert.deepEqual(echo.tools[1], { type: "function", name: "time", description: null, parameters: null, strict: null });
    assert.deepEqual(echo.tool_choice, { type: "function", name: "weather" });
    assert.deepEqual(echo.text.format, { type: "json_schema", name: "out", schema: { type: "object" }, strict: true });
  });

  test("tool_choice allowed_tools narrows the tool list to the allowed functions", () => {
    const { request } = fromResponsesBody({
      model: "m",
      input: "x",
      tools: [{ type: "function", name: "a" }, { type: "function", name: "b" }],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "b" }] },
    });
    assert.deepEqual(request.tools?.map((tool) => tool.name), ["b"]);
    assert.equal(request.toolChoice, "required");
  });

  test("passthrough: vendor extensions and the fields Chat Completions shares, in its naming; Responses-only fields stay behind", () => {
    const { request } = fromResponsesBody({
      model: "m",
      input: "x",
      user: "u1",
      service_tier: "flex",
      store: true,
      include: ["reasoning.encrypted_content", "message.output_text.logprobs"],
      top_logprobs: 3,
      truncation: "auto",
      text: { verbosity: "low" },
      stream_options: { include_obfuscation: false },
      prompt_cache_retention: "24h",
      top_k: 40,
    });
    assert.deepEqual(request.passthrough, {
      format: "openai",
      fields: { top_k: 40, user: "u1", service_tier: "flex", verbosity: "low", logprobs: true, top_logprobs: 3 },
    });
  });

  test("stateful fields are refused with a message that says why", () => {
    rejects({ model: "m", input: "x", previous_response_id: "resp_1" }, "unsupported", "previous_response_id", /stateless: send the whole conversation in input/);
    rejects({ model: "m", previous_response_id: "resp_1" }, "unsupported", "previous_response_id", /stateless/);
    rejects({ model: "m", input: "x", conversation: "conv_1" }, "unsupported", "conversation", /stateless/);
    rejects({ model: "m", input: "x", background: true }, "unsupported", "background");
    rejects({ model: "m", input: "x", prompt: { id: "pmpt_1" } }, "unsupported", "prompt");
    rejects({ model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, "unsupported", "input[0].type", /stateless/);
    // store: true (OpenAI's default) is accepted: nothing is stored, and the response says store: false.
    assert.doesNotThrow(() => fromResponsesBody({ model: "m", input: "x", store: true, previous_response_id: null }));
  });

  test("built-in tools, files and unknown item types are refused naming what was sent", () => {
    rejects({ model: "m", input: "x", tools: [{ type: "function", name: "f" }, { type: "web_search" }] }, "unsupported", "tools[1].type", /'web_search'/);
    rejects({ model: "m", input: "x", tools: [{ type: "code_interpreter", container: { type: "auto" } }] }, "unsupported", "tools[0].type", /'code_interpreter'/);
    rejects({ model: "m", input: "x", tool_choice: { type: "file_search" } }, "unsupported", "tool_choice.type", /'file_search'/);
    rejects({ model: "m", input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }] }, "unsupported", "input[0].content[0].type", /Files API/);
    rejects({ model: "m", input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1", detail: "auto" }] }] }, "unsupported", "input[0].content[0].image_url", /file_id/);
    rejects({ model: "m", input: [{ type: "computer_call_output", call_id: "c", output: {} }] }, "unsupported", "input[0].type", /'computer_call_output'/);
  });

  test("malformed requests are 400s naming the field", () => {
    rejects({ model: "m" }, "invalid_request", "input", /input is required/);
    rejects({ input: "x" }, "invalid_request", "model");
    rejects({ model: "m", input: [] }, "invalid_request", "input");
    rejects({ model: "m", input: [{ type: "function_call_output", output: "x" }] }, "invalid_request", "input[0].call_id");
    rejects({ model: "m", input: [{ role: "system", content: [{ type: "input_image", image_url: "https://x/y.png" }] }] }, "invalid_request", "input[0].content[0]");
    rejects({ model: "m", input: "x", tools: [{ type: "function", name: "has space" }] }, "invalid_request", "tools[0].name");
    rejects({ model: "m", input: "x", tools: [{ type: "function", name: "a" }, { type: "function", name: "a" }] }, "invalid_request", "tools");
    rejects({ model: "m", input: "x", tools: [{ type: "function", name: "a" }], tool_choice: { type: "function", name: "b" } }, "invalid_request", "tool_choice.name");
    rejects({ model: "m", input: "x", tool_choice: "required" }, "invalid_request", "tool_choice");
    rejects({ model: "m", input: "x", temperature: 3 }, "invalid_request", "temperature");
    rejects({ model: "m", input: "x", text: { format: { type: "json_schema", schema: {} } } }, "invalid_request", "text.format.name");
  });
});

function result(overrides: Partial<CollectedResult>): CollectedResult {
  return { text: "", toolCalls: [], finishReason: "stop", usage, reasoning: [], otherChoices: [], ...overrides };
}

describe("toResponseObject", () => {
  test("a text answer: one completed message with output_text, usage and the echoed request", () => {
    const response = toResponseObject(identity(), result({ text: "Hi!", usage: { inputTokens: 10, outputTokens: 4, cacheReadTokens: 6, reasoningTokens: 1 } }), plainEcho);
    assert.equal(response.id, "resp_1");
    assert.equal(response.object, "response");
    assert.equal(response.created_at, 1_700_000_000);
    assert.equal(response.status, "completed");
    assert.equal(typeof response.completed_at, "number");
    assert.equal(response.error, null);
    assert.equal(response.incomplete_details, null);
    assert.equal(response.store, false);
    assert.deepEqual(response.output, [
      { id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Hi!" }] },
    ]);
    assert.deepEqual(response.usage, {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 6 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 14,
    });
    assert.ok(!("output_text" in response), "output_text is computed by SDKs, not sent");
  });

  test("tool calls without text: function_call items and no empty message; reasoning first", () => {
    const response = toResponseObject(
      identity(),
      result({
        toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }],
        finishReason: "tool_calls",
        reasoning: [{ type: "reasoning", text: "hmm", signature: "s" }, { type: "redacted-reasoning", data: "opaque" }],
      }),
      plainEcho,
    );
    assert.deepEqual(response.output, [
      { id: "rs_1", type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "hmm" }], encrypted_content: "s" },
      { id: "rs_2", type: "reasoning", summary: [], encrypted_content: "opaque" },
      { id: "fc_1", type: "function_call", status: "completed", arguments: "{}", call_id: "call_1", name: "f" },
    ]);
    assert.equal(response.status, "completed");
  });

  test("length finishes are incomplete (max_output_tokens), content filters incomplete (content_filter)", () => {
    const cut = toResponseObject(identity(), result({ text: "par", finishReason: "length" }), plainEcho);
    assert.equal(cut.status, "incomplete");
    assert.deepEqual(cut.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(cut.completed_at, null);
    assert.equal((cut.output[0] as { status?: string }).status, "incomplete");
    const filtered = toResponseObject(identity(), result({ text: "", finishReason: "content_filter" }), plainEcho);
    assert.deepEqual(filtered.incomplete_details, { reason: "content_filter" });
  });

  test("the output round-trips: sent back as input it becomes the same assistant turn", () => {
    const response = toResponseObject(
      identity(),
      result({ text: "Let me look.", toolCalls: [{ id: "call_1", name: "f", arguments: '{"a":1}' }], reasoning: [{ type: "reasoning", text: "plan", signature: "sig" }] }),
      plainEcho,
    );
    const { request } = fromResponsesBody({ model: "m", input: [{ role: "user", content: "q" }, ...response.output] });
    assert.deepEqual(request.messages[1], {
      role: "assistant",
      content: "Let me look.",
      reasoning: [{ type: "reasoning", text: "plan", signature: "sig" }],
      toolCalls: [{ id: "call_1", name: "f", arguments: '{"a":1}' }],
    });
  });
});

function run(parts: StreamPart[]): ResponsesEvent[] {
  const writer = new ResponsesStreamWriter(identity(), plainEcho);
  return [...writer.start(), ...parts.flatMap((part) => writer.part(part))];
}

describe("ResponsesStreamWriter", () => {
  test("a text answer: the documented event order, sequence numbers from 0, and the final response", () => {
    const events = run([
      { type: "text-delta", text: "Hel" },
      { type: "text-delta", text: "lo" },
      { type: "finish", finishReason: "stop", usage },
    ]);
    assert.deepEqual(
      events.map((event) => event.type),
      [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, index) => index));
    const created = events[0]?.response as { status: string; output: unknown[]; usage: unknown };
    assert.equal(created.status, "in_progress");
    assert.deepEqual(created.output, []);
    assert.equal(created.usage, null);
    assert.deepEqual(events[2]?.item, { id: "msg_1", type: "message", status: "in_progress", role: "assistant", content: [] });
    assert.deepEqual(events[4], { type: "response.output_text.delta", sequence_number: 4, item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hel", logprobs: [] });
    assert.equal(events[6]?.text, "Hello");
    const done = events[8]?.item;
    const final = events[9]?.response as { status: string; output: unknown[]; usage: { total_tokens: number } };
    assert.equal(final.status, "completed");
    assert.deepEqual(final.output, [done]);
    assert.equal(final.usage.total_tokens, 14);
  });

  test("a function call is one item: added with empty arguments, one delta, done", () => {
    const events = run([
      { type: "tool-call", toolCall: { id: "call_1", name: "f", arguments: '{"x":1}' } },
      { type: "tool-call", toolCall: { id: "call_2", name: "g", arguments: "{}" } },
      { type: "finish", finishReason: "tool_calls", usage },
    ]);
    assert.deepEqual(
      events.slice(2, 6).map((event) => [event.type, event.output_index]),
      [
        ["response.output_item.added", 0],
        ["response.function_call_arguments.delta", 0],
        ["response.function_call_arguments.done", 0],
        ["response.output_item.done", 0],
      ],
    );
    assert.deepEqual(events[2]?.item, { id: "fc_1", type: "function_call", status: "in_progress", arguments: "", call_id: "call_1", name: "f" });
    assert.equal(events[3]?.delta, '{"x":1}');
    assert.equal(events[4]?.arguments, '{"x":1}');
    assert.deepEqual(events[5]?.item, { id: "fc_1", type: "function_call", status: "completed", arguments: '{"x":1}', call_id: "call_1", name: "f" });
    const final = events.at(-1)?.response as { output: Array<{ type: string }> };
    assert.deepEqual(final.output.map((item) => item.type), ["function_call", "function_call"], "no empty message beside the calls");
  });

  test("reasoning streams as reasoning_text in its own item; a signature and redacted blocks land in encrypted_content", () => {
    const events = run([
      { type: "reasoning-delta", text: "a" },
      { type: "reasoning-delta", text: "b" },
      { type: "reasoning-end", signature: "sig" },
      { type: "reasoning-redacted", data: "opaque" },
      { type: "text-delta", text: "ok" },
      { type: "finish", finishReason: "stop", usage },
    ]);
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(2, 9), [
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
    ]);
    assert.deepEqual(events[3]?.part, { type: "reasoning_text", text: "" });
    assert.equal(events[6]?.text, "ab");
    assert.deepEqual(events[8]?.item, { id: "rs_1", type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "ab" }], encrypted_content: "sig" });
    assert.deepEqual(types.slice(9, 11), ["response.output_item.added", "response.output_item.done"]);
    assert.deepEqual(events[10]?.item, { id: "rs_2", type: "reasoning", summary: [], encrypted_content: "opaque" });
    assert.equal(events[11]?.output_index, 2, "the message follows the two reasoning items");
  });

  test("the streamed final response matches the non-streamed one for the same parts", async () => {
    const parts: StreamPart[] = [
      { type: "reasoning-delta", text: "think" },
      { type: "reasoning-end" },
      { type: "text-delta", text: "Answer" },
      { type: "tool-call", toolCall: { id: "call_1", name: "f", arguments: "{}" } },
      { type: "finish", finishReason: "tool_calls", usage },
    ];
    const streamed = run(parts).at(-1)?.response as { output: unknown[]; usage: unknown; status: string };
    const whole = toResponseObject(identity(), await collect(partsOf(parts)), plainEcho);
    assert.deepEqual(streamed.output, whole.output);
    assert.deepEqual(streamed.usage, whole.usage);
    assert.equal(streamed.status, whole.status);
  });

  test("a finish with no output still yields an (empty) message item", () => {
    const events = run([{ type: "finish", finishReason: "stop", usage }]);
    const final = events.at(-1)?.response as { output: Array<{ type: string; content: Array<{ text: string }> }> };
    assert.equal(final.output.length, 1);
    assert.equal(final.output[0]?.type, "message");
    assert.equal(final.output[0]?.content[0]?.text, "");
  });

  test("a length finish ends with response.incomplete and an incomplete message", () => {
    const events = run([
      { type: "text-delta", text: "cut" },
      { type: "finish", finishReason: "length", usage },
    ]);
    const last = events.at(-1);
    assert.equal(last?.type, "response.incomplete");
    const response = last?.response as { status: string; incomplete_details: unknown; output: Array<{ status: string }> };
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(response.output[0]?.status, "incomplete");
    assert.equal((events.at(-2)?.item as { status: string }).status, "incomplete");
  });

  test("a failure mid-answer ends with response.failed (partial output marked incomplete), then an error event", () => {
    const writer = new ResponsesStreamWriter(identity(), plainEcho);
    const events = [...writer.start(), ...writer.part({ type: "text-delta", text: "Hal" })];
    const failure = writer.fail(new HearthError("rate_limited", "Slow down."));
    assert.deepEqual(failure.map((event) => event.type), ["response.failed", "error"]);
    assert.equal(failure[0]?.sequence_number, events.length);
    const response = failure[0]?.response as { status: string; error: unknown; output: unknown[]; usage: unknown };
    assert.equal(response.status, "failed");
    assert.deepEqual(response.error, { code: "rate_limit_exceeded", message: "Slow down.", type: "rate_limit_error" });
    assert.deepEqual(response.output, [
      { id: "msg_1", type: "message", status: "incomplete", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Hal" }] },
    ]);
    assert.deepEqual(failure[1], { type: "error", sequence_number: events.length + 1, code: "rate_limited", message: "Slow down.", param: null });
    assert.deepEqual(writer.part({ type: "text-delta", text: "late" }), [], "nothing after the end");
    assert.deepEqual(writer.fail(new HearthError("internal", "again")), []);
  });

  test("text logprobs passed through by the provider land on the delta and the final part", () => {
    const logprob = { token: "Hi", logprob: -0.1, bytes: [72, 105], top_logprobs: [] };
    const events = run([
      { type: "text-delta", text: "Hi", logprobs: [logprob] },
      { type: "finish", finishReason: "stop", usage },
    ]);
    assert.deepEqual(events.find((event) => event.type === "response.output_text.delta")?.logprobs, [logprob]);
    const final = events.at(-1)?.response as { output: Array<{ content: Array<{ logprobs: unknown[] }> }> };
    assert.deepEqual(final.output[0]?.content[0]?.logprobs, [logprob]);
  });
});

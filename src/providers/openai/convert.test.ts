import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import type { ChatRequest, StreamPart } from "../../spec/model.ts";
import {
  ChunkAccumulator,
  fromEmbeddingResponse,
  partsFromResponse,
  resolveQuirks,
  toChatBody,
  toCompletionBody,
  toEmbeddingBody,
  toFinishReason,
  toWireMessages,
  type WireChunk,
} from "./convert.ts";

const quirks = resolveQuirks("http://127.0.0.1:8000/v1");
const ask = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({ model: "m", messages: [{ role: "user", content: "Hi" }], ...overrides });

function run(chunks: WireChunk[], secrets: string[] = []): StreamPart[] {
  const accumulator = new ChunkAccumulator("up", secrets);
  const parts: StreamPart[] = [];
  for (const chunk of chunks) accumulator.push(chunk, parts);
  parts.push(accumulator.finish(parts));
  return parts;
}

const upstreamError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(HearthError.isInstance(error), String(error));
  assert.equal(error.code, "upstream_error");
  assert.match(error.message, pattern);
  return true;
};

describe("resolveQuirks", () => {
  test("OpenAI itself gets max_completion_tokens, other servers max_tokens; the rest defaults to OpenAI's behaviour", () => {
    assert.equal(resolveQuirks("https://api.openai.com/v1").maxTokensField, "max_completion_tokens");
    assert.deepEqual(resolveQuirks("http://localhost:11434/v1"), {
      maxTokensField: "max_tokens",
      streamUsage: true,
      seedField: "seed",
      reasoningStyle: "openai",
      embeddingEncoding: "float",
      omitFields: [],
    });
    assert.equal(resolveQuirks("https://api.openai.com/v1", { maxTokensField: "max_tokens" }).maxTokensField, "max_tokens");
  });
});

describe("toWireMessages", () => {
  test("maps every role, images as image_url parts and assistant tool calls", () => {
    const wire = toWireMessages([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image", url: "data:image/png;base64,AA==" }] },
      { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "look", arguments: '{"x":1}' }], reasoning: [{ type: "reasoning", text: "hmm" }] },
      { role: "tool", toolCallId: "call_1", content: "a cat" },
      { role: "assistant", content: "A cat." },
      { role: "assistant", content: null },
    ]);
    assert.deepEqual(wire, [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }] },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: '{"x":1}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "a cat" },
      { role: "assistant", content: "A cat." },
      { role: "assistant", content: "" },
    ]);
  });

  test("images a tool returned follow the run of tool messages as one user message", () => {
    const wire = toWireMessages([
      { role: "assistant", content: null, toolCalls: [{ id: "a", name: "shot", arguments: "{}" }, { id: "b", name: "shot", arguments: "{}" }] },
      { role: "tool", toolCallId: "a", content: [{ type: "text", text: "first" }, { type: "image", url: "https://x/1.png" }] },
      { role: "tool", toolCallId: "b", content: [{ type: "image", url: "https://x/2.png" }] },
      { role: "user", content: "Compare them." },
    ]);
    assert.deepEqual(wire.slice(1), [
      { role: "tool", tool_call_id: "a", content: "first" },
      { role: "tool", tool_call_id: "b", content: "" },
      { role: "user", content: [{ type: "image_url", image_url: { url: "https://x/1.png" } }, { type: "image_url", image_url: { url: "https://x/2.png" } }] },
      { role: "user", content: "Compare them." },
    ]);
  });
});

describe("toChatBody", () => {
  const tool = { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } };

  test("maps tools, a named tool choice, parallel_tool_calls, JSON schema and sampling settings", () => {
    const body = toChatBody(
      ask({
        tools: [tool],
        toolChoice: { name: "get_weather" },
        parallelToolCalls: false,
        responseFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
        stop: ["\n\n"],
        seed: 7,
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 100,
        reasoning: { effort: "low", budgetTokens: 1000 },
      }),
      false,
      quirks,
    );
    assert.deepEqual(body, {
      model: "m",
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: tool.parameters } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ["\n\n"],
      reasoning_effort: "low",
    });
  });

  test("leaves out tool_choice and parallel_tool_calls without tools (OpenAI refuses them), and a text format", () => {
    const body = toChatBody(ask({ toolChoice: "none", parallelToolCalls: true, responseFormat: { type: "text" }, stop: [] }), false, quirks);
    assert.deepEqual(body, { model: "m", messages: [{ role: "user", content: "Hi" }] });
    assert.deepEqual(toChatBody(ask({ responseFormat: { type: "json_object" } }), false, quirks).response_format, { type: "json_object" });
    assert.equal(toChatBody(ask({ tools: [tool], toolChoice: "required" }), false, quirks).tool_choice, "required");
  });

  test("asks for usage on streamed calls unless the server refuses stream_options", () => {
    const streamed = toChatBody(ask(), true, quirks);
    assert.equal(streamed.stream, true);
    assert.deepEqual(streamed.stream_options, { include_usage: true });
    const mistral = toChatBody(ask(), true, resolveQuirks("https://api.mistral.ai/v1", { streamUsage: false }));
    assert.equal(mistral.stream, true);
    assert.equal("stream_options" in mistral, false);
    assert.equal("stream" in toChatBody(ask(), false, quirks), false);
  });

  test("quirks pick the limit and seed fields, the reasoning style and drop refused fields", () => {
    const openai = toChatBody(ask({ maxTokens: 5 }), false, resolveQuirks("https://api.openai.com/v1"));
    assert.equal(openai.max_completion_tokens, 5);
    assert.equal("max_tokens" in openai, false);
    const mistral = toChatBody(ask({ seed: 3 }), false, resolveQuirks("https://api.mistral.ai/v1", { seedField: "random_seed" }));
    assert.equal(mistral.random_seed, 3);
    assert.equal("seed" in mistral, false);
    const openrouter = resolveQuirks("https://openrouter.ai/api/v1", { reasoningStyle: "openrouter" });
    assert.deepEqual(toChatBody(ask({ reasoning: { effort: "high" } }), false, openrouter).reasoning, { effort: "high" });
    assert.deepEqual(toChatBody(ask({ reasoning: { budgetTokens: 2000 } }), false, openrouter).reasoning, { max_tokens: 2000 });
    assert.equal("reasoning_effort" in toChatBody(ask({ reasoning: { budgetTokens: 2000 } }), false, quirks), false);
    const trimmed = toChatBody(ask({ seed: 1 }), true, resolveQuirks("http://x/v1", { omitFields: ["seed", "stream_options"] }));
    assert.equal("seed" in trimmed, false);
    assert.equal("stream_options" in trimmed, false);
  });

  test("merges OpenAI-format passthrough fields verbatim without overwriting interpreted ones, and ignores other formats", () => {
    const fields = { n: 2, logprobs: true, top_logprobs: 3, logit_bias: { "50256": -100 }, user: "u-1", model: "evil", vendor_knob: { a: [1] } };
    const body = toChatBody(ask({ passthrough: { format: "openai", fields } }), false, quirks);
    assert.equal(body.model, "m");
    assert.equal(body.n, 2);
    assert.equal(body.logprobs, true);
    assert.equal(body.top_logprobs, 3);
    assert.deepEqual(body.logit_bias, { "50256": -100 });
    assert.equal(body.user, "u-1");
    assert.deepEqual(body.vendor_knob, { a: [1] });
    const anthropic = toChatBody(ask({ passthrough: { format: "anthropic", fields: { metadata: { user_id: "x" } } } }), false, quirks);
    assert.equal("metadata" in anthropic, false);
  });
});

describe("completion and embedding bodies", () => {
  test("a completion body uses max_tokens, the seed quirk, streaming and passthrough", () => {
    const body = toCompletionBody(
      { model: "m", prompt: "Once", maxTokens: 8, temperature: 0, stop: ["."], seed: 2, passthrough: { format: "openai", fields: { echo: true } } },
      true,
      resolveQuirks("https://api.openai.com/v1"),
    );
    assert.deepEqual(body, { model: "m", prompt: "Once", max_tokens: 8, temperature: 0, seed: 2, stop: ["."], stream: true, stream_options: { include_usage: true }, echo: true });
  });

  test("an embedding body carries dimensions, the encoding quirk and passthrough", () => {
    assert.deepEqual(toEmbeddingBody({ model: "e", input: ["a", "b"], dimensions: 64, passthrough: { format: "openai", fields: { user: "u" } } }, quirks), {
      model: "e",
      input: ["a", "b"],
      encoding_format: "float",
      dimensions: 64,
      user: "u",
    });
    assert.equal(toEmbeddingBody({ model: "e", input: ["a"] }, resolveQuirks("http://x/v1", { embeddingEncoding: "base64" })).encoding_format, "base64");
  });

  test("embeddings are read as floats or base64, placed by index", () => {
    const floats = Float32Array.from([0.5, -0.25, 1]);
    const base64 = Buffer.from(floats.buffer).toString("base64");
    const result = fromEmbeddingResponse(
      "up",
      { data: [{ index: 1, embedding: base64 }, { index: 0, embedding: [0.1, 0.2, 0.3] }], usage: { prompt_tokens: 4, total_tokens: 4 } },
      2,
    );
    assert.deepEqual(result, { embeddings: [[0.1, 0.2, 0.3], [0.5, -0.25, 1]], usage: { inputTokens: 4 } });
    assert.throws(() => fromEmbeddingResponse("up", { data: [{ index: 0, embedding: [1] }] }, 2), upstreamError(/1 embeddings for 2 inputs/));
    assert.throws(() => fromEmbeddingResponse("up", { error: "x" }, 1), upstreamError(/without data/));
  });
});

describe("ChunkAccumulator (streamed chunks → parts)", () => {
  const chunk = (choices: WireChunk["choices"], usage: WireChunk["usage"] = null): WireChunk => ({ choices, usage });

  test("text deltas, then one finish with usage from the usage chunk (cached and reasoning tokens included)", () => {
    const parts = run([
      chunk([{ index: 0, delta: { role: "assistant", content: "" } as never, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "Hel" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "lo" }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
      chunk([], { prompt_tokens: 2000, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1920 }, completion_tokens_details: { reasoning_tokens: 30 } }),
    ]);
    assert.deepEqual(parts, [
      { type: "text-delta", text: "Hel" },
      { type: "text-delta", text: "lo" },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 2000, outputTokens: 40, cacheReadTokens: 1920, reasoningTokens: 30 } },
    ]);
  });

  test("several choices: parts carry their choice, the finish lists the others' reasons", () => {
    const parts = run([
      chunk([{ index: 0, delta: { content: "a" }, finish_reason: null }]),
      chunk([{ index: 1, delta: { content: "b" }, finish_reason: null }]),
      chunk([{ index: 1, delta: {}, finish_reason: "length" }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    ]);
    assert.deepEqual(parts, [
      { type: "text-delta", text: "a" },
      { type: "text-delta", text: "b", choice: 1 },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 0, outputTokens: 0 }, otherChoices: [{ choice: 1, finishReason: "length" }] },
    ]);
  });

  test("logprobs pass through on their text delta", () => {
    const entry = { token: "Hi", logprob: -0.1, bytes: [72, 105], top_logprobs: [] };
    const parts = run([chunk([{ index: 0, delta: { content: "Hi" }, logprobs: { content: [entry] }, finish_reason: "stop" }])]);
    assert.deepEqual(parts[0], { type: "text-delta", text: "Hi", logprobs: [entry] });
  });

  test("reasoning_content and reasoning deltas become reasoning parts, closed before the answer", () => {
    const parts = run([
      chunk([{ index: 0, delta: { reasoning_content: "think " }, finish_reason: null }]),
      chunk([{ index: 0, delta: { reasoning: "more" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "Answer" }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    ]);
    assert.deepEqual(
      parts.map((part) => part.type),
      ["reasoning-delta", "reasoning-delta", "reasoning-end", "text-delta", "finish"],
    );
    const onlyThinking = run([chunk([{ index: 0, delta: { reasoning: "hm" }, finish_reason: "length" }])]);
    assert.deepEqual(onlyThinking.map((part) => part.type), ["reasoning-delta", "reasoning-end", "finish"]);
  });

  test("tool-call fragments are buffered per call and emitted whole, in index order, when the choice finishes", () => {
    const parts = run([
      chunk([{ index: 0, delta: { content: null, tool_calls: [{ index: 0, id: "call_a", function: { name: "f", arguments: "" } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 1, id: "call_b", function: { name: "g", arguments: '{"y"' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: ":2}" } }, { index: 0, function: { arguments: "1}" } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "tool_calls" }]),
    ]);
    assert.deepEqual(parts, [
      { type: "tool-call", toolCall: { id: "call_a", name: "f", arguments: '{"x":1}' } },
      { type: "tool-call", toolCall: { id: "call_b", name: "g", arguments: '{"y":2}' } },
      { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 0, outputTokens: 0 } },
    ]);
  });

  test("a forced tool finished with 'stop', a legacy function_call, and calls without index or id still read as tool calls", () => {
    const forced = run([chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: "{}" } }] }, finish_reason: "stop" }])]);
    assert.deepEqual(forced.at(-1), { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 0, outputTokens: 0 } });

    const legacy = run([
      chunk([{ index: 0, delta: { function_call: { name: "f", arguments: '{"a"' } }, finish_reason: null }]),
      chunk([{ index: 0, delta: { function_call: { arguments: ":1}" } }, finish_reason: "function_call" }]),
    ]);
    const call = legacy[0];
    assert.ok(call?.type === "tool-call");
    assert.equal(call.toolCall.name, "f");
    assert.equal(call.toolCall.arguments, '{"a":1}');
    assert.match(call.toolCall.id, /^call_hearth/);

    const unindexed = run([
      chunk([{ index: 0, delta: { tool_calls: [{ id: "x1", function: { name: "f", arguments: '{"n":' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ function: { arguments: "1}" } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ id: "x2", function: { name: "g", arguments: "" } }] }, finish_reason: "tool_calls" }]),
    ]);
    assert.deepEqual(
      unindexed.flatMap((part) => (part.type === "tool-call" ? [part.toolCall] : [])),
      [
        { id: "x1", name: "f", arguments: '{"n":1}' },
        { id: "x2", name: "g", arguments: "{}" },
      ],
    );
  });

  test("tool calls of a second choice carry that choice", () => {
    const parts = run([
      chunk([{ index: 1, delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: "{}" } }] }, finish_reason: "tool_calls" }]),
      chunk([{ index: 0, delta: { content: "text" }, finish_reason: "stop" }]),
    ]);
    assert.deepEqual(parts[0], { type: "tool-call", toolCall: { id: "c1", name: "f", arguments: "{}" }, choice: 1 });
  });

  test("finish reasons map to the contract's vocabulary; vLLM's stop_reason becomes the stop sequence", () => {
    assert.equal(toFinishReason("content_filter"), "content_filter");
    assert.equal(toFinishReason("function_call"), "tool_calls");
    assert.equal(toFinishReason("eos"), "stop");
    const parts = run([chunk([{ index: 0, delta: { content: "a" }, finish_reason: "stop", stop_reason: "END" }])]);
    assert.equal(parts.at(-1)?.type === "finish" ? (parts.at(-1) as { stopSequence?: string }).stopSequence : undefined, "END");
  });

  test("Groq's x_groq.usage counts as usage", () => {
    const parts = run([{ choices: [{ index: 0, delta: { content: "a" }, finish_reason: "stop" }], x_groq: { usage: { prompt_tokens: 5, completion_tokens: 1 } } }]);
    assert.deepEqual((parts.at(-1) as { usage: unknown }).usage, { inputTokens: 5, outputTokens: 1 });
  });

  test("no finish part without a finish reason for every choice", () => {
    const accumulator = new ChunkAccumulator("up");
    const parts: StreamPart[] = [];
    assert.throws(() => accumulator.finish(parts), upstreamError(/ended early/));
    accumulator.push(chunk([{ index: 0, delta: { content: "a" }, finish_reason: null }]), parts);
    assert.throws(() => accumulator.finish(parts), upstreamError(/ended early/));
    accumulator.push(chunk([{ index: 1, delta: { content: "b" }, finish_reason: null }, { index: 0, delta: {}, finish_reason: "stop" }]), parts);
    assert.throws(() => accumulator.finish(parts), upstreamError(/ended early/));
  });

  test("an error event mid-stream throws upstream_error without the key", () => {
    const accumulator = new ChunkAccumulator("up", ["sk-secret-key-123456"]);
    assert.throws(
      () => accumulator.push({ error: { message: "bad key sk-secret-key-123456 in request" } }, []),
      (error: unknown) => upstreamError(/failed mid-stream: bad key/)(error) && !(error as Error).message.includes("sk-secret-key-123456"),
    );
  });

  test("legacy completion chunks: text and logprobs converted to Chat Completions entries", () => {
    const parts = run([
      { choices: [{ index: 0, text: " there", logprobs: { tokens: [" there"], token_logprobs: [-0.5], top_logprobs: [{ " there": -0.5, " then": -1.2 }] }, finish_reason: null }] },
      { choices: [{ index: 0, text: "", logprobs: null, finish_reason: "length" }] },
      { choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } },
    ]);
    assert.deepEqual(parts, [
      {
        type: "text-delta",
        text: " there",
        logprobs: [
          {
            token: " there",
            logprob: -0.5,
            bytes: null,
            top_logprobs: [
              { token: " there", logprob: -0.5, bytes: null },
              { token: " then", logprob: -1.2, bytes: null },
            ],
          },
        ],
      },
      { type: "finish", finishReason: "length", usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });
});

describe("partsFromResponse (whole answers → parts)", () => {
  test("a chat.completion with reasoning, two choices and tool calls", () => {
    const parts = partsFromResponse("up", {
      object: "chat.completion",
      choices: [
        { index: 0, message: { role: "assistant", reasoning_content: "why", content: "Hi", refusal: null }, logprobs: null, finish_reason: "stop" },
        {
          index: 1,
          message: { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }, { id: "c2", type: "function", function: { name: "g", arguments: "{}" } }] },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    });
    assert.deepEqual(parts, [
      { type: "reasoning-delta", text: "why" },
      { type: "reasoning-end" },
      { type: "text-delta", text: "Hi" },
      { type: "tool-call", toolCall: { id: "c1", name: "f", arguments: '{"a":1}' }, choice: 1 },
      { type: "tool-call", toolCall: { id: "c2", name: "g", arguments: "{}" }, choice: 1 },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 9, outputTokens: 4 }, otherChoices: [{ choice: 1, finishReason: "tool_calls" }] },
    ]);
  });

  test("a refusal reads as text; an answer without choices is an upstream error", () => {
    const parts = partsFromResponse("up", { choices: [{ index: 0, message: { content: null, refusal: "I can't help with that." }, finish_reason: "stop" }] });
    assert.deepEqual(parts[0], { type: "text-delta", text: "I can't help with that." });
    assert.throws(() => partsFromResponse("up", { choices: [] }), upstreamError(/without a finished choice/));
    assert.throws(() => partsFromResponse("up", "nope"), upstreamError(/not an object/));
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import { collect, type ChatRequest, type StreamPart } from "../../spec/model.ts";
import {
  createResponseConverter,
  finishReasonOf,
  imagePart,
  modelMethodPath,
  skipSignature,
  toBatchEmbedBody,
  toCountTokensBody,
  toGenerateContentBody,
  usageOf,
  type GenerateContentResponse,
} from "./convert.ts";

function rejectsWith(code: ErrorCode, param: string | undefined, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.param, param);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  };
}

const base = (overrides: Partial<ChatRequest>): ChatRequest => ({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], ...overrides });

describe("toGenerateContentBody: messages", () => {
  test("system messages become systemInstruction; user/assistant become user/model contents", () => {
    const body = toGenerateContentBody(
      base({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello." },
          { role: "system", content: "Answer in French." },
          { role: "user", content: "Bye" },
        ],
      }),
    );
    assert.deepEqual(body.systemInstruction, { parts: [{ text: "Be brief." }, { text: "Answer in French." }] });
    assert.deepEqual(body.contents, [
      { role: "user", parts: [{ text: "Hi" }] },
      { role: "model", parts: [{ text: "Hello." }] },
      { role: "user", parts: [{ text: "Bye" }] },
    ]);
    assert.equal(body.generationConfig, undefined, "no settings, no generationConfig");
  });

  test("consecutive messages of one role merge into one content", () => {
    const body = toGenerateContentBody(
      base({
        messages: [
          { role: "user", content: "one" },
          { role: "user", content: [{ type: "text", text: "two" }, { type: "text", text: "three" }] },
        ],
      }),
    );
    assert.deepEqual(body.contents, [{ role: "user", parts: [{ text: "one" }, { text: "two" }, { text: "three" }] }]);
  });

  test("a conversation of system messages only is refused", () => {
    assert.throws(() => toGenerateContentBody(base({ messages: [{ role: "system", content: "x" }] })), rejectsWith("invalid_request", "messages"));
  });

  test("images: data: URLs become inlineData, http(s) URLs fileData with a guessed MIME type", () => {
    const body = toGenerateContentBody(
      base({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Compare" },
              { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
              { type: "image", url: "https://example.com/cat.JPG?size=large" },
              { type: "image", url: "https://example.com/render" },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(body.contents[0]?.parts, [
      { text: "Compare" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.JPG?size=large" } },
      { fileData: { fileUri: "https://example.com/render" } },
    ]);
  });

  test("a percent-encoded data: URL is re-encoded as base64; bad URLs are refused", () => {
    assert.deepEqual(imagePart("data:image/svg+xml,%3Csvg%2F%3E", 0), { inlineData: { mimeType: "image/svg+xml", data: Buffer.from("<svg/>").toString("base64") } });
    assert.throws(() => imagePart("data:;base64,AAAA", 2), rejectsWith("invalid_request", "messages[2].content", /media type/));
    assert.throws(() => imagePart("ftp://example.com/a.png", 1), rejectsWith("invalid_request", "messages[1].content"));
    assert.throws(() => imagePart("not a url", 1), rejectsWith("invalid_request", "messages[1].content"));
  });
});

describe("toGenerateContentBody: tools", () => {
  const weather = { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false } };

  test("tools become functionDeclarations with the JSON Schema untouched in parametersJsonSchema", () => {
    const body = toGenerateContentBody(base({ tools: [weather, { name: "noop", parameters: { type: "object" } }] }));
    assert.deepEqual(body.tools, [
      {
        functionDeclarations: [
          { name: "get_weather", parametersJsonSchema: weather.parameters, description: "Weather" },
          { name: "noop", parametersJsonSchema: { type: "object" } },
        ],
      },
    ]);
    assert.equal(body.toolConfig, undefined, "no toolChoice, Gemini's default (AUTO)");
  });

  test("toolChoice maps to functionCallingConfig", () => {
    const config = (toolChoice: ChatRequest["toolChoice"]) => toGenerateContentBody(base({ tools: [weather], toolChoice })).toolConfig;
    assert.deepEqual(config("auto"), { functionCallingConfig: { mode: "AUTO" } });
    assert.deepEqual(config("none"), { functionCallingConfig: { mode: "NONE" } });
    assert.deepEqual(config("required"), { functionCallingConfig: { mode: "ANY" } });
    assert.deepEqual(config({ name: "get_weather" }), { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
  });

  test("assistant tool calls become functionCall parts with parsed args; results become functionResponse parts named after their call", () => {
    const body = toGenerateContentBody(
      base({
        messages: [
          { role: "user", content: "Weather in Oslo and Rome?" },
          {
            role: "assistant",
            content: "Checking.",
            toolCalls: [
              { id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' },
              { id: "call_b", name: "get_time", arguments: "" },
            ],
          },
          { role: "tool", toolCallId: "call_b", content: "12:00" },
          { role: "tool", toolCallId: "call_a", content: '{"celsius":21}' },
          { role: "user", content: "Thanks" },
        ],
      }),
    );
    assert.deepEqual(body.contents, [
      { role: "user", parts: [{ text: "Weather in Oslo and Rome?" }] },
      {
        role: "model",
        parts: [{ text: "Checking." }, { functionCall: { name: "get_weather", args: { city: "Oslo" } } }, { functionCall: { name: "get_time", args: {} } }],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_time", response: { result: "12:00" } } },
          { functionResponse: { name: "get_weather", response: { celsius: 21 } } },
          { text: "Thanks" },
        ],
      },
    ]);
  });

  test("a failed tool's output goes under `error`; images in a result follow as parts", () => {
    const body = toGenerateContentBody(
      base({
        messages: [
          { role: "user", content: "Go" },
          { role: "assistant", content: null, toolCalls: [{ id: "1", name: "shot", arguments: "{}" }, { id: "2", name: "load", arguments: "{}" }] },
          { role: "tool", toolCallId: "1", content: [{ type: "text", text: "here" }, { type: "image", url: "data:image/png;base64,AAAA" }] },
          { role: "tool", toolCallId: "2", content: "disk full", isError: true },
        ],
      }),
    );
    assert.deepEqual(body.contents[2]?.parts, [
      { functionResponse: { name: "shot", response: { result: "here" } } },
      { inlineData: { mimeType: "image/png", data: "AAAA" } },
      { functionResponse: { name: "load", response: { error: "disk full" } } },
    ]);
  });

  test("arguments that are not a JSON object, and results for unknown calls, are refused", () => {
    assert.throws(
      () => toGenerateContentBody(base({ messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, toolCalls: [{ id: "1", name: "f", arguments: "{oops" }] }] })),
      rejectsWith("invalid_request", "messages[1].tool_calls[0]"),
    );
    assert.throws(
      () => toGenerateContentBody(base({ messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, toolCalls: [{ id: "1", name: "f", arguments: "[1]" }] }] })),
      rejectsWith("invalid_request", "messages[1].tool_calls[0]"),
    );
    assert.throws(
      () => toGenerateContentBody(base({ messages: [{ role: "user", content: "x" }, { role: "tool", toolCallId: "ghost", content: "?" }] })),
      rejectsWith("invalid_request", "messages[1].tool_call_id", /ghost/),
    );
  });
});

describe("toGenerateContentBody: thought signatures on replayed turns", () => {
  const turn = (signature: string | undefined, model: string) =>
    toGenerateContentBody({
      model,
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          toolCalls: [
            { id: "1", name: "f", arguments: "{}" },
            { id: "2", name: "f", arguments: "{}" },
          ],
          reasoning: signature === undefined ? undefined : [{ type: "reasoning", text: "thinking", signature }],
        },
        { role: "tool", toolCallId: "1", content: "a" },
        { role: "tool", toolCallId: "2", content: "b" },
      ],
    }).contents[1]?.parts;

  test("Gemini's own signature goes back, untagged, on the first function call only", () => {
    const parts = turn("gemini:c2lnbmF0dXJl", "gemini-2.5-flash");
    assert.equal(parts?.[0]?.thoughtSignature, "c2lnbmF0dXJl");
    assert.equal(parts?.[1]?.thoughtSignature, undefined);
  });

  test("another provider's signature is not sent; Gemini 3 gets Google's skip value instead", () => {
    assert.equal(turn("anthropic-signature", "gemini-2.5-flash")?.[0]?.thoughtSignature, undefined);
    assert.equal(turn("anthropic-signature", "gemini-3-pro-preview")?.[0]?.thoughtSignature, skipSignature);
    assert.equal(turn(undefined, "gemini-flash-latest")?.[0]?.thoughtSignature, skipSignature, "aliases may be Gemini 3");
    assert.equal(turn(undefined, "gemini-2.0-flash")?.[0]?.thoughtSignature, undefined);
  });

  test("a text-only turn carries its signature on its last part", () => {
    const body = toGenerateContentBody({
      model: "gemini-3-pro-preview",
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b", reasoning: [{ type: "reasoning", text: "", signature: "gemini:U0lH" }] },
        { role: "user", content: "c" },
      ],
    });
    assert.deepEqual(body.contents[1], { role: "model", parts: [{ text: "b", thoughtSignature: "U0lH" }] });
  });
});

describe("toGenerateContentBody: settings, JSON mode, thinking, passthrough", () => {
  test("sampling and length settings go into generationConfig", () => {
    const body = toGenerateContentBody(base({ temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ["END"], seed: 7 }));
    assert.deepEqual(body.generationConfig, { temperature: 0.2, topP: 0.9, maxOutputTokens: 64, stopSequences: ["END"], seed: 7 });
  });

  test("json_object sets the JSON MIME type; json_schema adds responseJsonSchema", () => {
    assert.deepEqual(toGenerateContentBody(base({ responseFormat: { type: "json_object" } })).generationConfig, { responseMimeType: "application/json" });
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
    assert.deepEqual(toGenerateContentBody(base({ responseFormat: { type: "json_schema", name: "answer", schema } })).generationConfig, {
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    assert.equal(toGenerateContentBody(base({ responseFormat: { type: "text" } })).generationConfig, undefined);
  });

  test("reasoning: a budget becomes thinkingBudget; an effort a budget (2.x) or a thinking level (3+)", () => {
    assert.deepEqual(toGenerateContentBody(base({ reasoning: { budgetTokens: 2048 } })).generationConfig, { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } });
    assert.deepEqual(toGenerateContentBody(base({ reasoning: { effort: "low" } })).generationConfig, { thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    assert.deepEqual(toGenerateContentBody(base({ model: "gemini-3-pro-preview", reasoning: { effort: "high" } })).generationConfig, {
      thinkingConfig: { thinkingLevel: "HIGH", includeThoughts: true },
    });
  });

  test("gemini passthrough: generationConfig fields merge under generationConfig, tools append, the rest goes on top", () => {
    const body = toGenerateContentBody(
      base({
        maxTokens: 10,
        tools: [{ name: "f", parameters: { type: "object" } }],
        passthrough: {
          format: "gemini",
          fields: {
            safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
            generationConfig: { topK: 3, responseModalities: ["TEXT"] },
            candidateCount: 2,
            tools: [{ googleSearch: {} }],
            cachedContent: "cachedContents/abc",
          },
        },
      }),
    );
    assert.deepEqual(body.generationConfig, { maxOutputTokens: 10, topK: 3, responseModalities: ["TEXT"], candidateCount: 2 });
    assert.deepEqual(body.tools, [{ functionDeclarations: [{ name: "f", parametersJsonSchema: { type: "object" } }] }, { googleSearch: {} }]);
    assert.deepEqual(body.safetySettings, [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }]);
    assert.equal(body.cachedContent, "cachedContents/abc");
  });

  test("OpenAI passthrough: n → candidateCount, penalties mapped, logprobs and logit_bias refused, the rest ignored", () => {
    const body = toGenerateContentBody(base({ passthrough: { format: "openai", fields: { n: 2, presence_penalty: 0.5, frequency_penalty: 0.1, user: "u", logit_bias: {} } } }));
    assert.deepEqual(body.generationConfig, { candidateCount: 2, presencePenalty: 0.5, frequencyPenalty: 0.1 });
    assert.deepEqual(Object.keys(body), ["contents", "generationConfig"]);
    assert.throws(() => toGenerateContentBody(base({ passthrough: { format: "openai", fields: { logprobs: true } } })), rejectsWith("unsupported", "logprobs"));
    assert.throws(() => toGenerateContentBody(base({ passthrough: { format: "openai", fields: { logit_bias: { 50256: -100 } } } })), rejectsWith("unsupported", "logit_bias"));
  });

  test("Anthropic passthrough: top_k → topK, the rest ignored", () => {
    const body = toGenerateContentBody(base({ passthrough: { format: "anthropic", fields: { top_k: 5, metadata: { user_id: "u" } } } }));
    assert.deepEqual(body.generationConfig, { topK: 5 });
    assert.deepEqual(Object.keys(body), ["contents", "generationConfig"]);
  });
});

describe("request helpers", () => {
  test("model paths: models/ is added unless the name is already a resource path", () => {
    assert.equal(modelMethodPath("gemini-2.5-flash", "generateContent"), "/models/gemini-2.5-flash:generateContent");
    assert.equal(modelMethodPath("models/gemini-2.5-flash", "countTokens"), "/models/gemini-2.5-flash:countTokens");
    assert.equal(modelMethodPath("tunedModels/my-model", "generateContent"), "/tunedModels/my-model:generateContent");
  });

  test("countTokens wraps the whole generate request, so system and tools count", () => {
    const body = toCountTokensBody({ model: "gemini-2.5-flash", messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }] });
    assert.deepEqual(body, {
      generateContentRequest: { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "u" }] }], systemInstruction: { parts: [{ text: "s" }] } },
    });
  });

  test("batchEmbedContents: one entry per text, dimensions and gemini passthrough on each", () => {
    const body = toBatchEmbedBody(
      { model: "gemini-embedding-001", input: ["a", "b"], dimensions: 256, passthrough: { format: "gemini", fields: { taskType: "RETRIEVAL_QUERY" } } },
      ["a", "b"],
    );
    assert.deepEqual(body.requests, [
      { model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] }, outputDimensionality: 256, taskType: "RETRIEVAL_QUERY" },
      { model: "models/gemini-embedding-001", content: { parts: [{ text: "b" }] }, outputDimensionality: 256, taskType: "RETRIEVAL_QUERY" },
    ]);
  });
});

function convert(chunks: GenerateContentResponse[], callIds: string[] = []): StreamPart[] {
  let next = 0;
  const converter = createResponseConverter({ callId: () => callIds[next++] ?? `call_${next}` });
  return [...chunks.flatMap((chunk) => converter.push(chunk)), ...converter.end()];
}

async function collected(parts: StreamPart[]) {
  return collect((async function* () {
    yield* parts;
  })());
}

const usage = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };

describe("createResponseConverter", () => {
  test("text chunks become text deltas; the last chunk's finishReason and usage make the finish part", () => {
    const parts = convert([
      { candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] }, index: 0 }], usageMetadata: { promptTokenCount: 10, totalTokenCount: 11, candidatesTokenCount: 1 } },
      { candidates: [{ content: { role: "model", parts: [{ text: "lo" }] }, finishReason: "STOP", index: 0 }], usageMetadata: usage },
    ]);
    assert.deepEqual(parts, [
      { type: "text-delta", text: "Hel" },
      { type: "text-delta", text: "lo" },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 5 } },
    ]);
  });

  test("function calls arrive whole with synthesised unique ids, or Gemini's own id; STOP becomes tool_calls", () => {
    const parts = convert(
      [
        {
          candidates: [
            {
              content: { parts: [{ functionCall: { name: "a", args: { x: 1 } } }, { functionCall: { name: "b" } }, { functionCall: { name: "c", args: {}, id: "gemini-id" } }] },
              finishReason: "STOP",
            },
          ],
          usageMetadata: usage,
        },
      ],
      ["call_first", "call_second"],
    );
    assert.deepEqual(
      parts.filter((part) => part.type === "tool-call"),
      [
        { type: "tool-call", toolCall: { id: "call_first", name: "a", arguments: '{"x":1}' } },
        { type: "tool-call", toolCall: { id: "call_second", name: "b", arguments: "{}" } },
        { type: "tool-call", toolCall: { id: "gemini-id", name: "c", arguments: "{}" } },
      ],
    );
    const finish = parts.at(-1);
    assert.equal(finish?.type === "finish" ? finish.finishReason : undefined, "tool_calls");
  });

  test("the default ids differ within an answer and between answers", () => {
    const chunk: GenerateContentResponse = { candidates: [{ content: { parts: [{ functionCall: { name: "a" } }, { functionCall: { name: "a" } }] }, finishReason: "STOP" }] };
    const ids = [createResponseConverter(), createResponseConverter()].flatMap((converter) =>
      converter.push(chunk).flatMap((part) => (part.type === "tool-call" ? [part.toolCall.id] : [])),
    );
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 4);
    for (const id of ids) assert.match(id, /^call_[0-9a-f]{12}_\d+$/);
  });

  test("thought parts become reasoning; a thought signature closes the block, tagged as Gemini's", async () => {
    const parts = convert([
      { candidates: [{ content: { parts: [{ text: "Let me think", thought: true }] } }] },
      { candidates: [{ content: { parts: [{ text: " harder", thought: true }, { functionCall: { name: "f", args: {} }, thoughtSignature: "U0lH" }] }, finishReason: "STOP" }] },
    ]);
    assert.deepEqual(parts.slice(0, 3), [
      { type: "reasoning-delta", text: "Let me think" },
      { type: "reasoning-delta", text: " harder" },
      { type: "reasoning-end", signature: "gemini:U0lH" },
    ]);
    const result = await collected(parts);
    assert.deepEqual(result.reasoning, [{ type: "reasoning", text: "Let me think harder", signature: "gemini:U0lH" }]);
  });

  test("the collected turn replays to Gemini with its signature on the function call", async () => {
    const result = await collected(
      convert(
        [{ candidates: [{ content: { parts: [{ functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "U0lH" }] }, finishReason: "STOP" }] }],
        ["call_x"],
      ),
    );
    const body = toGenerateContentBody({
      model: "gemini-3-pro-preview",
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: result.text === "" ? null : result.text, toolCalls: result.toolCalls, reasoning: result.reasoning },
        { role: "tool", toolCallId: "call_x", content: "done" },
      ],
    });
    assert.deepEqual(body.contents[1], { role: "model", parts: [{ functionCall: { name: "f", args: { a: 1 } }, thoughtSignature: "U0lH" }] });
    assert.deepEqual(body.contents[2], { role: "user", parts: [{ functionResponse: { name: "f", response: { result: "done" } } }] });
  });

  test("a thought left open closes before the text that follows it", () => {
    const parts = convert([{ candidates: [{ content: { parts: [{ text: "hmm", thought: true }, { text: "Answer" }] }, finishReason: "STOP" }] }]);
    assert.deepEqual(
      parts.map((part) => part.type),
      ["reasoning-delta", "reasoning-end", "text-delta", "finish"],
    );
  });

  test("a SAFETY finish is content_filter with the ratings in providerMetadata.gemini", () => {
    const safetyRatings = [
      { category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" },
      { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
    ];
    const parts = convert([{ candidates: [{ finishReason: "SAFETY", index: 0, safetyRatings }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } }]);
    assert.deepEqual(parts, [
      { type: "finish", finishReason: "content_filter", usage: { inputTokens: 7, outputTokens: 0 }, providerMetadata: { gemini: { finishReason: "SAFETY", safetyRatings } } },
    ]);
  });

  test("a blocked prompt (promptFeedback, no candidates) finishes as content_filter", () => {
    const promptFeedback = { blockReason: "SAFETY", safetyRatings: [{ category: "HARM_CATEGORY_HATE_SPEECH", probability: "HIGH", blocked: true }] };
    const parts = convert([{ promptFeedback, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }]);
    assert.deepEqual(parts, [{ type: "finish", finishReason: "content_filter", usage: { inputTokens: 4, outputTokens: 0 }, providerMetadata: { gemini: { promptFeedback } } }]);
  });

  test("an answer that never finished is an upstream_error, never a finish part", () => {
    const converter = createResponseConverter();
    assert.deepEqual(converter.push({ candidates: [{ content: { parts: [{ text: "partial" }] } }] }), [{ type: "text-delta", text: "partial" }]);
    assert.throws(() => converter.end(), rejectsWith("upstream_error", undefined, /finishReason/));
    assert.throws(() => createResponseConverter().end(), rejectsWith("upstream_error", undefined));
  });

  test("several candidates: deltas carry their choice; the finish lists the other choices", () => {
    const parts = convert([
      {
        candidates: [
          { content: { parts: [{ text: "A" }] }, finishReason: "STOP", index: 0 },
          { content: { parts: [{ text: "B" }] }, finishReason: "MAX_TOKENS", index: 1 },
        ],
        usageMetadata: usage,
      },
    ]);
    assert.deepEqual(parts, [
      { type: "text-delta", text: "A" },
      { type: "text-delta", text: "B", choice: 1 },
      { type: "finish", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 5 }, otherChoices: [{ choice: 1, finishReason: "length" }] },
    ]);
  });
});

describe("finish reasons and usage", () => {
  test("finishReasonOf maps every Gemini reason", () => {
    assert.equal(finishReasonOf("STOP", false), "stop");
    assert.equal(finishReasonOf("STOP", true), "tool_calls");
    assert.equal(finishReasonOf("MAX_TOKENS", false), "length");
    for (const reason of ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]) assert.equal(finishReasonOf(reason, false), "content_filter", reason);
    for (const reason of ["MALFORMED_FUNCTION_CALL", "OTHER", "LANGUAGE", "FINISH_REASON_UNSPECIFIED", "SOMETHING_NEW"]) assert.equal(finishReasonOf(reason, false), "error", reason);
  });

  test("usageOf: thoughts count as output and as reasoning; cached content as cache reads; tool-use prompt as input", () => {
    assert.deepEqual(
      usageOf({ promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 30, cachedContentTokenCount: 64, toolUsePromptTokenCount: 5, totalTokenCount: 155 }),
      { inputTokens: 105, outputTokens: 50, cacheReadTokens: 64, reasoningTokens: 30 },
    );
    assert.deepEqual(usageOf(undefined), { inputTokens: 0, outputTokens: 0 });
  });
});

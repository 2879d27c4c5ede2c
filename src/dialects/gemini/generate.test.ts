import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import type { CollectedResult } from "../../spec/model.ts";
import { fromGenerateContentBody, GenerateContentStreamWriter, toGenerateContentResponse } from "./generate.ts";

function rejects(body: unknown, code: string, param?: string | RegExp): void {
  assert.throws(
    () => fromGenerateContentBody("m", body),
    (error: unknown) => {
      assert.ok(HearthError.isInstance(error), String(error));
      assert.equal(error.code, code, error.message);
      if (typeof param === "string") assert.equal(error.param, param);
      else if (param !== undefined) assert.match(error.message, param);
      return true;
    },
  );
}

const user = (text: string) => ({ role: "user", parts: [{ text }] });
const weatherTool = { functionDeclarations: [{ name: "weather" }, { name: "time" }, { name: "news" }] };

describe("fromGenerateContentBody", () => {
  test("maps contents, system instruction, settings and takes the model from the URL", () => {
    const request = fromGenerateContentBody("qwen/qwen3:8b", {
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Be kind." }] },
      contents: [{ parts: [{ text: "hi" }] }, { role: "model", parts: [{ text: "hello" }] }, user("how are you?")],
      generationConfig: { temperature: 0.2, topP: 0.5, maxOutputTokens: 30, stopSequences: ["x", ""], seed: 4, candidateCount: 1 },
    });
    assert.equal(request.model, "qwen/qwen3:8b");
    assert.deepEqual(request.messages, [
      { role: "system", content: "Be brief.\nBe kind." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "how are you?" },
    ]);
    assert.deepEqual([request.temperature, request.topP, request.maxTokens, request.stop, request.seed], [0.2, 0.5, 30, ["x"], 4]);
    assert.equal(request.passthrough, undefined, "candidateCount 1 and interpreted fields are not passed through");
  });

  test("inline images become data: URLs and http(s) image files become image URLs", () => {
    const request = fromGenerateContentBody("m", {
      contents: [
        {
          role: "user",
          parts: [
            { text: "compare" },
            { inlineData: { mimeType: "image/PNG", data: "iVBORw0KGgo=" } },
            { fileData: { fileUri: "https://example.com/cat.jpg", mimeType: "image/jpeg" } },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[0], {
      role: "user",
      content: [
        { type: "text", text: "compare" },
        { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
        { type: "image", url: "https://example.com/cat.jpg" },
      ],
    });
  });

  test("media Hearth cannot pass on is refused, naming the field", () => {
    rejects({ contents: [{ parts: [{ inlineData: { mimeType: "audio/wav", data: "AA==" } }] }] }, "unsupported", "contents[0].parts[0].inlineData.mimeType");
    rejects({ contents: [{ parts: [{ fileData: { fileUri: "https://x/y.pdf", mimeType: "application/pdf" } }] }] }, "unsupported", "contents[0].parts[0].fileData.mimeType");
    rejects({ contents: [{ parts: [{ fileData: { fileUri: "gs://bucket/cat.png", mimeType: "image/png" } }] }] }, "unsupported", "contents[0].parts[0].fileData.fileUri");
    rejects({ contents: [{ parts: [{ executableCode: { code: "print(1)" } }] }] }, "unsupported", "contents[0].parts[0].executableCode");
  });

  test("malformed parts and contents are 400s", () => {
    rejects({ contents: [] }, "invalid_request", "contents");
    rejects({ contents: [{ parts: [{ text: "a", inlineData: { mimeType: "image/png", data: "" } }] }] }, "invalid_request", "contents[0].parts[0]");
    rejects({ contents: [{ parts: [{}] }] }, "invalid_request", "contents[0].parts[0]");
    rejects({ contents: [{ role: "system", parts: [{ text: "a" }] }] }, "invalid_request", "contents[0].role");
    rejects({ contents: [{ parts: [{ text: "a", thought: true }] }] }, "invalid_request", "contents[0].parts[0].thought");
    rejects({ contents: [{ role: "model", parts: [] }] }, "invalid_request", "contents");
    rejects({ contents: [user("a")], systemInstruction: { parts: [{ inlineData: { mimeType: "image/png", data: "" } }] } }, "unsupported", "systemInstruction.parts[0]");
  });

  test("consecutive model contents are one assistant turn; calls get ids by turn and order; responses match by name in order", () => {
    const request = fromGenerateContentBody("m", {
      contents: [
        user("plan"),
        { role: "model", parts: [{ text: "Checking " }] },
        { role: "model", parts: [{ text: "both." }, { functionCall: { name: "weather", args: { city: "A" } } }] },
        { role: "model", parts: [{ functionCall: { name: "time" } }, { functionCall: { name: "weather", args: { city: "B" } } }] },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "weather", response: { output: "sunny" } } },
            { functionResponse: { name: "weather", response: { error: "no data" } } },
            { functionResponse: { name: "time", response: { output: "noon" } } },
            { text: "thanks" },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      { role: "user", content: "plan" },
      {
        role: "assistant",
        content: "Checking both.",
        toolCalls: [
          { id: "call_1_0", name: "weather", arguments: '{"city":"A"}' },
          { id: "call_1_1", name: "time", arguments: "{}" },
          { id: "call_1_2", name: "weather", arguments: '{"city":"B"}' },
        ],
      },
      { role: "tool", toolCallId: "call_1_0", content: '{"output":"sunny"}' },
      { role: "tool", toolCallId: "call_1_2", content: '{"error":"no data"}', isError: true },
      { role: "tool", toolCallId: "call_1_1", content: '{"output":"noon"}' },
      { role: "user", content: "thanks" },
    ]);
  });

  test("ids sent by the client win, on calls and on responses", () => {
    const request = fromGenerateContentBody("m", {
      contents: [
        user("go"),
        { role: "model", parts: [{ functionCall: { id: "call_up", name: "weather", args: {} } }] },
        { role: "user", parts: [{ functionResponse: { id: "call_up", name: "weather", response: { ok: true } } }] },
      ],
    });
    assert.deepEqual(request.messages[2], { role: "tool", toolCallId: "call_up", content: '{"ok":true}' });
  });

  test("a functionResponse with no call of its name in the previous model turn is refused", () => {
    rejects(
      {
        contents: [
          user("go"),
          { role: "model", parts: [{ functionCall: { name: "weather" } }] },
          { role: "user", parts: [{ functionResponse: { name: "weather", response: {} } }, { functionResponse: { name: "weather", response: {} } }] },
        ],
      },
      "invalid_request",
      "contents[2].parts[1].functionResponse.name",
    );
    rejects({ contents: [{ role: "user", parts: [{ functionResponse: { name: "time", response: {} } }] }] }, "invalid_request", /answers no functionCall/);
  });

  test("thought parts become reasoning blocks, closed by their signature", () => {
    const request = fromGenerateContentBody("m", {
      contents: [
        user("q"),
        {
          role: "model",
          parts: [
            { text: "Let me ", thought: true },
            { text: "think.", thought: true },
            { text: "", thought: true, thoughtSignature: "sig" },
            { text: "Second.", thought: true },
            { text: "Answer", thoughtSignature: "dropped" },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages[1], {
      role: "assistant",
      content: "Answer",
      reasoning: [
        { type: "reasoning", text: "Let me think.", signature: "sig" },
        { type: "reasoning", text: "Second." },
      ],
    });
  });

  test("function declarations: Gemini schemas are converted, JSON schemas kept, built-in tools refused", () => {
    const request = fromGenerateContentBody("m", {
      contents: [user("x")],
      tools: [
        { functionDeclarations: [{ name: "a", description: "A", parameters: { type: "OBJECT", properties: { n: { type: "INTEGER", minimum: 1 } } } }] },
        { functionDeclarations: [{ name: "b", parametersJsonSchema: { type: "object", additionalProperties: false } }, { name: "c" }] },
      ],
    });
    assert.deepEqual(request.tools, [
      { name: "a", description: "A", parameters: { type: "object", properties: { n: { type: "integer", minimum: 1 } } } },
      { name: "b", description: undefined, parameters: { type: "object", additionalProperties: false } },
      { name: "c", description: undefined, parameters: { type: "object", properties: {} } },
    ]);
    rejects({ contents: [user("x")], tools: [{ googleSearch: {} }] }, "unsupported", "tools[0].googleSearch");
    rejects({ contents: [user("x")], tools: [{ codeExecution: {} }] }, "unsupported", /codeExecution/);
    rejects({ contents: [user("x")], tools: [weatherTool, { functionDeclarations: [{ name: "weather" }] }] }, "invalid_request", "tools");
  });

  test("functionCallingConfig modes map to tool choices; allowedFunctionNames narrows the tools", () => {
    const choose = (functionCallingConfig: unknown) => fromGenerateContentBody("m", { contents: [user("x")], tools: [weatherTool], toolConfig: { functionCallingConfig } });
    assert.equal(choose({ mode: "AUTO" }).toolChoice, "auto");
    assert.equal(choose({ mode: "VALIDATED" }).toolChoice, "auto");
    assert.equal(choose({ mode: "NONE" }).toolChoice, "none");
    assert.equal(choose({ mode: "ANY" }).toolChoice, "required");
    assert.equal(choose({ mode: "MODE_UNSPECIFIED" }).toolChoice, undefined);
    assert.deepEqual(choose({ mode: "ANY", allowedFunctionNames: ["time"] }).toolChoice, { name: "time" });
    const narrowed = choose({ mode: "ANY", allowedFunctionNames: ["time", "news"] });
    assert.deepEqual(narrowed.tools?.map((tool) => tool.name), ["time", "news"]);
    assert.equal(narrowed.toolChoice, "required");
    rejects({ contents: [user("x")], tools: [weatherTool], toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["nope"] } } }, "invalid_request", /nope/);
    rejects({ contents: [user("x")], toolConfig: { functionCallingConfig: { mode: "ANY" } } }, "invalid_request", "toolConfig.functionCallingConfig");
  });

  test("JSON mode: responseSchema converted, responseJsonSchema kept, bare application/json is json_object", () => {
    const format = (generationConfig: unknown) => fromGenerateContentBody("m", { contents: [user("x")], generationConfig }).responseFormat;
    assert.deepEqual(format({ responseMimeType: "application/json" }), { type: "json_object" });
    assert.deepEqual(format({ responseMimeType: "application/json", responseSchema: { type: "ARRAY", items: { type: "STRING" }, maxItems: "3" } }), {
      type: "json_schema",
      name: "response",
      schema: { type: "array", items: { type: "string" }, maxItems: 3 },
    });
    assert.deepEqual(format({ responseMimeType: "application/json", responseJsonSchema: { type: "object", properties: {} } }), {
      type: "json_schema",
      name: "response",
      schema: { type: "object", properties: {} },
    });
    assert.equal(format({ responseMimeType: "text/plain" }), undefined);
    rejects({ contents: [user("x")], generationConfig: { responseSchema: { type: "STRING" } } }, "invalid_request", "generationConfig.responseMimeType");
    rejects({ contents: [user("x")], generationConfig: { responseMimeType: "text/x.enum" } }, "unsupported", "generationConfig.responseMimeType");
    rejects(
      { contents: [user("x")], generationConfig: { responseMimeType: "application/json", responseSchema: {}, responseJsonSchema: {} } },
      "invalid_request",
      "generationConfig.responseJsonSchema",
    );
  });

  test("thinkingConfig maps to the reasoning budget or effort", () => {
    const reasoning = (thinkingConfig: unknown) => fromGenerateContentBody("m", { contents: [user("x")], generationConfig: { thinkingConfig } }).reasoning;
    assert.deepEqual(reasoning({ thinkingBudget: 1024, includeThoughts: true }), { budgetTokens: 1024 });
    assert.deepEqual(reasoning({ thinkingBudget: 0 }), { effort: "minimal" });
    assert.equal(reasoning({ thinkingBudget: -1 }), undefined);
    assert.deepEqual(reasoning({ thinkingLevel: "HIGH" }), { effort: "high" });
  });

  test("what changes the answer in ways Hearth cannot honour is refused", () => {
    rejects({ contents: [user("x")], cachedContent: "cachedContents/abc" }, "unsupported", "cachedContent");
    rejects({ contents: [user("x")], generationConfig: { candidateCount: 3 } }, "unsupported", "generationConfig.candidateCount");
    rejects({ contents: [user("x")], generationConfig: { responseModalities: ["TEXT", "AUDIO"] } }, "unsupported", "generationConfig.responseModalities");
    rejects({ contents: [user("x")], generationConfig: { speechConfig: { voiceConfig: {} } } }, "unsupported", "generationConfig.speechConfig");
    rejects({ contents: [user("x")], generationConfig: { temperature: 3 } }, "invalid_request", "generationConfig.temperature");
  });

  test("uninterpreted fields travel as a partial Gemini body", () => {
    const request = fromGenerateContentBody("m", {
      contents: [user("x")],
      safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
      generationConfig: { topK: 40, presencePenalty: 0.5, temperature: 1, responseModalities: ["TEXT"] },
      toolConfig: { retrievalConfig: { languageCode: "en" } },
      serviceTier: "standard",
    });
    assert.deepEqual(request.passthrough, {
      format: "gemini",
      fields: {
        safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
        serviceTier: "standard",
        generationConfig: { topK: 40, presencePenalty: 0.5 },
        toolConfig: { retrievalConfig: { languageCode: "en" } },
      },
    });
  });
});

function result(overrides: Partial<CollectedResult>): CollectedResult {
  return { text: "", toolCalls: [], finishReason: "stop", usage: { inputTokens: 10, outputTokens: 5 }, reasoning: [], otherChoices: [], ...overrides };
}

const identity = { model: "m", responseId: "resp-1" };

describe("toGenerateContentResponse", () => {
  test("text, finish reason, usage and identity", () => {
    const response = toGenerateContentResponse(
      result({ text: "Hi", finishReason: "length", usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4, reasoningTokens: 2 } }),
      identity,
    );
    assert.deepEqual(response, {
      candidates: [{ content: { role: "model", parts: [{ text: "Hi" }] }, finishReason: "MAX_TOKENS", index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3, totalTokenCount: 15, cachedContentTokenCount: 4, thoughtsTokenCount: 2 },
      modelVersion: "m",
      responseId: "resp-1",
    });
  });

  test("finish reasons map to Gemini's", () => {
    const reason = (finishReason: CollectedResult["finishReason"]) => toGenerateContentResponse(result({ text: "x", finishReason }), identity).candidates[0]?.finishReason;
    assert.deepEqual(["stop", "tool_calls", "length", "content_filter", "error"].map((value) => reason(value as CollectedResult["finishReason"])), [
      "STOP",
      "STOP",
      "MAX_TOKENS",
      "SAFETY",
      "OTHER",
    ]);
  });

  test("thought parts first, then text, then function calls with parsed args", () => {
    const response = toGenerateContentResponse(
      result({
        text: "Calling.",
        reasoning: [{ type: "reasoning", text: "hmm", signature: "s1" }, { type: "redacted-reasoning", data: "opaque" }],
        toolCalls: [
          { id: "c1", name: "f", arguments: '{"a":1}' },
          { id: "c2", name: "g", arguments: "" },
        ],
        finishReason: "tool_calls",
      }),
      identity,
    );
    assert.deepEqual(response.candidates[0]?.content.parts, [
      { text: "hmm", thought: true, thoughtSignature: "s1" },
      { text: "Calling." },
      { functionCall: { name: "f", args: { a: 1 }, id: "c1" } },
      { functionCall: { name: "g", args: {}, id: "c2" } },
    ]);
    assert.equal(response.candidates[0]?.finishReason, "STOP");
  });

  test("arguments that are not a JSON object are a MALFORMED_FUNCTION_CALL", () => {
    const response = toGenerateContentResponse(result({ toolCalls: [{ id: "c", name: "f", arguments: "[1," }], finishReason: "tool_calls" }), identity);
    const candidate = response.candidates[0];
    assert.equal(candidate?.finishReason, "MALFORMED_FUNCTION_CALL");
    assert.deepEqual(candidate?.content.parts, [{ text: "" }]);
    assert.ok("finishMessage" in (candidate ?? {}));
  });

  test("safety ratings surface only from a Gemini provider's metadata", () => {
    const ratings = [{ category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" }];
    const fromGemini = toGenerateContentResponse(result({ text: "x", providerMetadata: { gemini: { safetyRatings: ratings } } }), identity);
    assert.deepEqual(fromGemini.candidates[0]?.safetyRatings, ratings);
    const fromOther = toGenerateContentResponse(result({ text: "x", providerMetadata: { anthropic: { safetyRatings: ratings } } }), identity);
    assert.equal("safetyRatings" in (fromOther.candidates[0] ?? {}), false);
  });
});

describe("GenerateContentStreamWriter", () => {
  test("one chunk per delta and call, a final chunk with finishReason and usage, never an empty parts list", () => {
    const writer = new GenerateContentStreamWriter(identity);
    const chunks = [
      ...writer.part({ type: "reasoning-delta", text: "hm" }),
      ...writer.part({ type: "reasoning-end", signature: "sig" }),
      ...writer.part({ type: "reasoning-end" }),
      ...writer.part({ type: "text-delta", text: "" }),
      ...writer.part({ type: "text-delta", text: "Hi" }),
      ...writer.part({ type: "tool-call", toolCall: { id: "c1", name: "f", arguments: '{"x":true}' } }),
      ...writer.part({ type: "reasoning-redacted", data: "opaque" }),
      ...writer.part({ type: "finish", finishReason: "tool_calls", usage: { inputTokens: 3, outputTokens: 4 } }),
    ];
    const candidate = (content: unknown) => ({ candidates: [{ content: { role: "model", parts: [content] }, index: 0 }], modelVersion: "m", responseId: "resp-1" });
    assert.deepEqual(chunks, [
      candidate({ text: "hm", thought: true }),
      candidate({ text: "", thought: true, thoughtSignature: "sig" }),
      candidate({ text: "Hi" }),
      candidate({ functionCall: { name: "f", args: { x: true }, id: "c1" } }),
      {
        candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
        modelVersion: "m",
        responseId: "resp-1",
      },
    ]);
  });

  test("a malformed call is withheld and reported in the finish chunk", () => {
    const writer = new GenerateContentStreamWriter(identity);
    assert.deepEqual(writer.part({ type: "tool-call", toolCall: { id: "c", name: "f", arguments: "nope" } }), []);
    const [last] = writer.part({ type: "finish", finishReason: "tool_calls", usage: { inputTokens: 1, outputTokens: 1 } }) as Array<{ candidates: Array<{ finishReason: string }> }>;
    assert.equal(last?.candidates[0]?.finishReason, "MALFORMED_FUNCTION_CALL");
  });
});

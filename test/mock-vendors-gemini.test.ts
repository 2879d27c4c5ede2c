import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, beforeEach, describe, test } from "node:test";
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type, type Content, type GenerateContentResponse } from "@google/genai";
import { compactJson, startMockGemini, type MockGemini } from "./support/mock-vendors/gemini.ts";

// The official @google/genai SDK pointed straight at the Gemini mock: if the SDK can talk to it,
// the mock speaks Google's wire format (URLs, auth header, SSE framing, response and error shapes).
// A second group compares the mock's raw bytes with fixtures written from Google's documented format.

const fixtures = new URL("./fixtures/gemini/", import.meta.url);
let mock: MockGemini;
let ai: GoogleGenAI;

before(async () => {
  mock = await startMockGemini();
  // The SDK defaults to v1; Hearth's provider speaks v1beta (function calling, thinking, JSON
  // Schema fields), so the SDK is pinned to it here. The mock answers v1 as well (tested below).
  ai = new GoogleGenAI({ apiKey: mock.apiKey, httpOptions: { baseUrl: mock.url, apiVersion: "v1beta" } });
});

after(async () => {
  await mock.close();
});

beforeEach(() => {
  mock.reset();
});

const weather = {
  name: "get_weather",
  description: "Current weather for a city",
  parametersJsonSchema: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Berlin"] }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
};

describe("the @google/genai SDK against the Gemini mock", () => {
  test("generateContent: text, finish reason, usage, and the request the SDK sent", async () => {
    const response = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Say hello",
      config: { systemInstruction: "Be terse.", temperature: 0, maxOutputTokens: 100 },
    });
    assert.equal(response.text, "Hello from gemini-2.5-flash. You said: Say hello");
    assert.equal(response.candidates?.[0]?.finishReason, "STOP");
    assert.equal(response.candidates?.[0]?.safetyRatings?.length, 4);
    assert.equal(response.modelVersion, "gemini-2.5-flash");
    assert.ok(typeof response.responseId === "string" && response.responseId.length > 0);
    const usage = response.usageMetadata;
    assert.ok(usage?.promptTokenCount !== undefined && usage.promptTokenCount > 0);
    assert.equal(usage?.candidatesTokenCount, Math.ceil("Hello from gemini-2.5-flash. You said: Say hello".length / 4));
    assert.equal(usage?.totalTokenCount, usage.promptTokenCount + (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0));

    const sent = mock.requests.at(-1);
    assert.equal(sent?.method, "POST");
    assert.equal(sent?.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert.equal(sent?.headers["x-goog-api-key"], mock.apiKey, "the SDK authenticates with the x-goog-api-key header");
    const body = sent?.body as { contents: Content[]; systemInstruction: Content; generationConfig: Record<string, unknown> };
    assert.deepEqual(body.contents, [{ parts: [{ text: "Say hello" }], role: "user" }]);
    assert.deepEqual(body.systemInstruction.parts, [{ text: "Be terse." }]);
    assert.deepEqual(body.generationConfig, { temperature: 0, maxOutputTokens: 100 });
  });

  test("generateContentStream: several chunks that join to the text; the last carries finishReason and usage", async () => {
    const stream = await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "Tell me about streams" });
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 2, `several chunks (${chunks.length})`);
    assert.equal(chunks.map((chunk) => chunk.text ?? "").join(""), "Hello from gemini-2.5-flash. You said: Tell me about streams");
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.candidates?.[0]?.finishReason, undefined, "only the last chunk finishes");
    const last = chunks.at(-1);
    assert.equal(last?.candidates?.[0]?.finishReason, "STOP");
    assert.ok((last?.usageMetadata?.candidatesTokenCount ?? 0) > 0);
    assert.equal(mock.requests.at(-1)?.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });

  test("function calling round trip: the call arrives whole, the function response gets an answer", async () => {
    const tools = [{ functionDeclarations: [weather] }];
    const first = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Weather in Paris?",
      config: { tools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } } },
    });
    assert.deepEqual(first.functionCalls?.map((call) => ({ name: call.name, args: call.args })), [{ name: "get_weather", args: { city: "Paris", unit: "c" } }]);
    assert.equal(first.functionCalls?.[0]?.id, undefined, "the Gemini Developer API gives calls no id");
    const modelTurn = first.candidates?.[0]?.content;
    assert.ok(modelTurn !== undefined);

    const second = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        modelTurn,
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temperature: 21 } } }] },
      ],
      config: { tools },
    });
    assert.equal(second.text, 'Tool results: {"temperature":21}');
  });

  test("streamed function calls arrive whole in one chunk", async () => {
    const stream = await ai.models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Weather?",
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    const withCalls: GenerateContentResponse[] = [];
    for await (const chunk of stream) if ((chunk.functionCalls?.length ?? 0) > 0) withCalls.push(chunk);
    assert.equal(withCalls.length, 1);
    assert.deepEqual(withCalls[0]?.functionCalls?.[0]?.args, { city: "Paris", unit: "c" });
    assert.equal(withCalls[0]?.candidates?.[0]?.finishReason, "STOP");
  });

  test("gemini-3 signs its function calls and rejects a replay without the signature", async () => {
    const tools = [{ functionDeclarations: [weather] }];
    const first = await ai.models.generateContent({ model: "gemini-3-pro-preview", contents: "Weather in Paris?", config: { tools } });
    const modelTurn = first.candidates?.[0]?.content;
    const signed = modelTurn?.parts?.[0];
    assert.ok(typeof signed?.thoughtSignature === "string" && signed.thoughtSignature.length > 0);
    const replay = (turn: Content) => [
      { role: "user", parts: [{ text: "Weather in Paris?" }] },
      turn,
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { result: "sunny" } } }] },
    ];
    const answered = await ai.models.generateContent({ model: "gemini-3-pro-preview", contents: replay(modelTurn as Content), config: { tools } });
    assert.equal(answered.text, "Tool results: sunny");

    const unsigned: Content = { role: "model", parts: [{ functionCall: signed?.functionCall ?? {} }] };
    await assert.rejects(ai.models.generateContent({ model: "gemini-3-pro-preview", contents: replay(unsigned), config: { tools } }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.match(error.message, /thought_signature/);
      return true;
    });
    const sentinel: Content = { role: "model", parts: [{ functionCall: signed?.functionCall ?? {}, thoughtSignature: "skip_thought_signature_validator" }] };
    const skipped = await ai.models.generateContent({ model: "gemini-3-pro-preview", contents: replay(sentinel), config: { tools } });
    assert.equal(skipped.text, "Tool results: sunny", "Google's documented sentinel is accepted");
  });

  test("thinking: includeThoughts adds a thought part and usage counts thought tokens", async () => {
    const response = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Think first",
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
    });
    const parts = response.candidates?.[0]?.content?.parts ?? [];
    assert.equal(parts[0]?.thought, true);
    assert.match(parts[0]?.text ?? "", /Think first/);
    assert.equal(response.text, "Hello from gemini-2.5-flash. You said: Think first", "the SDK leaves thoughts out of .text");
    assert.ok((response.usageMetadata?.thoughtsTokenCount ?? 0) > 0);
  });

  test("JSON mode with responseSchema (OpenAPI) and with responseJsonSchema", async () => {
    const openApi = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Answer as JSON",
      config: {
        responseMimeType: "application/json",
        responseSchema: { type: Type.OBJECT, properties: { ok: { type: Type.BOOLEAN }, name: { type: Type.STRING } }, required: ["ok", "name"] },
      },
    });
    assert.deepEqual(JSON.parse(openApi.text ?? ""), { ok: true, name: "Paris" });

    const jsonSchema = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Answer as JSON",
      config: {
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object", properties: { count: { type: "integer" } }, required: ["count"], additionalProperties: false },
      },
    });
    assert.deepEqual(JSON.parse(jsonSchema.text ?? ""), { count: 1 });
  });

  test("the SDK's default API version (v1) is served too", async () => {
    const plain = new GoogleGenAI({ apiKey: mock.apiKey, httpOptions: { baseUrl: mock.url } });
    const response = await plain.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
    assert.equal(response.text, "Hello from gemini-2.5-flash. You said: hi");
    assert.equal(mock.requests.at(-1)?.path, "/v1/models/gemini-2.5-flash:generateContent");
  });

  test("countTokens counts what generateContent bills as the prompt", async () => {
    const contents = "How many tokens is this sentence, roughly?";
    const counted = await ai.models.countTokens({ model: "gemini-2.5-flash", contents });
    const generated = await ai.models.generateContent({ model: "gemini-2.5-flash", contents });
    assert.ok((counted.totalTokens ?? 0) > 0);
    assert.equal(counted.totalTokens, generated.usageMetadata?.promptTokenCount);
    assert.equal(mock.requests[0]?.path, "/v1beta/models/gemini-2.5-flash:countTokens");
  });

  test("embedContent: one deterministic vector per text, outputDimensionality honoured", async () => {
    const response = await ai.models.embedContent({
      model: "gemini-embedding-001",
      contents: ["first text", "second text", "first text"],
      config: { outputDimensionality: 64 },
    });
    const vectors = response.embeddings?.map((embedding) => embedding.values ?? []) ?? [];
    assert.equal(vectors.length, 3);
    for (const vector of vectors) assert.equal(vector.length, 64);
    assert.deepEqual(vectors[0], vectors[2], "same text, same vector");
    assert.notDeepEqual(vectors[0], vectors[1]);
    assert.equal(mock.requests.at(-1)?.path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
    const full = await ai.models.embedContent({ model: "gemini-embedding-001", contents: "first text" });
    assert.equal(full.embeddings?.[0]?.values?.length, 3072);
  });

  test("models.list reads GET /v1beta/models", async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? "");
    assert.ok(names.includes("models/gemini-2.5-flash"));
  });

  test("errors reach the SDK as ApiError with the HTTP status and Google's error body", async () => {
    const wrongKey = new GoogleGenAI({ apiKey: "AIzaWrongKeyWrongKeyWrongKey123", httpOptions: { baseUrl: mock.url } });
    const expectations: Array<[() => Promise<unknown>, number, RegExp]> = [
      [() => wrongKey.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" }), 400, /API_KEY_INVALID/],
      [() => ai.models.generateContent({ model: "no-such-model", contents: "hi" }), 404, /NOT_FOUND/],
      [
        () => {
          mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 21 });
          return ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
        },
        429,
        /RESOURCE_EXHAUSTED.*"retryDelay":"21s"/,
      ],
      [
        () => {
          mock.failNext({ kind: "status", status: 500 });
          return ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
        },
        500,
        /"status":"INTERNAL"/,
      ],
      [
        () => {
          mock.failNext({ kind: "status", status: 503 });
          return ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" });
        },
        503,
        /"status":"UNAVAILABLE"/,
      ],
    ];
    for (const [call, status, pattern] of expectations) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof ApiError, String(error));
        assert.equal(error.status, status);
        assert.match(error.message, pattern);
        return true;
      });
    }
    assert.equal(mock.requests.length, expectations.length, "the SDK does not retry by default: one request per call");
  });

  test("a SAFETY-blocked answer and a blocked prompt are surfaced, without text", async () => {
    const blocked = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "please do the unsafe-demo" });
    const candidate = blocked.candidates?.[0];
    assert.equal(candidate?.finishReason, "SAFETY");
    assert.equal(candidate?.content, undefined);
    assert.equal(blocked.text, undefined);
    assert.ok(candidate?.safetyRatings?.some((rating) => rating.blocked === true && rating.probability === "HIGH"));

    const refused = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "prompt-block-demo" });
    assert.equal(refused.candidates, undefined);
    assert.equal(refused.promptFeedback?.blockReason, "SAFETY");
  });

  test("cut mid-stream: the SDK yields the chunks that arrived, then throws fetch's `terminated` TypeError", async () => {
    // The mock destroys the socket after two events. The SDK's SSE reader has no notion of a
    // terminal event (Gemini sends none) so it cannot tell a cut from an end by framing; what
    // saves it is HTTP: the chunked body never got its final chunk, so undici's fetch rejects
    // the pending read with `TypeError: terminated`, which the SDK rethrows unchanged (not as
    // an ApiError). A caller sees partial text and then an error, never a finishReason.
    mock.failNext({ kind: "cut-mid-stream", afterEvents: 2 });
    const stream = await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "A long enough answer please" });
    const chunks: GenerateContentResponse[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.equal(error.message, "terminated");
        assert.ok(!(error instanceof ApiError));
        return true;
      },
    );
    assert.equal(chunks.length, 2);
    assert.ok(chunks.every((chunk) => chunk.candidates?.[0]?.finishReason === undefined));
  });

  test("a reset connection fails the SDK call with fetch's network TypeError", async () => {
    mock.failNext({ kind: "reset" });
    await assert.rejects(ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" }), (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(error.message, "fetch failed");
      return true;
    });
  });
});

type Shape = string | { [key: string]: Shape } | Shape[];

/** The structure of a JSON value: object keys (sorted) and value types, array elements merged. */
function shapeOf(value: unknown): Shape {
  if (Array.isArray(value)) return value.length === 0 ? [] : [value.map(shapeOf).reduce(mergeShapes)];
  if (typeof value === "object" && value !== null) {
    const result: Record<string, Shape> = {};
    for (const key of Object.keys(value).sort()) result[key] = shapeOf((value as Record<string, unknown>)[key]);
    return result;
  }
  return value === null ? "null" : typeof value;
}

function mergeShapes(a: Shape, b: Shape): Shape {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === 0 ? b : b.length === 0 ? a : [mergeShapes(a[0] as Shape, b[0] as Shape)];
  if (typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const result: Record<string, Shape> = {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const left = a[key];
      const right = b[key];
      result[key] = left === undefined ? (right as Shape) : right === undefined ? left : mergeShapes(left, right);
    }
    return result;
  }
  return a === b ? a : [...new Set(`${String(a)}|${String(b)}`.split("|"))].sort().join("|");
}

async function fixture(name: string): Promise<string> {
  return readFile(new URL(name, fixtures), "utf8");
}

async function post(path: string, body: unknown, apiKey = mock.apiKey): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": apiKey }, body: JSON.stringify(body) });
}

describe("the Gemini mock's bytes match fixtures written from Google's documented format", () => {
  test("request validation: `parameters` (Gemini's OpenAPI subset) rejects JSON Schema keywords; parametersJsonSchema takes them", async () => {
    // The SDK sanitises `parameters` itself (it drops additionalProperties), so this goes raw.
    const withParameters = await post("/v1beta/models/gemini-2.5-flash:generateContent", {
      contents: [{ role: "user", parts: [{ text: "Weather?" }] }],
      tools: [{ functionDeclarations: [{ name: "get_weather", parameters: weather.parametersJsonSchema }] }],
    });
    assert.equal(withParameters.status, 400);
    const error = (await withParameters.json()) as { error: { status: string; message: string } };
    assert.equal(error.error.status, "INVALID_ARGUMENT");
    assert.match(error.error.message, /Unknown name "additionalProperties" at 'tools\[0\]\.function_declarations\[0\]\.parameters'/);
    const withJsonSchema = await post("/v1beta/models/gemini-2.5-flash:generateContent", {
      contents: [{ role: "user", parts: [{ text: "Weather?" }] }],
      tools: [{ functionDeclarations: [weather] }],
    });
    assert.equal(withJsonSchema.status, 200);
    const both = await post("/v1beta/models/gemini-2.5-flash:generateContent", {
      contents: [{ parts: [{ text: "hi" }] }],
      generationConfig: { responseMimeType: "application/json", responseSchema: { type: "OBJECT" }, responseJsonSchema: { type: "object" } },
    });
    assert.equal(both.status, 400, "responseSchema and responseJsonSchema are mutually exclusive");
    const unknownField = await post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ parts: [{ text: "hi" }] }], max_tokens: 5 });
    assert.equal(unknownField.status, 400, "unknown top-level fields are rejected");
  });


  test("streamGenerateContent?alt=sse: `data: <compact JSON>\\r\\n\\r\\n` events, same chunk structure", async () => {
    const expected = await fixture("stream-generate-content.sse");
    const response = await post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", { contents: [{ role: "user", parts: [{ text: "Say hello" }] }] });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const actual = await response.text();
    const framing = /^(data: [^\r\n]+\r\n\r\n)+$/;
    assert.match(expected, framing, "the fixture is CRLF-framed");
    assert.match(actual, framing, "the mock frames events the same way");
    const events = (text: string): unknown[] =>
      text
        .split("\r\n\r\n")
        .filter((event) => event !== "")
        .map((event) => {
          const json = event.slice("data: ".length);
          assert.equal(compactJson(JSON.parse(json)), json, "Google's compact JSON style");
          return JSON.parse(json) as unknown;
        });
    const expectedEvents = events(expected);
    const actualEvents = events(actual);
    assert.ok(actualEvents.length >= 2);
    assert.deepEqual(shapeOf(actualEvents.slice(0, -1).reduce(mergeDeep)), shapeOf(expectedEvents.slice(0, -1).reduce(mergeDeep)), "intermediate chunks");
    assert.deepEqual(shapeOf(actualEvents.at(-1)), shapeOf(expectedEvents.at(-1)), "the final chunk");
  });

  const cases: Array<{ fixture: string; status: number; request: () => Promise<Response> }> = [
    {
      fixture: "generate-content.json",
      status: 200,
      request: () => post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ role: "user", parts: [{ text: "Say hello" }] }] }),
    },
    {
      fixture: "function-call.json",
      status: 200,
      request: () =>
        post("/v1beta/models/gemini-3-pro-preview:generateContent", {
          contents: [{ role: "user", parts: [{ text: "Weather in Paris?" }] }],
          tools: [{ functionDeclarations: [weather] }],
        }),
    },
    {
      fixture: "safety-blocked.json",
      status: 200,
      request: () => post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ role: "user", parts: [{ text: "unsafe-demo" }] }] }),
    },
    {
      fixture: "prompt-blocked.json",
      status: 200,
      request: () => post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ role: "user", parts: [{ text: "prompt-block-demo" }] }] }),
    },
    {
      fixture: "error-api-key-invalid.json",
      status: 400,
      request: () => post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ parts: [{ text: "hi" }] }] }, "wrong-key"),
    },
    {
      fixture: "error-rate-limited.json",
      status: 429,
      request: () => {
        mock.failNext({ kind: "status", status: 429, retryAfterSeconds: 21 });
        return post("/v1beta/models/gemini-2.5-flash:generateContent", { contents: [{ parts: [{ text: "hi" }] }] });
      },
    },
    {
      fixture: "error-model-not-found.json",
      status: 404,
      request: () => post("/v1beta/models/no-such-model:generateContent", { contents: [{ parts: [{ text: "hi" }] }] }),
    },
    {
      fixture: "count-tokens.json",
      status: 200,
      request: () => post("/v1beta/models/gemini-2.5-flash:countTokens", { contents: [{ parts: [{ text: "Count me" }] }] }),
    },
    {
      fixture: "batch-embed-contents.json",
      status: 200,
      request: () =>
        post("/v1beta/models/text-embedding-004:batchEmbedContents", {
          requests: [
            { model: "models/text-embedding-004", content: { parts: [{ text: "one" }] }, outputDimensionality: 8 },
            { model: "models/text-embedding-004", content: { parts: [{ text: "two" }] }, outputDimensionality: 8 },
          ],
        }),
    },
  ];
  for (const entry of cases) {
    test(`${entry.fixture}: same status, JSON structure and pretty-printing`, async () => {
      const expectedText = await fixture(entry.fixture);
      const response = await entry.request();
      assert.equal(response.status, entry.status);
      assert.equal(response.headers.get("content-type"), "application/json; charset=UTF-8");
      const actualText = await response.text();
      assert.equal(actualText, JSON.stringify(JSON.parse(actualText), null, 2) + "\n", "pretty-printed with two spaces, as Google answers");
      assert.deepEqual(shapeOf(JSON.parse(actualText)), shapeOf(JSON.parse(expectedText)));
    });
  }
});

/** Deep union of two JSON values (objects merged key by key), to compare the structure of several chunks. */
function mergeDeep(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const result: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [key, value] of Object.entries(b)) result[key] = key in result ? mergeDeep(result[key], value) : value;
    return result;
  }
  return b;
}

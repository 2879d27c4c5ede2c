import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import type { ChatMessage } from "../../spec/model.ts";
import { forcedToolCallSchema, sanitizeJsonSchema, toChatHistory, toChatModelFunctions, withOpenModelTurn } from "./convert.ts";

function rejectsWith(code: ErrorCode, param: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.param, param);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  };
}

describe("toChatHistory", () => {
  test("maps system, user and assistant messages to system, user and model items", () => {
    const history = toChatHistory([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
      { role: "user", content: "Bye" },
    ]);
    assert.deepEqual(history, [
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: ["Hello."] },
      { type: "user", text: "Bye" },
    ]);
  });

  test("joins the text parts of multi-part user content", () => {
    const history = toChatHistory([
      { role: "user", content: [{ type: "text", text: "first" }, { type: "text", text: "second" }] },
    ]);
    assert.deepEqual(history, [{ type: "user", text: "first\nsecond" }]);
  });

  test("refuses image parts as unsupported", () => {
    assert.throws(
      () => toChatHistory([{ role: "user", content: [{ type: "image", url: "data:image/png;base64,AA==" }] }]),
      rejectsWith("unsupported", "messages", /image/),
    );
  });

  test("pairs tool calls with their results by id, in one model item that the answer continues", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Weather in Oslo and Rome?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [
          { id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' },
          { id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
        ],
      },
      // Results may arrive in any order.
      { role: "tool", toolCallId: "call_2", content: '{"celsius":21}' },
      { role: "tool", toolCallId: "call_1", content: "cold" },
      { role: "assistant", content: "Oslo is cold, Rome is 21°C." },
    ];
    assert.deepEqual(toChatHistory(messages), [
      { type: "user", text: "Weather in Oslo and Rome?" },
      {
        type: "model",
        response: [
          { type: "functionCall", name: "weather", params: { city: "Oslo" }, result: "cold" },
          { type: "functionCall", name: "weather", params: { city: "Rome" }, result: { celsius: 21 } },
          "Oslo is cold, Rome is 21°C.",
        ],
      },
    ]);
  });

  test("keeps non-JSON tool-call arguments as text", () => {
    const history = toChatHistory([
      { role: "user", content: "x" },
      { role: "assistant", content: null, toolCalls: [{ id: "a", name: "f", arguments: "not json" }] },
      { role: "tool", toolCallId: "a", content: "ok" },
    ]);
    const model = history[1];
    assert.ok(model?.type === "model");
    assert.deepEqual(model.response[0], { type: "functionCall", name: "f", params: "not json", result: "ok" });
  });

  test("refuses a tool message that answers no call", () => {
    assert.throws(
      () => toChatHistory([{ role: "user", content: "x" }, { role: "tool", toolCallId: "nope", content: "r" }]),
      rejectsWith("invalid_request", "messages", /nope/),
    );
  });

  test("refuses a conversation that continues while tool calls are unanswered", () => {
    assert.throws(
      () =>
        toChatHistory([
          { role: "user", content: "x" },
          { role: "assistant", content: null, toolCalls: [{ id: "call_9", name: "f", arguments: "{}" }] },
          { role: "user", content: "and?" },
        ]),
      rejectsWith("invalid_request", "messages", /call_9/),
    );
  });

  test("withOpenModelTurn appends an empty model turn unless the history ends with one", () => {
    assert.deepEqual(withOpenModelTurn([{ type: "user", text: "q" }]), [
      { type: "user", text: "q" },
      { type: "model", response: [] },
    ]);
    const prefilled = [{ type: "user" as const, text: "q" }, { type: "model" as const, response: ["Sure"] }];
    assert.deepEqual(withOpenModelTurn(prefilled), prefilled);
  });
});

describe("toChatModelFunctions", () => {
  test("declares each tool with its description and sanitized parameters, without handlers", () => {
    const functions = toChatModelFunctions([
      {
        name: "weather",
        description: "Current weather",
        parameters: {
          type: "object",
          properties: { city: { type: "string", description: "City name", examples: ["Oslo"] } },
          required: ["city"],
          additionalProperties: false,
        },
      },
    ]);
    assert.deepEqual(functions, {
      weather: {
        description: "Current weather",
        params: { type: "object", properties: { city: { type: "string", description: "City name" } } },
      },
    });
  });

  test("names the offending tool's parameters in errors", () => {
    assert.throws(
      () => toChatModelFunctions([{ name: "ok", parameters: { type: "object" } }, { name: "bad", parameters: { type: "tuple" } }]),
      rejectsWith("invalid_request", "tools[1].function.parameters", /unknown type "tuple"/),
    );
  });

  test("refuses duplicate tool names", () => {
    assert.throws(
      () => toChatModelFunctions([{ name: "f", parameters: {} }, { name: "f", parameters: {} }]),
      rejectsWith("invalid_request", "tools[1].function.name"),
    );
  });

  test("a forced call schema pairs each name with that tool's arguments", () => {
    const functions = toChatModelFunctions([
      { name: "a", parameters: { type: "object", properties: { x: { type: "boolean" } } } },
      { name: "b", parameters: { type: "object", properties: { y: { enum: ["p", "q"] } } } },
    ]);
    assert.deepEqual(forcedToolCallSchema(functions, ["a", "b"]), {
      oneOf: [
        { type: "object", properties: { name: { const: "a" }, arguments: { type: "object", properties: { x: { type: "boolean" } } } } },
        { type: "object", properties: { name: { const: "b" }, arguments: { type: "object", properties: { y: { enum: ["p", "q"] } } } } },
      ],
    });
    assert.deepEqual(forcedToolCallSchema(functions, ["b"]), {
      type: "object",
      properties: { name: { const: "b" }, arguments: { type: "object", properties: { y: { enum: ["p", "q"] } } } },
    });
  });
});

describe("sanitizeJsonSchema", () => {
  const sanitize = (schema: Parameters<typeof sanitizeJsonSchema>[0], strict = false) =>
    sanitizeJsonSchema(schema, { param: "response_format.json_schema.schema", strict });

  test("keeps types, properties, enum, const, string lengths, arrays and date formats", () => {
    const { schema, dropped } = sanitize({
      type: "object",
      title: "Answer",
      properties: {
        mood: { enum: ["happy", "sad", null] },
        ok: { type: "boolean" },
        kind: { const: "v1" },
        code: { type: "string", minLength: 2, maxLength: 4 },
        when: { type: "string", format: "date" },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
        count: { type: "integer" },
      },
      required: ["mood", "ok"],
    });
    assert.deepEqual(dropped, []);
    assert.deepEqual(schema, {
      type: "object",
      properties: {
        mood: { enum: ["happy", "sad", null] },
        ok: { type: "boolean" },
        kind: { const: "v1" },
        code: { type: "string", minLength: 2, maxLength: 4 },
        when: { type: "string", format: "date" },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
        count: { type: "integer" },
      },
    });
  });

  test("drops formats the grammar cannot follow, since format is an annotation", () => {
    assert.deepEqual(sanitize({ type: "string", format: "email" }).schema, { type: "string" });
  });

  test("maps anyOf and oneOf to oneOf", () => {
    assert.deepEqual(sanitize({ anyOf: [{ type: "string" }, { type: "number" }] }).schema, { oneOf: [{ type: "string" }, { type: "number" }] });
    assert.deepEqual(sanitize({ oneOf: [{ type: "string" }] }).schema, { type: "string" });
  });

  test("maps type lists and nullable", () => {
    assert.deepEqual(sanitize({ type: ["string", "null"] }).schema, { type: ["string", "null"] });
    assert.deepEqual(sanitize({ type: "integer", nullable: true }).schema, { type: ["integer", "null"] });
    assert.deepEqual(sanitize({ type: ["object", "null"], properties: { a: { type: "boolean" } } }).schema, {
      oneOf: [{ type: "null" }, { type: "object", properties: { a: { type: "boolean" } } }],
    });
    assert.deepEqual(sanitize({ enum: ["a"], nullable: true }).schema, { enum: ["a", null] });
  });

  test("an object that declares nothing admits any keys; one with properties admits only those", () => {
    assert.deepEqual(sanitize({ type: "object" }).schema, { type: "object", properties: {}, additionalProperties: true });
    assert.deepEqual(sanitize({ type: "object", properties: { a: { type: "null" } }, additionalProperties: { type: "number" } }).schema, {
      type: "object",
      properties: { a: { type: "null" } },
      additionalProperties: { type: "number" },
    });
  });

  test("declares required properties that have no schema", () => {
    const { schema } = sanitize({ type: "object", required: ["free"] });
    assert.ok("properties" in schema && schema.properties !== undefined && "free" in schema.properties);
  });

  test("an empty schema means any JSON value", () => {
    const { schema } = sanitize({});
    assert.ok("oneOf" in schema && schema.oneOf.length === 3);
    assert.deepEqual(sanitize(true).schema, schema);
  });

  test("maps tuple forms to prefixItems, and items false to a fixed length", () => {
    assert.deepEqual(sanitize({ type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false }).schema, {
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
      maxItems: 2,
    });
    assert.deepEqual(sanitize({ type: "array", items: [{ type: "boolean" }], additionalItems: { type: "null" } }).schema, {
      type: "array",
      prefixItems: [{ type: "boolean" }],
      items: { type: "null" },
    });
  });

  test("rewrites references into definitions as $defs, converting only referenced ones", () => {
    const { schema } = sanitize({
      type: "object",
      properties: { node: { $ref: "#/definitions/Node" } },
      definitions: {
        Node: { type: "object", properties: { next: { anyOf: [{ $ref: "#/definitions/Node" }, { type: "null" }] } } },
        Unused: { type: "nonsense" },
      },
    });
    assert.deepEqual(schema, {
      oneOf: [{ type: "object", properties: { node: { $ref: "#/$defs/Node" } } }],
      $defs: { Node: { type: "object", properties: { next: { oneOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] } } } },
    });
  });

  test("refuses references that do not point into the root definitions", () => {
    assert.throws(() => sanitize({ $ref: "#/properties/x" }), rejectsWith("invalid_request", "response_format.json_schema.schema", /\$ref/));
    assert.throws(() => sanitize({ $ref: "#/$defs/Missing" }), rejectsWith("invalid_request", "response_format.json_schema.schema", /no definition/));
  });

  test("merges allOf of object schemas and unwraps a single branch", () => {
    assert.deepEqual(
      sanitize({
        allOf: [
          { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          { properties: { b: { type: "boolean" } } },
        ],
      }).schema,
      { type: "object", properties: { a: { type: "string" }, b: { type: "boolean" } } },
    );
    assert.deepEqual(sanitize({ description: "d", allOf: [{ type: "string" }] }).schema, { type: "string", description: "d" });
    assert.throws(() => sanitize({ allOf: [{ type: "string" }, { type: "number" }] }), rejectsWith("invalid_request", "response_format.json_schema.schema", /allOf/));
  });

  test("drops unenforceable constraints when lenient and reports them", () => {
    const { schema, dropped } = sanitize({ type: "object", properties: { n: { type: "number", minimum: 0 }, s: { type: "string", pattern: "^a" } } });
    assert.deepEqual(schema, { type: "object", properties: { n: { type: "number" }, s: { type: "string" } } });
    assert.deepEqual(dropped, ["/properties/n/minimum", "/properties/s/pattern"]);
  });

  test("refuses unenforceable constraints in strict mode, naming where they are", () => {
    assert.throws(
      () => sanitize({ type: "object", properties: { s: { type: "string", pattern: "^a" } } }, true),
      rejectsWith("invalid_request", "response_format.json_schema.schema", /\/properties\/s\/pattern/),
    );
  });

  test("refuses what would change the output's shape", () => {
    const param = "response_format.json_schema.schema";
    assert.throws(() => sanitize(false), rejectsWith("invalid_request", param, /accepts nothing/));
    assert.throws(() => sanitize({ const: { a: 1 } }), rejectsWith("invalid_request", param, /constants/));
    assert.throws(() => sanitize({ enum: [[1]] }), rejectsWith("invalid_request", param, /enum/));
    assert.throws(() => sanitize({ type: "object", anyOf: [{ required: ["a"] }] }), rejectsWith("invalid_request", param, /anyOf combined/));
    assert.throws(() => sanitize({ type: "string", frobnicate: true }), rejectsWith("invalid_request", param, /frobnicate/));
  });

  test("ignores vendor extensions and annotations", () => {
    assert.deepEqual(sanitize({ type: "boolean", "x-order": 1, default: true, examples: [false], $schema: "https://json-schema.org/draft/2020-12/schema" }).schema, {
      type: "boolean",
    });
  });
});

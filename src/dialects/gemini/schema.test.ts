import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { fromGeminiSchema } from "./schema.ts";

describe("fromGeminiSchema", () => {
  test("upper-case types, nested properties and items become JSON Schema", () => {
    assert.deepEqual(
      fromGeminiSchema({
        type: "OBJECT",
        description: "a person",
        properties: {
          name: { type: "STRING", format: "enum", enum: ["a", "b"] },
          tags: { type: "ARRAY", items: { type: "STRING" }, minItems: "1", maxItems: "5" },
          score: { type: "NUMBER", minimum: 0, maximum: 1 },
        },
        required: ["name"],
        propertyOrdering: ["name", "tags", "score"],
      }),
      {
        type: "object",
        description: "a person",
        properties: {
          name: { type: "string", format: "enum", enum: ["a", "b"] },
          tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5 },
          score: { type: "number", minimum: 0, maximum: 1 },
        },
        required: ["name"],
      },
    );
  });

  test("nullable becomes a null type, a null enum member or a null branch", () => {
    assert.deepEqual(fromGeminiSchema({ type: "INTEGER", nullable: true }), { type: ["integer", "null"] });
    assert.deepEqual(fromGeminiSchema({ type: "STRING", enum: ["x"], nullable: true }), { type: ["string", "null"], enum: ["x", null] });
    assert.deepEqual(fromGeminiSchema({ anyOf: [{ type: "STRING" }, { type: "BOOLEAN" }], nullable: true }), {
      anyOf: [{ type: "string" }, { type: "boolean" }, { type: "null" }],
    });
    assert.deepEqual(fromGeminiSchema({ type: "STRING", nullable: false }), { type: "string" });
  });

  test("lower-case types, TYPE_UNSPECIFIED, example and unknown keywords", () => {
    assert.deepEqual(fromGeminiSchema({ type: "object", title: "T", example: { a: 1 }, $defs: { x: { type: "string" } } }), {
      type: "object",
      title: "T",
      examples: [{ a: 1 }],
      $defs: { x: { type: "string" } },
    });
    assert.deepEqual(fromGeminiSchema({ type: "TYPE_UNSPECIFIED", description: "anything" }), { description: "anything" });
  });

  test("a type Gemini does not define is a 400 naming where", () => {
    assert.throws(
      () => fromGeminiSchema({ type: "OBJECT", properties: { when: { type: "DATE" } } }, "generationConfig.responseSchema"),
      (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request" && error.param === "generationConfig.responseSchema.properties.when.type",
    );
    assert.throws(() => fromGeminiSchema({ type: "ARRAY", items: [{ type: "STRING" }] }), (error: unknown) => HearthError.isInstance(error) && error.param === "schema.items");
    assert.throws(() => fromGeminiSchema({ type: "ARRAY", maxItems: "many" }), (error: unknown) => HearthError.isInstance(error) && error.param === "schema.maxItems");
  });
});

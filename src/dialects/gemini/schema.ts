import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema, JsonValue } from "../../spec/json-schema.ts";

/** Gemini's `Type` values (an OpenAPI 3.0 subset, upper case on the wire). */
const geminiTypes: Readonly<Record<string, string | undefined>> = {
  STRING: "string",
  NUMBER: "number",
  INTEGER: "integer",
  BOOLEAN: "boolean",
  ARRAY: "array",
  OBJECT: "object",
  NULL: "null",
  TYPE_UNSPECIFIED: undefined,
};

/** Keywords Gemini sends as int64, which proto JSON encodes as strings ("minItems": "1"). */
const integerKeywords = new Set(["minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"]);

/** Gemini-only keywords that have no JSON Schema meaning; strict validators downstream reject unknown ones. */
const droppedKeywords = new Set(["nullable", "propertyOrdering", "example"]);

function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function convertType(value: JsonValue, path: string): string | undefined {
  if (typeof value !== "string") throw new HearthError("invalid_request", `${path}.type must be a string.`, { param: `${path}.type` });
  const upper = value.toUpperCase();
  if (!(upper in geminiTypes)) throw new HearthError("invalid_request", `${path}.type '${value}' is not a Gemini schema type.`, { param: `${path}.type` });
  return geminiTypes[upper];
}

/**
 * Converts a Gemini `Schema` (tool `parameters`, `responseSchema`) into JSON Schema: upper-case
 * types become lower case, `nullable` becomes a `"null"` type, int64 strings become numbers and
 * `example` becomes `examples`. Keywords Gemini does not define are kept as they are, so a schema
 * that is already JSON Schema (the SDK forwards some keywords verbatim) survives unchanged.
 */
export function fromGeminiSchema(schema: { [key: string]: JsonValue }, path = "schema"): JsonSchema {
  const result: JsonSchema = {};
  let type: string | undefined;
  for (const [key, value] of Object.entries(schema)) {
    if (value === null) continue;
    if (key === "type") {
      type = convertType(value, path);
      if (type !== undefined) result.type = type;
    } else if (key === "properties") {
      if (!isObject(value)) throw new HearthError("invalid_request", `${path}.properties must be an object.`, { param: `${path}.properties` });
      const properties: JsonSchema = {};
      for (const [name, property] of Object.entries(value)) {
        if (!isObject(property)) throw new HearthError("invalid_request", `${path}.properties.${name} must be a schema object.`, { param: `${path}.properties.${name}` });
        properties[name] = fromGeminiSchema(property, `${path}.properties.${name}`);
      }
      result.properties = properties;
    } else if (key === "items") {
      if (!isObject(value)) throw new HearthError("invalid_request", `${path}.items must be a schema object.`, { param: `${path}.items` });
      result.items = fromGeminiSchema(value, `${path}.items`);
    } else if (key === "anyOf") {
      if (!Array.isArray(value)) throw new HearthError("invalid_request", `${path}.anyOf must be a list.`, { param: `${path}.anyOf` });
      result.anyOf = value.map((entry, index) => {
        if (!isObject(entry)) throw new HearthError("invalid_request", `${path}.anyOf[${index}] must be a schema object.`, { param: `${path}.anyOf[${index}]` });
        return fromGeminiSchema(entry, `${path}.anyOf[${index}]`);
      });
    } else if (integerKeywords.has(key) && typeof value === "string") {
      const number = Number(value);
      if (!Number.isInteger(number)) throw new HearthError("invalid_request", `${path}.${key} must be an integer.`, { param: `${path}.${key}` });
      result[key] = number;
    } else if (key === "example") {
      result.examples = [value];
    } else if (!droppedKeywords.has(key)) {
      result[key] = value;
    }
  }
  if (schema.nullable === true) {
    if (type !== undefined) result.type = [type, "null"];
    else if (Array.isArray(result.anyOf)) result.anyOf = [...result.anyOf, { type: "null" }];
    if (Array.isArray(result.enum) && !result.enum.includes(null)) result.enum = [...result.enum, null];
  }
  return result;
}

import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse, GbnfJsonSchema } from "node-llama-cpp";
import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema, JsonValue } from "../../spec/json-schema.ts";
import type { ChatMessage, ContentPart, ToolDefinition } from "../../spec/model.ts";

/**
 * Pure converters between the spec's types and node-llama-cpp's. Only types are imported from
 * node-llama-cpp, so these run (and are tested) without loading the native engine.
 */

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * Spec messages → node-llama-cpp chat history. An assistant's tool calls and the tool messages
 * answering them (paired by id) become one model item holding function-call entries with their
 * results, which is how node-llama-cpp's chat wrappers render a tool round trip; text the
 * assistant writes after the results continues that same model item.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  /** Calls still waiting for their tool message, by id. */
  const pending = new Map<string, ChatModelFunctionCall>();
  let previousRole: ChatMessage["role"] | undefined;

  const requireAnswered = (index: number): void => {
    if (pending.size === 0) return;
    const ids = [...pending.keys()].map((id) => JSON.stringify(id)).join(", ");
    throw new HearthError(
      "invalid_request",
      `messages[${index}]: the assistant's tool calls ${ids} have no tool message answering them; every tool call needs a "tool" message with its tool_call_id before the conversation continues.`,
      { param: "messages" },
    );
  };

  messages.forEach((message, index) => {
    switch (message.role) {
      case "system":
        requireAnswered(index);
        history.push({ type: "system", text: message.content });
        break;
      case "user":
        requireAnswered(index);
        history.push({ type: "user", text: userText(message.content, index) });
        break;
      case "assistant": {
        requireAnswered(index);
        // After tool results the assistant continues the same model turn.
        const last = history[history.length - 1];
        const continuing = previousRole === "tool" && last?.type === "model";
        const item: ChatModelResponse = continuing ? (last as ChatModelResponse) : { type: "model", response: [] };
        if (message.content !== null && message.content !== "") item.response.push(message.content);
        for (const call of message.toolCalls ?? []) {
          if (pending.has(call.id)) {
            throw new HearthError("invalid_request", `messages[${index}]: duplicate tool call id ${JSON.stringify(call.id)}.`, { param: "messages" });
          }
          const entry: ChatModelFunctionCall = {
            type: "functionCall",
            name: call.name,
            params: parseArguments(call.arguments),
            result: undefined,
          };
          item.response.push(entry);
          pending.set(call.id, entry);
        }
        if (!continuing) history.push(item);
        break;
      }
      case "tool": {
        const call = pending.get(message.toolCallId);
        if (call === undefined) {
          throw new HearthError(
            "invalid_request",
            `messages[${index}]: tool message answers tool_call_id ${JSON.stringify(message.toolCallId)}, which no earlier assistant message called (or was already answered).`,
            { param: "messages" },
          );
        }
        call.result = parseToolResult(typeof message.content === "string" ? message.content : textOfToolResult(message.content, index));
        pending.delete(message.toolCallId);
        break;
      }
    }
    previousRole = message.role;
  });
  requireAnswered(messages.length);
  return history;
}

/** The history LlamaChat actually renders: it always completes a (possibly empty) model turn. */
export function withOpenModelTurn(history: readonly ChatHistoryItem[]): ChatHistoryItem[] {
  const last = history[history.length - 1];
  if (last?.type === "model") return [...history];
  return [...history, { type: "model", response: [] }];
}

function userText(content: string | ContentPart[], index: number): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === "image") {
      throw new HearthError("unsupported", `messages[${index}]: image input is not supported by local models yet.`, { param: "messages" });
    }
    texts.push(part.text);
  }
  return texts.join("\n");
}

/** Arguments are JSON text from the client; keep the text when it is not valid JSON so nothing is lost. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Tool results are usually JSON text; structured results render better than a quoted string. */
function parseToolResult(content: string): unknown {
  const trimmed = content.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return content;
    }
  }
  return content;
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

/** Tool definitions → node-llama-cpp function declarations (no handlers: the client runs tools). */
export function toChatModelFunctions(tools: readonly ToolDefinition[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  tools.forEach((tool, index) => {
    if (Object.hasOwn(functions, tool.name)) {
      throw new HearthError("invalid_request", `tools[${index}]: duplicate tool name ${JSON.stringify(tool.name)}.`, { param: `tools[${index}].function.name` });
    }
    const params = sanitizeJsonSchema(tool.parameters, { param: `tools[${index}].function.parameters` }).schema;
    functions[tool.name] = tool.description === undefined ? { params } : { description: tool.description, params };
  });
  return functions;
}

/**
 * The schema a forced tool call is generated under: `{"name": <one tool>, "arguments": <its
 * parameters>}`, one alternative per allowed tool, so the name and the arguments always match.
 */
export function forcedToolCallSchema(functions: ChatModelFunctions, allowed: readonly string[]): GbnfJsonSchema {
  const alternatives: GbnfJsonSchema[] = allowed.map((name) => ({
    type: "object",
    properties: {
      name: { const: name },
      arguments: functions[name]?.params ?? { type: "object", properties: {} },
    },
  }));
  if (alternatives.length === 1) return alternatives[0] as GbnfJsonSchema;
  return { oneOf: alternatives };
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → the subset node-llama-cpp's grammar generator supports
// ---------------------------------------------------------------------------------------------

export interface SanitizeOptions {
  /** The request field the schema came from, used in error messages (OpenAI `error.param`). */
  param: string;
  /**
   * When true, value constraints the grammar cannot enforce (pattern, minimum, ...) are refused;
   * when false they are dropped (listed in `dropped`) and the output may violate them.
   */
  strict?: boolean | undefined;
}

export interface SanitizedSchema {
  schema: GbnfJsonSchema;
  /** Keywords that were dropped because the grammar cannot enforce them, as JSON pointers. */
  dropped: string[];
}

/** Keywords that only annotate; dropped silently. */
const annotationKeywords = new Set([
  "$schema",
  "$id",
  "$anchor",
  "$comment",
  "title",
  "default",
  "examples",
  "example",
  "deprecated",
  "readOnly",
  "writeOnly",
  "contentMediaType",
  "contentEncoding",
  "discriminator",
  "strict",
  "propertyOrdering",
]);

/** Value constraints the grammar cannot express: refused in strict mode, dropped otherwise. */
const unenforceableKeywords = new Set([
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "uniqueItems",
  "contains",
  "minContains",
  "maxContains",
  "not",
  "if",
  "then",
  "else",
  "patternProperties",
  "propertyNames",
  "dependentRequired",
  "dependentSchemas",
  "dependencies",
  "unevaluatedProperties",
  "unevaluatedItems",
]);

const handledKeywords = new Set([
  "type",
  "description",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "$ref",
  "$defs",
  "definitions",
  "nullable",
  "format",
  "minLength",
  "maxLength",
  "properties",
  "required",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "minItems",
  "maxItems",
]);

const basicTypes = new Set(["string", "number", "integer", "boolean", "null"]);
const supportedFormats = new Set(["date-time", "time", "date"]);

type JsonObject = { [key: string]: JsonValue };
type MutableSchema = { [key: string]: unknown };

/** Any JSON value: what an empty schema (`{}` or `true`) allows. */
function anySchema(): GbnfJsonSchema {
  return {
    oneOf: [
      { type: ["string", "number", "boolean", "null"] },
      { type: "object", additionalProperties: true },
      { type: "array" },
    ],
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Maps a client's JSON Schema onto node-llama-cpp's `GbnfJsonSchema`: types (also type lists),
 * properties/required/additionalProperties, items/prefixItems, enum, const, anyOf/oneOf,
 * single-branch or object-merging allOf, `nullable`, `$ref` into `$defs`/`definitions`, string
 * lengths and date formats. Annotations are dropped. Anything that would change the shape of the
 * output in a way the grammar cannot follow is refused with `invalid_request` naming the param.
 *
 * Note: the grammar always emits every declared property, so optional properties come out
 * present; the result still validates against the original schema.
 */
export function sanitizeJsonSchema(schema: JsonSchema | boolean, options: SanitizeOptions): SanitizedSchema {
  const strict = options.strict === true;
  const dropped: string[] = [];
  const rootDefs: Record<string, JsonValue> = {};
  if (isObject(schema)) {
    for (const key of ["definitions", "$defs"] as const) {
      const defs = schema[key];
      if (defs === undefined) continue;
      if (!isObject(defs)) fail(`/${key}`, `"${key}" must be an object`);
      Object.assign(rootDefs, defs);
    }
  }
  const usedDefs = new Map<string, GbnfJsonSchema | undefined>();

  function fail(pointer: string, reason: string): never {
    throw new HearthError("invalid_request", `Invalid schema for ${options.param} at ${pointer === "" ? "the root" : pointer}: ${reason}.`, {
      param: options.param,
    });
  }

  function convert(node: JsonValue | undefined, pointer: string): GbnfJsonSchema {
    if (node === true || node === undefined) return anySchema();
    if (node === false) fail(pointer, "the schema `false` accepts nothing, so no output could satisfy it");
    if (!isObject(node)) fail(pointer, "a schema must be an object or a boolean");

    for (const key of Object.keys(node)) {
      if (handledKeywords.has(key) || annotationKeywords.has(key) || key.startsWith("x-")) continue;
      if (unenforceableKeywords.has(key)) {
        if (strict) fail(`${pointer}/${escapePointer(key)}`, `"${key}" cannot be enforced while generating; remove it or set strict to false`);
        dropped.push(`${pointer}/${escapePointer(key)}`);
        continue;
      }
      fail(`${pointer}/${escapePointer(key)}`, `unsupported keyword "${key}"`);
    }

    const description = typeof node.description === "string" ? node.description : undefined;
    const withDescription = (result: GbnfJsonSchema): GbnfJsonSchema =>
      description === undefined ? result : ({ ...result, description } as GbnfJsonSchema);
    const nullable = node.nullable === true;
    const orNull = (result: GbnfJsonSchema): GbnfJsonSchema => (nullable ? { oneOf: [result, { type: "null" }] } : result);

    if (node.$ref !== undefined) {
      if (typeof node.$ref !== "string") fail(`${pointer}/$ref`, "$ref must be a string");
      const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(node.$ref);
      if (match === null) fail(`${pointer}/$ref`, `only references into the root "$defs" or "definitions" are supported, got ${JSON.stringify(node.$ref)}`);
      const name = decodePointerSegment(match[1] as string);
      if (!Object.hasOwn(rootDefs, name)) fail(`${pointer}/$ref`, `${JSON.stringify(node.$ref)} points to no definition`);
      if (!usedDefs.has(name)) usedDefs.set(name, undefined);
      return orNull(withDescription({ $ref: `#/$defs/${name}` } as GbnfJsonSchema));
    }

    if (node.allOf !== undefined) return orNull(convert(mergeAllOf(node, pointer), pointer));

    for (const key of ["anyOf", "oneOf"] as const) {
      const branches = node[key];
      if (branches === undefined) continue;
      if (!Array.isArray(branches) || branches.length === 0) fail(`${pointer}/${key}`, `${key} must be a non-empty array`);
      const structural = ["type", "properties", "items", "enum", "const", "anyOf", "oneOf"].filter((other) => other !== key && node[other] !== undefined);
      if (structural.length > 0) {
        fail(pointer, `${key} combined with ${structural.map((k) => `"${k}"`).join(", ")} is not supported; move those into each branch`);
      }
      const converted = branches.map((branch, index) => convert(branch, `${pointer}/${key}/${index}`));
      return orNull(withDescription(converted.length === 1 ? (converted[0] as GbnfJsonSchema) : { oneOf: converted }));
    }

    if (node.const !== undefined) {
      if (!isPrimitive(node.const)) fail(`${pointer}/const`, "only string, number, boolean or null constants are supported");
      return orNull(withDescription({ const: node.const }));
    }

    if (node.enum !== undefined) {
      if (!Array.isArray(node.enum) || node.enum.length === 0) fail(`${pointer}/enum`, "enum must be a non-empty array");
      if (!node.enum.every(isPrimitive)) fail(`${pointer}/enum`, "only string, number, boolean or null enum values are supported");
      const values = node.enum as Array<string | number | boolean | null>;
      return withDescription({ enum: nullable && !values.includes(null) ? [...values, null] : values });
    }

    let types: string[];
    if (node.type === undefined) {
      if (node.properties !== undefined || node.required !== undefined || node.additionalProperties !== undefined) types = ["object"];
      else if (node.items !== undefined || node.prefixItems !== undefined) types = ["array"];
      else if (node.minLength !== undefined || node.maxLength !== undefined || node.format !== undefined) types = ["string"];
      else return orNull(withDescription(anySchema()));
    } else if (typeof node.type === "string") {
      types = [node.type];
    } else if (Array.isArray(node.type) && node.type.length > 0 && node.type.every((type) => typeof type === "string")) {
      types = [...new Set(node.type as string[])];
    } else {
      fail(`${pointer}/type`, "type must be a string or a non-empty array of strings");
    }
    for (const type of types) {
      if (!basicTypes.has(type) && type !== "object" && type !== "array") fail(`${pointer}/type`, `unknown type ${JSON.stringify(type)}`);
    }
    if (nullable && !types.includes("null")) types.push("null");

    const simple = types.filter((type) => basicTypes.has(type) && !(type === "string" && hasStringConstraints(node)));
    const alternatives: GbnfJsonSchema[] = [];
    if (simple.length > 0) {
      alternatives.push({ type: simple.length === 1 ? (simple[0] as "string") : (simple as Array<"string">) });
    }
    for (const type of types) {
      if (type === "string" && hasStringConstraints(node)) alternatives.push(stringSchema(node, pointer));
      else if (type === "object") alternatives.push(objectSchema(node, pointer));
      else if (type === "array") alternatives.push(arraySchema(node, pointer));
    }
    return withDescription(alternatives.length === 1 ? (alternatives[0] as GbnfJsonSchema) : { oneOf: alternatives });
  }

  function hasStringConstraints(node: JsonObject): boolean {
    return node.minLength !== undefined || node.maxLength !== undefined || (typeof node.format === "string" && supportedFormats.has(node.format));
  }

  function stringSchema(node: JsonObject, pointer: string): GbnfJsonSchema {
    if (typeof node.format === "string" && supportedFormats.has(node.format)) {
      return { type: "string", format: node.format as "date-time" | "time" | "date" };
    }
    const result: MutableSchema = { type: "string" };
    for (const key of ["minLength", "maxLength"] as const) {
      const value = node[key];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) fail(`${pointer}/${key}`, `${key} must be a non-negative integer`);
      result[key] = value;
    }
    return result as GbnfJsonSchema;
  }

  function objectSchema(node: JsonObject, pointer: string): GbnfJsonSchema {
    const properties: Record<string, GbnfJsonSchema> = {};
    if (node.properties !== undefined) {
      if (!isObject(node.properties)) fail(`${pointer}/properties`, "properties must be an object");
      for (const [name, value] of Object.entries(node.properties)) {
        properties[name] = convert(value, `${pointer}/properties/${escapePointer(name)}`);
      }
    }
    if (node.required !== undefined) {
      if (!Array.isArray(node.required) || !node.required.every((name) => typeof name === "string")) {
        fail(`${pointer}/required`, "required must be an array of property names");
      }
      // A required name with no declared schema may hold any value; declare it so it is emitted.
      for (const name of node.required as string[]) {
        if (!Object.hasOwn(properties, name)) properties[name] = anySchema();
      }
    }
    const result: MutableSchema = { type: "object", properties };
    const additional = node.additionalProperties;
    if (additional === undefined) {
      // Undeclared keys are allowed by JSON Schema, but a grammar that invents them helps nobody;
      // only a schema that declares nothing gets free-form keys.
      if (Object.keys(properties).length === 0) result.additionalProperties = true;
    } else if (typeof additional === "boolean") {
      if (additional) result.additionalProperties = true;
    } else {
      result.additionalProperties = convert(additional, `${pointer}/additionalProperties`);
    }
    for (const key of ["minProperties", "maxProperties"] as const) {
      const value = node[key];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) fail(`${pointer}/${key}`, `${key} must be a non-negative integer`);
      result[key] = value;
    }
    return result as GbnfJsonSchema;
  }

  function arraySchema(node: JsonObject, pointer: string): GbnfJsonSchema {
    const result: MutableSchema = { type: "array" };
    let prefix: JsonValue[] | undefined;
    let rest: JsonValue | undefined;
    let restPointer = `${pointer}/items`;
    if (Array.isArray(node.items)) {
      // Draft 4–2019 tuple form: items is the prefix, additionalItems the rest.
      prefix = node.items;
      rest = node.additionalItems;
      restPointer = `${pointer}/additionalItems`;
    } else {
      if (node.prefixItems !== undefined) {
        if (!Array.isArray(node.prefixItems)) fail(`${pointer}/prefixItems`, "prefixItems must be an array");
        prefix = node.prefixItems;
      }
      rest = node.items;
    }
    if (prefix !== undefined) {
      const prefixPointer = Array.isArray(node.items) ? `${pointer}/items` : `${pointer}/prefixItems`;
      result.prefixItems = prefix.map((item, index) => convert(item, `${prefixPointer}/${index}`));
    }
    if (rest === false) {
      result.maxItems = prefix?.length ?? 0;
    } else if (rest !== undefined && rest !== true) {
      result.items = convert(rest, restPointer);
    }
    for (const key of ["minItems", "maxItems"] as const) {
      const value = node[key];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) fail(`${pointer}/${key}`, `${key} must be a non-negative integer`);
      result[key] = key === "maxItems" && typeof result.maxItems === "number" ? Math.min(result.maxItems, value) : value;
    }
    return result as GbnfJsonSchema;
  }

  /** `allOf` becomes one schema: a single branch merges with its siblings; several must all be objects. */
  function mergeAllOf(node: JsonObject, pointer: string): JsonObject {
    const branches = node.allOf;
    if (!Array.isArray(branches) || branches.length === 0) fail(`${pointer}/allOf`, "allOf must be a non-empty array");
    const { allOf: _ignored, ...siblings } = node;
    const parts: JsonObject[] = [siblings, ...branches.map((branch, index) => resolveForMerge(branch, `${pointer}/allOf/${index}`))];
    const nonEmpty = parts.filter((part) => Object.keys(part).some((key) => !annotationKeywords.has(key) && key !== "description"));
    if (nonEmpty.length <= 1) return { ...(nonEmpty[0] ?? {}), ...(siblings.description === undefined ? {} : { description: siblings.description }) };
    const merged: JsonObject = { type: "object" };
    const properties: JsonObject = {};
    const required = new Set<string>();
    for (const part of nonEmpty) {
      const keys = Object.keys(part).filter((key) => !annotationKeywords.has(key) && key !== "description");
      const objectLike = keys.every((key) => ["type", "properties", "required", "additionalProperties"].includes(key)) && (part.type === undefined || part.type === "object");
      if (!objectLike) fail(`${pointer}/allOf`, "allOf is supported only for one branch or for object schemas with properties and required");
      if (part.additionalProperties !== undefined && part.additionalProperties !== true) {
        fail(`${pointer}/allOf`, "additionalProperties inside allOf branches is not supported");
      }
      if (part.properties !== undefined) {
        if (!isObject(part.properties)) fail(`${pointer}/allOf`, "properties must be an object");
        for (const [name, value] of Object.entries(part.properties)) {
          if (Object.hasOwn(properties, name)) fail(`${pointer}/allOf`, `property ${JSON.stringify(name)} is declared in more than one branch`);
          properties[name] = value;
        }
      }
      if (Array.isArray(part.required)) for (const name of part.required) if (typeof name === "string") required.add(name);
    }
    merged.properties = properties;
    if (required.size > 0) merged.required = [...required];
    if (typeof siblings.description === "string") merged.description = siblings.description;
    return merged;
  }

  function resolveForMerge(branch: JsonValue, pointer: string): JsonObject {
    if (branch === true) return {};
    if (!isObject(branch)) fail(pointer, "allOf branches must be schema objects");
    if (typeof branch.$ref === "string") {
      const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(branch.$ref);
      const name = match === null ? undefined : decodePointerSegment(match[1] as string);
      const target = name === undefined ? undefined : rootDefs[name];
      if (!isObject(target)) fail(`${pointer}/$ref`, `cannot resolve ${JSON.stringify(branch.$ref)} inside allOf`);
      return target;
    }
    return branch;
  }

  let root: GbnfJsonSchema;
  if (isObject(schema)) {
    const { $defs: _defs, definitions: _definitions, ...rootNode } = schema;
    root = convert(rootNode, "");
  } else {
    root = convert(schema, "");
  }

  // Convert referenced definitions (which may reference further ones) until none is left.
  const defs: Record<string, GbnfJsonSchema> = {};
  for (;;) {
    const next = [...usedDefs.entries()].find(([, value]) => value === undefined);
    if (next === undefined) break;
    const [name] = next;
    const converted = convert(rootDefs[name], `/$defs/${escapePointer(name)}`);
    usedDefs.set(name, converted);
    defs[name] = converted;
  }
  if (Object.keys(defs).length > 0) {
    root = { oneOf: [root], $defs: defs } as GbnfJsonSchema;
  }
  return { schema: root, dropped };
}

function decodePointerSegment(segment: string): string {
  return decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~");
}

/**
 * Tells the model which tools it must choose from when a call is forced by grammar (the grammar
 * guarantees the shape; this gives the model a fair chance at sensible arguments). Added as a
 * system message after any leading system messages, as node-llama-cpp does for native calls.
 */
export function withForcedToolInstructions(history: readonly ChatHistoryItem[], tools: readonly ToolDefinition[]): ChatHistoryItem[] {
  const lines = [
    'Answer only with one JSON object of the form {"name": <tool name>, "arguments": <arguments object>} that calls one of these tools:',
    ...tools.map((tool) => {
      const description = tool.description === undefined || tool.description === "" ? "" : ` — ${tool.description}`;
      return `- ${tool.name}${description}; arguments follow this JSON Schema: ${JSON.stringify(tool.parameters)}`;
    }),
  ];
  const result = [...history];
  const firstNonSystem = result.findIndex((item) => item.type !== "system");
  result.splice(firstNonSystem < 0 ? result.length : firstNonSystem, 0, { type: "system", text: lines.join("\n") });
  return result;
}

function textOfToolResult(content: ContentPart[], index: number): string {
  if (content.some((part) => part.type !== "text")) {
    throw new HearthError("unsupported", `messages[${index}]: local models cannot read images in tool results.`, { param: "messages" });
  }
  return content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

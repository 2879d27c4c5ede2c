import { randomBytes } from "node:crypto";
import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema } from "../../spec/json-schema.ts";
import type {
  ChatMessage,
  ChatRequest,
  CollectedResult,
  ContentPart,
  FinishReason,
  Passthrough,
  ReasoningBlock,
  ResponseFormat,
  StreamPart,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from "../../spec/model.ts";
import { passthroughOf } from "./chat.ts";
import { paramPath, parseBody } from "./validate.ts";

// OpenAI's Responses API (`POST /v1/responses`), served statelessly: every request carries the
// whole conversation in `input`. Pure converters between that wire format and spec/, plus the
// writer for its typed SSE event sequence. docs/api/responses.md lists what is refused and why.

const jsonObject = z.record(z.string(), z.unknown());

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "function names use a-z, A-Z, 0-9, _ and -, at most 64 characters");

const textFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().min(1).max(64),
    schema: jsonObject,
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

const reasoningEfforts = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;

/**
 * The request body's top level. Items, content parts and tools are validated one by one
 * afterwards, so a built-in tool or an unsupported item type gets a message naming it rather
 * than zod's generic "invalid union".
 */
export const responsesBody = z.looseObject({
  model: z.string().min(1, "a model name is required"),
  input: z.union([z.string(), z.array(jsonObject).min(1, "at least one input item is required")], {
    error: (issue) => (issue.input === undefined ? "input is required: send the whole conversation (Hearth's /v1/responses is stateless)" : "expected a string or an array of input items"),
  }),
  instructions: z.string().nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string() })).nullable().optional(),
  tool_choice: z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })]).nullable().optional(),
  text: z
    .object({ format: textFormatSchema.nullable().optional(), verbosity: z.enum(["low", "medium", "high"]).nullable().optional() })
    .nullable()
    .optional(),
  reasoning: z
    .looseObject({
      effort: z.enum(reasoningEfforts).nullable().optional(),
      summary: z.string().nullable().optional(),
      generate_summary: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  user: z.string().nullable().optional(),
  safety_identifier: z.string().nullable().optional(),
  prompt_cache_key: z.string().nullable().optional(),
  service_tier: z.string().nullable().optional(),
  include: z.array(z.string()).nullable().optional(),
  truncation: z.enum(["auto", "disabled"]).nullable().optional(),
  /** Not an OpenAI field: a Hearth extension so local models can be made reproducible. */
  seed: z.number().int().nullable().optional(),
});

export type ResponsesBody = z.output<typeof responsesBody>;

/**
 * Every top-level field of OpenAI's ResponseCreateParams (plus Hearth's `seed`). Fields outside
 * this set are vendor extensions and travel verbatim as passthrough, as on /v1/chat/completions;
 * fields inside it are interpreted, refused, translated or deliberately ignored (see below).
 */
const responsesFields = new Set([
  "access_programs", "background", "context_management", "conversation", "image", "include", "input",
  "instructions", "max_output_tokens", "max_tool_calls", "metadata", "model", "moderation",
  "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options",
  "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier", "store", "stream",
  "stream_options", "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation",
  "user", "seed",
]);

/**
 * Responses fields with the same name and meaning in Chat Completions, the format an
 * OpenAI-compatible upstream speaks: forwarded so they reach it. The rest of the Responses-only
 * fields (`include`, `truncation`, `store`...) would make such an upstream answer 400.
 */
const forwardedFields = ["user", "safety_identifier", "prompt_cache_key", "service_tier"] as const;

/** The request fields a `response` object echoes back, with the defaults Hearth applied. */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null };
  /** null: the model's own default applies (Hearth's defaults differ per model). */
  temperature: number | null;
  text: { format: Record<string, unknown>; verbosity?: string | undefined };
  tool_choice: unknown;
  tools: Array<Record<string, unknown>>;
  top_logprobs: number;
  top_p: number | null;
  metadata: Record<string, string>;
  user?: string | undefined;
}

export interface ParsedResponsesRequest {
  request: ChatRequest;
  stream: boolean;
  echo: ResponseEcho;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates one nested value; `path` places the error in the client's own naming (`input[2].content[0]`). */
function parseAt<Schema extends z.ZodType>(schema: Schema, value: unknown, path: readonly PropertyKey[]): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = paramPath([...path, ...(issue?.path ?? [])]);
  throw new HearthError("invalid_request", `Invalid value for '${param}': ${issue?.message ?? "invalid value"}`, { param });
}

const stateless = "Hearth's /v1/responses is stateless: send the whole conversation in input.";

/** Fields that need state or services Hearth does not have; refused before anything else is read. */
function refuseStatefulFields(body: Record<string, unknown>): void {
  const present = (key: string) => body[key] !== undefined && body[key] !== null;
  if (present("previous_response_id")) {
    throw new HearthError("unsupported", `previous_response_id is not supported. ${stateless}`, { param: "previous_response_id" });
  }
  if (present("conversation")) {
    throw new HearthError("unsupported", `conversation is not supported. ${stateless}`, { param: "conversation" });
  }
  if (body.background === true) {
    throw new HearthError("unsupported", "background responses are not supported: Hearth stores no responses to poll. Stream the response instead.", { param: "background" });
  }
  if (present("prompt")) {
    throw new HearthError("unsupported", "Stored prompt templates (prompt) are not supported; send the text in instructions and input.", { param: "prompt" });
  }
  if (present("moderation")) {
    throw new HearthError("unsupported", "moderation is not supported: Hearth does not moderate input or output.", { param: "moderation" });
  }
}

// ---- input items ---------------------------------------------------------------------------

const textPartSchema = z.object({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const refusalPartSchema = z.object({ type: z.literal("refusal"), refusal: z.string() });
const imagePartSchema = z.object({
  type: z.literal("input_image"),
  image_url: z.string().min(1).nullable().optional(),
  file_id: z.string().nullable().optional(),
  detail: z.string().nullable().optional(),
});

const messageItemSchema = z.object({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(jsonObject)]),
});

const functionCallItemSchema = z.object({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

const functionCallOutputItemSchema = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1, "call_id is required"),
  output: z.union([z.string(), z.array(jsonObject)]),
});

const reasoningItemSchema = z.object({
  type: z.literal("reasoning"),
  summary: z.array(z.object({ type: z.literal("summary_text"), text: z.string() })).nullable().optional(),
  content: z.array(z.object({ type: z.literal("reasoning_text"), text: z.string() })).nullable().optional(),
  encrypted_content: z.string().nullable().optional(),
});

/** Reads content parts; `allowImages` is false where the spec has no place for an image. */
function contentParts(parts: ReadonlyArray<Record<string, unknown>>, path: readonly PropertyKey[], allowImages: boolean): ContentPart[] {
  return parts.map((part, index) => {
    const at = [...path, index];
    const type = part.type;
    switch (type) {
      case "input_text":
      case "output_text":
        return { type: "text", text: parseAt(textPartSchema, part, at).text };
      case "refusal":
        return { type: "text", text: parseAt(refusalPartSchema, part, at).refusal };
      case "input_image": {
        const image = parseAt(imagePartSchema, part, at);
        if (!allowImages) {
          throw new HearthError("invalid_request", "Images are accepted only in user messages and function_call_output.", { param: paramPath(at) });
        }
        if (image.image_url === undefined || image.image_url === null) {
          const message = image.file_id ? "input_image with file_id is not supported: Hearth has no Files API. Send image_url (an http(s) or data: URL)." : "input_image needs image_url (an http(s) or data: URL).";
          throw new HearthError(image.file_id ? "unsupported" : "invalid_request", message, { param: paramPath([...at, "image_url"]) });
        }
        return { type: "image", url: image.image_url };
      }
      case "input_file":
        throw new HearthError("unsupported", "input_file parts are not supported: Hearth has no Files API and does not parse documents. Send the text as input_text.", { param: paramPath([...at, "type"]) });
      case "input_audio":
        throw new HearthError("unsupported", "input_audio parts are not supported.", { param: paramPath([...at, "type"]) });
      default:
        throw new HearthError("unsupported", `Content parts of type '${String(type)}' are not supported.`, { param: paramPath([...at, "type"]) });
    }
  });
}

function onlyText(parts: readonly ContentPart[], path: readonly PropertyKey[]): string {
  return parts
    .map((part, index) => {
      if (part.type !== "text") throw new HearthError("invalid_request", "Only text is accepted here.", { param: paramPath([...path, index]) });
      return part.text;
    })
    .join("");
}

/** The assistant message that output items (reasoning, message, function_call) of one turn fold into. */
function openAssistant(messages: ChatMessage[], accepts: "reasoning" | "text" | "call"): Extract<ChatMessage, { role: "assistant" }> {
  const last = messages.at(-1);
  if (last?.role === "assistant") {
    const hasCalls = (last.toolCalls?.length ?? 0) > 0;
    // Output order within a turn is reasoning → message → function calls; anything that goes
    // back up that order starts a new assistant message.
    if (accepts === "call") return last;
    if (accepts === "text" && !hasCalls) return last;
    if (accepts === "reasoning" && !hasCalls && last.content === null) return last;
  }
  const created: Extract<ChatMessage, { role: "assistant" }> = { role: "assistant", content: null };
  messages.push(created);
  return created;
}

function toReasoningBlock(item: z.output<typeof reasoningItemSchema>): ReasoningBlock | undefined {
  const content = item.content ?? [];
  const encrypted = item.encrypted_content ?? undefined;
  if (content.length > 0) return { type: "reasoning", text: content.map((part) => part.text).join(""), signature: encrypted };
  // No readable text but an opaque blob: Hearth writes redacted reasoning this way.
  if (encrypted !== undefined) return { type: "redacted-reasoning", data: encrypted };
  const summary = (item.summary ?? []).map((part) => part.text).join("\n\n");
  return summary === "" ? undefined : { type: "reasoning", text: summary };
}

function toMessages(input: string | ReadonlyArray<Record<string, unknown>>, instructions: string | null | undefined): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== undefined && instructions !== null && instructions !== "") messages.push({ role: "system", content: instructions });
  if (typeof input === "string") {
    messages.push({ role: "user", content: input });
    return messages;
  }
  input.forEach((item, index) => {
    const at = ["input", index];
    const type = item.type ?? ("role" in item ? "message" : undefined);
    switch (type) {
      case "message": {
        const message = parseAt(messageItemSchema, item, at);
        const contentAt = [...at, "content"];
        const parts = typeof message.content === "string" ? undefined : contentParts(message.content, contentAt, message.role === "user");
        if (message.role === "user") {
          messages.push({ role: "user", content: parts ?? (message.content as string) });
        } else if (message.role === "assistant") {
          const text = parts === undefined ? (message.content as string) : onlyText(parts, contentAt);
          const assistant = openAssistant(messages, "text");
          assistant.content = (assistant.content ?? "") + text;
        } else {
          messages.push({ role: "system", content: parts === undefined ? (message.content as string) : onlyText(parts, contentAt) });
        }
        break;
      }
      case "function_call": {
        const call = parseAt(functionCallItemSchema, item, at);
        const assistant = openAssistant(messages, "call");
        (assistant.toolCalls ??= []).push({ id: call.call_id, name: call.name, arguments: call.arguments });
        break;
      }
      case "function_call_output": {
        const output = parseAt(functionCallOutputItemSchema, item, at);
        let content: string | ContentPart[];
        if (typeof output.output === "string") content = output.output;
        else {
          const parts = contentParts(output.output, [...at, "output"], true);
          content = parts.every((part) => part.type === "text") ? parts.map((part) => (part as { text: string }).text).join("") : parts;
        }
        messages.push({ role: "tool", toolCallId: output.call_id, content });
        break;
      }
      case "reasoning": {
        const block = toReasoningBlock(parseAt(reasoningItemSchema, item, at));
        if (block !== undefined) (openAssistant(messages, "reasoning").reasoning ??= []).push(block);
        break;
      }
      case "item_reference":
        throw new HearthError("unsupported", `item_reference is not supported. ${stateless}`, { param: paramPath([...at, "type"]) });
      default:
        throw new HearthError(
          "unsupported",
          `Input items of type '${String(type)}' are not supported: Hearth accepts message, function_call, function_call_output and reasoning items (built-in tools run only on OpenAI's servers).`,
          { param: paramPath([...at, "type"]) },
        );
    }
  });
  return messages;
}

// ---- tools ---------------------------------------------------------------------------------

const functionToolSchema = z.object({
  type: z.literal("function"),
  name: functionName,
  description: z.string().nullable().optional(),
  parameters: jsonObject.nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

function unsupportedTool(type: string, param: string): HearthError {
  return new HearthError(
    "unsupported",
    `Tools of type '${type}' are not supported: Hearth's /v1/responses serves function tools only (built-in tools such as web_search and file_search run on OpenAI's servers).`,
    { param },
  );
}

function toTools(tools: ReadonlyArray<Record<string, unknown>>): { definitions: ToolDefinition[]; echo: Array<Record<string, unknown>> } {
  const definitions: ToolDefinition[] = [];
  const echo: Array<Record<string, unknown>> = [];
  tools.forEach((raw, index) => {
    if (raw.type !== "function") throw unsupportedTool(String(raw.type), `tools[${index}].type`);
    const tool = parseAt(functionToolSchema, raw, ["tools", index]);
    definitions.push({
      name: tool.name,
      description: tool.description ?? undefined,
      parameters: (tool.parameters ?? { type: "object", properties: {} }) as JsonSchema,
    });
    echo.push({ type: "function", name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? null });
  });
  if (new Set(definitions.map((tool) => tool.name)).size !== definitions.length) {
    throw new HearthError("invalid_request", "Tool names must be unique.", { param: "tools" });
  }
  return { definitions, echo };
}

const functionChoiceSchema = z.object({ type: z.literal("function"), name: z.string().min(1) });
const allowedToolsSchema = z.object({
  type: z.literal("allowed_tools"),
  mode: z.enum(["auto", "required"]),
  tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })).min(1),
});

/**
 * Maps `tool_choice`. `allowed_tools` is honoured by narrowing the tool list to the allowed
 * functions, which is exactly the constraint it expresses.
 */
function toToolChoice(
  choice: ResponsesBody["tool_choice"],
  tools: ToolDefinition[],
): { toolChoice: ToolChoice | undefined; tools: ToolDefinition[] } {
  const names = new Set(tools.map((tool) => tool.name));
  if (choice === undefined || choice === null) return { toolChoice: undefined, tools };
  let toolChoice: ToolChoice;
  let narrowed = tools;
  if (typeof choice === "string") toolChoice = choice;
  else if (choice.type === "function") {
    const { name } = parseAt(functionChoiceSchema, choice, ["tool_choice"]);
    if (!names.has(name)) throw new HearthError("invalid_request", `tool_choice names '${name}', which is not in tools.`, { param: "tool_choice.name" });
    toolChoice = { name };
  } else if (choice.type === "allowed_tools") {
    const allowed = parseAt(allowedToolsSchema, choice, ["tool_choice"]);
    const allowedNames = new Set<string>();
    allowed.tools.forEach((tool, index) => {
      if (tool.type !== "function") throw unsupportedTool(tool.type, `tool_choice.tools[${index}].type`);
      if (tool.name === undefined || !names.has(tool.name)) {
        throw new HearthError("invalid_request", `tool_choice.tools[${index}] names '${tool.name ?? ""}', which is not in tools.`, { param: `tool_choice.tools[${index}].name` });
      }
      allowedNames.add(tool.name);
    });
    narrowed = tools.filter((tool) => allowedNames.has(tool.name));
    toolChoice = allowed.mode;
  } else {
    throw new HearthError("unsupported", `tool_choice of type '${choice.type}' is not supported: Hearth serves function tools only.`, { param: "tool_choice.type" });
  }
  if (toolChoice !== "none" && toolChoice !== "auto" && narrowed.length === 0) {
    throw new HearthError("invalid_request", "tool_choice requires tools.", { param: "tool_choice" });
  }
  return { toolChoice, tools: narrowed };
}

// ---- the request ---------------------------------------------------------------------------

function toResponseFormat(format: z.output<typeof textFormatSchema> | null | undefined): ResponseFormat | undefined {
  if (format === undefined || format === null) return undefined;
  if (format.type !== "json_schema") return format;
  return { type: "json_schema", name: format.name, schema: format.schema as JsonSchema, strict: format.strict ?? undefined };
}

function toReasoning(effort: (typeof reasoningEfforts)[number] | null | undefined): ChatRequest["reasoning"] {
  switch (effort) {
    case undefined:
    case null:
    case "none":
      return undefined;
    // Above "high" the spec has no level; the highest one it names is the closest honest answer.
    case "xhigh":
    case "max":
      return { effort: "high" };
    default:
      return { effort };
  }
}

/**
 * What reaches the provider untouched: vendor extensions (fields outside the Responses API),
 * the Responses fields Chat Completions shares, and the translations of `text.verbosity` and
 * log-probability requests into Chat Completions naming.
 */
function toPassthrough(parsed: ResponsesBody): Passthrough | undefined {
  const fields: Record<string, unknown> = { ...passthroughOf(parsed as Record<string, unknown>, responsesFields)?.fields };
  for (const key of forwardedFields) {
    const value = parsed[key];
    if (value !== undefined && value !== null) fields[key] = value;
  }
  if (parsed.text?.verbosity !== undefined && parsed.text.verbosity !== null) fields.verbosity = parsed.text.verbosity;
  const topLogprobs = parsed.top_logprobs ?? 0;
  if (topLogprobs > 0 || parsed.include?.includes("message.output_text.logprobs") === true) {
    fields.logprobs = true;
    if (topLogprobs > 0) fields.top_logprobs = topLogprobs;
  }
  return Object.keys(fields).length === 0 ? undefined : { format: "openai", fields };
}

/**
 * Converts a Responses API body into Hearth's ChatRequest (pure; throws HearthError 400s).
 * Accepted but without effect: `store` (nothing is ever stored; refusing `store: true`, OpenAI's
 * default, would break every client), `truncation` (an over-long input fails instead of being
 * cut), `include`, `stream_options`, `max_tool_calls`, `reasoning.summary`, prompt-cache tuning.
 */
export function fromResponsesBody(body: unknown): ParsedResponsesRequest {
  if (isRecord(body)) refuseStatefulFields(body);
  const parsed = parseBody(responsesBody, body);
  const messages = toMessages(parsed.input, parsed.instructions);
  const converted = toTools(parsed.tools ?? []);
  const { toolChoice, tools } = toToolChoice(parsed.tool_choice, converted.definitions);
  const format = parsed.text?.format ?? undefined;
  const request: ChatRequest = {
    model: parsed.model,
    messages,
    maxTokens: parsed.max_output_tokens ?? undefined,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    seed: parsed.seed ?? undefined,
    tools: tools.length > 0 ? tools : undefined,
    toolChoice,
    parallelToolCalls: parsed.parallel_tool_calls ?? undefined,
    responseFormat: toResponseFormat(format),
    reasoning: toReasoning(parsed.reasoning?.effort),
    passthrough: toPassthrough(parsed),
  };
  const echo: ResponseEcho = {
    instructions: parsed.instructions ?? null,
    max_output_tokens: parsed.max_output_tokens ?? null,
    parallel_tool_calls: parsed.parallel_tool_calls ?? true,
    reasoning: { effort: parsed.reasoning?.effort ?? null, summary: parsed.reasoning?.summary ?? null },
    temperature: parsed.temperature ?? null,
    text: {
      format: format ?? { type: "text" },
      ...(parsed.text?.verbosity !== undefined && parsed.text.verbosity !== null ? { verbosity: parsed.text.verbosity } : {}),
    },
    tool_choice: parsed.tool_choice ?? "auto",
    tools: converted.echo,
    top_logprobs: parsed.top_logprobs ?? 0,
    top_p: parsed.top_p ?? null,
    metadata: parsed.metadata ?? {},
    user: parsed.user ?? undefined,
  };
  return { request, stream: parsed.stream === true, echo };
}

// ---- the response --------------------------------------------------------------------------

export interface ResponsesIdentity {
  /** `resp_…` */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model name the client asked for. */
  model: string;
  /** Makes output item ids (`msg_`, `fc_`, `rs_` prefixes); random by default, fixed in tests. */
  itemId?: ((prefix: string) => string) | undefined;
}

function randomItemId(prefix: string): string {
  return prefix + randomBytes(24).toString("hex");
}

type ItemStatus = "in_progress" | "completed" | "incomplete";
type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

function outputText(text: string, logprobs: readonly unknown[] = []) {
  return { type: "output_text" as const, annotations: [] as unknown[], logprobs: [...logprobs], text };
}

function messageItem(id: string, status: ItemStatus, content: ReturnType<typeof outputText>[]) {
  return { id, type: "message" as const, status, role: "assistant" as const, content };
}

function functionCallItem(id: string, call: ToolCall, status: ItemStatus, callArguments = call.arguments) {
  return { id, type: "function_call" as const, status, arguments: callArguments, call_id: call.id, name: call.name };
}

/**
 * A reasoning item. Hearth's reasoning is the model's own thinking, so it goes in `content` as
 * `reasoning_text` (not `summary`); a signature (Anthropic) or a redacted block's data travels
 * in `encrypted_content` so a client that sends the item back hands it to the provider unchanged.
 */
function reasoningItem(id: string, block: ReasoningBlock | { type: "open"; text: string }) {
  if (block.type === "redacted-reasoning") return { id, type: "reasoning" as const, summary: [] as unknown[], encrypted_content: block.data };
  const item = { id, type: "reasoning" as const, summary: [] as unknown[], content: [{ type: "reasoning_text" as const, text: block.text }] };
  return block.type === "reasoning" && block.signature !== undefined ? { ...item, encrypted_content: block.signature } : item;
}

type OutputItem = ReturnType<typeof messageItem> | ReturnType<typeof functionCallItem> | ReturnType<typeof reasoningItem>;

/** OpenAI's `ResponseError.code` vocabulary is small; Hearth's own code stays in the `error` event. */
function responseErrorCode(error: HearthError): string {
  switch (error.code) {
    case "rate_limited":
      return "rate_limit_exceeded";
    case "invalid_request":
    case "invalid_json":
    case "context_length_exceeded":
    case "unsupported":
    case "policy_blocked":
    case "review_denied":
      return "invalid_prompt";
    default:
      return "server_error";
  }
}

export function toResponsesUsage(usage: Usage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cacheReadTokens ?? 0,
      ...(usage.cacheWriteTokens !== undefined ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

function statusOf(reason: FinishReason): { status: ResponseStatus; incomplete?: "max_output_tokens" | "content_filter" } {
  switch (reason) {
    case "length":
      return { status: "incomplete", incomplete: "max_output_tokens" };
    case "content_filter":
      return { status: "incomplete", incomplete: "content_filter" };
    case "error":
      return { status: "failed" };
    default:
      return { status: "completed" };
  }
}

const finishedWithError = new HearthError("upstream_error", "The model ended its answer with an error.");

interface Outcome {
  status: ResponseStatus;
  output: readonly OutputItem[];
  usage?: Usage | undefined;
  incomplete?: "max_output_tokens" | "content_filter" | undefined;
  error?: HearthError | undefined;
}

/** The `response` object, in the field order the real API uses; `output_text` is left to SDKs. */
function responseObject(identity: ResponsesIdentity, echo: ResponseEcho, outcome: Outcome) {
  return {
    id: identity.id,
    object: "response" as const,
    created_at: identity.createdAt,
    status: outcome.status,
    background: false,
    completed_at: outcome.status === "completed" ? Math.floor(Date.now() / 1000) : null,
    error: outcome.error === undefined ? null : { code: responseErrorCode(outcome.error), message: outcome.error.message, type: outcome.error.type },
    incomplete_details: outcome.incomplete === undefined ? null : { reason: outcome.incomplete },
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    max_tool_calls: null,
    model: identity.model,
    output: outcome.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: null,
    reasoning: echo.reasoning,
    // Hearth stores nothing, whatever the request said.
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_logprobs: echo.top_logprobs,
    top_p: echo.top_p,
    truncation: "disabled" as const,
    usage: outcome.usage === undefined ? null : toResponsesUsage(outcome.usage),
    ...(echo.user !== undefined ? { user: echo.user } : {}),
    metadata: echo.metadata,
  };
}

/** The non-streaming `response` object for a collected generation. */
export function toResponseObject(identity: ResponsesIdentity, result: CollectedResult, echo: ResponseEcho) {
  const itemId = identity.itemId ?? randomItemId;
  const { status, incomplete } = statusOf(result.finishReason);
  const output: OutputItem[] = result.reasoning.map((block) => reasoningItem(itemId("rs_"), block));
  if (!(result.text === "" && result.toolCalls.length > 0)) {
    const messageStatus = status === "incomplete" && result.toolCalls.length === 0 ? "incomplete" : "completed";
    output.push(messageItem(itemId("msg_"), messageStatus, [outputText(result.text, result.logprobs)]));
  }
  for (const call of result.toolCalls) output.push(functionCallItem(itemId("fc_"), call, "completed"));
  return responseObject(identity, echo, {
    status,
    output,
    usage: result.usage,
    incomplete,
    error: status === "failed" ? finishedWithError : undefined,
  });
}

/** One Responses streaming event: its `type` is also the SSE `event:` name. */
export interface ResponsesEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

type OpenItem =
  | { kind: "message"; id: string; index: number; text: string; logprobs: unknown[] }
  | { kind: "reasoning"; id: string; index: number; text: string };

/**
 * Turns stream parts into the Responses event sequence: `response.created`,
 * `response.in_progress`, then per output item `output_item.added` → its content events →
 * `output_item.done`, and finally `response.completed` / `response.incomplete` carrying the whole
 * response. Every event has a `sequence_number` counting up from 0. A failure after the first
 * byte ends with `response.failed` and then an `error` event, which makes the OpenAI SDK throw.
 */
export class ResponsesStreamWriter {
  readonly #identity: ResponsesIdentity;
  readonly #echo: ResponseEcho;
  readonly #itemId: (prefix: string) => string;
  readonly #output: OutputItem[] = [];
  #sequence = 0;
  #open: OpenItem | undefined;
  #answered = false;
  #ended = false;

  constructor(identity: ResponsesIdentity, echo: ResponseEcho) {
    this.#identity = identity;
    this.#echo = echo;
    this.#itemId = identity.itemId ?? randomItemId;
  }

  #event(type: string, fields: Record<string, unknown>): ResponsesEvent {
    return { type, sequence_number: this.#sequence++, ...fields };
  }

  #response(outcome: Outcome) {
    return responseObject(this.#identity, this.#echo, outcome);
  }

  start(): ResponsesEvent[] {
    const response = this.#response({ status: "in_progress", output: [] });
    return [this.#event("response.created", { response }), this.#event("response.in_progress", { response })];
  }

  /** The open item as it stands, for `output_item.done` or a failed response's output. */
  #snapshot(open: OpenItem, status: ItemStatus): OutputItem {
    if (open.kind === "message") return messageItem(open.id, status, [outputText(open.text, open.logprobs)]);
    return reasoningItem(open.id, { type: "open", text: open.text });
  }

  #add(item: OutputItem): ResponsesEvent[] {
    const index = this.#output.length;
    this.#output.push(item);
    return [this.#event("response.output_item.added", { output_index: index, item })];
  }

  #openMessage(): ResponsesEvent[] {
    const id = this.#itemId("msg_");
    const events = this.#add(messageItem(id, "in_progress", []));
    const index = this.#output.length - 1;
    this.#open = { kind: "message", id, index, text: "", logprobs: [] };
    this.#answered = true;
    events.push(this.#event("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part: outputText("") }));
    return events;
  }

  #openReasoning(): ResponsesEvent[] {
    const id = this.#itemId("rs_");
    const events = this.#add({ id, type: "reasoning", summary: [], content: [] });
    const index = this.#output.length - 1;
    this.#open = { kind: "reasoning", id, index, text: "" };
    events.push(this.#event("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part: { type: "reasoning_text", text: "" } }));
    return events;
  }

  /** Ends the open item: its `.done` events, then `output_item.done` with the final item. */
  #close(status: ItemStatus = "completed", signature?: string): ResponsesEvent[] {
    const open = this.#open;
    if (open === undefined) return [];
    this.#open = undefined;
    const where = { item_id: open.id, output_index: open.index, content_index: 0 };
    const events: ResponsesEvent[] = [];
    let item: OutputItem;
    if (open.kind === "message") {
      const part = outputText(open.text, open.logprobs);
      events.push(this.#event("response.output_text.done", { ...where, text: open.text, logprobs: part.logprobs }));
      events.push(this.#event("response.content_part.done", { ...where, part }));
      item = messageItem(open.id, status, [part]);
    } else {
      events.push(this.#event("response.reasoning_text.done", { ...where, text: open.text }));
      events.push(this.#event("response.content_part.done", { ...where, part: { type: "reasoning_text", text: open.text } }));
      item = reasoningItem(open.id, { type: "reasoning", text: open.text, signature });
    }
    this.#output[open.index] = item;
    events.push(this.#event("response.output_item.done", { output_index: open.index, item }));
    return events;
  }

  /** A whole item that has no deltas (a function call, redacted reasoning): added, then done. */
  #whole(item: OutputItem, pending: OutputItem, deltas: (index: number) => ResponsesEvent[]): ResponsesEvent[] {
    const events = this.#close();
    events.push(...this.#add(pending));
    const index = this.#output.length - 1;
    events.push(...deltas(index));
    this.#output[index] = item;
    events.push(this.#event("response.output_item.done", { output_index: index, item }));
    return events;
  }

  /** The events one stream part becomes. Parts of other choices (OpenAI `n`) cannot be asked for here and are dropped. */
  part(part: StreamPart): ResponsesEvent[] {
    if (this.#ended) return [];
    switch (part.type) {
      case "text-delta": {
        if ((part.choice ?? 0) !== 0 || part.text === "") return [];
        const events = this.#open?.kind === "message" ? [] : [...this.#close(), ...this.#openMessage()];
        const open = this.#open as Extract<OpenItem, { kind: "message" }>;
        open.text += part.text;
        if (part.logprobs !== undefined) open.logprobs.push(...part.logprobs);
        events.push(this.#event("response.output_text.delta", { item_id: open.id, output_index: open.index, content_index: 0, delta: part.text, logprobs: part.logprobs ?? [] }));
        return events;
      }
      case "tool-call": {
        if ((part.choice ?? 0) !== 0) return [];
        this.#answered = true;
        const call = part.toolCall;
        const id = this.#itemId("fc_");
        return this.#whole(functionCallItem(id, call, "completed"), functionCallItem(id, call, "in_progress", ""), (index) => {
          const where = { item_id: id, output_index: index };
          const deltas: ResponsesEvent[] = [];
          if (call.arguments !== "") deltas.push(this.#event("response.function_call_arguments.delta", { ...where, delta: call.arguments }));
          deltas.push(this.#event("response.function_call_arguments.done", { ...where, arguments: call.arguments }));
          return deltas;
        });
      }
      case "reasoning-delta": {
        if (part.text === "") return [];
        const events = this.#open?.kind === "reasoning" ? [] : [...this.#close(), ...this.#openReasoning()];
        const open = this.#open as Extract<OpenItem, { kind: "reasoning" }>;
        open.text += part.text;
        events.push(this.#event("response.reasoning_text.delta", { item_id: open.id, output_index: open.index, content_index: 0, delta: part.text }));
        return events;
      }
      case "reasoning-end": {
        if (this.#open?.kind === "reasoning") return this.#close("completed", part.signature);
        // A block that had no text (as collect() reads it): still worth its signature.
        if (part.signature === undefined) return [];
        return [...this.#close(), ...this.#openReasoning(), ...this.#close("completed", part.signature)];
      }
      case "reasoning-redacted": {
        const id = this.#itemId("rs_");
        const item = reasoningItem(id, { type: "redacted-reasoning", data: part.data });
        return this.#whole(item, item, () => []);
      }
      case "finish":
        return this.#finish(part.finishReason, part.usage);
    }
  }

  #finish(reason: FinishReason, usage: Usage): ResponsesEvent[] {
    this.#ended = true;
    const { status, incomplete } = statusOf(reason);
    const events = this.#close(status === "completed" ? "completed" : "incomplete");
    // The same output the non-streaming answer has: an assistant message, even an empty one,
    // unless function calls took its place.
    if (!this.#answered) events.push(...this.#openMessage(), ...this.#close(status === "completed" ? "completed" : "incomplete"));
    const error = status === "failed" ? finishedWithError : undefined;
    const response = this.#response({ status, output: [...this.#output], usage, incomplete, error });
    const type = status === "completed" ? "response.completed" : status === "incomplete" ? "response.incomplete" : "response.failed";
    events.push(this.#event(type, { response }));
    if (error !== undefined) events.push(this.#errorEvent(error));
    return events;
  }

  #errorEvent(error: HearthError): ResponsesEvent {
    return this.#event("error", { code: error.code, message: error.message, param: error.param ?? null });
  }

  /**
   * The events that end a stream broken after its first byte: `response.failed` (with the
   * output so far, the unfinished item marked incomplete), then `error`. The OpenAI SDK raises
   * on the `error` event, so its clients see an exception, never a clean end.
   */
  fail(error: HearthError): ResponsesEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const output = [...this.#output];
    if (this.#open !== undefined) output[this.#open.index] = this.#snapshot(this.#open, "incomplete");
    this.#open = undefined;
    const response = this.#response({ status: "failed", output, error });
    return [this.#event("response.failed", { response }), this.#errorEvent(error)];
  }
}

import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answer, countTokens, pieces, type BrainAnswer, type BrainRequest, type BrainTool } from "./brain.ts";
import type { MockFault, MockVendor, MockVendorOptions, RecordedRequest } from "./types.ts";

/**
 * A loopback stand-in for Anthropic's Messages API (`POST /v1/messages`, `POST
 * /v1/messages/count_tokens`, `GET /v1/models`) that speaks the documented wire format: the
 * same headers, the same request validation errors for the mistakes a gateway can make (missing
 * `max_tokens`, unknown top-level fields, unpaired `tool_use`/`tool_result`, altered thinking
 * signatures, `system` inside `messages`), the same SSE event grammar and the same error bodies.
 * Only the model is fake: answers come from brain.ts, so tests can assert exact content.
 *
 * Deliberate simplifications: consecutive same-role turns are merged before validation (the real
 * API does this too); `url` image sources are not fetched; prompt caching is keyed on the text of
 * the prefix up to each `cache_control` breakpoint (system blocks, message blocks, tools, or the
 * top-level `cache_control` meaning "the last block"), the first request writes the cache and
 * later ones read it, with no minimum length and no expiry.
 */

/** Anthropic's `error.type` vocabulary. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

/** The shared faults plus Anthropic's own mid-stream failure: an `event: error` after some events. */
export type AnthropicMockFault =
  | MockFault
  | { kind: "error-mid-stream"; afterEvents: number; errorType?: AnthropicErrorType | undefined; message?: string | undefined };

export interface MockAnthropic extends MockVendor {
  failNext(fault: AnthropicMockFault, times?: number): void;
  /** Streams whose client went away before `message_stop` was written (faults excluded). */
  readonly cancelledStreams: number;
}

/** The models `GET /v1/models` lists. Any other name not starting with "no-such" is served too. */
export const mockAnthropicModels: ReadonlyArray<{ id: string; display_name: string; created_at: string }> = [
  { id: "claude-opus-4-7", display_name: "Claude Opus 4.7", created_at: "2026-04-01T00:00:00Z" },
  { id: "claude-sonnet-4-6", display_name: "Claude Sonnet 4.6", created_at: "2026-02-01T00:00:00Z" },
  { id: "claude-haiku-4-5-20251001", display_name: "Claude Haiku 4.5", created_at: "2025-10-01T00:00:00Z" },
];

/**
 * Anthropic's documented trigger for a redacted thinking block: a user turn containing it makes
 * the model return `redacted_thinking` instead of readable thinking.
 */
export const redactedThinkingTrigger = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253";

/** The signature the mock puts on a thinking block, and checks when the block comes back. */
export function mockThinkingSignature(thinking: string): string {
  return Buffer.from(`mocksig1.${createHash("sha256").update(thinking).digest("hex")}`).toString("base64");
}

const errorTypeByStatus: Record<number, AnthropicErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const defaultErrorMessage: Record<AnthropicErrorType, string> = {
  invalid_request_error: "Invalid request",
  authentication_error: "invalid x-api-key",
  billing_error: "Your credit balance is too low to access the Anthropic API.",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "Not found",
  request_too_large: "Request exceeds the maximum allowed number of bytes.",
  rate_limit_error: "Number of request tokens has exceeded your per-minute rate limit",
  api_error: "Internal server error",
  timeout_error: "Request timed out",
  overloaded_error: "Overloaded",
};

function errorTypeOf(status: number): AnthropicErrorType {
  return errorTypeByStatus[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** A request the real API would refuse, with the status and wording it would use. */
class WireError extends Error {
  readonly status: number;
  readonly type: AnthropicErrorType;
  constructor(status: number, message: string, type: AnthropicErrorType = errorTypeOf(status)) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const invalid = (message: string): WireError => new WireError(400, message);

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** One content block after validation; `text` is what it contributes to the prompt. */
interface Block {
  type: string;
  raw: Json;
  text: string;
}

interface Turn {
  role: "user" | "assistant";
  blocks: Block[];
  /** Index in the request's `messages` of the first message merged into this turn. */
  index: number;
}

interface ParsedRequest {
  model: string;
  maxTokens: number | undefined;
  systemBlocks: Block[];
  turns: Turn[];
  tools: Array<{ raw: Json; text: string; custom?: BrainTool | undefined }>;
  toolChoice: BrainRequest["toolChoice"];
  stop: string[];
  thinking: { budgetTokens: number } | undefined;
  topLevelCache: boolean;
  stream: boolean;
}

const createFields = new Set([
  "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_p", "top_k",
  "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers", "context_management", "output_config",
  "cache_control", "inference_geo",
]);
const countFields = new Set([
  "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "context_management", "output_config", "cache_control",
]);
const imageMediaTypes = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

function checkCacheControl(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (!isRecord(value) || value.type !== "ephemeral") throw invalid(`${path}.type: Input should be 'ephemeral'`);
  return true;
}

function textBlock(value: unknown, path: string): Block {
  if (!isRecord(value) || value.type !== "text" || typeof value.text !== "string") throw invalid(`${path}: Input should be a valid text block`);
  if (value.text === "") throw invalid(`${path}.text: text content blocks must be non-empty`);
  checkCacheControl(value.cache_control, `${path}.cache_control`);
  return { type: "text", raw: value, text: value.text };
}

function imageBlock(value: Json, path: string): Block {
  const source = value.source;
  if (!isRecord(source)) throw invalid(`${path}.source: Field required`);
  if (source.type === "base64") {
    if (typeof source.media_type !== "string" || !imageMediaTypes.has(source.media_type)) {
      throw invalid(`${path}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
    }
    if (typeof source.data !== "string" || source.data === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(source.data)) {
      throw invalid(`${path}.source.data: The image data is not valid base64`);
    }
  } else if (source.type === "url") {
    if (typeof source.url !== "string" || !/^https?:\/\//.test(source.url)) throw invalid(`${path}.source.url: Input should be a valid URL`);
  } else {
    throw invalid(`${path}.source.type: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url'`);
  }
  checkCacheControl(value.cache_control, `${path}.cache_control`);
  return { type: "image", raw: value, text: "[image]" };
}

function contentBlock(value: unknown, role: "user" | "assistant", path: string): Block {
  if (!isRecord(value) || typeof value.type !== "string") throw invalid(`${path}: Input should be a valid content block`);
  const onlyFor = (expected: "user" | "assistant"): void => {
    if (role !== expected) throw invalid(`${path}: \`${String(value.type)}\` blocks are only allowed in \`${expected}\` messages`);
  };
  checkCacheControl(value.cache_control, `${path}.cache_control`);
  switch (value.type) {
    case "text":
      return textBlock(value, path);
    case "image":
      onlyFor("user");
      return imageBlock(value, path);
    case "tool_use":
      onlyFor("assistant");
      if (typeof value.id !== "string" || typeof value.name !== "string") throw invalid(`${path}: tool_use blocks need \`id\` and \`name\``);
      if (!isRecord(value.input)) throw invalid(`${path}.input: Input should be a valid dictionary`);
      return { type: "tool_use", raw: value, text: `${value.name} ${JSON.stringify(value.input)}` };
    case "tool_result": {
      onlyFor("user");
      if (typeof value.tool_use_id !== "string") throw invalid(`${path}.tool_use_id: Field required`);
      if (value.is_error !== undefined && typeof value.is_error !== "boolean") throw invalid(`${path}.is_error: Input should be a valid boolean`);
      let text = "";
      if (typeof value.content === "string") text = value.content;
      else if (Array.isArray(value.content)) {
        text = value.content
          .map((inner: unknown, index: number) => {
            const innerPath = `${path}.content.${index}`;
            if (isRecord(inner) && inner.type === "image") return imageBlock(inner, innerPath);
            return textBlock(inner, innerPath);
          })
          .filter((block) => block.type === "text")
          .map((block) => block.text)
          .join("\n");
      } else if (value.content !== undefined) throw invalid(`${path}.content: Input should be a valid string or list`);
      return { type: "tool_result", raw: value, text };
    }
    case "thinking":
      onlyFor("assistant");
      if (typeof value.thinking !== "string" || typeof value.signature !== "string") throw invalid(`${path}: thinking blocks need \`thinking\` and \`signature\``);
      if (value.signature !== mockThinkingSignature(value.thinking)) throw invalid(`${path}: Invalid \`signature\` in \`thinking\` block`);
      return { type: "thinking", raw: value, text: value.thinking };
    case "redacted_thinking":
      onlyFor("assistant");
      if (typeof value.data !== "string" || value.data === "") throw invalid(`${path}.data: Field required`);
      return { type: "redacted_thinking", raw: value, text: "" };
    default:
      throw invalid(
        `${path}.type: Input tag '${value.type}' found using 'type' does not match any of the expected tags: 'text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'`,
      );
  }
}

function parseMessages(value: unknown): Turn[] {
  if (value === undefined) throw invalid("messages: Field required");
  if (!Array.isArray(value)) throw invalid("messages: Input should be a valid list");
  if (value.length === 0) throw invalid("messages: at least one message is required");
  const turns: Turn[] = [];
  value.forEach((message: unknown, index: number) => {
    const path = `messages.${index}`;
    if (!isRecord(message)) throw invalid(`${path}: Input should be a valid dictionary`);
    if (message.role === "system") {
      throw invalid(`${path}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`);
    }
    if (message.role !== "user" && message.role !== "assistant") throw invalid(`${path}.role: Input should be 'user' or 'assistant'`);
    const role = message.role;
    let blocks: Block[];
    if (typeof message.content === "string") {
      if (message.content === "" && !(role === "assistant" && index === value.length - 1)) {
        throw invalid(`${path}: all messages must have non-empty content except for the optional final assistant message`);
      }
      blocks = message.content === "" ? [] : [{ type: "text", raw: { type: "text", text: message.content }, text: message.content }];
    } else if (Array.isArray(message.content)) {
      if (message.content.length === 0 && !(role === "assistant" && index === value.length - 1)) {
        throw invalid(`${path}: all messages must have non-empty content except for the optional final assistant message`);
      }
      blocks = message.content.map((block: unknown, blockIndex: number) => contentBlock(block, role, `${path}.content.${blockIndex}`));
    } else {
      throw invalid(`${path}.content: Field required`);
    }
    const previous = turns.at(-1);
    // The API combines consecutive turns of the same role into one.
    if (previous !== undefined && previous.role === role) previous.blocks.push(...blocks);
    else turns.push({ role, blocks, index });
  });
  turns.forEach((turn, position) => {
    if (turn.role !== "user") return;
    const firstOther = turn.blocks.findIndex((block) => block.type !== "tool_result");
    const lastResult = turn.blocks.findLastIndex((block) => block.type === "tool_result");
    if (firstOther !== -1 && lastResult > firstOther) {
      throw invalid(`messages.${turn.index}: \`tool_result\` blocks must come first in the content of a user message, before any other content`);
    }
    const previous = turns[position - 1];
    const offered = new Set(previous?.blocks.filter((block) => block.type === "tool_use").map((block) => String(block.raw.id)) ?? []);
    turn.blocks.forEach((block, blockIndex) => {
      if (block.type === "tool_result" && !offered.has(String(block.raw.tool_use_id))) {
        throw invalid(
          `messages.${turn.index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.raw.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    });
  });
  turns.forEach((turn, position) => {
    if (turn.role !== "assistant") return;
    const next = turns[position + 1];
    if (next === undefined) return;
    const answered = new Set(next.blocks.filter((block) => block.type === "tool_result").map((block) => String(block.raw.tool_use_id)));
    const missing = turn.blocks.filter((block) => block.type === "tool_use" && !answered.has(String(block.raw.id))).map((block) => String(block.raw.id));
    if (missing.length > 0) {
      throw invalid(
        `messages.${next.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
  return turns;
}

function parseSystem(value: unknown): Block[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value === "" ? [] : [{ type: "text", raw: { type: "text", text: value }, text: value }];
  if (!Array.isArray(value)) throw invalid("system: Input should be a valid string or list of text blocks");
  return value.map((block: unknown, index: number) => textBlock(block, `system.${index}`));
}

function parseTools(value: unknown): ParsedRequest["tools"] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid("tools: Input should be a valid list");
  return value.map((tool: unknown, index: number) => {
    const path = `tools.${index}`;
    if (!isRecord(tool)) throw invalid(`${path}: Input should be a valid dictionary`);
    checkCacheControl(tool.cache_control, `${path}.cache_control`);
    // Server tools (web search, code execution...) carry a versioned `type` and no schema.
    if (tool.type !== undefined && tool.type !== "custom") return { raw: tool, text: JSON.stringify(tool) };
    if (typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) {
      throw invalid(`${path}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    }
    if (tool.description !== undefined && typeof tool.description !== "string") throw invalid(`${path}.description: Input should be a valid string`);
    if (!isRecord(tool.input_schema)) throw invalid(`${path}.input_schema: Field required`);
    if (tool.input_schema.type !== "object") throw invalid(`${path}.input_schema.type: Input should be 'object'`);
    return { raw: tool, text: JSON.stringify({ name: tool.name, description: tool.description, input_schema: tool.input_schema }), custom: { name: tool.name, parameters: tool.input_schema } };
  });
}

function parseToolChoice(value: unknown, tools: ParsedRequest["tools"]): BrainRequest["toolChoice"] {
  if (value === undefined) return "auto";
  if (tools.length === 0) throw invalid("tool_choice: tool_choice may only be specified while providing tools.");
  if (!isRecord(value)) throw invalid("tool_choice: Input should be a valid dictionary");
  if (value.disable_parallel_tool_use !== undefined && typeof value.disable_parallel_tool_use !== "boolean") {
    throw invalid("tool_choice.disable_parallel_tool_use: Input should be a valid boolean");
  }
  switch (value.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      if (typeof value.name !== "string") throw invalid("tool_choice.name: Field required");
      if (!tools.some((tool) => tool.custom?.name === value.name)) throw invalid(`tool_choice.name: Tool '${value.name}' not found in tools`);
      return { name: value.name };
    default:
      throw invalid(`tool_choice.type: Input tag '${String(value.type)}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`);
  }
}

function parseRequest(body: unknown, kind: "create" | "count"): ParsedRequest {
  if (!isRecord(body)) throw invalid("There was an issue with the JSON body of the request: expected an object.");
  const allowed = kind === "create" ? createFields : countFields;
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) throw invalid(`${key}: Extra inputs are not permitted`);
  }
  if (typeof body.model !== "string" || body.model === "") throw invalid("model: Field required");
  let maxTokens: number | undefined;
  if (kind === "create") {
    if (body.max_tokens === undefined) throw invalid("max_tokens: Field required");
    if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens)) throw invalid("max_tokens: Input should be a valid integer");
    if (body.max_tokens < 1) throw invalid("max_tokens: Input should be greater than or equal to 1");
    maxTokens = body.max_tokens;
  }
  const systemBlocks = parseSystem(body.system);
  const turns = parseMessages(body.messages);
  const tools = parseTools(body.tools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const range = (field: string, minimum: number, maximum: number): void => {
    const value = body[field];
    if (value === undefined) return;
    if (typeof value !== "number" || value < minimum || value > maximum) throw invalid(`${field}: Input should be between ${minimum} and ${maximum}`);
  };
  range("temperature", 0, 1);
  range("top_p", 0, 1);
  if (body.top_k !== undefined && (typeof body.top_k !== "number" || !Number.isInteger(body.top_k) || body.top_k < 0)) {
    throw invalid("top_k: Input should be a non-negative integer");
  }
  let stop: string[] = [];
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((item: unknown) => typeof item === "string")) {
      throw invalid("stop_sequences: Input should be a valid list of strings");
    }
    stop = body.stop_sequences as string[];
    if (stop.some((sequence) => sequence.trim() === "")) throw invalid("stop_sequences: each stop sequence must contain non-whitespace");
  }
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata)) throw invalid("metadata: Input should be a valid dictionary");
    for (const key of Object.keys(body.metadata)) if (key !== "user_id") throw invalid(`metadata.${key}: Extra inputs are not permitted`);
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean") throw invalid("stream: Input should be a valid boolean");
  let thinking: ParsedRequest["thinking"];
  if (body.thinking !== undefined) {
    if (!isRecord(body.thinking)) throw invalid("thinking: Input should be a valid dictionary");
    if (body.thinking.type === "enabled") {
      const budget = body.thinking.budget_tokens;
      if (typeof budget !== "number" || !Number.isInteger(budget)) throw invalid("thinking.enabled.budget_tokens: Field required");
      if (budget < 1024) throw invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
      if (maxTokens !== undefined && budget >= maxTokens) throw invalid("`max_tokens` must be greater than `thinking.budget_tokens`.");
      thinking = { budgetTokens: budget };
    } else if (body.thinking.type !== "disabled") {
      throw invalid(`thinking.type: Input tag '${String(body.thinking.type)}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled'`);
    }
  }
  if (thinking !== undefined) {
    if (body.temperature !== undefined && body.temperature !== 1) {
      throw invalid("`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking");
    }
    if (body.top_k !== undefined) throw invalid("`top_k` must be unset when thinking is enabled.");
    if (typeof body.top_p === "number" && body.top_p < 0.95) throw invalid("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.");
    if (toolChoice === "required" || typeof toolChoice === "object") throw invalid("Thinking may not be enabled when tool_choice forces tool use.");
    checkThinkingTurn(turns);
  }
  return {
    model: body.model,
    maxTokens,
    systemBlocks,
    turns,
    tools,
    toolChoice,
    stop,
    thinking,
    topLevelCache: checkCacheControl(body.cache_control, "cache_control"),
    stream: body.stream === true,
  };
}

/**
 * With thinking on, an assistant turn that called tools must be handed back starting with its
 * (signed) thinking block when the conversation continues from its tool results.
 */
function checkThinkingTurn(turns: Turn[]): void {
  const last = turns.at(-1);
  const assistant = turns.at(-2);
  if (last?.role !== "user" || assistant?.role !== "assistant") return;
  if (!last.blocks.some((block) => block.type === "tool_result")) return;
  const first = assistant.blocks[0];
  if (first !== undefined && first.type !== "thinking" && first.type !== "redacted_thinking") {
    throw invalid(
      `messages.${assistant.index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`,
    );
  }
}

/** Everything the model reads, in the API's order (tools, system, messages), for token counts and caching. */
function promptSegments(parsed: ParsedRequest): Array<{ text: string; breakpoint: boolean }> {
  const segments: Array<{ text: string; breakpoint: boolean }> = [];
  for (const tool of parsed.tools) segments.push({ text: tool.text, breakpoint: isRecord(tool.raw.cache_control) });
  for (const block of parsed.systemBlocks) segments.push({ text: block.text, breakpoint: isRecord(block.raw.cache_control) });
  for (const turn of parsed.turns) {
    for (const block of turn.blocks) segments.push({ text: block.text, breakpoint: isRecord(block.raw.cache_control) });
  }
  const last = segments.at(-1);
  if (parsed.topLevelCache && last !== undefined) last.breakpoint = true;
  return segments;
}

function promptText(segments: Array<{ text: string }>): string {
  return segments.map((segment) => segment.text).join("\n");
}

function blocksText(blocks: Block[], type: string): string {
  return blocks.filter((block) => block.type === type).map((block) => block.text).join("\n");
}

function toBrainRequest(parsed: ParsedRequest, segments: Array<{ text: string }>): BrainRequest {
  const lastUser = parsed.turns.findLast((turn) => turn.role === "user");
  const lastTurn = parsed.turns.at(-1);
  const toolResults = lastTurn?.role === "user" ? lastTurn.blocks.filter((block) => block.type === "tool_result").map((block) => block.text) : [];
  return {
    model: parsed.model,
    lastUserText: lastUser === undefined ? "" : blocksText(lastUser.blocks, "text"),
    imageCount: lastUser?.blocks.filter((block) => block.type === "image").length ?? 0,
    toolResults,
    system: parsed.systemBlocks.map((block) => block.text).join("\n"),
    tools: parsed.tools.flatMap((tool) => (tool.custom === undefined ? [] : [tool.custom])),
    toolChoice: parsed.toolChoice,
    json: undefined,
    maxTokens: parsed.maxTokens,
    stop: parsed.stop,
    promptText: promptText(segments),
  };
}

type WireBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

interface WireAnswer {
  content: WireBlock[];
  stopReason: "end_turn" | "max_tokens" | "stop_sequence" | "tool_use";
  stopSequence: string | null;
  usage: { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
}

function toWireAnswer(parsed: ParsedRequest, brain: BrainAnswer, cache: { read: number; write: number }): WireAnswer {
  const content: WireBlock[] = [];
  let thinkingTokens = 0;
  const lastTurn = parsed.turns.at(-1);
  const continuesFromTools = lastTurn?.role === "user" && lastTurn.blocks.some((block) => block.type === "tool_result");
  // Without interleaved thinking, a turn that resumes after tool results does not think again.
  if (parsed.thinking !== undefined && !continuesFromTools) {
    const lastUser = parsed.turns.findLast((turn) => turn.role === "user");
    const said = lastUser === undefined ? "" : blocksText(lastUser.blocks, "text");
    if (said.includes(redactedThinkingTrigger)) {
      content.push({ type: "redacted_thinking", data: Buffer.from(`mock-redacted:${createHash("sha256").update(said).digest("hex")}`).toString("base64") });
      thinkingTokens = 16;
    } else {
      const thinking = `The user wrote: "${said}". I will answer briefly.`;
      content.push({ type: "thinking", thinking, signature: mockThinkingSignature(thinking) });
      thinkingTokens = countTokens(thinking);
    }
  }
  let stopReason: WireAnswer["stopReason"];
  let stopSequence: string | null = null;
  if (brain.kind === "tool-calls") {
    if (brain.text !== "") content.push({ type: "text", text: brain.text });
    for (const call of brain.calls) content.push({ type: "tool_use", id: `toolu_${call.id.replace(/^call_/, "")}`, name: call.name, input: call.arguments });
    stopReason = "tool_use";
  } else {
    if (brain.text !== "") content.push({ type: "text", text: brain.text });
    stopReason = brain.finish === "length" ? "max_tokens" : brain.finish === "stop_sequence" ? "stop_sequence" : "end_turn";
    stopSequence = brain.stopSequence ?? null;
  }
  return {
    content,
    stopReason,
    stopSequence,
    usage: {
      input_tokens: Math.max(0, brain.usage.inputTokens - cache.read - cache.write),
      cache_creation_input_tokens: cache.write,
      cache_read_input_tokens: cache.read,
      output_tokens: brain.usage.outputTokens + thinkingTokens,
    },
  };
}

type SseEvent = [name: string, data: Json];

function streamEvents(id: string, model: string, wire: WireAnswer): SseEvent[] {
  const events: SseEvent[] = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...wire.usage, output_tokens: Math.min(1, wire.usage.output_tokens) },
        },
      },
    ],
  ];
  const ping: SseEvent = ["ping", { type: "ping" }];
  if (wire.content.length === 0) events.push(ping);
  wire.content.forEach((block, index) => {
    const delta = (value: Json): void => {
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: value }]);
    };
    switch (block.type) {
      case "thinking":
        events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } }]);
        if (index === 0) events.push(ping);
        for (const piece of pieces(block.thinking, 12)) delta({ type: "thinking_delta", thinking: piece });
        delta({ type: "signature_delta", signature: block.signature });
        break;
      case "redacted_thinking":
        events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "redacted_thinking", data: block.data } }]);
        if (index === 0) events.push(ping);
        break;
      case "text":
        events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
        if (index === 0) events.push(ping);
        for (const piece of pieces(block.text)) delta({ type: "text_delta", text: piece });
        break;
      case "tool_use":
        events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }]);
        if (index === 0) events.push(ping);
        // Like the API: an empty first fragment, then the arguments a few characters at a time.
        delta({ type: "input_json_delta", partial_json: "" });
        for (const piece of pieces(JSON.stringify(block.input), 6)) delta({ type: "input_json_delta", partial_json: piece });
        break;
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push(["message_delta", { type: "message_delta", delta: { stop_reason: wire.stopReason, stop_sequence: wire.stopSequence }, usage: { output_tokens: wire.usage.output_tokens } }]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

/** The SSE framing Anthropic uses: a named event, one JSON data line, a blank line. */
export function sseFrame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function errorBody(type: AnthropicErrorType, message: string, requestId: string | undefined): Json {
  const body: Json = { type: "error", error: { type, message } };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

function rateLimitHeaders(): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-requests-reset": reset,
    "anthropic-ratelimit-input-tokens-limit": "2000000",
    "anthropic-ratelimit-input-tokens-remaining": "1999000",
    "anthropic-ratelimit-input-tokens-reset": reset,
    "anthropic-ratelimit-output-tokens-limit": "400000",
    "anthropic-ratelimit-output-tokens-remaining": "400000",
    "anthropic-ratelimit-output-tokens-reset": reset,
    "anthropic-ratelimit-tokens-limit": "2400000",
    "anthropic-ratelimit-tokens-remaining": "2399000",
    "anthropic-ratelimit-tokens-reset": reset,
  };
}

const randomId = (prefix: string): string => `${prefix}${randomBytes(12).toString("base64url")}`;

export async function startMockAnthropic(options: MockVendorOptions = {}): Promise<MockAnthropic> {
  const apiKey = options.apiKey ?? "test-key-anthropic";
  const eventDelayMs = options.eventDelayMs ?? 2;
  const requests: RecordedRequest[] = [];
  const faults: AnthropicMockFault[] = [];
  const cached = new Set<string>();
  const organizationId = randomUUID();
  let cancelledStreams = 0;

  function sendJson(response: ServerResponse, status: number, body: unknown, requestId: string, extra: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "request-id": requestId,
      "anthropic-organization-id": organizationId,
      ...extra,
    });
    response.end(text);
  }

  function sendError(response: ServerResponse, status: number, type: AnthropicErrorType, message: string, requestId: string, retryAfterSeconds?: number): void {
    const extra: Record<string, string> = { "x-should-retry": String(status === 408 || status === 409 || status === 429 || status >= 500) };
    if (retryAfterSeconds !== undefined) extra["retry-after"] = String(retryAfterSeconds);
    sendJson(response, status, errorBody(type, message, requestId), requestId, extra);
  }

  /** Looks up and records the cache breakpoints of a prompt; returns the tokens read and written. */
  function useCache(model: string, segments: Array<{ text: string; breakpoint: boolean }>): { read: number; write: number } {
    const prefixes: string[] = [];
    segments.forEach((segment, index) => {
      if (segment.breakpoint) prefixes.push(`${model}\u0000${promptText(segments.slice(0, index + 1))}`);
    });
    const hit = prefixes.findLast((prefix) => cached.has(prefix));
    const longest = prefixes.at(-1);
    const tokensOf = (prefix: string | undefined): number => (prefix === undefined ? 0 : countTokens(prefix.slice(prefix.indexOf("\u0000") + 1)));
    const read = tokensOf(hit);
    const write = longest === undefined || longest === hit ? 0 : tokensOf(longest) - read;
    for (const prefix of prefixes) cached.add(prefix);
    return { read, write };
  }

  /** Applies the fault's effect before the upstream reads the request; true when the response is done. */
  async function applyFault(fault: AnthropicMockFault | undefined, request: IncomingMessage, response: ServerResponse, requestId: string): Promise<boolean> {
    if (fault?.kind === "status") {
      const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
      const type = errorTypeOf(fault.status);
      sendError(response, fault.status, type, fault.message ?? defaultErrorMessage[type], requestId, retryAfter);
      return true;
    }
    if (fault?.kind === "reset") {
      request.socket.destroy();
      return true;
    }
    if (fault?.kind === "slow-first-token") {
      await sleep(fault.delayMs);
      return response.destroyed;
    }
    return false;
  }

  async function handleMessages(response: ServerResponse, body: unknown, requestId: string, fault: AnthropicMockFault | undefined): Promise<void> {
    const parsed = parseRequest(body, "create");
    if (parsed.model.startsWith("no-such")) throw new WireError(404, `model: ${parsed.model}`);
    const segments = promptSegments(parsed);
    const brain = answer(toBrainRequest(parsed, segments));
    const wire = toWireAnswer(parsed, brain, useCache(parsed.model, segments));
    const id = randomId("msg_01");
    const headers = { "request-id": requestId, "anthropic-organization-id": organizationId, ...rateLimitHeaders() };
    if (!parsed.stream) {
      const message = {
        id,
        type: "message",
        role: "assistant",
        model: parsed.model,
        content: wire.content,
        stop_reason: wire.stopReason,
        stop_sequence: wire.stopSequence,
        usage: wire.usage,
      };
      if (fault?.kind === "cut-mid-stream") {
        const text = JSON.stringify(message);
        response.writeHead(200, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        response.write(text.slice(0, Math.floor(text.length / 2)));
        await sleep(eventDelayMs);
        response.socket?.destroy();
        return;
      }
      sendJson(response, 200, message, requestId, rateLimitHeaders());
      return;
    }
    response.writeHead(200, { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    response.flushHeaders();
    let finished = false;
    response.on("close", () => {
      if (!finished) cancelledStreams += 1;
    });
    const events = streamEvents(id, parsed.model, wire);
    for (let index = 0; index < events.length; index++) {
      if (response.destroyed) return;
      if (fault?.kind === "cut-mid-stream" && index >= fault.afterEvents) {
        finished = true;
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === "error-mid-stream" && index >= fault.afterEvents) {
        const type = fault.errorType ?? "overloaded_error";
        finished = true;
        response.end(sseFrame("error", errorBody(type, fault.message ?? defaultErrorMessage[type], undefined)));
        return;
      }
      const [name, data] = events[index] as SseEvent;
      response.write(sseFrame(name, data));
      if (eventDelayMs > 0) await sleep(eventDelayMs);
    }
    finished = true;
    response.end();
  }

  function handleCountTokens(body: unknown, response: ServerResponse, requestId: string): void {
    const parsed = parseRequest(body, "count");
    if (parsed.model.startsWith("no-such")) throw new WireError(404, `model: ${parsed.model}`);
    sendJson(response, 200, { input_tokens: countTokens(promptText(promptSegments(parsed))) }, requestId);
  }

  function handleModels(url: URL, response: ServerResponse, requestId: string): void {
    const single = /^\/v1\/models\/([^/]+)$/.exec(url.pathname);
    const models = mockAnthropicModels.map((model) => ({ type: "model", ...model }));
    if (single !== null) {
      const id = decodeURIComponent(single[1] ?? "");
      const model = models.find((candidate) => candidate.id === id);
      if (model === undefined) throw new WireError(404, `model: ${id}`);
      sendJson(response, 200, model, requestId);
      return;
    }
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 20) || 20));
    let start = 0;
    const after = url.searchParams.get("after_id");
    if (after !== null) start = models.findIndex((model) => model.id === after) + 1;
    const page = models.slice(start, start + limit);
    sendJson(response, 200, { data: page, has_more: start + limit < models.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null }, requestId);
  }

  const server = createServer((request, response) => {
    void (async () => {
      const requestId = randomId("req_01");
      const text = await readBody(request);
      let body: unknown;
      let badJson = false;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        badJson = true;
      }
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      requests.push({ method: request.method ?? "GET", path: `${url.pathname}${url.search}`, headers: { ...request.headers }, body: badJson ? text : body });
      try {
        const isMessages = request.method === "POST" && url.pathname === "/v1/messages";
        const isCount = request.method === "POST" && url.pathname === "/v1/messages/count_tokens";
        const isModels = request.method === "GET" && /^\/v1\/models(\/[^/]+)?$/.test(url.pathname);
        if (!isMessages && !isCount && !isModels) throw new WireError(404, "Not Found");
        // Faults stand for upstream trouble, so they come before the upstream looks at the request.
        const fault = isMessages ? faults.shift() : undefined;
        if (await applyFault(fault, request, response, requestId)) return;
        // API keys go in `x-api-key`; the current official SDK sends them as `Authorization: Bearer`.
        const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
        const key = request.headers["x-api-key"] ?? bearer;
        if (key === undefined) throw new WireError(401, "x-api-key header is required");
        if (key !== apiKey) throw new WireError(401, request.headers["x-api-key"] === undefined ? "Invalid bearer token" : "invalid x-api-key");
        const version = request.headers["anthropic-version"];
        if (version === undefined) throw new WireError(400, "anthropic-version: header is required");
        if (typeof version !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(version)) throw new WireError(400, `anthropic-version: invalid version ${String(version)}`);
        if (isModels) return handleModels(url, response, requestId);
        if (badJson) throw invalid("There was an issue with the JSON body of the request: it is not valid JSON.");
        if (isCount) return handleCountTokens(body, response, requestId);
        await handleMessages(response, body, requestId, fault);
      } catch (error) {
        if (response.headersSent || response.destroyed) {
          response.destroy();
          return;
        }
        if (error instanceof WireError) sendError(response, error.status, error.type, error.message, requestId);
        else sendError(response, 500, "api_error", "Internal server error", requestId);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    get cancelledStreams() {
      return cancelledStreams;
    },
    failNext(fault, times = 1) {
      for (let count = 0; count < times; count++) faults.push(fault);
    },
    reset() {
      faults.length = 0;
      requests.length = 0;
      cached.clear();
      cancelledStreams = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      });
    },
  };
}

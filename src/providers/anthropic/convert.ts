import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema } from "../../spec/json-schema.ts";
import type { ChatMessage, ChatRequest, ContentPart, FinishPart, FinishReason, StreamPart, ToolChoice, Usage } from "../../spec/model.ts";
import type { ServerSentEvent } from "../shared/sse-decoder.ts";
import { scrub } from "../shared/upstream.ts";
import type {
  AssistantBlock,
  ContentBlock,
  CountTokensBody,
  ImageBlockParam,
  ImageSource,
  MessageParam,
  MessagesBody,
  TextBlockParam,
  ThinkingParam,
  ToolChoiceParam,
  ToolParam,
  UserBlock,
  WireMessage,
  WireUsage,
} from "./wire.ts";

/**
 * Pure converters between Hearth's chat contract and Anthropic's Messages API: a ChatRequest
 * becomes a Messages body, and a Messages answer (one JSON message, or its SSE events) becomes
 * StreamParts. No I/O here, so every mapping is unit-tested without a server.
 */

/**
 * `max_tokens` when the request sets none. Anthropic requires the field; 4096 is a common
 * output limit of its models and what most clients send. With extended thinking on, the budget
 * is added on top so the visible answer still gets this many tokens.
 */
export const defaultMaxTokens = 4096;

/** Thinking budgets for an `effort` given without `budgetTokens` (Anthropic's minimum is 1024). */
export const effortBudgets: Readonly<Record<"minimal" | "low" | "medium" | "high", number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};

/** The tool Hearth forces when a request asks for JSON: Anthropic has no JSON response mode. */
export const jsonToolName = "json_response";

export interface JsonTool {
  name: string;
  /** The schema's root is not an object, so the answer travels as the tool input `{ value }`. */
  wrapped: boolean;
}

/** A converted request, plus what the answer's converter needs to know about it. */
export interface MessagesPlan {
  body: MessagesBody;
  /** Set when JSON mode runs through a forced tool whose call must come back as text. */
  jsonTool: JsonTool | undefined;
}

export interface ConvertOptions {
  /** `max_tokens` when the request has none; default {@link defaultMaxTokens}. */
  defaultMaxTokens?: number | undefined;
}

const invalid = (message: string, param: string): HearthError => new HearthError("invalid_request", message, { param });

/** Passed-through OpenAI fields that change the answer and that Anthropic cannot honour. */
const unsupportedOpenAiFields: ReadonlyArray<[field: string, applies: (value: unknown) => boolean, message: string]> = [
  ["n", (value) => value !== 1, "Anthropic models return one choice; send separate requests for more (n must be 1)."],
  ["logprobs", (value) => value !== false && value !== 0, "Anthropic models do not return logprobs."],
  ["top_logprobs", (value) => value !== 0, "Anthropic models do not return logprobs."],
  ["logit_bias", (value) => typeof value === "object" && value !== null && Object.keys(value).length > 0, "Anthropic models do not support logit_bias."],
];

/** Fields this converter owns; passthrough never overrides them. */
const ownedFields = new Set(["model", "messages", "stream", "max_tokens", "system", "tools", "tool_choice", "stop_sequences", "temperature", "top_p", "thinking"]);

export function toMessagesRequest(request: ChatRequest, options: ConvertOptions = {}): MessagesPlan {
  const passthrough = request.passthrough;
  if (passthrough?.format === "openai") {
    for (const [field, applies, message] of unsupportedOpenAiFields) {
      if (field in passthrough.fields && applies(passthrough.fields[field])) throw new HearthError("unsupported", message, { param: field });
    }
  }
  const { system, messages } = toMessages(request.messages);
  if (messages.length === 0) throw invalid("The conversation needs at least one user or assistant message besides system messages.", "messages");
  const thinking = thinkingOf(request.reasoning);
  const body: MessagesBody = {
    model: request.model,
    max_tokens: request.maxTokens ?? (options.defaultMaxTokens ?? defaultMaxTokens) + (thinking?.budget_tokens ?? 0),
    messages,
  };
  if (system !== undefined) body.system = system;

  let tools = (request.tools ?? []).map(toolParam);
  let toolChoice = tools.length > 0 && request.toolChoice !== undefined ? toolChoiceParam(request.toolChoice) : undefined;
  let jsonTool: JsonTool | undefined;
  const format = request.responseFormat;
  if (format !== undefined && format.type !== "text") {
    if (thinking !== undefined) {
      throw new HearthError(
        "unsupported",
        "Anthropic returns JSON through a forced tool call, and extended thinking cannot be combined with forced tool use; drop either the response format or the reasoning setting.",
        { param: "response_format" },
      );
    }
    if (tools.some((tool) => tool.name === jsonToolName)) {
      throw invalid(`The tool name '${jsonToolName}' is reserved for JSON answers on Anthropic models.`, "tools");
    }
    const schema: JsonSchema = format.type === "json_schema" ? format.schema : { type: "object" };
    const wrapped = schema.type !== "object";
    const name = format.type === "json_schema" ? ` named '${format.name}'` : "";
    tools = [
      ...tools,
      {
        name: jsonToolName,
        description: `Give your final answer by calling this tool: its input is the answer, a JSON value${name} that matches the schema.`,
        input_schema: wrapped ? { type: "object", properties: { value: schema }, required: ["value"] } : schema,
      },
    ];
    jsonTool = { name: jsonToolName, wrapped };
    // With tools of the caller's own on offer, the model may call those or answer in JSON.
    const callerTools = (request.tools?.length ?? 0) > 0 && request.toolChoice !== "none";
    if (callerTools && typeof request.toolChoice === "object") toolChoice = { type: "tool", name: request.toolChoice.name };
    else toolChoice = callerTools ? { type: "any" } : { type: "tool", name: jsonToolName };
  }
  if (tools.length > 0) body.tools = tools;
  if (request.parallelToolCalls === false && tools.length > 0) {
    toolChoice ??= { type: "auto" };
    if (toolChoice.type !== "none") toolChoice = { ...toolChoice, disable_parallel_tool_use: true };
  }
  if (toolChoice !== undefined) body.tool_choice = toolChoice;

  if (request.stop !== undefined) {
    const stops = request.stop.filter((stop) => stop !== "");
    if (stops.some((stop) => stop.trim() === "")) {
      throw new HearthError("unsupported", "Anthropic does not accept stop sequences made only of whitespace (such as \"\\n\").", { param: "stop" });
    }
    if (stops.length > 0) body.stop_sequences = stops;
  }
  // Anthropic's temperature runs from 0 to 1 (OpenAI's to 2); with thinking on it must stay at
  // its default and top_p at 0.95 or more, so other values are left out rather than refused.
  if (request.temperature !== undefined && (thinking === undefined || request.temperature === 1)) {
    body.temperature = Math.min(1, Math.max(0, request.temperature));
  }
  if (request.topP !== undefined && (thinking === undefined || request.topP >= 0.95)) body.top_p = request.topP;
  if (thinking !== undefined) body.thinking = thinking;

  if (passthrough?.format === "openai" && typeof passthrough.fields.user === "string") body.metadata = { user_id: passthrough.fields.user };
  if (passthrough?.format === "anthropic") {
    for (const [key, value] of Object.entries(passthrough.fields)) {
      if (!ownedFields.has(key) && value !== undefined) body[key] = value;
    }
  }
  return { body, jsonTool };
}

/** The prompt fields of a Messages body, as `count_tokens` accepts them. */
export function toCountTokensBody(plan: MessagesPlan): CountTokensBody {
  const { model, messages, system, tools, tool_choice, thinking } = plan.body;
  const body: CountTokensBody = { model, messages };
  if (system !== undefined) body.system = system;
  if (tools !== undefined) body.tools = tools;
  if (tool_choice !== undefined) body.tool_choice = tool_choice;
  if (thinking !== undefined) body.thinking = thinking;
  return body;
}

function thinkingOf(reasoning: ChatRequest["reasoning"]): ThinkingParam | undefined {
  if (reasoning === undefined) return undefined;
  const budget = reasoning.budgetTokens ?? (reasoning.effort === undefined ? undefined : effortBudgets[reasoning.effort]);
  if (budget === undefined || budget <= 0) return undefined;
  return { type: "enabled", budget_tokens: budget };
}

function toolParam(tool: { name: string; description?: string | undefined; parameters: JsonSchema }): ToolParam {
  // Anthropic requires an object schema; a schema with no type at all describes one.
  const input_schema: JsonSchema = tool.parameters.type === undefined ? { type: "object", ...tool.parameters } : tool.parameters;
  const param: ToolParam = { name: tool.name, input_schema };
  if (tool.description !== undefined) param.description = tool.description;
  return param;
}

function toolChoiceParam(choice: ToolChoice): ToolChoiceParam {
  if (choice === "auto") return { type: "auto" };
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.name };
}

/** Anthropic tool ids match ^[a-zA-Z0-9_-]+$; ids minted elsewhere are made to fit, the same way on both sides. */
function toolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, "_");
}

/**
 * System messages (wherever they appear) join into the top-level `system`; tool results become
 * `tool_result` blocks of a user turn; consecutive turns of one role merge, since Anthropic
 * expects user and assistant to alternate; empty turns are dropped (Anthropic refuses them).
 */
function toMessages(messages: ChatMessage[]): { system: string | undefined; messages: MessageParam[] } {
  const system: string[] = [];
  const turns: MessageParam[] = [];
  const pushUser = (blocks: UserBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === "user") {
      // Tool results must open a user turn, before any text or image.
      const merged = [...last.content, ...blocks];
      last.content = [...merged.filter((block) => block.type === "tool_result"), ...merged.filter((block) => block.type !== "tool_result")];
    } else turns.push({ role: "user", content: blocks });
  };
  const pushAssistant = (blocks: AssistantBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === "assistant") last.content.push(...blocks);
    else turns.push({ role: "assistant", content: blocks });
  };
  messages.forEach((message, index) => {
    switch (message.role) {
      case "system":
        if (message.content !== "") system.push(message.content);
        break;
      case "user":
        pushUser(userContent(message.content, `messages[${index}].content`));
        break;
      case "assistant": {
        const blocks: AssistantBlock[] = [];
        for (const block of message.reasoning ?? []) {
          // Anthropic verifies thinking signatures; unsigned reasoning (from another provider) cannot be sent back.
          if (block.type === "reasoning") {
            if (block.signature !== undefined && block.signature !== "") blocks.push({ type: "thinking", thinking: block.text, signature: block.signature });
          } else blocks.push({ type: "redacted_thinking", data: block.data });
        }
        if (message.content !== null && message.content !== "") blocks.push({ type: "text", text: message.content });
        (message.toolCalls ?? []).forEach((call, callIndex) => {
          blocks.push({ type: "tool_use", id: toolUseId(call.id), name: call.name, input: toolInput(call.arguments, `messages[${index}].tool_calls[${callIndex}].function.arguments`) });
        });
        pushAssistant(blocks);
        break;
      }
      case "tool": {
        const content = typeof message.content === "string" ? message.content : userContent(message.content, `messages[${index}].content`);
        const block: UserBlock = { type: "tool_result", tool_use_id: toolUseId(message.toolCallId), content };
        if (message.isError === true) block.is_error = true;
        pushUser([block]);
        break;
      }
    }
  });
  return { system: system.length === 0 ? undefined : system.join("\n\n"), messages: turns };
}

function userContent(content: string | ContentPart[], param: string): Array<TextBlockParam | ImageBlockParam> {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: Array<TextBlockParam | ImageBlockParam> = [];
  for (const part of content) {
    if (part.type === "text") {
      if (part.text !== "") blocks.push({ type: "text", text: part.text });
    } else blocks.push({ type: "image", source: imageSource(part.url, param) });
  }
  return blocks;
}

/** data: URLs travel inline as base64; http(s) URLs are fetched by Anthropic. */
export function imageSource(url: string, param: string): ImageSource {
  if (/^https?:\/\//i.test(url)) return { type: "url", url };
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (match === null) throw invalid("An image must be an http(s) URL or a data: URL.", param);
  const mediaType = match[1] === "" || match[1] === undefined ? "text/plain" : match[1].toLowerCase();
  const payload = match[3] ?? "";
  if ((match[2] ?? "").split(";").includes("base64")) return { type: "base64", media_type: mediaType, data: payload.replace(/\s+/g, "") };
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeURIComponent(payload), "utf8");
  } catch {
    throw invalid("The image data: URL is not correctly percent-encoded.", param);
  }
  return { type: "base64", media_type: mediaType, data: bytes.toString("base64") };
}

function toolInput(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("A tool call's arguments are not valid JSON; Anthropic needs them as a JSON object.", param);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("A tool call's arguments must be a JSON object for Anthropic models.", param);
  }
  return value as Record<string, unknown>;
}

export function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn (a server tool paused the turn; the answer so far is whole).
      return "stop";
  }
}

/** Anthropic's input_tokens excludes cached tokens; Hearth's inputTokens counts the whole prompt. */
export function usageOf(usage: WireUsage): Usage {
  const input = usage.input_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? undefined;
  const read = usage.cache_read_input_tokens ?? undefined;
  const result: Usage = { inputTokens: input + (write ?? 0) + (read ?? 0), outputTokens: usage.output_tokens ?? 0 };
  if (read !== undefined) result.cacheReadTokens = read;
  if (write !== undefined) result.cacheWriteTokens = write;
  return result;
}

const errorCodes: Record<string, { code: HearthError["code"]; what: string }> = {
  overloaded_error: { code: "overloaded", what: "is overloaded" },
  rate_limit_error: { code: "rate_limited", what: "is rate limiting" },
  api_error: { code: "upstream_error", what: "failed" },
  timeout_error: { code: "timeout", what: "timed out" },
  request_too_large: { code: "payload_too_large", what: "says the request is too large" },
  invalid_request_error: { code: "invalid_request", what: "rejected the request" },
  not_found_error: { code: "upstream_error", what: "did not find what was asked for" },
  authentication_error: { code: "upstream_error", what: "refused Hearth's credentials" },
  permission_error: { code: "upstream_error", what: "refused Hearth's credentials" },
  billing_error: { code: "upstream_error", what: "refused the request for billing reasons" },
};

/** Maps an `event: error` that arrived mid-stream (after HTTP 200) to the HearthError the client sees. */
export function streamErrorOf(data: unknown, providerId: string, secrets: readonly string[]): HearthError {
  const error = isRecord(data) && isRecord(data.error) ? data.error : {};
  const type = typeof error.type === "string" ? error.type : "api_error";
  const message = typeof error.message === "string" && error.message !== "" ? `: ${scrub(error.message, secrets).slice(0, 500)}` : "";
  const known = errorCodes[type] ?? { code: "upstream_error" as const, what: "failed" };
  return new HearthError(known.code, `Upstream '${providerId}' ${known.what} (${type} mid-stream)${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns one JSON Messages answer (a non-streaming call) into the parts a stream would have carried. */
export function fromMessage(message: WireMessage, plan: MessagesPlan): StreamPart[] {
  const parts: StreamPart[] = [];
  let toolCalls = 0;
  for (const block of message.content) {
    const part = blockParts(block, plan.jsonTool);
    if (part.some((item) => item.type === "tool-call")) toolCalls += 1;
    parts.push(...part);
  }
  parts.push(finishPart(message.stop_reason, message.stop_sequence, message.usage, toolCalls > 0, plan.jsonTool !== undefined));
  return parts;
}

function blockParts(block: ContentBlock, jsonTool: JsonTool | undefined): StreamPart[] {
  switch (block.type) {
    case "text":
      return typeof block.text === "string" && block.text !== "" ? [{ type: "text-delta", text: block.text }] : [];
    case "thinking": {
      const parts: StreamPart[] = [];
      if (typeof block.thinking === "string" && block.thinking !== "") parts.push({ type: "reasoning-delta", text: block.thinking });
      parts.push({ type: "reasoning-end", signature: typeof block.signature === "string" ? block.signature : undefined });
      return parts;
    }
    case "redacted_thinking":
      return typeof block.data === "string" ? [{ type: "reasoning-redacted", data: block.data }] : [];
    case "tool_use": {
      if (typeof block.id !== "string" || typeof block.name !== "string") return [];
      if (jsonTool !== undefined && block.name === jsonTool.name) {
        const text = jsonTool.wrapped ? JSON.stringify(isRecord(block.input) ? block.input.value ?? null : null) : JSON.stringify(block.input ?? {});
        return [{ type: "text-delta", text }];
      }
      return [{ type: "tool-call", toolCall: { id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) } }];
    }
    default:
      // Server tool blocks (web search results...) have no place in Hearth's parts.
      return [];
  }
}

function finishPart(stopReason: string | null | undefined, stopSequence: string | null | undefined, usage: WireUsage, sawToolCall: boolean, jsonMode: boolean): FinishPart {
  let finishReason = finishReasonOf(stopReason);
  // The forced JSON tool is how the answer arrived, not a call the client must run.
  if (finishReason === "tool_calls" && jsonMode && !sawToolCall) finishReason = "stop";
  const part: FinishPart = { type: "finish", finishReason, usage: usageOf(usage) };
  if (typeof stopSequence === "string") part.stopSequence = stopSequence;
  return part;
}

type OpenBlock =
  | { kind: "text" }
  | { kind: "thinking"; signature: string | undefined }
  | { kind: "tool"; id: string; name: string; json: string; initial: unknown }
  | { kind: "json"; json: string; streamed: boolean; initial: unknown }
  | { kind: "other" };

/**
 * Reads the SSE events of a streamed Messages answer and emits StreamParts: text as it comes,
 * each tool call whole once its block closes (its `input_json_delta` fragments buffered), thinking
 * as reasoning deltas closed by the block's signature, and one finish part at `message_stop`.
 * `event: error` throws the mapped HearthError; `end()` throws if `message_stop` never came.
 */
export class MessagesStreamReader {
  readonly #plan: MessagesPlan;
  readonly #providerId: string;
  readonly #secrets: readonly string[];
  readonly #blocks = new Map<number, OpenBlock>();
  #usage: WireUsage = {};
  #stopReason: string | null = null;
  #stopSequence: string | null = null;
  #sawToolCall = false;
  #invalidJsonAnswer = false;
  #finished = false;

  constructor(plan: MessagesPlan, providerId: string, secrets: readonly string[] = []) {
    this.#plan = plan;
    this.#providerId = providerId;
    this.#secrets = secrets;
  }

  /** True once `message_stop` arrived and the finish part went out. */
  get finished(): boolean {
    return this.#finished;
  }

  push(event: ServerSentEvent): StreamPart[] {
    if (this.#finished) return [];
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      throw this.#protocolError(`sent an event that is not JSON (${event.event ?? "message"})`);
    }
    const record = isRecord(data) ? data : {};
    const type = typeof record.type === "string" ? record.type : event.event;
    if (event.event === "error" || type === "error") throw streamErrorOf(data, this.#providerId, this.#secrets);
    switch (type) {
      case "message_start": {
        const message = isRecord(record.message) ? record.message : {};
        if (isRecord(message.usage)) this.#usage = { ...(message.usage as WireUsage) };
        return [];
      }
      case "content_block_start":
        return this.#start(record);
      case "content_block_delta":
        return this.#delta(record);
      case "content_block_stop":
        return this.#stop(record);
      case "message_delta": {
        const delta = isRecord(record.delta) ? record.delta : {};
        if (typeof delta.stop_reason === "string") this.#stopReason = delta.stop_reason;
        if (typeof delta.stop_sequence === "string") this.#stopSequence = delta.stop_sequence;
        // message_delta usage is cumulative; a field it leaves out keeps its message_start value.
        if (isRecord(record.usage)) {
          for (const [key, value] of Object.entries(record.usage)) if (typeof value === "number") (this.#usage as Record<string, unknown>)[key] = value;
        }
        return [];
      }
      case "message_stop": {
        if (this.#invalidJsonAnswer && finishReasonOf(this.#stopReason) !== "length") throw this.#protocolError("sent a JSON answer that is not valid JSON");
        this.#finished = true;
        return [finishPart(this.#stopReason, this.#stopSequence, this.#usage, this.#sawToolCall, this.#plan.jsonTool !== undefined)];
      }
      default:
        // ping, and event types Anthropic may add later.
        return [];
    }
  }

  /** Call when the upstream body ended; a stream cut before `message_stop` is an error, never a finish. */
  end(): void {
    if (!this.#finished) throw this.#protocolError("ended the stream before message_stop");
  }

  #protocolError(what: string): HearthError {
    return new HearthError("upstream_error", `Upstream '${this.#providerId}' ${what}.`);
  }

  #index(record: Record<string, unknown>): number {
    if (typeof record.index !== "number") throw this.#protocolError(`sent ${String(record.type)} without an index`);
    return record.index;
  }

  #start(record: Record<string, unknown>): StreamPart[] {
    const index = this.#index(record);
    const block = isRecord(record.content_block) ? record.content_block : {};
    switch (block.type) {
      case "text":
        this.#blocks.set(index, { kind: "text" });
        return typeof block.text === "string" && block.text !== "" ? [{ type: "text-delta", text: block.text }] : [];
      case "thinking": {
        this.#blocks.set(index, { kind: "thinking", signature: typeof block.signature === "string" && block.signature !== "" ? block.signature : undefined });
        return typeof block.thinking === "string" && block.thinking !== "" ? [{ type: "reasoning-delta", text: block.thinking }] : [];
      }
      case "redacted_thinking":
        this.#blocks.set(index, { kind: "other" });
        return typeof block.data === "string" ? [{ type: "reasoning-redacted", data: block.data }] : [];
      case "tool_use": {
        const id = typeof block.id === "string" ? block.id : "";
        const name = typeof block.name === "string" ? block.name : "";
        const jsonTool = this.#plan.jsonTool;
        if (jsonTool !== undefined && name === jsonTool.name) this.#blocks.set(index, { kind: "json", json: "", streamed: false, initial: block.input });
        else this.#blocks.set(index, { kind: "tool", id, name, json: "", initial: block.input });
        return [];
      }
      default:
        this.#blocks.set(index, { kind: "other" });
        return [];
    }
  }

  #delta(record: Record<string, unknown>): StreamPart[] {
    const index = this.#index(record);
    const open = this.#blocks.get(index);
    if (open === undefined) throw this.#protocolError(`sent a delta for content block ${index} before its start`);
    const delta = isRecord(record.delta) ? record.delta : {};
    switch (delta.type) {
      case "text_delta":
        return typeof delta.text === "string" && delta.text !== "" ? [{ type: "text-delta", text: delta.text }] : [];
      case "thinking_delta":
        return typeof delta.thinking === "string" && delta.thinking !== "" ? [{ type: "reasoning-delta", text: delta.thinking }] : [];
      case "signature_delta":
        if (open.kind === "thinking" && typeof delta.signature === "string") open.signature = delta.signature;
        return [];
      case "input_json_delta": {
        const fragment = typeof delta.partial_json === "string" ? delta.partial_json : "";
        if (open.kind === "tool") open.json += fragment;
        else if (open.kind === "json") {
          open.json += fragment;
          // An unwrapped JSON answer is the tool input itself: stream it as text as it comes.
          if (!(this.#plan.jsonTool?.wrapped ?? false) && fragment !== "") {
            open.streamed = true;
            return [{ type: "text-delta", text: fragment }];
          }
        }
        return [];
      }
      default:
        return [];
    }
  }

  #stop(record: Record<string, unknown>): StreamPart[] {
    const index = this.#index(record);
    const open = this.#blocks.get(index);
    this.#blocks.delete(index);
    if (open === undefined) return [];
    switch (open.kind) {
      case "thinking":
        return [{ type: "reasoning-end", signature: open.signature }];
      case "tool": {
        this.#sawToolCall = true;
        const args = open.json.trim() === "" ? JSON.stringify(open.initial ?? {}) : open.json;
        return [{ type: "tool-call", toolCall: { id: open.id, name: open.name, arguments: args } }];
      }
      case "json": {
        if (open.streamed) return [];
        const text = open.json.trim() === "" ? JSON.stringify(open.initial ?? {}) : open.json;
        if (!(this.#plan.jsonTool?.wrapped ?? false)) return [{ type: "text-delta", text }];
        let input: unknown;
        try {
          input = JSON.parse(text);
        } catch {
          this.#invalidJsonAnswer = true;
          return [];
        }
        return [{ type: "text-delta", text: JSON.stringify(isRecord(input) ? input.value ?? null : null) }];
      }
      default:
        return [];
    }
  }
}

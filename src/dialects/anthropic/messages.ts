import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema } from "../../spec/json-schema.ts";
import type {
  ChatMessage,
  ChatRequest,
  ContentPart,
  Passthrough,
  ReasoningBlock,
  ResponseFormat,
  ToolCall,
  ToolChoice,
} from "../../spec/model.ts";
import { parseBody } from "./validate.ts";

// Blocks accept (and drop) fields Hearth does not use, such as `cache_control` and `citations`:
// clients like Claude Code set them on every request.

const jsonObject = z.record(z.string(), z.unknown());

const textBlock = z.object({ type: z.literal("text"), text: z.string() });

const imageSource = z.discriminatedUnion("type", [
  z.object({ type: z.literal("base64"), media_type: z.string().min(1), data: z.string().min(1) }),
  z.object({ type: z.literal("url"), url: z.string().min(1) }),
]);
const imageBlock = z.object({ type: z.literal("image"), source: imageSource });

const toolUseBlock = z.object({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: jsonObject,
});

const toolResultBlock = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion("type", [textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});

const thinkingBlock = z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() });
const redactedThinkingBlock = z.object({ type: z.literal("redacted_thinking"), data: z.string() });

const contentBlock = z.discriminatedUnion("type", [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock]);

const messageSchema = z.object({
  role: z.enum(["user", "assistant"], { error: "must be 'user' or 'assistant'; send system prompts in the top-level `system` field" }),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const toolSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/, "tool names use a-z, A-Z, 0-9, _ and -, at most 128 characters"),
  description: z.string().optional(),
  input_schema: jsonObject,
});

const toolChoiceSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

// `enabled` needs a budget; `disabled` and newer modes (`adaptive`, ...) carry none that Hearth
// interprets, and the newer ones travel as passthrough.
const thinkingSchema = z
  .looseObject({ type: z.string().min(1), budget_tokens: z.number().int().positive().optional() })
  .superRefine((thinking, context) => {
    if (thinking.type === "enabled" && thinking.budget_tokens === undefined) {
      context.addIssue({ code: "custom", path: ["budget_tokens"], message: "Field required when thinking is enabled" });
    }
  });

const outputConfigSchema = z.looseObject({
  effort: z.string().nullable().optional(),
  format: z.object({ type: z.literal("json_schema"), schema: jsonObject }).nullable().optional(),
});

const countTokensFields = {
  model: z.string().min(1, "a model name is required"),
  messages: z.array(messageSchema).min(1, "at least one message is required"),
  system: z.union([z.string(), z.array(textBlock)]).nullable().optional(),
  tools: z.array(toolSchema).nullable().optional(),
  tool_choice: toolChoiceSchema.nullable().optional(),
  thinking: thinkingSchema.nullable().optional(),
  output_config: outputConfigSchema.nullable().optional(),
};

const generationFields = {
  stop_sequences: z.array(z.string()).nullable().optional(),
  temperature: z.number().min(0).max(1).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  top_k: z.number().int().min(0).nullable().optional(),
  stream: z.boolean().nullable().optional(),
};

/** Anthropic's Messages request body. Fields Hearth does not interpret are kept as passthrough. */
export const messagesBody = z.looseObject({
  ...countTokensFields,
  ...generationFields,
  max_tokens: z.number().int().min(1),
});

/** The `count_tokens` body: a Messages body without `max_tokens`. */
export const countTokensBody = z.looseObject({
  ...countTokensFields,
  ...generationFields,
  max_tokens: z.number().int().min(1).nullable().optional(),
});

export type MessagesBody = z.output<typeof messagesBody>;
type CountTokensBody = z.output<typeof countTokensBody>;
type MessageParam = z.output<typeof messageSchema>;
type ContentBlockParam = z.output<typeof contentBlock>;

/** Fields the converter maps into ChatRequest; everything else (top_k, metadata, service_tier...) travels as passthrough. */
const interpretedFields = new Set([
  "model", "messages", "system", "tools", "tool_choice", "output_config",
  "max_tokens", "stop_sequences", "temperature", "top_p", "stream",
]);

const supportedBlocks = new Set(["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"]);
const supportedToolResultBlocks = new Set(["text", "image"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unsupportedBlock(type: string, param: string): HearthError {
  return new HearthError(
    "unsupported",
    `${param}: content blocks of type '${type}' are not supported by Hearth's Anthropic API; send text, image, tool_use, tool_result or thinking blocks.`,
    { param },
  );
}

/**
 * Refuses, with a clear 400, what the schema would only call "invalid": block types and tool
 * kinds Anthropic has but Hearth cannot carry to an arbitrary model (documents, search results,
 * server tools such as web search).
 */
function refuseUnsupported(body: unknown): void {
  if (!isRecord(body)) return;
  if (Array.isArray(body.messages)) {
    body.messages.forEach((message: unknown, index) => {
      if (!isRecord(message) || !Array.isArray(message.content)) return;
      message.content.forEach((block: unknown, blockIndex) => {
        if (!isRecord(block) || typeof block.type !== "string") return;
        const param = `messages.${index}.content.${blockIndex}`;
        if (!supportedBlocks.has(block.type)) throw unsupportedBlock(block.type, param);
        if (block.type === "image") refuseImageSource(block, param);
        if (block.type === "tool_result" && Array.isArray(block.content)) {
          block.content.forEach((inner: unknown, innerIndex) => {
            if (!isRecord(inner) || typeof inner.type !== "string") return;
            const innerParam = `${param}.content.${innerIndex}`;
            if (!supportedToolResultBlocks.has(inner.type)) throw unsupportedBlock(inner.type, innerParam);
            if (inner.type === "image") refuseImageSource(inner, innerParam);
          });
        }
      });
    });
  }
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool: unknown, index) => {
      if (!isRecord(tool) || tool.type === undefined || tool.type === null || tool.type === "custom") return;
      throw new HearthError(
        "unsupported",
        `tools.${index}: server tools (type ${JSON.stringify(tool.type)}) run on Anthropic's servers and are not supported by Hearth; define client tools with name, description and input_schema.`,
        { param: `tools.${index}.type` },
      );
    });
  }
}

function refuseImageSource(block: Record<string, unknown>, param: string): void {
  const source = block.source;
  if (isRecord(source) && typeof source.type === "string" && source.type !== "base64" && source.type !== "url") {
    throw new HearthError("unsupported", `${param}.source: image sources of type '${source.type}' are not supported; send base64 data or a URL.`, {
      param: `${param}.source.type`,
    });
  }
}

function imageUrl(source: z.output<typeof imageSource>): string {
  return source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : source.url;
}

function toContentPart(block: z.output<typeof textBlock> | z.output<typeof imageBlock>): ContentPart {
  return block.type === "text" ? { type: "text", text: block.text } : { type: "image", url: imageUrl(block.source) };
}

function misplaced(block: ContentBlockParam, role: string, param: string): HearthError {
  return new HearthError("invalid_request", `${param}: '${block.type}' blocks cannot appear in ${role} messages.`, { param: `${param}.type` });
}

/**
 * A user turn becomes its tool results (role "tool", in order) followed by the rest of its
 * content: models expect every tool call answered before the conversation moves on.
 */
function fromUserMessage(content: string | ContentBlockParam[], index: number): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const results: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  content.forEach((block, blockIndex) => {
    switch (block.type) {
      case "text":
      case "image":
        parts.push(toContentPart(block));
        break;
      case "tool_result": {
        const resultContent = block.content === undefined ? "" : typeof block.content === "string" ? block.content : block.content.map(toContentPart);
        results.push({ role: "tool", toolCallId: block.tool_use_id, content: resultContent, ...(block.is_error === true ? { isError: true } : {}) });
        break;
      }
      default:
        throw misplaced(block, "user", `messages.${index}.content.${blockIndex}`);
    }
  });
  if (parts.length > 0 || results.length === 0) results.push({ role: "user", content: parts });
  return results;
}

function fromAssistantMessage(content: string | ContentBlockParam[], index: number): ChatMessage {
  if (typeof content === "string") return { role: "assistant", content };
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningBlock[] = [];
  content.forEach((block, blockIndex) => {
    switch (block.type) {
      case "text":
        text = (text ?? "") + block.text;
        break;
      case "tool_use":
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
        break;
      case "thinking":
        reasoning.push({ type: "reasoning", text: block.thinking, ...(block.signature !== undefined ? { signature: block.signature } : {}) });
        break;
      case "redacted_thinking":
        reasoning.push({ type: "redacted-reasoning", data: block.data });
        break;
      default:
        throw misplaced(block, "assistant", `messages.${index}.content.${blockIndex}`);
    }
  });
  return {
    role: "assistant",
    content: text,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
  };
}

function toMessages(system: CountTokensBody["system"], messages: readonly MessageParam[]): ChatMessage[] {
  const result: ChatMessage[] = [];
  if (system !== undefined && system !== null) {
    const text = typeof system === "string" ? system : system.map((block) => block.text).join("\n\n");
    if (text !== "") result.push({ role: "system", content: text });
  }
  messages.forEach((message, index) => {
    if (message.role === "user") result.push(...fromUserMessage(message.content, index));
    else result.push(fromAssistantMessage(message.content, index));
  });
  return result;
}

function toToolChoice(body: CountTokensBody, toolNames: ReadonlySet<string>): { toolChoice?: ToolChoice; parallelToolCalls?: boolean } {
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return {};
  let toolChoice: ToolChoice;
  switch (choice.type) {
    case "auto":
    case "none":
      toolChoice = choice.type;
      break;
    case "any":
      toolChoice = "required";
      break;
    case "tool":
      if (!toolNames.has(choice.name)) {
        throw new HearthError("invalid_request", `tool_choice.name: '${choice.name}' is not one of the tools.`, { param: "tool_choice.name" });
      }
      toolChoice = { name: choice.name };
      break;
  }
  if ((choice.type === "any" || choice.type === "tool") && toolNames.size === 0) {
    throw new HearthError("invalid_request", `tool_choice: type '${choice.type}' requires tools.`, { param: "tool_choice" });
  }
  const disable = choice.type !== "none" && choice.disable_parallel_tool_use === true;
  return { toolChoice, ...(disable ? { parallelToolCalls: false } : {}) };
}

const efforts: Readonly<Record<string, "low" | "medium" | "high">> = { low: "low", medium: "medium", high: "high", xhigh: "high", max: "high" };

function toReasoning(body: CountTokensBody): ChatRequest["reasoning"] {
  const thinking = body.thinking;
  const budgetTokens = thinking?.type === "enabled" ? thinking.budget_tokens : undefined;
  const effortName = body.output_config?.effort;
  const effort = effortName === undefined || effortName === null ? undefined : efforts[effortName];
  if (budgetTokens === undefined && effort === undefined) return undefined;
  return { ...(budgetTokens !== undefined ? { budgetTokens } : {}), ...(effort !== undefined ? { effort } : {}) };
}

function toResponseFormat(body: CountTokensBody): ResponseFormat | undefined {
  const format = body.output_config?.format;
  if (format === undefined || format === null) return undefined;
  return { type: "json_schema", name: "output", schema: format.schema as JsonSchema };
}

/**
 * The body's fields Hearth does not interpret (`top_k`, `metadata`, `service_tier`, a newer
 * `thinking` mode, vendor fields), kept verbatim so an Anthropic upstream receives them.
 */
function passthroughOf(body: Record<string, unknown>): Passthrough | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (interpretedFields.has(key) || value === null || value === undefined) continue;
    if (key === "thinking" && isRecord(value) && (value.type === "enabled" || value.type === "disabled")) continue;
    (fields ??= {})[key] = value;
  }
  return fields === undefined ? undefined : { format: "anthropic", fields };
}

function toChatRequest(body: CountTokensBody): ChatRequest {
  const toolNames = new Set(body.tools?.map((tool) => tool.name));
  if (toolNames.size !== (body.tools?.length ?? 0)) {
    throw new HearthError("invalid_request", "tools: tool names must be unique.", { param: "tools" });
  }
  const stop = body.stop_sequences?.filter((sequence) => sequence !== "");
  return {
    model: body.model,
    messages: toMessages(body.system, body.messages),
    maxTokens: body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop: stop === undefined || stop.length === 0 ? undefined : stop,
    tools: body.tools?.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.input_schema as JsonSchema })),
    ...toToolChoice(body, toolNames),
    responseFormat: toResponseFormat(body),
    reasoning: toReasoning(body),
    passthrough: passthroughOf(body),
  };
}

export interface ParsedMessagesRequest {
  request: ChatRequest;
  stream: boolean;
}

/** Converts an Anthropic Messages body into Hearth's ChatRequest (pure; throws 400s). */
export function fromMessagesBody(body: unknown): ParsedMessagesRequest {
  refuseUnsupported(body);
  const parsed = parseBody(messagesBody, body);
  return { request: toChatRequest(parsed), stream: parsed.stream === true };
}

/** Converts a `count_tokens` body (a Messages body without `max_tokens`) into the request to count. */
export function fromCountTokensBody(body: unknown): ChatRequest {
  refuseUnsupported(body);
  const parsed = parseBody(countTokensBody, body);
  const request = toChatRequest(parsed);
  return { ...request, maxTokens: undefined };
}

import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema } from "../../spec/json-schema.ts";
import type {
  ChatMessage,
  ChatRequest,
  CollectedChoice,
  CollectedResult,
  Passthrough,
  StreamPart,
  ContentPart,
  FinishReason,
  ResponseFormat,
  ToolCall,
  ToolChoice,
  Usage,
} from "../../spec/model.ts";
import { parseBody } from "./validate.ts";

const jsonObject = z.record(z.string(), z.unknown());

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().min(1), detail: z.string().optional() }),
});
const contentPart = z.discriminatedUnion("type", [textPart, imagePart]);

const toolCallSchema = z.object({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const messageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.union([z.string(), z.array(textPart)]) }),
  z.object({ role: z.literal("developer"), content: z.union([z.string(), z.array(textPart)]) }),
  z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(contentPart).min(1)]) }),
  z.object({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
    tool_calls: z.array(toolCallSchema).optional(),
  }),
  z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1), content: z.union([z.string(), z.array(textPart)]) }),
]);

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "function names use a-z, A-Z, 0-9, _ and -, at most 64 characters");

const toolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: functionName,
    description: z.string().optional(),
    parameters: jsonObject.optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

const responseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1).max(64),
      description: z.string().optional(),
      schema: jsonObject.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

const stopSchema = z.union([z.string(), z.array(z.string()).max(4, "at most 4 stop sequences")]).nullable().optional();

/** OpenAI's Chat Completions request body. Fields Hearth does not interpret are accepted and ignored. */
export const chatCompletionBody = z.looseObject({
  model: z.string().min(1, "a model name is required"),
  messages: z.array(messageSchema).min(1, "at least one message is required"),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: stopSchema,
  n: z.number().int().positive().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  response_format: responseFormatSchema.optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning_effort: z.enum(["minimal", "low", "medium", "high"]).nullable().optional(),
});

/** Fields the converter maps into ChatRequest; everything else travels as passthrough. */
const interpretedChatFields = new Set([
  "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
  "stream", "stream_options", "response_format", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort",
]);

/**
 * The body's fields Hearth does not interpret (`n`, `logprobs`, `logit_bias`, `user`, vendor
 * fields...), kept verbatim so an OpenAI-compatible upstream receives them. `n: 1` and nulls
 * carry no meaning and are dropped.
 */
export function passthroughOf(body: Record<string, unknown>, interpreted: ReadonlySet<string>): Passthrough | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (interpreted.has(key) || value === null || value === undefined) continue;
    if (key === "n" && value === 1) continue;
    (fields ??= {})[key] = value;
  }
  return fields === undefined ? undefined : { format: "openai", fields };
}

export type ChatCompletionBody = z.output<typeof chatCompletionBody>;

export interface ParsedChatRequest {
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
}

function joinText(content: string | Array<{ text: string }>): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

function toMessage(message: z.output<typeof messageSchema>): ChatMessage {
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: joinText(message.content) };
    case "user": {
      if (typeof message.content === "string") return { role: "user", content: message.content };
      const parts: ContentPart[] = message.content.map((part) =>
        part.type === "text" ? { type: "text", text: part.text } : { type: "image", url: part.image_url.url },
      );
      return { role: "user", content: parts };
    }
    case "assistant": {
      const content = message.content === undefined || message.content === null ? null : joinText(message.content);
      const toolCalls: ToolCall[] | undefined = message.tool_calls?.map((call) => ({
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
      }));
      return { role: "assistant", content, toolCalls };
    }
    case "tool":
      return { role: "tool", toolCallId: message.tool_call_id, content: joinText(message.content) };
  }
}

function toResponseFormat(format: ChatCompletionBody["response_format"]): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  if (format.type !== "json_schema") return format;
  const schema = (format.json_schema.schema ?? { type: "object" }) as JsonSchema;
  return { type: "json_schema", name: format.json_schema.name, schema, strict: format.json_schema.strict ?? undefined };
}

function toStop(stop: ChatCompletionBody["stop"]): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  const nonEmpty = list.filter((entry) => entry !== "");
  return nonEmpty.length > 0 ? nonEmpty : undefined;
}

/** Converts an OpenAI Chat Completions body into Hearth's ChatRequest (pure; throws 400s). */
export function fromChatCompletionBody(body: unknown): ParsedChatRequest {
  const parsed = parseBody(chatCompletionBody, body);
  const toolNames = new Set(parsed.tools?.map((tool) => tool.function.name));
  if (toolNames.size !== (parsed.tools?.length ?? 0)) {
    throw new HearthError("invalid_request", "Tool names must be unique.", { param: "tools" });
  }
  let toolChoice: ToolChoice | undefined;
  if (parsed.tool_choice !== undefined) {
    if (typeof parsed.tool_choice === "string") toolChoice = parsed.tool_choice;
    else {
      const name = parsed.tool_choice.function.name;
      if (!toolNames.has(name)) {
        throw new HearthError("invalid_request", `tool_choice names '${name}', which is not in tools.`, { param: "tool_choice" });
      }
      toolChoice = { name };
    }
    if (toolChoice !== "none" && toolChoice !== "auto" && toolNames.size === 0) {
      throw new HearthError("invalid_request", "tool_choice requires tools.", { param: "tool_choice" });
    }
  }
  const request: ChatRequest = {
    model: parsed.model,
    messages: parsed.messages.map(toMessage),
    maxTokens: parsed.max_completion_tokens ?? parsed.max_tokens ?? undefined,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    seed: parsed.seed ?? undefined,
    stop: toStop(parsed.stop),
    tools: parsed.tools?.map((tool) => ({
      name: tool.function.name,
      description: tool.function.description,
      parameters: (tool.function.parameters ?? { type: "object", properties: {} }) as JsonSchema,
    })),
    toolChoice,
    parallelToolCalls: parsed.parallel_tool_calls,
    responseFormat: toResponseFormat(parsed.response_format),
    reasoning: parsed.reasoning_effort === undefined || parsed.reasoning_effort === null ? undefined : { effort: parsed.reasoning_effort },
    passthrough: passthroughOf(parsed as Record<string, unknown>, interpretedChatFields),
  };
  return { request, stream: parsed.stream === true, includeUsage: parsed.stream_options?.include_usage === true };
}

export interface ResponseIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export function toOpenAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cacheReadTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cacheReadTokens } } : {}),
    ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
  };
}

function toOpenAIFinishReason(reason: FinishReason): string {
  return reason === "error" ? "stop" : reason;
}

function toOpenAIToolCall(call: ToolCall) {
  return { id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } };
}

function reasoningText(result: CollectedResult): string | undefined {
  const text = result.reasoning.map((block) => (block.type === "reasoning" ? block.text : "")).join("");
  return text === "" ? undefined : text;
}

function toChoice(choice: CollectedChoice, index: number, reasoning?: string) {
  const hasToolCalls = choice.toolCalls.length > 0;
  return {
    index,
    message: {
      role: "assistant" as const,
      content: hasToolCalls && choice.text === "" ? null : choice.text,
      refusal: null,
      // The de-facto field (vLLM, DeepSeek, llama-server) for a reasoning model's visible thinking.
      ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}),
      ...(hasToolCalls ? { tool_calls: choice.toolCalls.map(toOpenAIToolCall) } : {}),
    },
    logprobs: choice.logprobs === undefined ? null : { content: choice.logprobs, refusal: null },
    finish_reason: toOpenAIFinishReason(choice.finishReason),
  };
}

/** The non-streaming `chat.completion` object. */
export function toChatCompletion(identity: ResponseIdentity, result: CollectedResult) {
  return {
    id: identity.id,
    object: "chat.completion" as const,
    created: identity.created,
    model: identity.model,
    choices: [toChoice(result, 0, reasoningText(result)), ...result.otherChoices.map((choice, index) => toChoice(choice, index + 1))],
    usage: toOpenAIUsage(result.usage),
  };
}

/**
 * Builds `chat.completion.chunk` objects for one response. Tool calls are sent whole (id, name
 * and complete arguments in one delta), so a client never assembles half an argument list.
 */
export class ChatChunkWriter {
  readonly #identity: ResponseIdentity;
  readonly #includeUsage: boolean;
  readonly #toolIndex = new Map<number, number>();

  constructor(identity: ResponseIdentity, includeUsage: boolean) {
    this.#identity = identity;
    this.#includeUsage = includeUsage;
  }

  #chunk(delta: Record<string, unknown>, finishReason: string | null, index = 0, logprobs: unknown[] | undefined = undefined) {
    return {
      id: this.#identity.id,
      object: "chat.completion.chunk" as const,
      created: this.#identity.created,
      model: this.#identity.model,
      choices: [{ index, delta, logprobs: logprobs === undefined ? null : { content: logprobs, refusal: null }, finish_reason: finishReason }],
      ...(this.#includeUsage ? { usage: null } : {}),
    };
  }

  start() {
    return this.#chunk({ role: "assistant", content: "", refusal: null }, null);
  }

  text(text: string, choice = 0, logprobs?: unknown[]) {
    return this.#chunk({ content: text }, null, choice, logprobs);
  }

  toolCall(call: ToolCall, choice = 0) {
    const index = this.#toolIndex.get(choice) ?? 0;
    this.#toolIndex.set(choice, index + 1);
    return this.#chunk({ tool_calls: [{ index, ...toOpenAIToolCall(call) }] }, null, choice);
  }

  finish(reason: FinishReason, choice = 0) {
    return this.#chunk({}, toOpenAIFinishReason(reason), choice);
  }

  /** The chunks one stream part becomes. */
  part(part: StreamPart): unknown[] {
    switch (part.type) {
      case "text-delta":
        return [this.text(part.text, part.choice ?? 0, part.logprobs)];
      case "tool-call":
        return [this.toolCall(part.toolCall, part.choice ?? 0)];
      case "reasoning-delta":
        return [this.#chunk({ reasoning_content: part.text }, null)];
      case "reasoning-end":
      case "reasoning-redacted":
        return [];
      case "finish": {
        const chunks: unknown[] = [this.finish(part.finishReason)];
        for (const other of part.otherChoices ?? []) chunks.push(this.finish(other.finishReason, other.choice));
        if (this.#includeUsage) chunks.push(this.usage(part.usage));
        return chunks;
      }
    }
  }

  /** The extra usage chunk (empty choices) sent when `stream_options.include_usage` is set. */
  usage(usage: Usage) {
    return {
      id: this.#identity.id,
      object: "chat.completion.chunk" as const,
      created: this.#identity.created,
      model: this.#identity.model,
      choices: [],
      usage: toOpenAIUsage(usage),
    };
  }
}

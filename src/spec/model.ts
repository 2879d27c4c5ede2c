import type { JsonSchema } from "./json-schema.ts";

/**
 * The contract between the gateway and every model provider (local engine, self-hosted server,
 * closed API). Dialects (OpenAI, Anthropic, ...) convert their wire formats to and from these
 * types; providers never see a dialect's wire format or the HTTP framework.
 */

export interface TextPart {
  type: "text";
  text: string;
}

export interface ImagePart {
  type: "image";
  /** An http(s) URL or a data: URL. */
  url: string;
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  arguments: string;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] | undefined }
  | { role: "tool"; toolCallId: string; content: string };

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

/** `auto`: the model decides; `required`: it must call one; `{ name }`: it must call that one. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: JsonSchema; strict?: boolean | undefined };

/** Sampling and length settings shared by chat and text completion. */
export interface GenerationSettings {
  /** Upper bound on generated tokens; undefined means "until the context is full". */
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  seed?: number | undefined;
  stop?: string[] | undefined;
}

export interface ChatRequest extends GenerationSettings {
  /** The provider-side model name (after routing). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  responseFormat?: ResponseFormat | undefined;
}

export interface CompletionRequest extends GenerationSettings {
  model: string;
  /** Raw prompt text; no chat template is applied. */
  prompt: string;
}

export interface EmbeddingRequest {
  model: string;
  input: string[];
}

export interface EmbeddingResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * What a provider emits while generating. Text arrives as deltas; a tool call arrives whole
 * (name and complete JSON arguments) so no dialect ever forwards half an argument list;
 * exactly one `finish` part ends a successful stream.
 */
export type StreamPart =
  | { type: "text-delta"; text: string }
  | { type: "tool-call"; toolCall: ToolCall }
  | { type: "finish"; finishReason: FinishReason; usage: Usage };

export interface CallOptions {
  /** Aborted when the client goes away or a timeout fires; providers stop work at once. */
  signal: AbortSignal;
}

/** Static facts about a model that the API surface reports (e.g. `GET /v1/models`). */
export interface ModelInfo {
  /** The public name clients use. */
  name: string;
  provider: string;
  /** Context window in tokens, as configured (not the model's trained maximum). */
  contextLength?: number | undefined;
  /** Where the data goes when this model is used. */
  locality: "in-process" | "self-hosted" | "third-party";
  capabilities: { chat: boolean; completion: boolean; embedding: boolean };
}

export interface ModelProvider {
  readonly id: string;
  /** Streams a chat completion. Throws HearthError before the first part for request errors. */
  chat(request: ChatRequest, options: CallOptions): AsyncIterable<StreamPart>;
  /** Streams a raw text completion (`/v1/completions`). */
  complete(request: CompletionRequest, options: CallOptions): AsyncIterable<StreamPart>;
  embed(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResult>;
}

/** Collects a stream into one result: the non-streaming path is the streaming path, drained. */
export interface CollectedResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

export async function collect(parts: AsyncIterable<StreamPart>): Promise<CollectedResult> {
  let text = "";
  const toolCalls: ToolCall[] = [];
  let finish: { finishReason: FinishReason; usage: Usage } | undefined;
  for await (const part of parts) {
    if (part.type === "text-delta") text += part.text;
    else if (part.type === "tool-call") toolCalls.push(part.toolCall);
    else finish = part;
  }
  if (finish === undefined) throw new Error("Model stream ended without a finish part.");
  return { text, toolCalls, finishReason: finish.finishReason, usage: finish.usage };
}

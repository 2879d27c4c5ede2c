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

/**
 * A model's visible reasoning (Anthropic "thinking" blocks, reasoning models' summaries). Kept so
 * a multi-turn conversation can hand it back to the provider that produced it: Anthropic
 * requires signed thinking blocks to be returned unchanged when tools are in use.
 */
export type ReasoningBlock =
  | { type: "reasoning"; text: string; signature?: string | undefined }
  | { type: "redacted-reasoning"; data: string };

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      toolCalls?: ToolCall[] | undefined;
      reasoning?: ReasoningBlock[] | undefined;
    }
  | { role: "tool"; toolCallId: string; content: string | ContentPart[]; isError?: boolean | undefined };

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

/** The wire formats Hearth speaks, to clients (dialects) and to upstreams (providers). */
export type WireFormat = "openai" | "anthropic" | "gemini";

/**
 * Request fields Hearth does not interpret, kept verbatim in the client's own wire format.
 * A provider that speaks the same format merges them into its upstream body (so `logit_bias`,
 * `user`, `metadata` or a vendor's own fields reach the vendor); a provider that cannot honour
 * one that changes the answer (`n`, `logprobs`) refuses with a 400 rather than ignore it.
 */
export interface Passthrough {
  format: WireFormat;
  fields: Record<string, unknown>;
}

export interface ChatRequest extends GenerationSettings {
  /** The provider-side model name (after routing). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  /** false forbids more than one tool call per turn (OpenAI `parallel_tool_calls`, Anthropic `disable_parallel_tool_use`). */
  parallelToolCalls?: boolean | undefined;
  responseFormat?: ResponseFormat | undefined;
  /** Extended thinking / reasoning budget, for providers that support it. */
  reasoning?: { budgetTokens?: number | undefined; effort?: "minimal" | "low" | "medium" | "high" | undefined } | undefined;
  passthrough?: Passthrough | undefined;
}

export interface CompletionRequest extends GenerationSettings {
  model: string;
  /** Raw prompt text; no chat template is applied. */
  prompt: string;
  passthrough?: Passthrough | undefined;
}

export interface EmbeddingRequest {
  model: string;
  input: string[];
  /** Requested vector size, for models that can shorten their output (OpenAI `dimensions`). */
  dimensions?: number | undefined;
  passthrough?: Passthrough | undefined;
}

export interface EmbeddingResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface Usage {
  /** All prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens read from a provider-side cache (part of inputTokens). */
  cacheReadTokens?: number | undefined;
  /** Prompt tokens written to a provider-side cache (part of inputTokens). */
  cacheWriteTokens?: number | undefined;
  /** Output tokens spent on reasoning (part of outputTokens). */
  reasoningTokens?: number | undefined;
}

/**
 * What a provider emits while generating. Text arrives as deltas; a tool call arrives whole
 * (name and complete JSON arguments) so no dialect ever forwards half an argument list;
 * exactly one `finish` part ends a successful stream.
 */
export type StreamPart =
  | TextDeltaPart
  | { type: "tool-call"; toolCall: ToolCall; choice?: number | undefined }
  | { type: "reasoning-delta"; text: string }
  /** Closes one reasoning block; Anthropic signs thinking blocks so they can be sent back. */
  | { type: "reasoning-end"; signature?: string | undefined }
  | { type: "reasoning-redacted"; data: string }
  | FinishPart;

export interface TextDeltaPart {
  type: "text-delta";
  text: string;
  /** Which of several choices this belongs to (OpenAI `n`); absent means 0. */
  choice?: number | undefined;
  /** OpenAI-format token log-probabilities, passed through when the client asked for them. */
  logprobs?: unknown[] | undefined;
}

export interface FinishPart {
  type: "finish";
  finishReason: FinishReason;
  usage: Usage;
  /** Finish reasons of choices 1..n-1 when more than one choice was generated (OpenAI `n`). */
  otherChoices?: Array<{ choice: number; finishReason: FinishReason }> | undefined;
  /** The stop sequence that ended generation, when the provider reports it. */
  stopSequence?: string | undefined;
  /**
   * Facts a provider reports that have no common field, keyed by provider kind, e.g.
   * `{ gemini: { safetyRatings: [...] } }`. Dialects may surface them; they never carry secrets.
   */
  providerMetadata?: Record<string, unknown> | undefined;
}

export interface CallOptions {
  /** Aborted when the client goes away or a timeout fires; providers stop work at once. */
  signal: AbortSignal;
  /**
   * false when the client will read the whole answer at once: a remote provider may then make a
   * non-streaming upstream call and emit all parts together. Absent means streaming.
   */
  stream?: boolean | undefined;
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
  /** Counts a chat request's prompt tokens as the model will see them (Anthropic `count_tokens`); optional. */
  countTokens?(request: ChatRequest, options: CallOptions): Promise<number>;
  /** Streams a chat completion. Throws HearthError before the first part for request errors. */
  chat(request: ChatRequest, options: CallOptions): AsyncIterable<StreamPart>;
  /** Streams a raw text completion (`/v1/completions`). */
  complete(request: CompletionRequest, options: CallOptions): AsyncIterable<StreamPart>;
  embed(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResult>;
}

/** One choice of a collected result. */
export interface CollectedChoice {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** Present only when the provider passed log-probabilities through. */
  logprobs?: unknown[] | undefined;
}

/** Collects a stream into one result: the non-streaming path is the streaming path, drained. */
export interface CollectedResult extends CollectedChoice {
  usage: Usage;
  reasoning: ReasoningBlock[];
  /** Choices 1..n-1 (OpenAI `n`); empty for the usual single choice. */
  otherChoices: CollectedChoice[];
  stopSequence?: string | undefined;
  providerMetadata?: Record<string, unknown> | undefined;
}

export async function collect(parts: AsyncIterable<StreamPart>): Promise<CollectedResult> {
  const choices: CollectedChoice[] = [];
  const choiceAt = (index: number): CollectedChoice => {
    let choice = choices[index];
    if (choice === undefined) {
      choice = { text: "", toolCalls: [], finishReason: "stop" };
      choices[index] = choice;
    }
    return choice;
  };
  choiceAt(0);
  const reasoning: ReasoningBlock[] = [];
  let openReasoning: { type: "reasoning"; text: string; signature?: string | undefined } | undefined;
  let finish: FinishPart | undefined;
  for await (const part of parts) {
    switch (part.type) {
      case "text-delta": {
        const choice = choiceAt(part.choice ?? 0);
        choice.text += part.text;
        if (part.logprobs !== undefined) (choice.logprobs ??= []).push(...part.logprobs);
        break;
      }
      case "tool-call":
        choiceAt(part.choice ?? 0).toolCalls.push(part.toolCall);
        break;
      case "reasoning-delta":
        if (openReasoning === undefined) {
          openReasoning = { type: "reasoning", text: "" };
          reasoning.push(openReasoning);
        }
        openReasoning.text += part.text;
        break;
      case "reasoning-end":
        if (openReasoning === undefined) reasoning.push({ type: "reasoning", text: "", signature: part.signature });
        else if (part.signature !== undefined) openReasoning.signature = part.signature;
        openReasoning = undefined;
        break;
      case "reasoning-redacted":
        reasoning.push({ type: "redacted-reasoning", data: part.data });
        break;
      case "finish":
        finish = part;
        break;
    }
  }
  if (finish === undefined) throw new Error("Model stream ended without a finish part.");
  const first = choiceAt(0);
  first.finishReason = finish.finishReason;
  for (const other of finish.otherChoices ?? []) choiceAt(other.choice).finishReason = other.finishReason;
  return {
    ...first,
    usage: finish.usage,
    reasoning,
    otherChoices: Array.from(choices.slice(1), (choice) => choice ?? { text: "", toolCalls: [], finishReason: "stop" as FinishReason }),
    stopSequence: finish.stopSequence,
    providerMetadata: finish.providerMetadata,
  };
}

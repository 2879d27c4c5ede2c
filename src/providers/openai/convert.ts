import { HearthError } from "../../spec/errors.ts";
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  ContentPart,
  EmbeddingRequest,
  EmbeddingResult,
  FinishPart,
  FinishReason,
  Passthrough,
  StreamPart,
  TextDeltaPart,
  Usage,
} from "../../spec/model.ts";
import { scrub } from "../shared/upstream.ts";

/**
 * Pure converters between Hearth's contract (spec/model.ts) and OpenAI's Chat Completions,
 * Completions and Embeddings wire formats, as spoken by OpenAI and by every server that copies
 * it (vLLM, Ollama, llama-server, LM Studio, OpenRouter, Mistral, Groq, Together). No I/O here.
 * Responses are read through small structural types, not validated: this is the hot path.
 */

/**
 * Where OpenAI-compatible servers differ from OpenAI. Each field names one difference a real
 * server has (docs/providers.md lists which server needs which); defaults suit OpenAI itself.
 */
export interface OpenAIQuirks {
  /**
   * The field that carries the output limit. OpenAI's reasoning models accept only
   * `max_completion_tokens`; many self-hosted servers know only `max_tokens`. Default:
   * `max_completion_tokens` for api.openai.com, `max_tokens` elsewhere.
   */
  maxTokensField?: "max_tokens" | "max_completion_tokens" | undefined;
  /** Send `stream_options.include_usage` on streamed calls (default true). Mistral refuses the field. */
  streamUsage?: boolean | undefined;
  /** The sampling-seed field: OpenAI's `seed` (default) or Mistral's `random_seed`. */
  seedField?: "seed" | "random_seed" | undefined;
  /**
   * How `reasoning` settings are sent: OpenAI's `reasoning_effort` (default; a token budget has
   * no OpenAI field and is left out) or OpenRouter's `reasoning: { effort | max_tokens }`.
   */
  reasoningStyle?: "openai" | "openrouter" | undefined;
  /** `encoding_format` asked of `/embeddings` (default "float"; "base64" is smaller, not every server has it). */
  embeddingEncoding?: "float" | "base64" | undefined;
  /** Top-level body fields removed before sending, for servers that reject fields they do not know. */
  omitFields?: readonly string[] | undefined;
}

/** Quirks with every default filled in. */
export interface ResolvedQuirks {
  maxTokensField: "max_tokens" | "max_completion_tokens";
  streamUsage: boolean;
  seedField: "seed" | "random_seed";
  reasoningStyle: "openai" | "openrouter";
  embeddingEncoding: "float" | "base64";
  omitFields: readonly string[];
}

export function resolveQuirks(baseUrl: string, quirks: OpenAIQuirks = {}): ResolvedQuirks {
  let openai = false;
  try {
    openai = new URL(baseUrl).hostname === "api.openai.com";
  } catch {
    // an invalid URL fails later, in the HTTP client, with a better message
  }
  return {
    maxTokensField: quirks.maxTokensField ?? (openai ? "max_completion_tokens" : "max_tokens"),
    streamUsage: quirks.streamUsage ?? true,
    seedField: quirks.seedField ?? "seed",
    reasoningStyle: quirks.reasoningStyle ?? "openai",
    embeddingEncoding: quirks.embeddingEncoding ?? "float",
    omitFields: quirks.omitFields ?? [],
  };
}

type Body = Record<string, unknown>;

function wirePart(part: ContentPart): Body {
  return part.type === "text" ? { type: "text", text: part.text } : { type: "image_url", image_url: { url: part.url } };
}

/**
 * Chat messages in OpenAI's shape. Reasoning blocks are not sent back (Chat Completions has no
 * field for them). Tool results can only be text there, so images a tool returned follow the run
 * of tool messages as one user message.
 */
export function toWireMessages(messages: readonly ChatMessage[]): Body[] {
  const result: Body[] = [];
  let toolImages: Body[] | undefined;
  for (const message of messages) {
    if (toolImages !== undefined && message.role !== "tool") {
      result.push({ role: "user", content: toolImages });
      toolImages = undefined;
    }
    switch (message.role) {
      case "system":
        result.push({ role: "system", content: message.content });
        break;
      case "user":
        result.push({ role: "user", content: typeof message.content === "string" ? message.content : message.content.map(wirePart) });
        break;
      case "assistant": {
        const calls = message.toolCalls;
        if (calls !== undefined && calls.length > 0) {
          result.push({
            role: "assistant",
            content: message.content,
            tool_calls: calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
          });
        } else result.push({ role: "assistant", content: message.content ?? "" });
        break;
      }
      case "tool": {
        let text: string;
        if (typeof message.content === "string") text = message.content;
        else {
          text = "";
          for (const part of message.content) {
            if (part.type === "text") text += part.text;
            else (toolImages ??= []).push(wirePart(part));
          }
        }
        result.push({ role: "tool", tool_call_id: message.toolCallId, content: text });
        break;
      }
    }
  }
  if (toolImages !== undefined) result.push({ role: "user", content: toolImages });
  return result;
}

/** Fields a client sent in OpenAI's own format that Hearth does not interpret, added without overwriting ours. */
function mergePassthrough(body: Body, passthrough: Passthrough | undefined): void {
  if (passthrough === undefined || passthrough.format !== "openai") return;
  for (const key in passthrough.fields) {
    if (!(key in body)) body[key] = passthrough.fields[key];
  }
}

function finishBody(body: Body, request: { passthrough?: Passthrough | undefined }, quirks: ResolvedQuirks): Body {
  mergePassthrough(body, request.passthrough);
  for (const field of quirks.omitFields) delete body[field];
  return body;
}

function addStreaming(body: Body, stream: boolean, quirks: ResolvedQuirks): void {
  if (!stream) return;
  body.stream = true;
  if (quirks.streamUsage) body.stream_options = { include_usage: true };
}

/** A Chat Completions request body. */
export function toChatBody(request: ChatRequest, stream: boolean, quirks: ResolvedQuirks): Body {
  const body: Body = { model: request.model, messages: toWireMessages(request.messages) };
  const tools = request.tools;
  if (tools !== undefined && tools.length > 0) {
    body.tools = tools.map((tool) => ({
      type: "function",
      function: tool.description === undefined ? { name: tool.name, parameters: tool.parameters } : { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    const choice = request.toolChoice;
    if (choice !== undefined) body.tool_choice = typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
    // OpenAI refuses parallel_tool_calls without tools.
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  const format = request.responseFormat;
  if (format !== undefined && format.type !== "text") {
    body.response_format =
      format.type === "json_object"
        ? { type: "json_object" }
        : {
            type: "json_schema",
            json_schema: format.strict === undefined ? { name: format.name, schema: format.schema } : { name: format.name, schema: format.schema, strict: format.strict },
          };
  }
  if (request.maxTokens !== undefined) body[quirks.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.seed !== undefined) body[quirks.seedField] = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  const reasoning = request.reasoning;
  if (reasoning !== undefined) {
    if (quirks.reasoningStyle === "openrouter") {
      if (reasoning.effort !== undefined) body.reasoning = { effort: reasoning.effort };
      else if (reasoning.budgetTokens !== undefined) body.reasoning = { max_tokens: reasoning.budgetTokens };
    } else if (reasoning.effort !== undefined) body.reasoning_effort = reasoning.effort;
  }
  addStreaming(body, stream, quirks);
  return finishBody(body, request, quirks);
}

/** A legacy Completions request body (`max_tokens` is the only limit field that endpoint has). */
export function toCompletionBody(request: CompletionRequest, stream: boolean, quirks: ResolvedQuirks): Body {
  const body: Body = { model: request.model, prompt: request.prompt };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.seed !== undefined) body[quirks.seedField] = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  addStreaming(body, stream, quirks);
  return finishBody(body, request, quirks);
}

export function toEmbeddingBody(request: EmbeddingRequest, quirks: ResolvedQuirks): Body {
  const body: Body = { model: request.model, input: request.input, encoding_format: quirks.embeddingEncoding };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return finishBody(body, request, quirks);
}

interface WireEmbeddingResponse {
  data?: Array<{ index?: number; embedding?: number[] | string }> | null;
  usage?: { prompt_tokens?: number; total_tokens?: number } | null;
}

/** Little-endian float32 bytes in base64, as OpenAI sends `encoding_format: "base64"`. */
function decodeBase64Vector(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  const floats = new Float32Array(bytes.length >>> 2);
  new Uint8Array(floats.buffer).set(bytes.subarray(0, floats.length * 4));
  return Array.from(floats);
}

export function fromEmbeddingResponse(providerId: string, body: unknown, expected: number): EmbeddingResult {
  const data = (body as WireEmbeddingResponse | null)?.data;
  if (!Array.isArray(data)) throw new HearthError("upstream_error", `Upstream '${providerId}' sent an embeddings answer without data.`);
  const embeddings: number[][] = new Array<number[]>(expected);
  for (let position = 0; position < data.length; position++) {
    const entry = data[position];
    const index = entry?.index ?? position;
    const vector = entry?.embedding;
    if (index < 0 || index >= expected) continue;
    if (typeof vector === "string") embeddings[index] = decodeBase64Vector(vector);
    else if (Array.isArray(vector)) embeddings[index] = vector;
  }
  for (let index = 0; index < expected; index++) {
    if (embeddings[index] === undefined) {
      throw new HearthError("upstream_error", `Upstream '${providerId}' sent ${data.length} embeddings for ${expected} inputs.`);
    }
  }
  const usage = (body as WireEmbeddingResponse).usage;
  return { embeddings, usage: { inputTokens: usage?.prompt_tokens ?? usage?.total_tokens ?? 0 } };
}

// ---- responses: chunks and whole answers → StreamParts ----

export interface WireUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface WireToolCall {
  index?: number | null;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

interface WireMessageOrDelta {
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: WireToolCall[] | null;
  function_call?: { name?: string | null; arguments?: string | null } | null;
}

interface WireLegacyLogprobs {
  tokens?: string[] | null;
  token_logprobs?: Array<number | null> | null;
  top_logprobs?: Array<Record<string, number> | null> | null;
}

interface WireChoice {
  index?: number | null;
  /** Streamed chat chunks. */
  delta?: WireMessageOrDelta | null;
  /** Whole chat answers. */
  message?: WireMessageOrDelta | null;
  /** Legacy completions. */
  text?: string | null;
  logprobs?: ({ content?: unknown[] | null } & WireLegacyLogprobs) | null;
  finish_reason?: string | null;
  /** vLLM: the stop string (or token id) that ended this choice. */
  stop_reason?: unknown;
}

/** One `chat.completion(.chunk)` or `text_completion` object, read structurally. */
export interface WireChunk {
  choices?: WireChoice[] | null;
  usage?: WireUsage | null;
  /** Groq reports streamed usage here. */
  x_groq?: { usage?: WireUsage | null } | null;
  /** vLLM, llama-server and OpenRouter report a failure mid-stream as an event with `error`. */
  error?: unknown;
}

export function toUsage(wire: WireUsage): Usage {
  const usage: Usage = { inputTokens: wire.prompt_tokens ?? 0, outputTokens: wire.completion_tokens ?? 0 };
  const cached = wire.prompt_tokens_details?.cached_tokens;
  if (typeof cached === "number") usage.cacheReadTokens = cached;
  const reasoning = wire.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") usage.reasoningTokens = reasoning;
  return usage;
}

export function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    case "error":
      return "error";
    default:
      // "stop", and servers' own words for a natural end ("eos", "end_turn"...).
      return "stop";
  }
}

/** Legacy `{tokens, token_logprobs, top_logprobs}` → Chat Completions `logprobs.content` entries. */
export function fromLegacyLogprobs(legacy: WireLegacyLogprobs): unknown[] {
  const tokens = legacy.tokens ?? [];
  return tokens.map((token, index) => {
    const top = legacy.top_logprobs?.[index];
    return {
      token,
      logprob: legacy.token_logprobs?.[index] ?? null,
      bytes: null,
      top_logprobs: top === null || top === undefined ? [] : Object.entries(top).map(([candidate, logprob]) => ({ token: candidate, logprob, bytes: null })),
    };
  });
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

let generatedIds = 0;

/**
 * Turns OpenAI response objects, streamed or whole, into StreamParts: text as it comes, reasoning
 * from `reasoning_content` / `reasoning`, tool calls buffered per (choice, index) and emitted whole
 * in index order when their choice finishes, and one finish part at the end (`finish()`), which
 * refuses to exist if the upstream never finished the first choice.
 */
export class ChunkAccumulator {
  readonly #providerId: string;
  readonly #secrets: readonly string[];
  readonly #calls: Array<Array<PendingCall | undefined> | undefined> = [];
  readonly #finishes: Array<FinishReason | undefined> = [];
  #choices = 0;
  #usage: Usage | undefined;
  #reasoningOpen = false;
  #stopSequence: string | undefined;

  /** `secrets` are scrubbed from error messages the upstream sends mid-stream. */
  constructor(providerId: string, secrets: readonly string[] = []) {
    this.#providerId = providerId;
    this.#secrets = secrets;
  }

  /** Appends the parts one response object yields to `out`. */
  push(chunk: WireChunk, out: StreamPart[]): void {
    if (chunk.error !== undefined && chunk.error !== null) throw this.#streamError(chunk.error);
    const choices = chunk.choices;
    if (choices !== undefined && choices !== null) {
      for (let position = 0; position < choices.length; position++) {
        const choice = choices[position] as WireChoice;
        this.#choice(choice, choice.index ?? position, out);
      }
    }
    const usage = chunk.usage ?? chunk.x_groq?.usage;
    if (usage !== undefined && usage !== null) this.#usage = toUsage(usage);
  }

  /** True once every choice seen has a finish reason. */
  get complete(): boolean {
    if (this.#choices === 0) return false;
    for (let index = 0; index < this.#choices; index++) if (this.#finishes[index] === undefined) return false;
    return true;
  }

  /** The closing part; throws upstream_error when the upstream stopped before finishing. */
  finish(out: StreamPart[]): FinishPart {
    if (!this.complete) throw new HearthError("upstream_error", `Upstream '${this.#providerId}' stream ended early, before the answer was finished.`);
    this.#endReasoning(out);
    const part: FinishPart = {
      type: "finish",
      finishReason: this.#finishes[0] as FinishReason,
      usage: this.#usage ?? { inputTokens: 0, outputTokens: 0 },
    };
    if (this.#choices > 1) {
      const others: Array<{ choice: number; finishReason: FinishReason }> = [];
      for (let index = 1; index < this.#choices; index++) others.push({ choice: index, finishReason: this.#finishes[index] as FinishReason });
      part.otherChoices = others;
    }
    if (this.#stopSequence !== undefined) part.stopSequence = this.#stopSequence;
    return part;
  }

  #choice(choice: WireChoice, index: number, out: StreamPart[]): void {
    if (index >= this.#choices) this.#choices = index + 1;
    const delta = choice.delta ?? choice.message;
    const logprobs = choice.logprobs;
    let text: string | null | undefined;
    let tokenLogprobs: unknown[] | undefined;
    if (delta !== undefined && delta !== null) {
      if (index === 0) {
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (typeof reasoning === "string" && reasoning !== "") {
          this.#reasoningOpen = true;
          out.push({ type: "reasoning-delta", text: reasoning });
        }
      }
      text = delta.content ?? delta.refusal;
      if (logprobs?.content !== undefined && logprobs.content !== null && logprobs.content.length > 0) tokenLogprobs = logprobs.content;
      const calls = delta.tool_calls;
      if (calls !== undefined && calls !== null) {
        for (let position = 0; position < calls.length; position++) this.#toolFragment(index, calls[position] as WireToolCall);
      }
      const legacyCall = delta.function_call;
      if (legacyCall !== undefined && legacyCall !== null) this.#toolFragment(index, { index: 0, function: legacyCall });
    } else if (typeof choice.text === "string") {
      text = choice.text;
      if (logprobs?.tokens !== undefined && logprobs.tokens !== null && logprobs.tokens.length > 0) tokenLogprobs = fromLegacyLogprobs(logprobs);
    }
    if ((typeof text === "string" && text !== "") || tokenLogprobs !== undefined) {
      if (index === 0) this.#endReasoning(out);
      const part: TextDeltaPart = { type: "text-delta", text: text ?? "" };
      if (index !== 0) part.choice = index;
      if (tokenLogprobs !== undefined) part.logprobs = tokenLogprobs;
      out.push(part);
    }
    const reason = choice.finish_reason;
    if (reason !== undefined && reason !== null && this.#finishes[index] === undefined) {
      if (index === 0) this.#endReasoning(out);
      const emitted = this.#flushCalls(index, out);
      let finishReason = toFinishReason(reason);
      // OpenAI finishes a forced named tool call with "stop"; the call is still what happened.
      if (emitted && finishReason === "stop") finishReason = "tool_calls";
      this.#finishes[index] = finishReason;
      if (index === 0 && typeof choice.stop_reason === "string") this.#stopSequence = choice.stop_reason;
    }
  }

  #toolFragment(choice: number, fragment: WireToolCall): void {
    const calls = (this.#calls[choice] ??= []);
    let slot = fragment.index;
    if (typeof slot !== "number") {
      // Servers that leave out `index`: a new id opens a call, a fragment without one continues the last.
      const id = fragment.id;
      if (typeof id === "string" && id !== "") {
        const known = calls.findIndex((call) => call?.id === id);
        slot = known >= 0 ? known : calls.length;
      } else slot = Math.max(0, calls.length - 1);
    }
    let call = calls[slot];
    if (call === undefined) {
      call = { id: "", name: "", arguments: "" };
      calls[slot] = call;
    }
    if (typeof fragment.id === "string" && fragment.id !== "") call.id = fragment.id;
    const name = fragment.function?.name;
    if (typeof name === "string" && name !== "") call.name = name;
    const args = fragment.function?.arguments;
    if (typeof args === "string") call.arguments += args;
  }

  #flushCalls(choice: number, out: StreamPart[]): boolean {
    const calls = this.#calls[choice];
    if (calls === undefined) return false;
    let emitted = false;
    for (const call of calls) {
      if (call === undefined) continue;
      if (call.id === "") call.id = `call_hearth${(generatedIds += 1).toString(36)}`;
      const part: Extract<StreamPart, { type: "tool-call" }> = {
        type: "tool-call",
        toolCall: { id: call.id, name: call.name, arguments: call.arguments === "" ? "{}" : call.arguments },
      };
      if (choice !== 0) part.choice = choice;
      out.push(part);
      emitted = true;
    }
    this.#calls[choice] = undefined;
    return emitted;
  }

  #endReasoning(out: StreamPart[]): void {
    if (!this.#reasoningOpen) return;
    this.#reasoningOpen = false;
    out.push({ type: "reasoning-end" });
  }

  #streamError(error: unknown): HearthError {
    const message =
      typeof error === "string" ? error : typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string" ? (error as { message: string }).message : "";
    return new HearthError("upstream_error", `Upstream '${this.#providerId}' failed mid-stream${message === "" ? "" : `: ${scrub(message, this.#secrets).slice(0, 500)}`}`);
  }
}

/** A whole (non-streamed) chat or text completion as parts, the way the stream would have yielded them. */
export function partsFromResponse(providerId: string, body: unknown, secrets: readonly string[] = []): StreamPart[] {
  if (typeof body !== "object" || body === null) throw new HearthError("upstream_error", `Upstream '${providerId}' sent an answer that is not an object.`);
  const accumulator = new ChunkAccumulator(providerId, secrets);
  const parts: StreamPart[] = [];
  accumulator.push(body as WireChunk, parts);
  if (!accumulator.complete) throw new HearthError("upstream_error", `Upstream '${providerId}' sent an answer without a finished choice.`);
  parts.push(accumulator.finish(parts));
  return parts;
}

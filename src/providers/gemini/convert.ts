import { randomBytes } from "node:crypto";
import { HearthError } from "../../spec/errors.ts";
import type {
  ChatMessage,
  ChatRequest,
  ContentPart,
  EmbeddingRequest,
  FinishReason,
  Passthrough,
  ReasoningBlock,
  StreamPart,
  Usage,
} from "../../spec/model.ts";

/**
 * Pure converters between Hearth's contract and Google's Generative Language API (v1beta), in
 * both directions: a ChatRequest becomes a `generateContent` body, and GenerateContentResponse
 * chunks become StreamParts. No I/O here, so every mapping is unit-tested without a server.
 */

/** One part of a Gemini `Content`: exactly one data field, plus optional thought markers. */
export interface GeminiPart {
  text?: string | undefined;
  /** True on a thought summary (only returned with `thinkingConfig.includeThoughts`). */
  thought?: boolean | undefined;
  /** Opaque, base64: the model's reasoning state, to be handed back with the part it came on. */
  thoughtSignature?: string | undefined;
  inlineData?: { mimeType: string; data: string } | undefined;
  fileData?: { mimeType?: string | undefined; fileUri: string } | undefined;
  functionCall?: { name: string; args?: Record<string, unknown> | undefined; id?: string | undefined } | undefined;
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string | undefined } | undefined;
}

export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string | undefined;
  /** Full JSON Schema, passed as-is (see `toGenerateContentBody`). */
  parametersJsonSchema: unknown;
}

/** The `generateContent` request body. Passthrough may add fields Hearth does not model. */
export interface GenerateContentBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] } | undefined;
  tools?: Array<{ functionDeclarations?: GeminiFunctionDeclaration[] | undefined; [key: string]: unknown }> | undefined;
  toolConfig?: { functionCallingConfig?: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] | undefined } | undefined; [key: string]: unknown } | undefined;
  generationConfig?: Record<string, unknown> | undefined;
  [key: string]: unknown;
}

export interface GeminiSafetyRating {
  category: string;
  probability: string;
  blocked?: boolean | undefined;
}

export interface GeminiCandidate {
  content?: { role?: string | undefined; parts?: GeminiPart[] | undefined } | undefined;
  finishReason?: string | undefined;
  finishMessage?: string | undefined;
  index?: number | undefined;
  safetyRatings?: GeminiSafetyRating[] | undefined;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number | undefined;
  candidatesTokenCount?: number | undefined;
  totalTokenCount?: number | undefined;
  cachedContentTokenCount?: number | undefined;
  thoughtsTokenCount?: number | undefined;
  toolUsePromptTokenCount?: number | undefined;
}

export interface GenerateContentResponse {
  candidates?: GeminiCandidate[] | undefined;
  promptFeedback?: { blockReason?: string | undefined; safetyRatings?: GeminiSafetyRating[] | undefined } | undefined;
  usageMetadata?: GeminiUsageMetadata | undefined;
  modelVersion?: string | undefined;
  responseId?: string | undefined;
}

/**
 * Gemini's thought signatures travel through Hearth as `reasoning-end` signatures with this
 * prefix, so a later request can tell Gemini's own signatures (handed back) from another
 * provider's (Anthropic signs thinking blocks too), which Gemini would reject.
 */
export const signatureTag = "gemini:";

/** Google's documented value that turns signature validation off for a replayed function call. */
export const skipSignature = "skip_thought_signature_validator";

/** `GenerationConfig` fields: a passthrough field with one of these names goes under `generationConfig`. */
const generationConfigFields = new Set([
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "responseModalities",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "enableEnhancedCivicAnswers",
  "speechConfig",
  "thinkingConfig",
  "imageConfig",
  "mediaResolution",
]);

/** Thinking budgets for `reasoning.effort` on models that take a budget, not a level (Gemini 2.5). */
const effortBudgets = { minimal: 128, low: 1024, medium: 8192, high: 24576 } as const;

const contentFilterReasons = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

const extensionMimeTypes: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  bmp: "image/bmp",
  pdf: "application/pdf",
  mp3: "audio/mp3",
  wav: "audio/wav",
  mp4: "video/mp4",
  txt: "text/plain",
};

/** `models/<name>` unless the name is already a resource path (`tunedModels/x`, `models/x`). */
export function modelResource(model: string): string {
  return model.includes("/") ? model : `models/${model}`;
}

/** The URL path of a method on a model, e.g. `/models/gemini-2.5-flash:generateContent`. */
export function modelMethodPath(model: string, method: string): string {
  return `/${modelResource(model).split("/").map(encodeURIComponent).join("/")}:${method}`;
}

/** Major version of a `gemini-N…` model name, undefined for other names (aliases, tuned models). */
function geminiMajor(model: string): number | undefined {
  const match = /(?:^|\/)gemini-(\d+)/.exec(model);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Gemini 3 rejects a replayed function call without its thought signature. Names known to be
 * older (gemini-1.x, gemini-2.x) never need the skip value; every other name gets it, because
 * aliases such as `gemini-flash-latest` may point at a Gemini 3 model.
 */
function needsSignatures(model: string): boolean {
  const major = geminiMajor(model);
  return major === undefined || major >= 3;
}

/**
 * ChatRequest → `generateContent` body.
 *
 * - System messages (wherever they are) → `systemInstruction`, in order.
 * - User/assistant → `user`/`model` contents; tool results → `functionResponse` parts in a user
 *   content; consecutive contents of one role are merged (Gemini wants the responses to parallel
 *   calls in one content).
 * - Tools → `functionDeclarations` with `parametersJsonSchema`, which takes JSON Schema as-is.
 *   The older `parameters` field is a protobuf `Schema` (an OpenAPI 3.0 subset) that rejects the
 *   whole request on any keyword it has no field for (`additionalProperties`, `$ref`, `const`…),
 *   so sanitising for it would silently drop constraints; the JSON Schema field does not.
 *   Likewise `json_schema` → `responseJsonSchema`.
 * - `passthrough` with format "gemini" is merged last (see `mergePassthrough`).
 */
export function toGenerateContentBody(request: ChatRequest): GenerateContentBody {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const signaturesRequired = needsSignatures(request.model);
  for (const [index, message] of request.messages.entries()) {
    switch (message.role) {
      case "system":
        if (message.content !== "") system.push({ text: message.content });
        break;
      case "user":
        pushContent(contents, "user", userParts(message.content, index));
        break;
      case "assistant":
        pushContent(contents, "model", assistantParts(message, index, signaturesRequired));
        break;
      case "tool":
        pushContent(contents, "user", toolResultParts(message, index, request.messages));
        break;
    }
  }
  if (contents.length === 0) {
    throw new HearthError("invalid_request", "Gemini needs at least one user or assistant message besides the system prompt.", { param: "messages" });
  }
  const body: GenerateContentBody = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => {
          const declaration: GeminiFunctionDeclaration = { name: tool.name, parametersJsonSchema: tool.parameters };
          if (tool.description !== undefined) declaration.description = tool.description;
          return declaration;
        }),
      },
    ];
    if (request.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(request.toolChoice) };
  }
  const generationConfig = generationConfigOf(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return mergePassthrough(body, request.passthrough);
}

function functionCallingConfig(choice: NonNullable<ChatRequest["toolChoice"]>): NonNullable<GenerateContentBody["toolConfig"]>["functionCallingConfig"] {
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "none") return { mode: "NONE" };
  if (choice === "required") return { mode: "ANY" };
  return { mode: "ANY", allowedFunctionNames: [choice.name] };
}

function generationConfigOf(request: ChatRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  const format = request.responseFormat;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    config.responseJsonSchema = format.schema;
  }
  const reasoning = request.reasoning;
  if (reasoning !== undefined) {
    if (reasoning.budgetTokens !== undefined) config.thinkingConfig = { thinkingBudget: reasoning.budgetTokens, includeThoughts: true };
    else if (reasoning.effort !== undefined) {
      const major = geminiMajor(request.model);
      config.thinkingConfig =
        major !== undefined && major < 3
          ? { thinkingBudget: effortBudgets[reasoning.effort], includeThoughts: true }
          : { thinkingLevel: reasoning.effort.toUpperCase(), includeThoughts: true };
    }
  }
  return config;
}

/**
 * Applies the fields Hearth did not interpret.
 *
 * In Gemini's own format they are merged into the body: fields named like `GenerationConfig`
 * fields, and the members of a `generationConfig` object, go under `generationConfig` (replacing
 * Hearth's value for the same name); `tools` entries are appended (e.g. `{ googleSearch: {} }`
 * beside the function declarations); `toolConfig` is merged one level deep; any other field
 * (`safetySettings`, `cachedContent`…) is set at the top level. `contents` is never replaced.
 *
 * From other dialects only the fields with a Gemini counterpart are used (OpenAI `n` →
 * `candidateCount`, `presence_penalty` / `frequency_penalty`; Anthropic `top_k` → `topK`); OpenAI
 * fields that change the answer and have none (`logprobs`, `top_logprobs`, `logit_bias`) are
 * refused with 400 `unsupported`; the rest (`user`, `metadata`…) is ignored.
 */
export function mergePassthrough(body: GenerateContentBody, passthrough: Passthrough | undefined): GenerateContentBody {
  if (passthrough === undefined) return body;
  if (passthrough.format === "openai") return withOpenAIFields(body, passthrough.fields);
  if (passthrough.format === "anthropic") {
    const topK = passthrough.fields.top_k;
    return typeof topK === "number" ? { ...body, generationConfig: { ...body.generationConfig, topK } } : body;
  }
  const result: GenerateContentBody = { ...body };
  const generationConfig: Record<string, unknown> = { ...body.generationConfig };
  for (const [key, value] of Object.entries(passthrough.fields)) {
    if (value === undefined || key === "contents") continue;
    if (key === "generationConfig" && isRecord(value)) Object.assign(generationConfig, value);
    else if (generationConfigFields.has(key)) generationConfig[key] = value;
    else if (key === "tools" && Array.isArray(value)) result.tools = [...(body.tools ?? []), ...(value as NonNullable<GenerateContentBody["tools"]>)];
    else if (key === "toolConfig" && isRecord(value)) result.toolConfig = { ...body.toolConfig, ...value };
    else result[key] = value;
  }
  if (Object.keys(generationConfig).length > 0) result.generationConfig = generationConfig;
  return result;
}

function withOpenAIFields(body: GenerateContentBody, fields: Record<string, unknown>): GenerateContentBody {
  const refuse = (field: string, message: string): never => {
    throw new HearthError("unsupported", message, { param: field });
  };
  if (fields.logprobs !== undefined && fields.logprobs !== false) refuse("logprobs", "logprobs are not supported by Gemini providers.");
  if (typeof fields.top_logprobs === "number" && fields.top_logprobs > 0) refuse("top_logprobs", "logprobs are not supported by Gemini providers.");
  if (isRecord(fields.logit_bias) && Object.keys(fields.logit_bias).length > 0) refuse("logit_bias", "logit_bias is not supported by Gemini providers.");
  const generationConfig: Record<string, unknown> = { ...body.generationConfig };
  if (typeof fields.n === "number" && fields.n !== 1) generationConfig.candidateCount = fields.n;
  if (typeof fields.presence_penalty === "number") generationConfig.presencePenalty = fields.presence_penalty;
  if (typeof fields.frequency_penalty === "number") generationConfig.frequencyPenalty = fields.frequency_penalty;
  return Object.keys(generationConfig).length > 0 ? { ...body, generationConfig } : body;
}

function pushContent(contents: GeminiContent[], role: GeminiContent["role"], parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last !== undefined && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function userParts(content: string | ContentPart[], index: number): GeminiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  return content.flatMap((part): GeminiPart[] => {
    if (part.type === "text") return part.text === "" ? [] : [{ text: part.text }];
    return [imagePart(part.url, index)];
  });
}

/** data: URLs → `inlineData`; http(s) URLs → `fileData` with a MIME type guessed from the extension. */
export function imagePart(url: string, index: number): GeminiPart {
  if (url.startsWith("data:")) {
    const comma = url.indexOf(",");
    const header = comma === -1 ? "" : url.slice(5, comma);
    const [mimeType, ...parameters] = header.split(";");
    if (comma === -1 || mimeType === undefined || mimeType === "") {
      throw new HearthError("invalid_request", "An image data: URL must name its media type, e.g. data:image/png;base64,…", { param: `messages[${index}].content` });
    }
    const payload = url.slice(comma + 1);
    const data = parameters.includes("base64") ? payload.replace(/\s+/g, "") : Buffer.from(decodeURIComponent(payload), "utf8").toString("base64");
    return { inlineData: { mimeType, data } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HearthError("invalid_request", "An image URL must be an http(s) or data: URL.", { param: `messages[${index}].content` });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:" && parsed.protocol !== "gs:") {
    throw new HearthError("invalid_request", "An image URL must be an http(s) or data: URL.", { param: `messages[${index}].content` });
  }
  const extension = /\.([a-z0-9]+)$/i.exec(parsed.pathname)?.[1]?.toLowerCase();
  const mimeType = extension === undefined ? undefined : extensionMimeTypes[extension];
  return { fileData: mimeType === undefined ? { fileUri: url } : { mimeType, fileUri: url } };
}

function assistantParts(message: Extract<ChatMessage, { role: "assistant" }>, index: number, signaturesRequired: boolean): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (message.content !== null && message.content !== "") parts.push({ text: message.content });
  const calls: GeminiPart[] = (message.toolCalls ?? []).map((call, callIndex) => ({
    functionCall: { name: call.name, args: parseArguments(call.arguments, `messages[${index}].tool_calls[${callIndex}]`) },
  }));
  parts.push(...calls);
  const signature = ownSignature(message.reasoning);
  const signed = calls[0] ?? parts.at(-1);
  if (signed !== undefined && signature !== undefined) signed.thoughtSignature = signature;
  const firstCall = calls[0];
  if (firstCall !== undefined && firstCall.thoughtSignature === undefined && signaturesRequired) firstCall.thoughtSignature = skipSignature;
  return parts;
}

/** The last Gemini signature among a turn's reasoning blocks, untagged; others are not Gemini's. */
function ownSignature(reasoning: ReasoningBlock[] | undefined): string | undefined {
  let found: string | undefined;
  for (const block of reasoning ?? []) {
    if (block.type === "reasoning" && block.signature?.startsWith(signatureTag) === true) found = block.signature.slice(signatureTag.length);
  }
  return found;
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HearthError("invalid_request", "Tool call arguments must be a JSON object; Gemini takes them as a structured value.", { param });
  }
  if (!isRecord(value)) throw new HearthError("invalid_request", "Tool call arguments must be a JSON object.", { param });
  return value;
}

/**
 * A tool result → a `functionResponse` part, named after the earlier call with the same id
 * (Gemini matches responses by name and order; the Developer API has no call ids). The response
 * is the JSON object the tool returned, else `{ result: text }`; a failed tool's output goes
 * under `error`, the key Google documents for it. Images in the result follow as separate parts.
 */
function toolResultParts(message: Extract<ChatMessage, { role: "tool" }>, index: number, messages: ChatMessage[]): GeminiPart[] {
  const name = toolNameFor(message.toolCallId, messages, index);
  if (name === undefined) {
    throw new HearthError("invalid_request", `Tool result ${JSON.stringify(message.toolCallId)} answers no earlier tool call.`, { param: `messages[${index}].tool_call_id` });
  }
  const content = message.content;
  const text = typeof content === "string" ? content : content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
  const images = typeof content === "string" ? [] : content.flatMap((part) => (part.type === "image" ? [imagePart(part.url, index)] : []));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const response: Record<string, unknown> = message.isError === true ? { error: isRecord(parsed) ? parsed : text } : isRecord(parsed) ? parsed : { result: text };
  return [{ functionResponse: { name, response } }, ...images];
}

function toolNameFor(id: string, messages: ChatMessage[], before: number): string | undefined {
  for (let index = before - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== "assistant") continue;
    const call = message.toolCalls?.find((candidate) => candidate.id === id);
    if (call !== undefined) return call.name;
  }
  return undefined;
}

/** The `countTokens` body: the whole generate request, so system prompt and tools are counted too. */
export function toCountTokensBody(request: ChatRequest): { generateContentRequest: Record<string, unknown> } {
  return { generateContentRequest: { model: modelResource(request.model), ...toGenerateContentBody(request) } };
}

/** The `batchEmbedContents` body; Gemini passthrough fields (`taskType`, `title`) go on every entry. */
export function toBatchEmbedBody(request: EmbeddingRequest, inputs: string[]): { requests: Array<Record<string, unknown>> } {
  const extra = request.passthrough?.format === "gemini" ? request.passthrough.fields : {};
  return {
    requests: inputs.map((text) => {
      const entry: Record<string, unknown> = { model: modelResource(request.model), content: { parts: [{ text }] } };
      if (request.dimensions !== undefined) entry.outputDimensionality = request.dimensions;
      return { ...entry, ...extra };
    }),
  };
}

/** Gemini finish reason → Hearth's; STOP after function calls is `tool_calls`. */
export function finishReasonOf(reason: string, madeToolCalls: boolean): FinishReason {
  if (reason === "STOP") return madeToolCalls ? "tool_calls" : "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (contentFilterReasons.has(reason)) return "content_filter";
  return "error";
}

/** Output tokens include thought tokens, which Gemini bills as output but counts apart. */
export function usageOf(metadata: GeminiUsageMetadata | undefined): Usage {
  const thoughts = metadata?.thoughtsTokenCount;
  const usage: Usage = {
    inputTokens: (metadata?.promptTokenCount ?? 0) + (metadata?.toolUsePromptTokenCount ?? 0),
    outputTokens: (metadata?.candidatesTokenCount ?? 0) + (thoughts ?? 0),
  };
  if (metadata?.cachedContentTokenCount !== undefined) usage.cacheReadTokens = metadata.cachedContentTokenCount;
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}

interface CandidateState {
  madeToolCalls: boolean;
  finishReason: string | undefined;
  finishMessage: string | undefined;
  safetyRatings: GeminiSafetyRating[] | undefined;
}

export interface ResponseConverter {
  /** Converts one GenerateContentResponse (a stream chunk, or the whole answer) into parts. */
  push(response: GenerateContentResponse): StreamPart[];
  /** Ends the answer: the `finish` part, or an upstream_error when Gemini never said it finished. */
  end(): StreamPart[];
}

export interface ResponseConverterOptions {
  /** Makes the id of a function call that came without one (default `call_<random>_<n>`). */
  callId?: (() => string) | undefined;
}

/**
 * GenerateContentResponse chunks → StreamParts, for streams and whole answers alike.
 *
 * Text parts become `text-delta`s; thought parts `reasoning-delta`s (choice 0 only: reasoning
 * parts carry no choice); a `functionCall` arrives whole from Gemini and becomes one `tool-call`
 * with a synthesised id when Gemini gave none. A part's `thoughtSignature` closes the reasoning
 * block as `reasoning-end` with the tagged signature, so it can come back on the next request.
 * `usageMetadata` is cumulative in a stream: the last one counts. Safety ratings, prompt
 * feedback and unusual finish reasons end up in `finish.providerMetadata.gemini`.
 */
export function createResponseConverter(options: ResponseConverterOptions = {}): ResponseConverter {
  const prefix = randomBytes(6).toString("hex");
  let calls = 0;
  const callId = options.callId ?? (() => `call_${prefix}_${calls++}`);
  const candidates = new Map<number, CandidateState>();
  let usage: GeminiUsageMetadata | undefined;
  let promptFeedback: GenerateContentResponse["promptFeedback"];
  let reasoningOpen = false;

  const stateOf = (index: number): CandidateState => {
    let state = candidates.get(index);
    if (state === undefined) {
      state = { madeToolCalls: false, finishReason: undefined, finishMessage: undefined, safetyRatings: undefined };
      candidates.set(index, state);
    }
    return state;
  };

  return {
    push(response) {
      if (response.usageMetadata !== undefined) usage = response.usageMetadata;
      if (response.promptFeedback !== undefined) promptFeedback = response.promptFeedback;
      const parts: StreamPart[] = [];
      for (const candidate of response.candidates ?? []) {
        const index = candidate.index ?? 0;
        const state = stateOf(index);
        const choice = index === 0 ? {} : { choice: index };
        const closeReasoning = (signature: string | undefined): void => {
          if (index !== 0) return;
          if (signature !== undefined) parts.push({ type: "reasoning-end", signature: signatureTag + signature });
          else if (reasoningOpen) parts.push({ type: "reasoning-end" });
          reasoningOpen = false;
        };
        for (const part of candidate.content?.parts ?? []) {
          if (part.thought === true) {
            if (index === 0 && typeof part.text === "string" && part.text !== "") {
              parts.push({ type: "reasoning-delta", text: part.text });
              reasoningOpen = true;
            }
            if (part.thoughtSignature !== undefined) closeReasoning(part.thoughtSignature);
          } else if (part.functionCall !== undefined) {
            closeReasoning(part.thoughtSignature);
            state.madeToolCalls = true;
            const call = part.functionCall;
            parts.push({
              type: "tool-call",
              toolCall: { id: call.id ?? callId(), name: call.name, arguments: JSON.stringify(call.args ?? {}) },
              ...choice,
            });
          } else if (typeof part.text === "string") {
            closeReasoning(part.thoughtSignature);
            if (part.text !== "") parts.push({ type: "text-delta", text: part.text, ...choice });
          } else if (part.thoughtSignature !== undefined) {
            closeReasoning(part.thoughtSignature);
          }
          // Other parts (generated images, code execution) have no StreamPart and are left out.
        }
        if (candidate.finishReason !== undefined) state.finishReason = candidate.finishReason;
        if (candidate.finishMessage !== undefined) state.finishMessage = candidate.finishMessage;
        if (candidate.safetyRatings !== undefined) state.safetyRatings = candidate.safetyRatings;
      }
      return parts;
    },

    end() {
      const parts: StreamPart[] = [];
      if (reasoningOpen) parts.push({ type: "reasoning-end" });
      reasoningOpen = false;
      const first = candidates.get(0);
      if (first === undefined) {
        if (promptFeedback?.blockReason !== undefined) {
          parts.push({ type: "finish", finishReason: "content_filter", usage: usageOf(usage), providerMetadata: { gemini: { promptFeedback } } });
          return parts;
        }
        throw new HearthError("upstream_error", "Gemini's answer ended without a candidate or a finish reason.");
      }
      for (const [index, state] of candidates) {
        if (state.finishReason === undefined) {
          throw new HearthError("upstream_error", `Gemini's answer ended before candidate ${index} finished (no finishReason): the stream was cut.`);
        }
      }
      const metadata: Record<string, unknown> = {};
      const reason = first.finishReason ?? "STOP";
      if (reason !== "STOP" && reason !== "MAX_TOKENS") metadata.finishReason = reason;
      if (first.finishMessage !== undefined) metadata.finishMessage = first.finishMessage;
      if (first.safetyRatings !== undefined) metadata.safetyRatings = first.safetyRatings;
      if (promptFeedback !== undefined) metadata.promptFeedback = promptFeedback;
      const others = [...candidates.entries()]
        .filter(([index]) => index !== 0)
        .sort(([a], [b]) => a - b)
        .map(([index, state]) => ({ choice: index, finishReason: finishReasonOf(state.finishReason ?? "STOP", state.madeToolCalls) }));
      parts.push({
        type: "finish",
        finishReason: finishReasonOf(reason, first.madeToolCalls),
        usage: usageOf(usage),
        ...(others.length > 0 ? { otherChoices: others } : {}),
        ...(Object.keys(metadata).length > 0 ? { providerMetadata: { gemini: metadata } } : {}),
      });
      return parts;
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

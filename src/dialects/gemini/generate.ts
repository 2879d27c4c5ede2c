import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { JsonSchema, JsonValue } from "../../spec/json-schema.ts";
import type {
  ChatMessage,
  ChatRequest,
  CollectedChoice,
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
import { parseBody } from "../openai/validate.ts";
import { fromGeminiSchema } from "./schema.ts";

const jsonObject = z.record(z.string(), z.unknown());

const partSchema = z.looseObject({
  text: z.string().optional(),
  inlineData: z.looseObject({ mimeType: z.string().min(1), data: z.string() }).optional(),
  fileData: z.looseObject({ fileUri: z.string().min(1), mimeType: z.string().optional() }).optional(),
  functionCall: z.looseObject({ name: z.string().min(1), args: jsonObject.optional(), id: z.string().optional() }).optional(),
  functionResponse: z
    .looseObject({ name: z.string().min(1), response: jsonObject.optional(), id: z.string().optional(), parts: z.array(z.unknown()).optional() })
    .optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
});

const contentSchema = z.looseObject({
  role: z.enum(["user", "model", "function"]).optional(),
  parts: z.array(partSchema),
});

const functionDeclarationSchema = z.looseObject({
  name: z.string().min(1, "a function name is required"),
  description: z.string().optional(),
  parameters: jsonObject.optional(),
  parametersJsonSchema: jsonObject.optional(),
});

const toolSchema = z.looseObject({ functionDeclarations: z.array(functionDeclarationSchema).optional() });

const toolConfigSchema = z.looseObject({
  functionCallingConfig: z
    .looseObject({
      mode: z.enum(["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]).optional(),
      allowedFunctionNames: z.array(z.string()).optional(),
    })
    .optional(),
});

const thinkingConfigSchema = z.looseObject({
  thinkingBudget: z.number().int().min(-1).optional(),
  includeThoughts: z.boolean().optional(),
  thinkingLevel: z.enum(["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"]).optional(),
});

const generationConfigSchema = z.looseObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  stopSequences: z.array(z.string()).max(5, "at most 5 stop sequences").optional(),
  candidateCount: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  responseMimeType: z.string().optional(),
  responseSchema: jsonObject.optional(),
  responseJsonSchema: jsonObject.optional(),
  responseModalities: z.array(z.string()).optional(),
  thinkingConfig: thinkingConfigSchema.optional(),
});

/** Gemini's GenerateContentRequest body (v1beta). Fields Hearth does not interpret travel as passthrough. */
export const generateContentBody = z.looseObject({
  contents: z.array(contentSchema).min(1, "at least one content is required"),
  systemInstruction: contentSchema.optional(),
  tools: z.array(toolSchema).optional(),
  toolConfig: toolConfigSchema.optional(),
  generationConfig: generationConfigSchema.optional(),
  cachedContent: z.string().optional(),
});

export type GenerateContentBody = z.output<typeof generateContentBody>;
type GeminiPart = z.output<typeof partSchema>;
type GeminiContent = z.output<typeof contentSchema>;

const interpretedBodyFields = new Set(["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"]);
const interpretedGenerationFields = new Set([
  "temperature", "topP", "maxOutputTokens", "stopSequences", "candidateCount", "seed",
  "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities", "thinkingConfig",
]);
/** Generation settings that ask for output Hearth's models cannot produce (audio, images). */
const refusedGenerationFields = new Set(["speechConfig", "imageConfig", "audioTimestamp"]);
/** Part fields that carry data Hearth's message model has no place for. */
const refusedPartFields = ["executableCode", "codeExecutionResult", "toolCall", "toolResponse"] as const;

function unsupported(message: string, param: string): HearthError {
  return new HearthError("unsupported", message, { param });
}

function invalid(message: string, param: string): HearthError {
  return new HearthError("invalid_request", message, { param });
}

function imageUrlOf(part: GeminiPart, path: string): string | undefined {
  if (part.inlineData !== undefined) {
    const mimeType = part.inlineData.mimeType.toLowerCase();
    if (!mimeType.startsWith("image/")) {
      throw unsupported(`Only images can be sent inline; '${part.inlineData.mimeType}' is not supported.`, `${path}.inlineData.mimeType`);
    }
    return `data:${mimeType};base64,${part.inlineData.data}`;
  }
  if (part.fileData !== undefined) {
    const mimeType = part.fileData.mimeType?.toLowerCase();
    if (mimeType === undefined || !mimeType.startsWith("image/")) {
      throw unsupported(`Only image files can be referenced; send fileData.mimeType image/* (got ${part.fileData.mimeType ?? "none"}).`, `${path}.fileData.mimeType`);
    }
    if (!/^https?:\/\//i.test(part.fileData.fileUri)) {
      throw unsupported("fileData.fileUri must be an http(s) URL; gs:// and uploaded-file URIs are not reachable from Hearth.", `${path}.fileData.fileUri`);
    }
    return part.fileData.fileUri;
  }
  return undefined;
}

function checkPart(part: GeminiPart, path: string): void {
  for (const field of refusedPartFields) {
    if (part[field] !== undefined) throw unsupported(`Parts of kind '${field}' are not supported.`, `${path}.${field}`);
  }
  const kinds = ["text", "inlineData", "fileData", "functionCall", "functionResponse"].filter((kind) => part[kind] !== undefined);
  if (kinds.length > 1) throw invalid(`A part holds exactly one kind of data; this one has ${kinds.join(" and ")}.`, path);
  if (kinds.length === 0 && part.thoughtSignature === undefined) throw invalid("A part needs text, inlineData, fileData, functionCall or functionResponse.", path);
}

interface OpenCall {
  id: string;
  name: string;
  answered: boolean;
}

/** Consecutive model contents are one assistant turn: the SDK's streaming chat stores one content per chunk. */
function toAssistantMessage(parts: Array<{ part: GeminiPart; path: string }>, turn: number): Extract<ChatMessage, { role: "assistant" }> {
  let text = "";
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningBlock[] = [];
  let open: { type: "reasoning"; text: string; signature?: string | undefined } | undefined;
  for (const { part, path } of parts) {
    checkPart(part, path);
    if (part.thought === true) {
      if (open === undefined) {
        open = { type: "reasoning", text: "" };
        reasoning.push(open);
      }
      open.text += part.text ?? "";
      if (part.thoughtSignature !== undefined) {
        open.signature = part.thoughtSignature;
        open = undefined;
      }
      continue;
    }
    open = undefined;
    if (part.text !== undefined) text += part.text;
    else if (part.functionCall !== undefined) {
      const call = part.functionCall;
      toolCalls.push({ id: call.id ?? `call_${turn}_${toolCalls.length}`, name: call.name, arguments: JSON.stringify(call.args ?? {}) });
    } else if (part.functionResponse !== undefined) {
      throw invalid("functionResponse parts belong in a user turn.", `${path}.functionResponse`);
    } else if (part.inlineData !== undefined || part.fileData !== undefined) {
      throw unsupported("Images in model turns are not supported.", path);
    }
    // A thoughtSignature on a non-thought part (Gemini signs function calls) has no slot in
    // Hearth's message model and is dropped; see docs/api/gemini.md.
  }
  return {
    role: "assistant",
    content: text === "" ? null : text,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
  };
}

function toUserMessages(content: GeminiContent, index: number, calls: OpenCall[]): ChatMessage[] {
  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  content.parts.forEach((part, partIndex) => {
    const path = `contents[${index}].parts[${partIndex}]`;
    checkPart(part, path);
    if (part.thought === true) throw invalid("Thought parts belong in model turns.", `${path}.thought`);
    if (part.text !== undefined) {
      parts.push({ type: "text", text: part.text });
      return;
    }
    const url = imageUrlOf(part, path);
    if (url !== undefined) {
      parts.push({ type: "image", url });
      return;
    }
    if (part.functionCall !== undefined) throw invalid("functionCall parts belong in a model turn.", `${path}.functionCall`);
    const answer = part.functionResponse;
    if (answer === undefined) return;
    if (answer.parts !== undefined && answer.parts.length > 0) {
      throw unsupported("Multimodal function responses (functionResponse.parts) are not supported.", `${path}.functionResponse.parts`);
    }
    let id = answer.id;
    const byId = id === undefined ? undefined : calls.find((call) => call.id === id);
    const call = byId ?? (id === undefined ? calls.find((candidate) => !candidate.answered && candidate.name === answer.name) : undefined);
    if (call !== undefined) {
      call.answered = true;
      id = call.id;
    }
    if (id === undefined) {
      throw invalid(`functionResponse '${answer.name}' answers no functionCall of that name in the previous model turn.`, `${path}.functionResponse.name`);
    }
    const response = answer.response ?? {};
    const keys = Object.keys(response);
    toolMessages.push({
      role: "tool",
      toolCallId: id,
      content: JSON.stringify(response),
      ...(keys.length === 1 && keys[0] === "error" ? { isError: true } : {}),
    });
  });
  const messages = [...toolMessages];
  if (parts.length === 1 && parts[0]?.type === "text") messages.push({ role: "user", content: parts[0].text });
  else if (parts.length > 0) messages.push({ role: "user", content: parts });
  return messages;
}

function toMessages(body: GenerateContentBody): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (body.systemInstruction !== undefined) {
    const texts = body.systemInstruction.parts.map((part, index) => {
      const path = `systemInstruction.parts[${index}]`;
      checkPart(part, path);
      if (part.text === undefined) throw unsupported("systemInstruction takes text parts only.", path);
      return part.text;
    });
    if (texts.length > 0) messages.push({ role: "system", content: texts.join("\n") });
  }
  let calls: OpenCall[] = [];
  const contents = body.contents;
  let index = 0;
  while (index < contents.length) {
    const content = contents[index] as GeminiContent;
    if (content.role !== "model") {
      messages.push(...toUserMessages(content, index, calls));
      index += 1;
      continue;
    }
    const turn = index;
    const parts: Array<{ part: GeminiPart; path: string }> = [];
    while (index < contents.length && contents[index]?.role === "model") {
      const at = index;
      (contents[at] as GeminiContent).parts.forEach((part, partIndex) => parts.push({ part, path: `contents[${at}].parts[${partIndex}]` }));
      index += 1;
    }
    const message = toAssistantMessage(parts, turn);
    calls = (message.toolCalls ?? []).map((call) => ({ id: call.id, name: call.name, answered: false }));
    if (message.content !== null || message.toolCalls !== undefined || message.reasoning !== undefined) messages.push(message);
  }
  if (!messages.some((message) => message.role !== "system")) throw invalid("contents hold no parts to send.", "contents");
  return messages;
}

function toTools(body: GenerateContentBody): ToolDefinition[] | undefined {
  if (body.tools === undefined) return undefined;
  const tools: ToolDefinition[] = [];
  body.tools.forEach((tool, toolIndex) => {
    for (const key of Object.keys(tool)) {
      if (key !== "functionDeclarations") {
        throw unsupported(`Gemini's built-in tool '${key}' is not available through Hearth; declare functions instead.`, `tools[${toolIndex}].${key}`);
      }
    }
    tool.functionDeclarations?.forEach((declaration, index) => {
      const path = `tools[${toolIndex}].functionDeclarations[${index}]`;
      if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined) {
        throw invalid("Send parameters or parametersJsonSchema, not both.", `${path}.parametersJsonSchema`);
      }
      let parameters: JsonSchema;
      if (declaration.parametersJsonSchema !== undefined) parameters = declaration.parametersJsonSchema as JsonSchema;
      else if (declaration.parameters !== undefined) parameters = fromGeminiSchema(declaration.parameters as { [key: string]: JsonValue }, `${path}.parameters`);
      else parameters = { type: "object", properties: {} };
      tools.push({ name: declaration.name, description: declaration.description, parameters });
    });
  });
  const names = new Set(tools.map((tool) => tool.name));
  if (names.size !== tools.length) throw invalid("Function names must be unique.", "tools");
  return tools.length > 0 ? tools : undefined;
}

function toToolSelection(body: GenerateContentBody, tools: ToolDefinition[] | undefined): { tools: ToolDefinition[] | undefined; toolChoice: ToolChoice | undefined } {
  const config = body.toolConfig?.functionCallingConfig;
  if (config === undefined) return { tools, toolChoice: undefined };
  const mode = config.mode === undefined || config.mode === "MODE_UNSPECIFIED" ? undefined : config.mode;
  if (mode === "NONE") return { tools, toolChoice: "none" };
  const allowed = config.allowedFunctionNames ?? [];
  if ((mode === "ANY" || allowed.length > 0) && tools === undefined) {
    throw invalid("functionCallingConfig requires functionDeclarations in tools.", "toolConfig.functionCallingConfig");
  }
  let selected = tools;
  if (allowed.length > 0 && tools !== undefined) {
    for (const name of allowed) {
      if (!tools.some((tool) => tool.name === name)) {
        throw invalid(`allowedFunctionNames names '${name}', which is not declared in tools.`, "toolConfig.functionCallingConfig.allowedFunctionNames");
      }
    }
    selected = tools.filter((tool) => allowed.includes(tool.name));
  }
  if (mode === "ANY") {
    const only = selected?.length === 1 ? selected[0] : undefined;
    return { tools: selected, toolChoice: only !== undefined ? { name: only.name } : "required" };
  }
  // AUTO and VALIDATED both leave the choice to the model; VALIDATED's constrained decoding is Gemini's own.
  return { tools: selected, toolChoice: mode === undefined ? undefined : "auto" };
}

function toResponseFormat(config: GenerateContentBody["generationConfig"]): ResponseFormat | undefined {
  if (config === undefined) return undefined;
  const mimeType = config.responseMimeType?.toLowerCase();
  const hasSchema = config.responseSchema !== undefined || config.responseJsonSchema !== undefined;
  if (config.responseSchema !== undefined && config.responseJsonSchema !== undefined) {
    throw invalid("Send responseSchema or responseJsonSchema, not both.", "generationConfig.responseJsonSchema");
  }
  if (mimeType === undefined || mimeType === "text/plain") {
    if (hasSchema) throw invalid("A response schema needs responseMimeType application/json.", "generationConfig.responseMimeType");
    return undefined;
  }
  if (mimeType !== "application/json") {
    throw unsupported(`responseMimeType '${config.responseMimeType}' is not supported; use text/plain or application/json.`, "generationConfig.responseMimeType");
  }
  if (config.responseJsonSchema !== undefined) return { type: "json_schema", name: "response", schema: config.responseJsonSchema as JsonSchema };
  if (config.responseSchema !== undefined) {
    return { type: "json_schema", name: "response", schema: fromGeminiSchema(config.responseSchema as { [key: string]: JsonValue }, "generationConfig.responseSchema") };
  }
  return { type: "json_object" };
}

function toReasoning(config: GenerateContentBody["generationConfig"]): ChatRequest["reasoning"] {
  const thinking = config?.thinkingConfig;
  if (thinking === undefined) return undefined;
  const level = thinking.thinkingLevel;
  if (level !== undefined && level !== "THINKING_LEVEL_UNSPECIFIED") {
    return { effort: level.toLowerCase() as "minimal" | "low" | "medium" | "high" };
  }
  const budget = thinking.thinkingBudget;
  if (budget === undefined || budget === -1) return undefined;
  // 0 turns thinking off on Gemini; the spec has no off switch, "minimal" is the nearest.
  return budget === 0 ? { effort: "minimal" } : { budgetTokens: budget };
}

function checkRefused(body: GenerateContentBody): void {
  if (body.cachedContent !== undefined) throw unsupported("cachedContent is not supported: Hearth has no Gemini context cache.", "cachedContent");
  const config = body.generationConfig;
  if (config === undefined) return;
  if (config.candidateCount !== undefined && config.candidateCount > 1) {
    throw unsupported("candidateCount above 1 is not supported.", "generationConfig.candidateCount");
  }
  for (const field of refusedGenerationFields) {
    if (config[field] !== undefined && config[field] !== null) throw unsupported(`generationConfig.${field} is not supported: Hearth generates text.`, `generationConfig.${field}`);
  }
  const modalities = config.responseModalities ?? [];
  const other = modalities.find((modality) => modality.toUpperCase() !== "TEXT");
  if (other !== undefined) throw unsupported(`responseModalities '${other}' is not supported: Hearth generates text.`, "generationConfig.responseModalities");
}

function pickUninterpreted(source: Record<string, unknown>, interpreted: ReadonlySet<string>): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(source)) {
    if (interpreted.has(key) || value === null || value === undefined) continue;
    (fields ??= {})[key] = value;
  }
  return fields;
}

/**
 * The body's fields Hearth does not interpret (safetySettings, topK, penalties...), shaped as a
 * partial Gemini request so a Gemini provider can merge them into its upstream body as they are.
 */
function passthroughOf(body: GenerateContentBody): Passthrough | undefined {
  const fields = pickUninterpreted(body, interpretedBodyFields) ?? {};
  const generation = body.generationConfig === undefined ? undefined : pickUninterpreted(body.generationConfig, interpretedGenerationFields);
  if (generation !== undefined) fields.generationConfig = generation;
  const toolConfig = body.toolConfig === undefined ? undefined : pickUninterpreted(body.toolConfig, new Set(["functionCallingConfig"]));
  if (toolConfig !== undefined) fields.toolConfig = toolConfig;
  return Object.keys(fields).length > 0 ? { format: "gemini", fields } : undefined;
}

/** Validates a GenerateContentRequest body (throws 400s). */
export function parseGenerateContentBody(body: unknown): GenerateContentBody {
  return parseBody(generateContentBody, body);
}

/** Converts a parsed GenerateContentRequest into Hearth's ChatRequest; `model` comes from the URL. */
export function toChatRequest(model: string, body: GenerateContentBody): ChatRequest {
  checkRefused(body);
  const config = body.generationConfig;
  const selection = toToolSelection(body, toTools(body));
  const stop = config?.stopSequences?.filter((sequence) => sequence !== "");
  return {
    model,
    messages: toMessages(body),
    maxTokens: config?.maxOutputTokens,
    temperature: config?.temperature,
    topP: config?.topP,
    seed: config?.seed,
    stop: stop !== undefined && stop.length > 0 ? stop : undefined,
    tools: selection.tools,
    toolChoice: selection.toolChoice,
    responseFormat: toResponseFormat(config),
    reasoning: toReasoning(config),
    passthrough: passthroughOf(body),
  };
}

/** Converts a Gemini `generateContent` body into Hearth's ChatRequest (pure; throws 400s). */
export function fromGenerateContentBody(model: string, body: unknown): ChatRequest {
  return toChatRequest(model, parseGenerateContentBody(body));
}

// ---- responses ----

export interface GeminiResponseIdentity {
  /** Reported as `modelVersion`: the model name the client asked for. */
  model: string;
  responseId: string;
}

type GeminiFinishReason = "STOP" | "MAX_TOKENS" | "SAFETY" | "OTHER" | "MALFORMED_FUNCTION_CALL";

export function toGeminiFinishReason(reason: FinishReason): GeminiFinishReason {
  switch (reason) {
    case "stop":
    case "tool_calls":
      return "STOP";
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
      return "SAFETY";
    case "error":
      return "OTHER";
  }
}

export function toUsageMetadata(usage: Usage) {
  const thoughts = usage.reasoningTokens ?? 0;
  return {
    promptTokenCount: usage.inputTokens,
    // Gemini counts thoughts apart from candidates; Hearth's outputTokens include them.
    candidatesTokenCount: Math.max(0, usage.outputTokens - thoughts),
    totalTokenCount: usage.inputTokens + usage.outputTokens,
    ...(usage.cacheReadTokens !== undefined ? { cachedContentTokenCount: usage.cacheReadTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { thoughtsTokenCount: usage.reasoningTokens } : {}),
  };
}

/** `functionCall.args` must be an object; a model that produced anything else made a malformed call. */
function functionCallPart(call: ToolCall): { functionCall: { name: string; args: Record<string, unknown>; id: string } } | undefined {
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return undefined;
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) return undefined;
  return { functionCall: { name: call.name, args: args as Record<string, unknown>, id: call.id } };
}

const malformedMessage = "The model produced function-call arguments that are not a JSON object.";

function safetyRatingsOf(metadata: Record<string, unknown> | undefined): unknown[] | undefined {
  const gemini = metadata?.gemini;
  if (typeof gemini !== "object" || gemini === null) return undefined;
  const ratings = (gemini as { safetyRatings?: unknown }).safetyRatings;
  return Array.isArray(ratings) ? ratings : undefined;
}

function thoughtParts(reasoning: readonly ReasoningBlock[]): Array<Record<string, unknown>> {
  const parts: Array<Record<string, unknown>> = [];
  for (const block of reasoning) {
    // Redacted (encrypted) reasoning is another vendor's format with no Gemini equivalent.
    if (block.type !== "reasoning") continue;
    parts.push({ text: block.text, thought: true, ...(block.signature !== undefined ? { thoughtSignature: block.signature } : {}) });
  }
  return parts;
}

function toCandidate(choice: CollectedChoice, index: number, leading: Array<Record<string, unknown>>, safetyRatings: unknown[] | undefined) {
  const parts: Array<Record<string, unknown>> = [...leading];
  if (choice.text !== "") parts.push({ text: choice.text });
  let malformed = false;
  for (const call of choice.toolCalls) {
    const part = functionCallPart(call);
    if (part === undefined) malformed = true;
    else parts.push(part);
  }
  if (parts.length === 0) parts.push({ text: "" });
  return {
    content: { role: "model" as const, parts },
    finishReason: malformed ? ("MALFORMED_FUNCTION_CALL" as const) : toGeminiFinishReason(choice.finishReason),
    ...(malformed ? { finishMessage: malformedMessage } : {}),
    index,
    ...(safetyRatings !== undefined ? { safetyRatings } : {}),
  };
}

/** The non-streaming GenerateContentResponse. */
export function toGenerateContentResponse(result: CollectedResult, identity: GeminiResponseIdentity) {
  return {
    candidates: [
      toCandidate(result, 0, thoughtParts(result.reasoning), safetyRatingsOf(result.providerMetadata)),
      ...result.otherChoices.map((choice, index) => toCandidate(choice, index + 1, [], undefined)),
    ],
    usageMetadata: toUsageMetadata(result.usage),
    modelVersion: identity.model,
    responseId: identity.responseId,
  };
}

/**
 * Builds the GenerateContentResponse chunks of one stream: one per text delta, thought delta or
 * tool call, and a last one with finishReason and usageMetadata. Every chunk has a non-empty
 * parts list, because the SDK's chat drops a whole turn from its history if any chunk has none.
 */
export class GenerateContentStreamWriter {
  readonly #identity: GeminiResponseIdentity;
  readonly #malformed = new Set<number>();

  constructor(identity: GeminiResponseIdentity) {
    this.#identity = identity;
  }

  #chunk(candidates: unknown[], usage?: Usage) {
    return {
      candidates,
      ...(usage !== undefined ? { usageMetadata: toUsageMetadata(usage) } : {}),
      modelVersion: this.#identity.model,
      responseId: this.#identity.responseId,
    };
  }

  #content(parts: Array<Record<string, unknown>>, index: number) {
    return this.#chunk([{ content: { role: "model", parts }, index }]);
  }

  #finishCandidate(reason: FinishReason, index: number, safetyRatings?: unknown[]) {
    const malformed = this.#malformed.has(index);
    return {
      content: { role: "model", parts: [{ text: "" }] },
      finishReason: malformed ? "MALFORMED_FUNCTION_CALL" : toGeminiFinishReason(reason),
      ...(malformed ? { finishMessage: malformedMessage } : {}),
      index,
      ...(safetyRatings !== undefined ? { safetyRatings } : {}),
    };
  }

  /** The chunks one stream part becomes. */
  part(part: StreamPart): unknown[] {
    switch (part.type) {
      case "text-delta":
        return part.text === "" ? [] : [this.#content([{ text: part.text }], part.choice ?? 0)];
      case "tool-call": {
        const call = functionCallPart(part.toolCall);
        if (call === undefined) {
          this.#malformed.add(part.choice ?? 0);
          return [];
        }
        return [this.#content([call], part.choice ?? 0)];
      }
      case "reasoning-delta":
        return part.text === "" ? [] : [this.#content([{ text: part.text, thought: true }], 0)];
      case "reasoning-end":
        return part.signature === undefined ? [] : [this.#content([{ text: "", thought: true, thoughtSignature: part.signature }], 0)];
      case "reasoning-redacted":
        return [];
      case "finish":
        return [
          this.#chunk(
            [
              this.#finishCandidate(part.finishReason, 0, safetyRatingsOf(part.providerMetadata)),
              ...(part.otherChoices ?? []).map((other) => this.#finishCandidate(other.finishReason, other.choice)),
            ],
            part.usage,
          ),
        ];
    }
  }
}

import { randomUUID } from "node:crypto";
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  LLamaChatGenerateResponseOptions,
  LlamaChatResponse,
  LlamaCompletionGenerationOptions,
  LlamaContextSequence,
  LlamaGrammar,
  Token,
} from "node-llama-cpp";
import { HearthError } from "../../spec/errors.ts";
import type {
  CallOptions,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  FinishReason,
  GenerationSettings,
  ModelInfo,
  ModelProvider,
  StreamPart,
  Passthrough,
} from "../../spec/model.ts";
import {
  forcedToolCallSchema,
  sanitizeJsonSchema,
  toChatHistory,
  toChatModelFunctions,
  withForcedToolInstructions,
  withOpenModelTurn,
} from "./convert.ts";
import { createEngine, defaultThreadCount, type Engine, type EngineModelConfig, type EngineSlot, type GpuSetting, type LoadedModel } from "./engine.ts";
import { PartStream } from "./part-stream.ts";
import { createScheduler, type ScheduledModelStatus, type Scheduler } from "./scheduler.ts";

/** One configured local model. `name` is what requests send as `model`. */
export interface LocalModelOptions {
  name: string;
  /** A GGUF file. */
  path: string;
  /** Tokens per request (prompt + output). Default 4096, or less if the model was trained on less. */
  contextSize?: number | undefined;
  /** Requests served at once (context sequences, batched together). Default 1. */
  parallel?: number | undefined;
  /** CPU threads for this model's evaluations. Default: the provider's `threads`. */
  threads?: number | undefined;
  /** Layers offloaded to the GPU when one is enabled. Default "auto". */
  gpuLayers?: number | "auto" | undefined;
  /** Whether `embed()` may use this model. Default true. */
  embedding?: boolean | undefined;
  /** Map the file instead of reading it; default: the provider's `useMmap`. */
  useMmap?: boolean | undefined;
}

export interface LocalLlamaProviderOptions {
  models: LocalModelOptions[];
  /** Default threads per model and the engine-wide cap. Default: `os.availableParallelism()`. */
  threads?: number | undefined;
  /** GPU backend; default false (CPU). Only prebuilt binaries are used, never a source build. */
  gpu?: GpuSetting | undefined;
  /** Estimated bytes all loaded models may occupy together. Default unlimited. */
  memoryBudgetBytes?: number | undefined;
  /** Unload a model this long after its last request. Default 5 minutes. */
  idleTimeoutMs?: number | undefined;
  /** Requests allowed to wait per model beyond its parallel slots. Default 64. */
  maxQueue?: number | undefined;
  /**
   * Map model files (true) or read them into memory (false). Default: false on CPU, where
   * llama.cpp keeps a repacked copy anyway and mapping only adds resident pages (~2.2× the file
   * instead of ~1.4×); true with a GPU.
   */
  useMmap?: boolean | undefined;
  /** Where llama.cpp's log lines go; default: its warnings and errors on stderr. */
  log?: ((level: "error" | "warn" | "info" | "debug", message: string) => void) | undefined;
}

/** Scheduler state plus the configuration that explains it. */
export interface LocalModelStatus extends ScheduledModelStatus {
  contextSize: number;
  parallel: number;
  path: string;
}

export interface LocalLlamaProvider extends ModelProvider {
  countTokens(request: ChatRequest, options: CallOptions): Promise<number>;
  status(): LocalModelStatus[];
  modelInfo(name: string): ModelInfo | undefined;
  /** Aborts in-flight requests, unloads every model and releases the engine. */
  close(): Promise<void>;
}

interface ResolvedModel extends EngineModelConfig {
  embedding: boolean;
}

const providerId = "local-llama";
const defaultContextSize = 4096;

export function createLocalLlamaProvider(options: LocalLlamaProviderOptions): LocalLlamaProvider {
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreadCount()));
  const gpu = options.gpu ?? false;
  const models = new Map<string, ResolvedModel>();
  for (const model of options.models) {
    if (models.has(model.name)) throw new Error(`Local model "${model.name}" is configured twice.`);
    models.set(model.name, {
      name: model.name,
      path: model.path,
      contextSize: model.contextSize ?? defaultContextSize,
      parallel: Math.max(1, Math.floor(model.parallel ?? 1)),
      threads: Math.max(1, Math.floor(model.threads ?? threads)),
      gpuLayers: model.gpuLayers ?? "auto",
      useMmap: model.useMmap ?? options.useMmap ?? gpu !== false,
      embedding: model.embedding ?? true,
    });
  }
  const engine: Engine = createEngine({
    gpu,
    maxThreads: Math.max(threads, ...[...models.values()].map((model) => model.threads)),
    log: options.log,
  });
  const estimates = new Map<string, number>();
  const scheduler: Scheduler<LoadedModel> = createScheduler<LoadedModel>({
    models: [...models.values()].map((model) => ({ name: model.name, slots: model.parallel })),
    load: (name) => engine.load(requireModel(name)),
    unload: (_name, loaded) => loaded.dispose(),
    async estimateBytes(name) {
      const known = estimates.get(name);
      if (known !== undefined) return known;
      const bytes = await engine.estimateBytes(requireModel(name));
      estimates.set(name, bytes);
      return bytes;
    },
    memoryBudgetBytes: options.memoryBudgetBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
    maxQueue: options.maxQueue ?? 64,
    now: () => Date.now(),
    timers: {
      setTimeout(callback, ms) {
        const handle = setTimeout(callback, ms);
        handle.unref(); // an idle model must not keep the process alive
        return handle;
      },
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    onBackgroundError: (error) => options.log?.("error", `local model unload failed: ${error instanceof Error ? error.message : String(error)}`),
  });

  /** Every request in flight, so close() can stop them. */
  const inFlight = new Set<{ abort(reason: unknown): void; done: Promise<unknown> }>();
  let closed = false;

  function requireModel(name: string): ResolvedModel {
    const model = models.get(name);
    if (model === undefined) throw new HearthError("model_not_found", `The model "${name}" does not exist.`, { param: "model" });
    return model;
  }

  /** Runs one request's work with a lease, tracked for close(); the lease is released on every path. */
  async function withLease<R>(
    name: string,
    signal: AbortSignal,
    work: (loaded: LoadedModel, slot: EngineSlot, signal: AbortSignal) => Promise<R>,
  ): Promise<R> {
    if (closed) throw new HearthError("overloaded", "The local engine is shutting down.", { retryAfterSeconds: 1 });
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener("abort", forward, { once: true });
    const run = (async () => {
      const lease = await scheduler.acquire(name, controller.signal);
      const slot = lease.value.slots[lease.slot] as EngineSlot;
      let failed = false;
      try {
        return await work(lease.value, slot, controller.signal);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // After an unexpected failure the sequence may hold half-evaluated state: start clean.
        if (failed) await slot.sequence.clearHistory().catch(() => undefined);
        lease.release();
      }
    })();
    const tracked = { abort: (reason: unknown) => controller.abort(reason), done: run.catch(() => undefined) };
    inFlight.add(tracked);
    try {
      return await run;
    } finally {
      inFlight.delete(tracked);
      signal.removeEventListener("abort", forward);
    }
  }

  function chat(request: ChatRequest, callOptions: CallOptions): AsyncIterable<StreamPart> {
    return new PartStream(callOptions.signal, (stream, signal) => runChat(request, stream, signal));
  }

  async function runChat(request: ChatRequest, stream: PartStream, outerSignal: AbortSignal): Promise<void> {
    requireModel(request.model);
    checkSettings(request);
    const plan = await planChat(request);
    await withLease(request.model, outerSignal, async (loaded, slot, signal) => {
      const rendered = loaded.chatWrapper.generateContextState({
        chatHistory: withOpenModelTurn(plan.history),
        availableFunctions: plan.functions,
      });
      const prompt = rendered.contextText.tokenize(loaded.model.tokenizer);
      const promptTokens = prompt.length;
      // LlamaChat needs one free cell beyond the prompt, and would otherwise drop old messages.
      const room = loaded.contextSize - promptTokens - 1;
      if (room < 1) throw contextExceeded(loaded.contextSize, promptTokens, "messages");
      await dropUnrelatedHistory(slot.sequence, prompt);
      // Count sampled tokens directly: the sequence's TokenMeter also counts re-evaluating the
      // last prompt token when a cached prefix is reused, which over-counts by one.
      let generatedTokens = 0;
      const common = {
        ...samplingOptions(request),
        onToken: (tokens: Token[]) => {
          generatedTokens += tokens.length;
        },
        maxTokens: Math.min(request.maxTokens ?? room, room),
        signal,
        stopOnAbortSignal: true,
        repeatPenalty: false as const,
        contextShift: { strategy: refuseHistoryShift },
      };
      let outcome: { stopReason: string; text: string; functionCalls: LlamaChatResponse<ChatModelFunctions>["functionCalls"] };
      if (plan.mode === "functions") {
        const functionOptions: LLamaChatGenerateResponseOptions<ChatModelFunctions> = {
          ...common,
          functions: plan.functions,
          onTextChunk: (text) => stream.pushText(text),
        };
        const response = await slot.chat.generateResponse(plan.history, functionOptions);
        outcome = { stopReason: response.metadata.stopReason, text: response.response, functionCalls: response.functionCalls };
      } else {
        const grammarOptions: LLamaChatGenerateResponseOptions = {
          ...common,
          ...(plan.grammar === undefined ? {} : { grammar: plan.grammar }),
          // A forced tool call is delivered whole as a tool-call part, never as text.
          ...(plan.mode === "forced" ? {} : { onTextChunk: (text: string) => stream.pushText(text) }),
        };
        const response = await slot.chat.generateResponse(plan.history, grammarOptions);
        outcome = { stopReason: response.metadata.stopReason, text: response.response, functionCalls: undefined };
      }
      if (outcome.stopReason === "abort" || signal.aborted) throw abortReason(signal);
      const usage = { inputTokens: promptTokens, outputTokens: generatedTokens };
      let finishReason: FinishReason = outcome.stopReason === "maxTokens" ? "length" : "stop";
      if (outcome.functionCalls !== undefined && outcome.functionCalls.length > 0) {
        for (const call of outcome.functionCalls) {
          stream.push({ type: "tool-call", toolCall: { id: newToolCallId(), name: call.functionName, arguments: JSON.stringify(call.params ?? {}) } });
        }
        finishReason = "tool_calls";
      } else if (plan.mode === "forced" && finishReason !== "length") {
        const call = parseForcedCall(outcome.text, plan.allowed);
        stream.push({ type: "tool-call", toolCall: { id: newToolCallId(), name: call.name, arguments: call.arguments } });
        finishReason = "tool_calls";
      }
      stream.push({ type: "finish", finishReason, usage });
    });
  }

  type ChatPlan =
    | { mode: "text"; history: ChatHistoryItem[]; functions: undefined; grammar: LlamaGrammar | undefined }
    | { mode: "functions"; history: ChatHistoryItem[]; functions: ChatModelFunctions; grammar: undefined }
    | { mode: "forced"; history: ChatHistoryItem[]; functions: undefined; grammar: LlamaGrammar; allowed: string[] };

  /** Everything that can be decided (and refused) before taking a slot. */
  async function planChat(request: ChatRequest): Promise<ChatPlan> {
    const history = toChatHistory(request.messages);
    const tools = request.tools ?? [];
    const choice = request.toolChoice ?? "auto";
    const format = request.responseFormat ?? { type: "text" };
    if (tools.length > 0 && choice !== "none") {
      const functions = toChatModelFunctions(tools);
      if (choice === "auto") {
        if (format.type !== "text") {
          throw new HearthError(
            "unsupported",
            "Local models cannot combine a JSON response_format with tool_choice \"auto\"; use tool_choice \"none\", \"required\" or a named tool.",
            { param: "response_format" },
          );
        }
        return { mode: "functions", history, functions, grammar: undefined };
      }
      const allowed = choice === "required" ? tools.map((tool) => tool.name) : [choice.name];
      if (!allowed.every((name) => Object.hasOwn(functions, name))) {
        throw new HearthError("invalid_request", `tool_choice names the tool ${JSON.stringify(allowed[0])}, which is not in tools.`, { param: "tool_choice" });
      }
      const grammar = await engine.jsonSchemaGrammar(forcedToolCallSchema(functions, allowed));
      const allowedTools = tools.filter((tool) => allowed.includes(tool.name));
      return { mode: "forced", history: withForcedToolInstructions(history, allowedTools), functions: undefined, grammar, allowed };
    }
    if (choice !== "auto" && choice !== "none" && tools.length === 0) {
      throw new HearthError("invalid_request", "tool_choice requires tools.", { param: "tool_choice" });
    }
    let grammar: LlamaGrammar | undefined;
    if (format.type === "json_object") grammar = await engine.jsonGrammar();
    else if (format.type === "json_schema") {
      const { schema } = sanitizeJsonSchema(format.schema, { param: "response_format.json_schema.schema", strict: format.strict });
      grammar = await engine.jsonSchemaGrammar(schema);
    }
    return { mode: "text", history, functions: undefined, grammar };
  }

  function complete(request: CompletionRequest, callOptions: CallOptions): AsyncIterable<StreamPart> {
    return new PartStream(callOptions.signal, (stream, signal) => runCompletion(request, stream, signal));
  }

  /**
   * A slot keeps its last conversation so the next turn can reuse it. When the new prompt shares
   * little with it (another client, a new conversation), start from an empty sequence instead of
   * letting node-llama-cpp trim the old tokens: measured faster, and fewer occupied KV cells.
   */
  async function dropUnrelatedHistory(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<void> {
    const cached = sequence.contextTokens;
    if (cached.length === 0) return;
    const limit = Math.min(cached.length, prompt.length);
    let shared = 0;
    while (shared < limit && cached[shared] === prompt[shared]) shared++;
    if (shared < minimumReusedPrefix) await sequence.clearHistory();
  }

  async function runCompletion(request: CompletionRequest, stream: PartStream, outerSignal: AbortSignal): Promise<void> {
    requireModel(request.model);
    checkSettings(request);
    await withLease(request.model, outerSignal, async (loaded, slot, signal) => {
      const model = loaded.model;
      // Tokenize once, exactly as LlamaCompletion would, and hand it the tokens.
      const prependsBos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null;
      const tokens: Token[] = model.tokenize(request.prompt, false, prependsBos ? "trimLeadingSpace" : undefined);
      const promptTokens = tokens.length + (prependsBos ? 1 : 0);
      const room = loaded.contextSize - promptTokens;
      if (room < 1) throw contextExceeded(loaded.contextSize, promptTokens, "prompt");
      let generatedTokens = 0;
      const generation: LlamaCompletionGenerationOptions = {
        ...samplingOptions(request),
        onToken: (generated) => {
          generatedTokens += generated.length;
        },
        maxTokens: Math.min(request.maxTokens ?? room, room),
        signal,
        stopOnAbortSignal: true,
        repeatPenalty: false,
        disableContextShift: true,
        contextShiftSize: 1,
        onTextChunk: (text) => stream.pushText(text),
      };
      const response = await slot.completion.generateCompletionWithMeta(tokens, generation);
      if (response.metadata.stopReason === "abort" || signal.aborted) throw abortReason(signal);
      stream.push({
        type: "finish",
        finishReason: response.metadata.stopReason === "maxTokens" ? "length" : "stop",
        usage: { inputTokens: promptTokens, outputTokens: generatedTokens },
      });
    });
  }

  async function embed(request: EmbeddingRequest, callOptions: CallOptions): Promise<EmbeddingResult> {
    const config = requireModel(request.model);
    if (!config.embedding) {
      throw new HearthError("unsupported", `The model "${request.model}" is not configured for embeddings.`, { param: "model" });
    }
    request.input.forEach((text, index) => {
      if (text === "") throw new HearthError("invalid_request", `input[${index}] is empty; embeddings need at least one character.`, { param: "input" });
    });
    return withLease(request.model, callOptions.signal, async (loaded, _slot, signal) => {
      const context = await loaded.embeddingContext();
      let inputTokens = 0;
      const lengths = request.input.map((text) => context.calculateInputLength(text));
      lengths.forEach((length, index) => {
        if (length >= loaded.contextSize) {
          throw new HearthError(
            "context_length_exceeded",
            `This model's context is ${loaded.contextSize} tokens; input[${index}] uses ${length} tokens. Split it into smaller pieces.`,
            { param: "input" },
          );
        }
        inputTokens += length;
      });
      const embeddings: number[][] = [];
      for (const text of request.input) {
        if (signal.aborted) throw abortReason(signal);
        const embedding = await context.getEmbeddingFor(text);
        embeddings.push(embedding.vector as number[]);
      }
      return { embeddings, usage: { inputTokens } };
    });
  }

  /**
   * The prompt's token count as the model will see it: the chat template rendered with tools,
   * tokenized by the model's own tokenizer. Takes a slot briefly, like any request, so the
   * model is loaded under the same memory rules.
   */
  async function countTokens(request: ChatRequest, callOptions: CallOptions): Promise<number> {
    requireModel(request.model);
    const plan = await planChat(request);
    return withLease(request.model, callOptions.signal, async (loaded) => {
      const rendered = loaded.chatWrapper.generateContextState({
        chatHistory: withOpenModelTurn(plan.history),
        availableFunctions: plan.functions,
      });
      return rendered.contextText.tokenize(loaded.model.tokenizer).length;
    });
  }

  function status(): LocalModelStatus[] {
    return scheduler.status().map((entry) => {
      const config = models.get(entry.name) as ResolvedModel;
      return { ...entry, contextSize: config.contextSize, parallel: config.parallel, path: config.path };
    });
  }

  function modelInfo(name: string): ModelInfo | undefined {
    const config = models.get(name);
    if (config === undefined) return undefined;
    return {
      name,
      provider: providerId,
      contextLength: config.contextSize,
      locality: "in-process",
      capabilities: { chat: true, completion: true, embedding: config.embedding },
    };
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    const reason = new HearthError("overloaded", "The local engine is shutting down.", { retryAfterSeconds: 1 });
    for (const request of inFlight) request.abort(reason);
    await Promise.all([...inFlight].map((request) => request.done));
    await scheduler.close();
    await engine.dispose();
  }

  return { id: providerId, chat, complete, embed, countTokens, status, modelInfo, close };
}

/** Passed-through fields that change the answer and that llama.cpp here cannot honour. */
const unsupportedPassthrough: ReadonlyArray<[field: string, applies: (value: unknown) => boolean, message: string]> = [
  ["n", (value) => value !== 1, "Only n=1 is supported by local models; send separate requests for more choices."],
  ["logprobs", (value) => value !== false && value !== 0, "logprobs are not supported by local models yet."],
  ["top_logprobs", (value) => value !== 0, "logprobs are not supported by local models yet."],
  ["logit_bias", (value) => typeof value === "object" && value !== null && Object.keys(value).length > 0, "logit_bias is not supported by local models yet."],
];

function checkSettings(settings: GenerationSettings & { passthrough?: Passthrough | undefined }): void {
  for (const [field, applies, message] of unsupportedPassthrough) {
    const fields = settings.passthrough?.fields;
    if (fields !== undefined && field in fields && applies(fields[field])) throw new HearthError("unsupported", message, { param: field });
  }
  if (settings.maxTokens !== undefined && (!Number.isInteger(settings.maxTokens) || settings.maxTokens < 1)) {
    throw new HearthError("invalid_request", "max_tokens must be a positive integer.", { param: "max_tokens" });
  }
}

/**
 * Temperature when neither the request nor the model's config sets one. node-llama-cpp would
 * decode greedily; OpenAI clients expect sampling (OpenAI's default is 1). We use 0.8, the
 * default of llama.cpp's own server and Ollama. See docs/configuration.md.
 */
export const defaultTemperature = 0.8;

/** A cached prefix shorter than this (tokens) is not worth keeping over a cleared sequence. */
const minimumReusedPrefix = 64;

/** Sampling settings in node-llama-cpp's terms. */
function samplingOptions(settings: GenerationSettings): {
  temperature?: number;
  topP?: number;
  seed?: number;
  customStopTriggers?: string[];
} {
  const result: { temperature?: number; topP?: number; seed?: number; customStopTriggers?: string[] } = {};
  result.temperature = settings.temperature ?? defaultTemperature;
  if (settings.topP !== undefined) result.topP = settings.topP;
  if (settings.seed !== undefined) result.seed = settings.seed;
  const stops = (settings.stop ?? []).filter((stop) => stop !== "");
  if (stops.length > 0) result.customStopTriggers = stops;
  return result;
}

function contextExceeded(contextSize: number, promptTokens: number, param: string): HearthError {
  return new HearthError(
    "context_length_exceeded",
    `This model's context is ${contextSize} tokens; the prompt uses ${promptTokens} tokens, leaving no room for a response. ` +
      "Shorten the prompt or use a model configured with a larger contextSize.",
    { param },
  );
}

/** LlamaChat's history compression would silently drop messages; Hearth refuses instead. */
function refuseHistoryShift(): never {
  throw new HearthError("context_length_exceeded", "The conversation no longer fits the model's context; Hearth never drops messages to make room.", {
    param: "messages",
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

function newToolCallId(): string {
  return `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** Parses the grammar-constrained `{"name", "arguments"}` object of a forced call. */
function parseForcedCall(text: string, allowed: readonly string[]): { name: string; arguments: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HearthError("internal", "The model's forced tool call was not valid JSON.", { cause: error });
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const name = record.name;
  if (typeof name !== "string" || !allowed.includes(name)) {
    throw new HearthError("internal", "The model's forced tool call named no allowed tool.");
  }
  return { name, arguments: JSON.stringify(record.arguments ?? {}) };
}

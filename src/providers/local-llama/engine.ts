import fs from "node:fs/promises";
import os from "node:os";
import {
  getLlama,
  GgufInsights,
  LlamaChat,
  LlamaCompletion,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
} from "node-llama-cpp";
import { HearthError } from "../../spec/errors.ts";

/**
 * The node-llama-cpp side of the local provider: one `Llama` per process, one context per loaded
 * model with `parallel` sequences (node-llama-cpp batches the pending evaluations of all
 * sequences of a context into one decode: continuous batching), explicit thread counts, and the
 * helpers (grammars, estimates) the provider needs. Nothing here knows about the spec's types.
 */

export type GpuSetting = false | "auto" | "cuda" | "vulkan" | "metal";

export interface EngineModelConfig {
  name: string;
  path: string;
  /** Tokens per request (per sequence). */
  contextSize: number;
  /** Sequences in the context: requests served at once. */
  parallel: number;
  threads: number;
  gpuLayers: number | "auto";
  /**
   * Map the file instead of reading it into memory. On CPU, reading costs ~35% less resident
   * memory (llama.cpp repacks the weights anyway, so mapped pages are pure duplication) and loads
   * as fast; with a GPU, mapping avoids a copy. See NOTES.md in this folder.
   */
  useMmap: boolean;
}

export interface EngineOptions {
  gpu: GpuSetting;
  /** Upper bound on threads across all contexts; node-llama-cpp's own default (4) is wrong on small machines. */
  maxThreads: number;
  /** Where llama.cpp's log lines go; default: warnings and errors to stderr. */
  log?: ((level: "error" | "warn" | "info" | "debug", message: string) => void) | undefined;
}

/** One request's working set: a context sequence and the evaluators bound to it. */
export interface EngineSlot {
  sequence: LlamaContextSequence;
  chat: LlamaChat;
  completion: LlamaCompletion;
}

export interface LoadedModel {
  name: string;
  model: LlamaModel;
  context: LlamaContext;
  /** Tokens one request may use (prompt + output): the configured size. */
  contextSize: number;
  chatWrapper: ChatWrapper;
  slots: readonly EngineSlot[];
  /** Created on first use: a second context in embedding mode, one sequence. */
  embeddingContext(): Promise<LlamaEmbeddingContext>;
  dispose(): Promise<void>;
}

export interface Engine {
  llama(): Promise<Llama>;
  load(config: EngineModelConfig): Promise<LoadedModel>;
  /** Estimated resident bytes once loaded: weights (twice on CPU, see below) plus KV cache. */
  estimateBytes(config: EngineModelConfig): Promise<number>;
  /** Grammar for a sanitized JSON schema, cached by the schema's JSON text. */
  jsonSchemaGrammar(schema: GbnfJsonSchema): Promise<LlamaGrammar>;
  /** Grammar for any JSON object (`response_format: json_object`). */
  jsonGrammar(): Promise<LlamaGrammar>;
  dispose(): Promise<void>;
}

const grammarCacheSize = 128;

export function defaultThreadCount(): number {
  return os.availableParallelism();
}

export function createEngine(options: EngineOptions): Engine {
  let llamaPromise: Promise<Llama> | undefined;
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let jsonGrammarPromise: Promise<LlamaGrammar> | undefined;

  function llama(): Promise<Llama> {
    const log = options.log;
    llamaPromise ??= getLlama({
      gpu: options.gpu,
      build: "never",
      maxThreads: Math.max(1, options.maxThreads),
      logLevel: log === undefined ? LlamaLogLevel.warn : LlamaLogLevel.info,
      logger: (level: LlamaLogLevel, message: string) => forwardLog(log ?? logToConsole, level, message),
    }).catch((error: unknown) => {
      llamaPromise = undefined;
      if (options.gpu !== false && error instanceof Error && (error.name === "NoBinaryFoundError" || error.message === "NoBinaryFoundError")) {
        throw new HearthError(
          "model_load_failed",
          `No usable llama.cpp build for gpu "${options.gpu}" on this machine (the GPU package or its driver is missing). ` +
            `Install it with \`npm run gpu:install -- ${options.gpu === "vulkan" ? "vulkan" : "cuda"}\` (docs/gpu.md), or set engine.gpu to auto or off.`,
          { cause: error },
        );
      }
      throw error;
    });
    return llamaPromise;
  }

  async function load(config: EngineModelConfig): Promise<LoadedModel> {
    const instance = await llama();
    await assertReadable(config);
    const model = await instance.loadModel({
      modelPath: config.path,
      gpuLayers: options.gpu === false ? 0 : config.gpuLayers,
      useMmap: config.useMmap,
    });
    try {
      const context = await model.createContext({
        contextSize: config.contextSize,
        sequences: config.parallel,
        threads: config.threads,
        failedCreationRemedy: false,
      });
      const chatWrapper = resolveChatWrapper(model);
      const slots: EngineSlot[] = [];
      for (let index = 0; index < config.parallel; index++) {
        const sequence = context.getSequence({ contextShift: { strategy: refuseContextShift } });
        slots.push({
          sequence,
          chat: new LlamaChat({ contextSequence: sequence, chatWrapper }),
          completion: new LlamaCompletion({ contextSequence: sequence }),
        });
      }
      let embedding: Promise<LlamaEmbeddingContext> | undefined;
      return {
        name: config.name,
        model,
        context,
        contextSize: Math.min(config.contextSize, context.contextSize),
        chatWrapper,
        slots,
        embeddingContext() {
          embedding ??= model
            .createEmbeddingContext({
              contextSize: config.contextSize,
              // Pooled embeddings need the whole input in one batch.
              batchSize: config.contextSize,
              threads: config.threads,
            })
            .catch((error: unknown) => {
              embedding = undefined;
              throw error;
            });
          return embedding;
        },
        async dispose() {
          for (const slot of slots) {
            slot.chat.dispose({ disposeSequence: false });
            slot.completion.dispose({ disposeSequence: false });
          }
          if (embedding !== undefined) await (await embedding.catch(() => undefined))?.dispose();
          await context.dispose();
          await model.dispose();
        },
      };
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  async function estimateBytes(config: EngineModelConfig): Promise<number> {
    const instance = await llama();
    await assertReadable(config);
    const info = await readGgufFileInfo(config.path, { readTensorInfo: true, sourceType: "filesystem", logWarnings: false });
    const insights = await GgufInsights.from(info, instance);
    const onCpu = options.gpu === false || config.gpuLayers === 0;
    const gpuLayers = onCpu ? 0 : insights.totalLayers;
    const weights = insights.estimateModelResourceRequirements({ gpuLayers, useMmap: config.useMmap }).cpuRam;
    const cache = insights.estimateContextResourceRequirements({
      contextSize: config.contextSize,
      modelGpuLayers: gpuLayers,
      sequences: config.parallel,
      includeGraphOverhead: false,
    }).cpuRam;
    return Math.ceil(weights * residentWeightFactor(onCpu, config.useMmap) + cache);
  }

  function jsonSchemaGrammar(schema: GbnfJsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    const cached = grammars.get(key);
    if (cached !== undefined) {
      // Refresh its place in the LRU order.
      grammars.delete(key);
      grammars.set(key, cached);
      return cached;
    }
    const created = llama()
      // The method's generic signature infers a type from a literal schema; ours is only known at run time.
      .then((instance) => instance.createGrammarForJsonSchema(schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]) as Promise<LlamaGrammar>)
      .catch((error: unknown) => {
        grammars.delete(key);
        throw error;
      });
    grammars.set(key, created);
    while (grammars.size > grammarCacheSize) {
      const oldest = grammars.keys().next().value as string;
      grammars.delete(oldest);
    }
    return created;
  }

  function jsonGrammar(): Promise<LlamaGrammar> {
    jsonGrammarPromise ??= llama().then((instance) => instance.getGrammarFor("json"));
    return jsonGrammarPromise;
  }

  async function dispose(): Promise<void> {
    grammars.clear();
    jsonGrammarPromise = undefined;
    const pending = llamaPromise;
    llamaPromise = undefined;
    if (pending !== undefined) await (await pending.catch(() => undefined))?.dispose();
  }

  return { llama, load, estimateBytes, jsonSchemaGrammar, jsonGrammar, dispose };
}

/**
 * Resident bytes per byte of weights, measured on this project's reference machine (x86 with
 * AVX-512/AMX, llama.cpp's CPU "repack" buffers active; see NOTES.md in this folder):
 * - mapped file on CPU: ~2.2× — every page of the file is touched and stays mapped (RssFile),
 *   and the quantized matrices are copied into a repacked layout (RssAnon); tied embeddings
 *   are kept twice (row lookup + repacked output matrix).
 * - read into memory on CPU: ~1.4× — the repacked copy replaces the file's pages.
 * - GPU: what stays on the CPU side is roughly the file's share.
 */
export function residentWeightFactor(onCpu: boolean, useMmap: boolean): number {
  if (!onCpu) return 1;
  return useMmap ? 2.2 : 1.4;
}

/**
 * Installed on every sequence: node-llama-cpp would otherwise drop the oldest tokens when a
 * sequence fills up. The provider sizes every request so this never runs; if it ever does, the
 * request fails loudly instead of silently forgetting its beginning.
 */
function refuseContextShift(): never {
  throw new HearthError("context_length_exceeded", "The request ran out of context; Hearth never drops the start of a conversation to make room.");
}

async function assertReadable(config: EngineModelConfig): Promise<void> {
  try {
    await fs.access(config.path, fs.constants.R_OK);
  } catch (error) {
    throw new HearthError("model_load_failed", `Model "${config.name}": cannot read the model file ${config.path}.`, { cause: error });
  }
}

/**
 * llama.cpp messages logged on every request that say nothing actionable; kept at debug so a
 * busy server's log is not flooded (the embedding one appears on each call for decoder models).
 */
const routineMessages = ["embeddings required but some input tokens were not marked as outputs"];

function logToConsole(level: "error" | "warn" | "info" | "debug", message: string): void {
  if (level === "error" || level === "warn") console.warn(`[node-llama-cpp] ${message}`);
}

function forwardLog(log: NonNullable<EngineOptions["log"]>, level: LlamaLogLevel, message: string): void {
  if (routineMessages.some((routine) => message.includes(routine))) {
    log("debug", message);
    return;
  }
  switch (level) {
    case LlamaLogLevel.fatal:
    case LlamaLogLevel.error:
      log("error", message);
      break;
    case LlamaLogLevel.warn:
      log("warn", message);
      break;
    case LlamaLogLevel.info:
      log("info", message);
      break;
    case LlamaLogLevel.disabled:
      break;
    default:
      log("debug", message);
  }
}

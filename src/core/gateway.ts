import { randomUUID } from "node:crypto";
import { HearthError, toHearthError } from "../spec/errors.ts";
import type {
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationSettings,
  ModelInfo,
  ModelProvider,
  StreamPart,
  Usage,
} from "../spec/model.ts";
import type { RequestLogSink } from "./request-log.ts";

export interface CatalogEntry {
  info: ModelInfo;
  provider: ModelProvider;
  /** The name the provider knows the model by, when it differs from the public name. */
  upstreamModel?: string | undefined;
  /** Generation settings applied when the request leaves them out (config `models[].defaults`). */
  defaults?: GenerationSettings | undefined;
  /** Unix seconds when the model entered the catalogue. */
  created: number;
  /** "loaded", "unloaded", "loading", or "available" for remote models. */
  state(): string;
}

/** Resolves public model names to the provider that serves them. */
export interface ModelCatalog {
  list(): readonly CatalogEntry[];
  resolve(name: string): CatalogEntry | undefined;
}

/** The API operation a request came in through (logged; budgets and audit key on it). */
export type Endpoint =
  | "chat.completions"
  | "completions"
  | "embeddings"
  | "responses"
  | "messages"
  | "messages.count_tokens"
  | "gemini.generate_content"
  | "gemini.count_tokens"
  | "gemini.embed_content";

export interface RequestContext {
  requestId: string;
  endpoint: Endpoint;
  stream: boolean;
  /** Fires when the client goes away or the request times out. */
  signal: AbortSignal;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Epoch ms when the request arrived. */
  receivedAt: number;
}

export interface GatewayDependencies {
  catalog: ModelCatalog;
  requestLog: RequestLogSink;
  /** Monotonic milliseconds (performance.now by default). */
  now?: () => number;
}

/** A started generation: the first part is already known, so request errors surfaced before any byte was sent. */
export interface Generation extends AsyncIterable<StreamPart> {
  /** The target that is serving the request. */
  readonly entry: CatalogEntry;
  /** The route the client named, when the model name was a route rather than a model. */
  readonly route?: string | undefined;
}

/** The status a failure is logged with: 499 when the client left, else the error's own. */
function statusOf(error: HearthError, signal: AbortSignal): number {
  if (error.code === "aborted" || (signal.aborted && error.code !== "timeout")) return 499;
  return error.status;
}

/**
 * The request path for model calls: resolve the model, call its provider, account for the
 * outcome in the request log. Later issues add auth, policy, guardrails and audit here.
 */
export function createGateway(dependencies: GatewayDependencies) {
  const now = dependencies.now ?? (() => performance.now());
  const { catalog, requestLog } = dependencies;

  function resolve(name: string, capability: keyof ModelInfo["capabilities"]): CatalogEntry {
    const entry = catalog.resolve(name);
    if (entry === undefined) {
      const known = catalog.list().map((candidate) => candidate.info.name);
      const hint = known.length > 0 ? ` Available models: ${known.join(", ")}.` : " No models are configured.";
      throw new HearthError("model_not_found", `The model '${name}' does not exist.${hint}`, { param: "model" });
    }
    if (!entry.info.capabilities[capability]) {
      throw new HearthError("unsupported", `The model '${name}' does not support ${capability}.`, { param: "model" });
    }
    return entry;
  }

  function log(
    context: RequestContext,
    model: string,
    provider: string,
    outcome: { status: number; errorCode: string | null; usage?: Usage | undefined; firstTokenAt?: number | undefined },
  ): void {
    const finishedAt = now();
    requestLog.append({
      id: randomUUID(),
      time: context.receivedAt,
      requestId: context.requestId,
      endpoint: context.endpoint,
      model,
      provider,
      stream: context.stream,
      status: outcome.status,
      errorCode: outcome.errorCode,
      inputTokens: outcome.usage?.inputTokens ?? 0,
      outputTokens: outcome.usage?.outputTokens ?? 0,
      latencyMs: Math.round((finishedAt - context.startedAt) * 1000) / 1000,
      timeToFirstTokenMs: outcome.firstTokenAt === undefined ? null : Math.round((outcome.firstTokenAt - context.startedAt) * 1000) / 1000,
    });
  }

  function resolveLogged(name: string, capability: keyof ModelInfo["capabilities"], context: RequestContext): CatalogEntry {
    try {
      return resolve(name, capability);
    } catch (error) {
      recordFailure(context, name, error);
      throw error;
    }
  }

  /** Records a request that failed before reaching a model (bad JSON, validation, unknown model). */
  function recordFailure(context: RequestContext, model: string, error: unknown): void {
    const failure = toHearthError(error);
    log(context, model, "", { status: statusOf(failure, context.signal), errorCode: failure.code });
  }

  /** The request's own settings win; the model's configured defaults fill the gaps. */
  function withDefaults<Request extends GenerationSettings & { model: string }>(request: Request, entry: CatalogEntry): Request {
    const defaults = entry.defaults;
    return {
      ...request,
      model: entry.upstreamModel ?? entry.info.name,
      maxTokens: request.maxTokens ?? defaults?.maxTokens,
      temperature: request.temperature ?? defaults?.temperature,
      topP: request.topP ?? defaults?.topP,
      seed: request.seed ?? defaults?.seed,
    };
  }

  async function start(
    entry: CatalogEntry,
    model: string,
    call: () => AsyncIterable<StreamPart>,
    context: RequestContext,
  ): Promise<Generation> {
    let iterator: AsyncIterator<StreamPart>;
    let first: IteratorResult<StreamPart>;
    try {
      iterator = call()[Symbol.asyncIterator]();
      first = await iterator.next();
    } catch (error) {
      const failure = toHearthError(error);
      log(context, model, entry.provider.id, { status: statusOf(failure, context.signal), errorCode: failure.code });
      throw failure;
    }
    let consumed = false;
    return {
      entry,
      async *[Symbol.asyncIterator]() {
        if (consumed) throw new Error("A generation can be read once.");
        consumed = true;
        let usage: Usage | undefined;
        let firstTokenAt: number | undefined;
        let finished = false;
        let failure: HearthError | undefined;
        try {
          let current = first;
          while (current.done !== true) {
            const part = current.value;
            if (firstTokenAt === undefined && part.type !== "finish") firstTokenAt = now();
            if (part.type === "finish") {
              usage = part.usage;
              finished = true;
            }
            yield part;
            current = await iterator.next();
          }
          if (!finished) throw new HearthError("upstream_error", "The model stream ended without finishing.");
        } catch (error) {
          failure = toHearthError(error);
          throw failure;
        } finally {
          if (!finished && failure === undefined) {
            // The consumer stopped early (client gone): tell the provider to stop too.
            await iterator.return?.();
          }
          // The 200 header is already out; the status logged is what the client saw, 499 if it left.
          const clientLeft = !finished && (failure === undefined || failure.code === "aborted");
          log(context, model, entry.provider.id, {
            status: clientLeft ? 499 : 200,
            errorCode: failure?.code ?? (clientLeft ? "aborted" : null),
            usage,
            firstTokenAt,
          });
        }
      },
    };
  }

  return {
    catalog,
    recordFailure,

    /** Counts a chat request's prompt tokens on the model that would serve it (no generation). */
    async countTokens(request: ChatRequest, context: RequestContext): Promise<{ entry: CatalogEntry; route?: string | undefined; inputTokens: number }> {
      const entry = resolveLogged(request.model, "chat", context);
      const count = entry.provider.countTokens;
      try {
        if (count === undefined) {
          throw new HearthError("unsupported", `The model '${request.model}' (provider ${entry.provider.id}) cannot count tokens.`, { param: "model" });
        }
        const inputTokens = await count.call(entry.provider, withDefaults(request, entry), { signal: context.signal });
        log(context, request.model, entry.provider.id, { status: 200, errorCode: null, usage: { inputTokens, outputTokens: 0 } });
        return { entry, inputTokens };
      } catch (error) {
        const failure = toHearthError(error);
        log(context, request.model, entry.provider.id, { status: statusOf(failure, context.signal), errorCode: failure.code });
        throw failure;
      }
    },

    async chat(request: ChatRequest, context: RequestContext): Promise<Generation> {
      const entry = resolveLogged(request.model, "chat", context);
      return start(entry, request.model, () => entry.provider.chat(withDefaults(request, entry), { signal: context.signal }), context);
    },

    async complete(request: CompletionRequest, context: RequestContext): Promise<Generation> {
      const entry = resolveLogged(request.model, "completion", context);
      return start(entry, request.model, () => entry.provider.complete(withDefaults(request, entry), { signal: context.signal }), context);
    },

    async embed(request: EmbeddingRequest, context: RequestContext): Promise<{ entry: CatalogEntry; route?: string | undefined; result: EmbeddingResult }> {
      const entry = resolveLogged(request.model, "embedding", context);
      try {
        const result = await entry.provider.embed({ ...request, model: entry.upstreamModel ?? entry.info.name }, { signal: context.signal });
        log(context, request.model, entry.provider.id, { status: 200, errorCode: null, usage: { inputTokens: result.usage.inputTokens, outputTokens: 0 } });
        return { entry, result };
      } catch (error) {
        const failure = toHearthError(error);
        log(context, request.model, entry.provider.id, { status: statusOf(failure, context.signal), errorCode: failure.code });
        throw failure;
      }
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

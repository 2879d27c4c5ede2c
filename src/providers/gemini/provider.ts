import { HearthError } from "../../spec/errors.ts";
import type {
  CallOptions,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  StreamPart,
} from "../../spec/model.ts";
import type { RemoteProvider, RemoteProviderOptions } from "../shared/options.ts";
import { createUpstreamClient, upstreamHttpError, type UpstreamClient } from "../shared/upstream.ts";
import {
  createResponseConverter,
  modelMethodPath,
  toBatchEmbedBody,
  toCountTokensBody,
  toGenerateContentBody,
  type GenerateContentResponse,
} from "./convert.ts";

/** How to reach Google's Generative Language API (or anything that speaks it). */
export interface GeminiProviderOptions extends RemoteProviderOptions {
  /** Default https://generativelanguage.googleapis.com. The key goes as the `x-goog-api-key` header, never in the URL, so it cannot leak into access logs. */
  baseUrl?: string | undefined;
  /** Default v1beta: function calling with JSON Schema, thinking and signatures live there. */
  apiVersion?: string | undefined;
}

export type GeminiProvider = RemoteProvider;

/** `batchEmbedContents` takes at most this many texts per call. */
const embedBatchSize = 100;

export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  const { id } = options;
  const baseUrl = (options.baseUrl ?? "https://generativelanguage.googleapis.com").replace(/\/+$/, "");
  const apiVersion = (options.apiVersion ?? "v1beta").replace(/^\/+|\/+$/g, "");
  const headers: Record<string, string> = { ...options.headers };
  const secrets: string[] = [];
  if (options.apiKey !== undefined && options.apiKey !== "") {
    headers["x-goog-api-key"] = options.apiKey;
    secrets.push(options.apiKey);
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (/auth|key|token|secret/i.test(name)) secrets.push(value, value.replace(/^Bearer\s+/i, ""));
  }
  const client: UpstreamClient = createUpstreamClient({
    providerId: id,
    baseUrl: apiVersion === "" ? baseUrl : `${baseUrl}/${apiVersion}`,
    headers,
    secrets,
    connectTimeoutMs: options.connectTimeoutMs,
    headersTimeoutMs: options.firstTokenTimeoutMs,
    bodyTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
  });

  /**
   * Gemini answers a wrong API key with 400 INVALID_ARGUMENT, which the shared mapping would
   * blame on the client's request; it is Hearth's configuration that is wrong.
   */
  const remap = (error: unknown): unknown => {
    if (HearthError.isInstance(error) && error.upstreamStatus === 400 && /API key not valid|API_KEY_INVALID/i.test(error.message)) {
      return new HearthError(
        "upstream_error",
        `Upstream '${id}' refused Hearth's credentials (HTTP 400): API key not valid. Check the provider's API key in the config.`,
        { upstreamStatus: 400, cause: error },
      );
    }
    return error;
  };

  /**
   * The first-token limit: until the first part of an answer (or the whole answer when not
   * streaming) arrives. Undici's header timeout is coarse (it ticks every half second) and
   * would not cover an upstream that sends its headers before the model has produced anything.
   */
  const firstTokenDeadline = (signal: AbortSignal): { signal: AbortSignal; arrived(): void } => {
    const limit = options.firstTokenTimeoutMs;
    if (limit === undefined) return { signal, arrived() {} };
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new HearthError("timeout", `Upstream '${id}' sent no first token within ${limit} ms (first-token timeout).`));
    }, limit);
    timer.unref();
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    return { signal: AbortSignal.any([signal, controller.signal]), arrived: () => clearTimeout(timer) };
  };

  const stopIfAborted = (signal: AbortSignal): void => {
    if (!signal.aborted) return;
    const reason: unknown = signal.reason;
    if (HearthError.isInstance(reason)) throw reason;
    if (typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "TimeoutError") {
      throw new HearthError("timeout", `Upstream '${id}' did not answer in time.`);
    }
    throw new HearthError("aborted", "The request was aborted.");
  };

  /** One SSE event's data: a GenerateContentResponse, or Google's error object sent mid-stream. */
  const parseChunk = (data: string): GenerateContentResponse => {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      throw new HearthError("upstream_error", `Upstream '${id}' sent a stream event that is not JSON.`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new HearthError("upstream_error", `Upstream '${id}' sent a stream event that is not an object.`);
    }
    const error = (value as { error?: { code?: unknown } }).error;
    if (typeof error === "object" && error !== null) {
      const status = typeof error.code === "number" && error.code >= 400 ? error.code : 500;
      throw remap(upstreamHttpError(id, status, {}, data, secrets));
    }
    return value as GenerateContentResponse;
  };

  return {
    id,

    async *chat(request: ChatRequest, call: CallOptions): AsyncGenerator<StreamPart> {
      const body = toGenerateContentBody(request);
      const converter = createResponseConverter();
      const deadline = firstTokenDeadline(call.signal);
      const { signal } = deadline;
      try {
        if (call.stream === false) {
          const response = await client.json<GenerateContentResponse>({ path: modelMethodPath(request.model, "generateContent"), body, signal });
          deadline.arrived();
          const parts = [...converter.push(response), ...converter.end()];
          for (const part of parts) {
            stopIfAborted(signal);
            yield part;
          }
          return;
        }
        const events = client.events({ path: modelMethodPath(request.model, "streamGenerateContent?alt=sse"), body, signal });
        for await (const event of events) {
          for (const part of converter.push(parseChunk(event.data))) {
            deadline.arrived();
            stopIfAborted(signal);
            yield part;
          }
        }
        stopIfAborted(signal);
        yield* converter.end();
      } catch (error) {
        throw remap(error);
      } finally {
        deadline.arrived();
      }
    },

    // Gemini has no raw-prompt endpoint; a chat template would be Hearth's invention.
    async *complete(_request: CompletionRequest, _call: CallOptions): AsyncGenerator<StreamPart> {
      throw new HearthError("unsupported", `Provider '${id}' (Gemini) has no text completion endpoint; use chat completions.`);
    },

    async countTokens(request: ChatRequest, call: CallOptions): Promise<number> {
      const body = toCountTokensBody(request);
      const deadline = firstTokenDeadline(call.signal);
      try {
        const response = await client.json<{ totalTokens?: number }>({ path: modelMethodPath(request.model, "countTokens"), body, signal: deadline.signal });
        if (typeof response.totalTokens !== "number") throw new HearthError("upstream_error", `Upstream '${id}' answered countTokens without totalTokens.`);
        return response.totalTokens;
      } catch (error) {
        throw remap(error);
      } finally {
        deadline.arrived();
      }
    },

    /**
     * Gemini reports no token usage for embeddings, so `usage.inputTokens` is an estimate (one
     * token per four characters, at least one per text) unless the answer carries
     * `usageMetadata.promptTokenCount`. A countTokens call per batch would be exact but doubles
     * the latency and is not offered by every embedding model.
     */
    async embed(request: EmbeddingRequest, call: CallOptions): Promise<EmbeddingResult> {
      const embeddings: number[][] = [];
      let inputTokens = 0;
      try {
        for (let start = 0; start < request.input.length; start += embedBatchSize) {
          const inputs = request.input.slice(start, start + embedBatchSize);
          const deadline = firstTokenDeadline(call.signal);
          const response = await client
            .json<{ embeddings?: Array<{ values?: number[] }>; usageMetadata?: { promptTokenCount?: number } }>({
              path: modelMethodPath(request.model, "batchEmbedContents"),
              body: toBatchEmbedBody(request, inputs),
              signal: deadline.signal,
            })
            .finally(() => deadline.arrived());
          const vectors = response.embeddings ?? [];
          if (vectors.length !== inputs.length || vectors.some((vector) => !Array.isArray(vector.values))) {
            throw new HearthError("upstream_error", `Upstream '${id}' returned ${vectors.length} embeddings for ${inputs.length} inputs.`);
          }
          for (const vector of vectors) embeddings.push(vector.values ?? []);
          inputTokens += response.usageMetadata?.promptTokenCount ?? inputs.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
        }
      } catch (error) {
        throw remap(error);
      }
      return { embeddings, usage: { inputTokens } };
    },

    async close() {
      await client.close();
    },
  };
}

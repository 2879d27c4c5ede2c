import { HearthError } from "../../spec/errors.ts";
import type { CallOptions, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResult, StreamPart } from "../../spec/model.ts";
import type { RemoteProvider, RemoteProviderOptions } from "../shared/options.ts";
import { createUpstreamClient } from "../shared/upstream.ts";
import { defaultMaxTokens, fromMessage, MessagesStreamReader, toCountTokensBody, toMessagesRequest } from "./convert.ts";
import type { WireMessage } from "./wire.ts";

/** Anthropic's public endpoint; the provider appends `/v1/messages` and `/v1/messages/count_tokens`. */
export const defaultBaseUrl = "https://api.anthropic.com";
/** The `anthropic-version` whose wire format this provider speaks. */
export const defaultApiVersion = "2023-06-01";

export interface AnthropicProviderOptions extends RemoteProviderOptions {
  /**
   * The API root, without `/v1` (a trailing `/v1` is tolerated and dropped). Default
   * https://api.anthropic.com; set it for a proxy or a compatible server. The key goes as `x-api-key`.
   */
  baseUrl?: string | undefined;
  /** `anthropic-version` header. Default 2023-06-01. */
  apiVersion?: string | undefined;
  /** `max_tokens` for requests that set none (Anthropic requires it). Default 4096. */
  defaultMaxTokens?: number | undefined;
}

/** An Anthropic Messages API provider; `close()` ends its connection pool. */
export type AnthropicProvider = RemoteProvider;

function apiRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function isWireMessage(value: unknown): value is WireMessage {
  return typeof value === "object" && value !== null && Array.isArray((value as { content?: unknown }).content);
}

export function createAnthropicProvider(options: AnthropicProviderOptions): AnthropicProvider {
  const providerId = options.id;
  const secrets = options.apiKey === undefined ? [] : [options.apiKey];
  const headers: Record<string, string> = { ...options.headers, "anthropic-version": options.apiVersion ?? defaultApiVersion };
  if (options.apiKey !== undefined) headers["x-api-key"] = options.apiKey;
  const client = createUpstreamClient({
    providerId,
    baseUrl: apiRoot(options.baseUrl ?? defaultBaseUrl),
    headers,
    secrets,
    connectTimeoutMs: options.connectTimeoutMs,
    headersTimeoutMs: options.firstTokenTimeoutMs,
    bodyTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const convertOptions = { defaultMaxTokens: options.defaultMaxTokens ?? defaultMaxTokens };

  async function* chat(request: ChatRequest, callOptions: CallOptions): AsyncGenerator<StreamPart> {
    const plan = toMessagesRequest(request, convertOptions);
    if (callOptions.stream === false) {
      const message = await client.json<unknown>({ path: "/v1/messages", body: plan.body, signal: callOptions.signal });
      if (!isWireMessage(message)) throw new HearthError("upstream_error", `Upstream '${providerId}' sent an answer that is not a message.`);
      yield* fromMessage(message, plan);
      return;
    }
    const reader = new MessagesStreamReader(plan, providerId, secrets);
    // Anthropic sends its headers and message_start before the model produces anything, so the
    // first-token limit also runs until the first part, not only until the headers.
    const firstToken = new AbortController();
    const timeoutMs = options.firstTokenTimeoutMs;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => firstToken.abort(new HearthError("timeout", `Upstream '${providerId}' sent no answer in time (first-token timeout).`)), timeoutMs);
    try {
      const signal = timer === undefined ? callOptions.signal : AbortSignal.any([callOptions.signal, firstToken.signal]);
      // Read to the end of the body even after message_stop, so the connection goes back to the pool.
      for await (const event of client.events({ path: "/v1/messages", body: { ...plan.body, stream: true }, signal })) {
        const parts = reader.push(event);
        if (parts.length > 0) clearTimeout(timer);
        yield* parts;
      }
      reader.end();
    } finally {
      clearTimeout(timer);
    }
  }

  async function countTokens(request: ChatRequest, callOptions: CallOptions): Promise<number> {
    const plan = toMessagesRequest(request, convertOptions);
    const result = await client.json<unknown>({ path: "/v1/messages/count_tokens", body: toCountTokensBody(plan), signal: callOptions.signal });
    const count = typeof result === "object" && result !== null ? (result as { input_tokens?: unknown }).input_tokens : undefined;
    if (typeof count !== "number") throw new HearthError("upstream_error", `Upstream '${providerId}' sent a token count without input_tokens.`);
    return count;
  }

  async function* complete(_request: CompletionRequest, _options: CallOptions): AsyncGenerator<StreamPart> {
    throw new HearthError("unsupported", `Provider '${providerId}' (Anthropic) has no text completion API; use chat completions.`, { param: "model" });
  }

  async function embed(_request: EmbeddingRequest, _options: CallOptions): Promise<EmbeddingResult> {
    throw new HearthError("unsupported", `Provider '${providerId}' (Anthropic) has no embeddings API.`, { param: "model" });
  }

  return {
    id: providerId,
    chat,
    countTokens,
    complete,
    embed,
    close: () => client.close(),
  };
}

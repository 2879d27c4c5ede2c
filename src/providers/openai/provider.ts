import { finished } from "node:stream";
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
import { SseDecoder } from "../shared/sse-decoder.ts";
import { createUpstreamClient, upstreamNetworkError, type UpstreamClient } from "../shared/upstream.ts";
import {
  ChunkAccumulator,
  fromEmbeddingResponse,
  partsFromResponse,
  resolveQuirks,
  toChatBody,
  toCompletionBody,
  toEmbeddingBody,
  type OpenAIQuirks,
  type ResolvedQuirks,
  type WireChunk,
} from "./convert.ts";

/**
 * One OpenAI-compatible upstream: OpenAI itself or any server that copies its API (vLLM,
 * Ollama, llama-server, LM Studio, OpenRouter, Mistral, Groq, Together). docs/providers.md
 * lists each server's base URL and quirks.
 */
export interface OpenAIProviderOptions extends RemoteProviderOptions {
  /** Ends in the API version path, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. The key goes as `Authorization: Bearer`; leave it out for servers without auth (Ollama, LM Studio). */
  baseUrl: string;
  quirks?: OpenAIQuirks | undefined;
}

export type OpenAIProvider = RemoteProvider;

/** After `[DONE]` the body is read to its end so the connection goes back to the pool; a server that keeps it open this long loses it. */
const drainAfterDoneMs = 1_000;

export function createOpenAIProvider(options: OpenAIProviderOptions): OpenAIProvider {
  const providerId = options.id;
  const secrets = options.apiKey === undefined ? [] : [options.apiKey];
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const client: UpstreamClient = createUpstreamClient({
    providerId,
    baseUrl: options.baseUrl,
    headers,
    secrets,
    connectTimeoutMs: options.connectTimeoutMs,
    headersTimeoutMs: options.firstTokenTimeoutMs,
    bodyTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const quirks: ResolvedQuirks = resolveQuirks(options.baseUrl, options.quirks);
  const firstTokenTimeoutMs = options.firstTokenTimeoutMs;

  async function* whole(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<StreamPart> {
    const answer = await client.json({ path, body, signal });
    yield* partsFromResponse(providerId, answer, secrets);
  }

  /**
   * Reads an SSE body straight from the pool (one JSON.parse per event, parts handed out as
   * they are decoded). Only `[DONE]` after every choice finished, or a clean end of the body
   * after that, produces the finish part: a cut stream throws upstream_error instead.
   */
  async function* streamed(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<StreamPart> {
    const started = firstTokenTimeoutMs === undefined ? 0 : performance.now();
    const response = await client.request({ path, body, signal });
    const stream = response.body;
    const decoder = new SseDecoder();
    const accumulator = new ChunkAccumulator(providerId, secrets);
    const out: StreamPart[] = [];
    let done = false;
    let ended = false;
    let drainTimer: NodeJS.Timeout | undefined;
    // Servers that send their headers before the model has produced anything (vLLM, Ollama...)
    // are held to the first-token limit until the first part, not just until the headers.
    let firstTokenTimer: NodeJS.Timeout | undefined;
    if (firstTokenTimeoutMs !== undefined) {
      firstTokenTimer = setTimeout(
        () => stream.destroy(new HearthError("timeout", `Upstream '${providerId}' produced no first token within ${firstTokenTimeoutMs} ms.`)),
        Math.max(0, firstTokenTimeoutMs - (performance.now() - started)),
      );
    }
    try {
      // destroyOnReturn: false — a consumer that stops right after the finish part must not
      // cost the keep-alive connection (see `finally`).
      for await (const bytes of stream.iterator({ destroyOnReturn: false })) {
        if (done) continue;
        const events = decoder.push(bytes as Uint8Array);
        for (let index = 0; index < events.length; index++) {
          const data = (events[index] as { data: string }).data;
          if (data === "[DONE]") {
            done = true;
            clearTimeout(firstTokenTimer);
            const finish = accumulator.finish(out);
            for (const part of out) yield part;
            out.length = 0;
            // The server ends the body right after [DONE]; one that does not loses the connection.
            drainTimer = setTimeout(() => stream.on("error", ignore).destroy(), drainAfterDoneMs);
            drainTimer.unref();
            yield finish;
            break;
          }
          accumulator.push(parseChunk(data), out);
          if (out.length > 0) {
            if (firstTokenTimer !== undefined) {
              clearTimeout(firstTokenTimer);
              firstTokenTimer = undefined;
            }
            for (const part of out) yield part;
            out.length = 0;
          }
        }
      }
      ended = true;
    } catch (error) {
      if (done) return;
      throw upstreamNetworkError(providerId, error, signal);
    } finally {
      clearTimeout(firstTokenTimer);
      if (ended || !done) {
        clearTimeout(drainTimer);
        // Not finished: stop reading and drop the connection, which cancels the upstream request.
        // undici's body emits RequestAbortedError when destroyed before its end; with the
        // iterator detached (destroyOnReturn: false) nobody else listens, so swallow it here.
        if (!ended) stream.on("error", ignore).destroy();
      } else {
        // Finished but the body's last bytes are still coming: read them in the background.
        const timer = drainTimer;
        finished(stream, () => clearTimeout(timer));
        stream.resume();
      }
    }
    if (done) return;
    // The body ended cleanly without [DONE]: acceptable only if every choice had finished.
    for (const event of decoder.end()) {
      if (event.data !== "[DONE]") accumulator.push(parseChunk(event.data), out);
    }
    const finish = accumulator.finish(out);
    for (const part of out) yield part;
    yield finish;
  }

  function parseChunk(data: string): WireChunk {
    try {
      return JSON.parse(data) as WireChunk;
    } catch {
      throw new HearthError("upstream_error", `Upstream '${providerId}' sent a stream event that is not JSON.`);
    }
  }

  function run(path: string, body: unknown, options: CallOptions): AsyncGenerator<StreamPart> {
    return options.stream === false ? whole(path, body, options.signal) : streamed(path, body, options.signal);
  }

  return {
    id: providerId,

    chat(request: ChatRequest, callOptions: CallOptions): AsyncIterable<StreamPart> {
      const stream = callOptions.stream !== false;
      return run("/chat/completions", toChatBody(request, stream, quirks), callOptions);
    },

    complete(request: CompletionRequest, callOptions: CallOptions): AsyncIterable<StreamPart> {
      const stream = callOptions.stream !== false;
      return run("/completions", toCompletionBody(request, stream, quirks), callOptions);
    },

    async embed(request: EmbeddingRequest, callOptions: CallOptions): Promise<EmbeddingResult> {
      const answer = await client.json({ path: "/embeddings", body: toEmbeddingBody(request, quirks), signal: callOptions.signal });
      return fromEmbeddingResponse(providerId, answer, request.input.length);
    },

    close: () => client.close(),
  };
}

function ignore(): void {}

import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
import { HearthError } from "../../spec/errors.ts";
import { SseDecoder, type ServerSentEvent } from "./sse-decoder.ts";

/**
 * The HTTP client every remote provider uses: one keep-alive connection pool per provider,
 * connect / first-byte timeouts, abort propagated to the socket, and upstream failures turned
 * into HearthErrors whose messages never carry a credential.
 */
export interface UpstreamOptions {
  /** Provider id, used in error messages ("openai", "my-vllm"...). */
  providerId: string;
  /** e.g. https://api.openai.com/v1 — paths are appended to it. */
  baseUrl: string;
  /** Headers sent on every request (auth included). */
  headers: Record<string, string>;
  /** Values that must never appear in an error message or log (API keys). */
  secrets: readonly string[];
  connectTimeoutMs?: number | undefined;
  /** Longest wait for the response headers (for streams: roughly the first token). */
  headersTimeoutMs?: number | undefined;
  /** Longest silence between two body chunks. */
  bodyTimeoutMs?: number | undefined;
  /** Open connections kept per upstream origin (default 128). */
  maxConnections?: number | undefined;
}

export interface UpstreamRequest {
  method?: "GET" | "POST" | undefined;
  /** Appended to the base URL path, e.g. "/chat/completions". May carry a query string. */
  path: string;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

export interface UpstreamClient {
  /** Sends a request; throws a HearthError for network failures and non-2xx answers. */
  request(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Sends a request and parses the JSON answer. */
  json<T = unknown>(request: UpstreamRequest): Promise<T>;
  /** Sends a request and yields its server-sent events; a cut stream throws upstream_error. */
  events(request: UpstreamRequest): AsyncGenerator<ServerSentEvent>;
  close(): Promise<void>;
}

/** Removes every secret from a text (upstream error messages sometimes echo a key back). */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  // Key-shaped tokens in upstream messages, whether or not they are ours.
  return result.replace(/\b(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g, "$1…").replace(/\bAIza[0-9A-Za-z_-]{20,}/g, "AIza…");
}

/** Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or an HTTP date). */
export function retryAfterSeconds(headers: Record<string, string | string[] | undefined>, now: number = Date.now()): number | undefined {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const milliseconds = header("retry-after-ms");
  if (milliseconds !== undefined && Number.isFinite(Number(milliseconds))) return Math.max(0, Number(milliseconds) / 1000);
  const value = header("retry-after");
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/**
 * Seconds to wait from a Google error body: Gemini answers 429 without a `Retry-After` header and
 * says how long to wait only in a `google.rpc.RetryInfo` detail (`"retryDelay": "45.837s"`).
 */
export function googleRetryDelaySeconds(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as { error?: { details?: unknown } } | Array<{ error?: { details?: unknown } }>;
    const details = (Array.isArray(body) ? body[0]?.error?.details : body.error?.details) ?? [];
    if (!Array.isArray(details)) return undefined;
    for (const detail of details as Array<Record<string, unknown>>) {
      const delay = detail["retryDelay"];
      if (String(detail["@type"]).endsWith("google.rpc.RetryInfo") && typeof delay === "string" && /^\d+(\.\d+)?s$/.test(delay)) {
        return Number(delay.slice(0, -1));
      }
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** Pulls a human message out of the common upstream error shapes (OpenAI, Anthropic, Gemini). */
export function upstreamMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== "object" || body === null) return undefined;
    const record = body as Record<string, unknown>;
    const error = Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined)?.error : record.error;
    if (typeof error === "string") return error;
    if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
      return (error as { message: string }).message;
    }
    if (typeof record.message === "string") return record.message;
    if (typeof record.detail === "string") return record.detail;
  } catch {
    // not JSON
  }
  return undefined;
}

/** Maps an upstream HTTP failure to the HearthError the client sees. */
export function upstreamHttpError(
  providerId: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  secrets: readonly string[],
): HearthError {
  const detail = upstreamMessage(bodyText) ?? (bodyText.length > 0 && bodyText.length < 300 ? bodyText.trim() : "");
  const said = detail === "" ? "" : `: ${scrub(detail, secrets).slice(0, 500)}`;
  const options = { upstreamStatus: status };
  if (status === 429) {
    return new HearthError("rate_limited", `Upstream '${providerId}' is rate limiting (HTTP 429)${said}`, {
      ...options,
      retryAfterSeconds: retryAfterSeconds(headers) ?? googleRetryDelaySeconds(bodyText),
    });
  }
  if (status === 401 || status === 403) {
    return new HearthError("upstream_error", `Upstream '${providerId}' refused Hearth's credentials (HTTP ${status})${said}. Check the provider's API key in the config.`, options);
  }
  if (status === 408) return new HearthError("timeout", `Upstream '${providerId}' timed out (HTTP 408)${said}`, options);
  if (status === 413) return new HearthError("payload_too_large", `Upstream '${providerId}' says the request is too large${said}`, options);
  if (status === 503 || status === 529) {
    return new HearthError("overloaded", `Upstream '${providerId}' is overloaded (HTTP ${status})${said}`, {
      ...options,
      retryAfterSeconds: retryAfterSeconds(headers) ?? googleRetryDelaySeconds(bodyText),
    });
  }
  if (status >= 500) return new HearthError("upstream_error", `Upstream '${providerId}' failed (HTTP ${status})${said}`, options);
  if (status === 404) return new HearthError("upstream_error", `Upstream '${providerId}' answered 404${said}`, options);
  if (/context|too long|maximum.*tokens|token limit/i.test(detail) && status === 400) {
    return new HearthError("context_length_exceeded", `Upstream '${providerId}'${said}`, options);
  }
  return new HearthError("invalid_request", `Upstream '${providerId}' rejected the request (HTTP ${status})${said}`, options);
}

/** Maps a transport failure (refused, reset, timeout, abort) to a HearthError. */
export function upstreamNetworkError(providerId: string, error: unknown, signal: AbortSignal): HearthError {
  if (HearthError.isInstance(error)) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (HearthError.isInstance(reason)) return reason;
    if (typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "TimeoutError") {
      return new HearthError("timeout", `Upstream '${providerId}' did not answer in time.`, { cause: error });
    }
    return new HearthError("aborted", "The request was aborted.", { cause: error });
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new HearthError("upstream_error", `Could not connect to upstream '${providerId}' in time.`, { cause: error });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError) {
    return new HearthError("timeout", `Upstream '${providerId}' sent no response headers in time (first-token timeout).`, { cause: error });
  }
  if (error instanceof undiciErrors.BodyTimeoutError) {
    return new HearthError("timeout", `Upstream '${providerId}' went silent mid-response.`, { cause: error });
  }
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const what =
    code === "ECONNREFUSED"
      ? "refused the connection"
      : code === "ECONNRESET" || code === "UND_ERR_SOCKET"
        ? "closed the connection unexpectedly"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? "could not be resolved (DNS)"
          : "could not be reached";
  return new HearthError("upstream_error", `Upstream '${providerId}' ${what}${typeof code === "string" ? ` (${code})` : ""}.`, { cause: error });
}

export function createUpstreamClient(options: UpstreamOptions): UpstreamClient {
  const base = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/$/, "");
  const agent = new Agent({
    connections: options.maxConnections ?? 128,
    keepAliveTimeout: 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 600_000,
    bodyTimeout: options.bodyTimeoutMs ?? 600_000,
  });
  const { providerId, secrets } = options;
  const baseHeaders = { ...options.headers };

  async function request(upstream: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { ...baseHeaders, ...upstream.headers };
    let body: string | undefined;
    if (upstream.body !== undefined) {
      body = JSON.stringify(upstream.body);
      headers["content-type"] = "application/json";
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await agent.request({
        origin,
        path: basePath + upstream.path,
        method: upstream.method ?? (body === undefined ? "GET" : "POST"),
        headers,
        body,
        signal: upstream.signal,
      });
    } catch (error) {
      throw upstreamNetworkError(providerId, error, upstream.signal);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      let text = "";
      try {
        text = await response.body.text();
      } catch {
        // the error body itself was cut; the status is enough
      }
      throw upstreamHttpError(providerId, response.statusCode, response.headers, text, secrets);
    }
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  return {
    request,

    async json<T>(upstream: UpstreamRequest): Promise<T> {
      const response = await request(upstream);
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw upstreamNetworkError(providerId, error, upstream.signal);
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new HearthError("upstream_error", `Upstream '${providerId}' sent a body that is not JSON.`);
      }
    },

    async *events(upstream: UpstreamRequest): AsyncGenerator<ServerSentEvent> {
      const response = await request(upstream);
      const decoder = new SseDecoder();
      let completed = false;
      try {
        for await (const chunk of response.body) {
          for (const event of decoder.push(chunk as Uint8Array)) yield event;
        }
        for (const event of decoder.end()) yield event;
        completed = true;
      } catch (error) {
        throw upstreamNetworkError(providerId, error, upstream.signal);
      } finally {
        // The consumer stopped early (client gone, or the provider saw its terminal event):
        // drop the connection rather than drain an answer nobody reads.
        if (!completed) response.body.on("error", () => undefined).destroy();
      }
    },

    async close() {
      await agent.close();
    },
  };
}

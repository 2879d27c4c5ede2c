import type { ModelProvider } from "../../spec/model.ts";

/**
 * What every remote provider is configured with (config `providers[]`); each provider's own
 * options extend it with its vendor's settings.
 */
export interface RemoteProviderOptions {
  /** The provider's name in config; names the upstream in errors, logs and headers. */
  id: string;
  /** The key, sent the way the vendor expects; never appears in an error message or log. */
  apiKey?: string | undefined;
  /** Extra headers on every request (a proxy's auth, OpenRouter's HTTP-Referer, `anthropic-beta`...). */
  headers?: Record<string, string> | undefined;
  connectTimeoutMs?: number | undefined;
  /** Longest wait for the first part of the answer; for a non-streamed call, the whole answer. */
  firstTokenTimeoutMs?: number | undefined;
  /** Longest silence between two chunks of an answer. */
  idleTimeoutMs?: number | undefined;
  /** Keep-alive connections to the upstream (default 128). */
  maxConnections?: number | undefined;
}

/** A remote provider owns a connection pool; `close()` releases it. */
export interface RemoteProvider extends ModelProvider {
  close(): Promise<void>;
}

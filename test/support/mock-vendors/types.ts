/**
 * The shape every loopback mock vendor (OpenAI, Anthropic, Gemini) shares, so routing tests can
 * inject the same faults into any of them. The mocks speak the vendors' documented wire formats;
 * only their "model" is fake (see brain.ts).
 */
export type MockFault =
  /** Answer with this HTTP status and the vendor's own error body (429/503/529 carry retry-after when given). */
  | { kind: "status"; status: number; retryAfterSeconds?: number | undefined; message?: string | undefined }
  /** Destroy the socket before sending any byte. */
  | { kind: "reset" }
  /** Wait this long before the response headers / first byte. */
  | { kind: "slow-first-token"; delayMs: number }
  /** Stream the first `afterEvents` SSE events (or for JSON: half the body), then destroy the socket. */
  | { kind: "cut-mid-stream"; afterEvents: number };

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/v1/chat/completions" or "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse". */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface MockVendor {
  /** http://127.0.0.1:<port> — no path. */
  url: string;
  /** The key the mock accepts; any other gets the vendor's 401. */
  apiKey: string;
  /** Apply `fault` to the next `times` model requests (default 1), in order, then behave normally. */
  failNext(fault: MockFault, times?: number): void;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Clears faults and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface MockVendorOptions {
  /** Default "test-key-<vendor>". */
  apiKey?: string | undefined;
  /** Pause between streamed events (default 2 ms) so aborts and cuts land mid-stream. */
  eventDelayMs?: number | undefined;
}

/**
 * One error type for the whole request path. Every failure that can reach a client is a
 * HearthError with a code from a closed set; the table below is the single place that maps a
 * code to an HTTP status and an OpenAI `error.type`, so every dialect answers the same way.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "model_not_found"
  | "context_length_exceeded"
  | "payload_too_large"
  | "unsupported"
  | "unauthorized"
  | "policy_blocked"
  | "review_denied"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "rate_limited"
  | "overloaded"
  | "timeout"
  | "model_load_failed"
  | "upstream_error"
  | "aborted"
  | "internal";

interface CodeInfo {
  status: number;
  /** OpenAI's `error.type` vocabulary. */
  type: "invalid_request_error" | "authentication_error" | "permission_error" | "not_found_error" | "rate_limit_error" | "server_error" | "overloaded_error";
}

export const errorTable: Readonly<Record<ErrorCode, CodeInfo>> = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  invalid_request: { status: 400, type: "invalid_request_error" },
  model_not_found: { status: 404, type: "invalid_request_error" },
  context_length_exceeded: { status: 400, type: "invalid_request_error" },
  payload_too_large: { status: 413, type: "invalid_request_error" },
  unsupported: { status: 400, type: "invalid_request_error" },
  unauthorized: { status: 401, type: "authentication_error" },
  policy_blocked: { status: 403, type: "permission_error" },
  review_denied: { status: 403, type: "permission_error" },
  /** The key may not use this model, locality or admin operation. */
  forbidden: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  overloaded: { status: 503, type: "overloaded_error" },
  timeout: { status: 504, type: "server_error" },
  model_load_failed: { status: 500, type: "server_error" },
  upstream_error: { status: 502, type: "server_error" },
  aborted: { status: 499, type: "invalid_request_error" },
  internal: { status: 500, type: "server_error" },
};

const marker = Symbol.for("hearth.error");

export interface HearthErrorOptions {
  /** The request field at fault, in the client's own naming (OpenAI `error.param`). */
  param?: string | undefined;
  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  retryAfterSeconds?: number | undefined;
  /** The HTTP status an upstream provider answered with, when this error came from one. */
  upstreamStatus?: number | undefined;
  cause?: unknown;
}

export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly [marker] = true;

  constructor(code: ErrorCode, message: string, options: HearthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HearthError";
    this.code = code;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
  }

  get status(): number {
    return errorTable[this.code].status;
  }

  get type(): CodeInfo["type"] {
    return errorTable[this.code].type;
  }

  /** Retryable per the usual HTTP rules: 408, 409, 429 and 5xx. */
  get retryable(): boolean {
    const status = this.status;
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }

  /** Works across duplicate copies of this module, unlike `instanceof`. */
  static isInstance(value: unknown): value is HearthError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Turns anything thrown into a HearthError without leaking internals to the client. */
export function toHearthError(error: unknown): HearthError {
  if (HearthError.isInstance(error)) return error;
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === "TimeoutError") {
    return new HearthError("timeout", "The request took longer than the server's request timeout.", { cause: error });
  }
  if (name === "AbortError") {
    return new HearthError("aborted", "The request was aborted.", { cause: error });
  }
  return new HearthError("internal", "Internal error.", { cause: error });
}

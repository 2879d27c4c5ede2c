import type { ErrorCode, HearthError } from "../../spec/errors.ts";

/** google.rpc canonical status names, as Google's APIs write them in `error.status`. */
export type GeminiStatus =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "RESOURCE_EXHAUSTED"
  | "CANCELLED"
  | "INTERNAL"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED";

const statusOf: Readonly<Record<ErrorCode, GeminiStatus>> = {
  invalid_json: "INVALID_ARGUMENT",
  invalid_request: "INVALID_ARGUMENT",
  model_not_found: "NOT_FOUND",
  context_length_exceeded: "INVALID_ARGUMENT",
  payload_too_large: "INVALID_ARGUMENT",
  unsupported: "INVALID_ARGUMENT",
  unauthorized: "UNAUTHENTICATED",
  policy_blocked: "PERMISSION_DENIED",
  review_denied: "PERMISSION_DENIED",
  forbidden: "PERMISSION_DENIED",
  not_found: "NOT_FOUND",
  method_not_allowed: "INVALID_ARGUMENT",
  rate_limited: "RESOURCE_EXHAUSTED",
  overloaded: "UNAVAILABLE",
  timeout: "DEADLINE_EXCEEDED",
  model_load_failed: "INTERNAL",
  upstream_error: "UNAVAILABLE",
  aborted: "CANCELLED",
  internal: "INTERNAL",
};

/**
 * The `{ error: { code, message, status, details } }` body Google's APIs answer with. The SDK
 * reads `code` (it must be the HTTP status) to raise `ApiError`, also when the object arrives as
 * an event inside a stream. Retry-After and the field at fault travel as google.rpc details.
 */
export function toGeminiError(error: HearthError) {
  const details: Array<Record<string, unknown>> = [];
  if (error.param !== undefined) {
    details.push({ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: error.param, description: error.message }] });
  }
  if (error.retryAfterSeconds !== undefined) {
    details.push({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${Math.max(1, Math.ceil(error.retryAfterSeconds))}s` });
  }
  return {
    error: {
      code: error.status,
      message: error.message,
      status: statusOf[error.code],
      ...(details.length > 0 ? { details } : {}),
    },
  };
}

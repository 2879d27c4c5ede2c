import type { ErrorCode, HearthError } from "../../spec/errors.ts";

/** Anthropic's `error.type` vocabulary, which the SDKs and coding tools branch on. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "timeout_error"
  | "api_error"
  | "overloaded_error";

const errorTypes: Readonly<Record<ErrorCode, AnthropicErrorType>> = {
  invalid_json: "invalid_request_error",
  invalid_request: "invalid_request_error",
  model_not_found: "not_found_error",
  context_length_exceeded: "invalid_request_error",
  payload_too_large: "request_too_large",
  unsupported: "invalid_request_error",
  unauthorized: "authentication_error",
  policy_blocked: "permission_error",
  review_denied: "permission_error",
  forbidden: "permission_error",
  not_found: "not_found_error",
  method_not_allowed: "invalid_request_error",
  rate_limited: "rate_limit_error",
  overloaded: "overloaded_error",
  timeout: "timeout_error",
  model_load_failed: "api_error",
  upstream_error: "api_error",
  aborted: "invalid_request_error",
  internal: "api_error",
};

/** The `{ type: "error", error: { type, message } }` body Anthropic clients know how to read. */
export function toAnthropicError(error: HearthError) {
  return { type: "error" as const, error: { type: errorTypes[error.code], message: error.message } };
}

/**
 * The HTTP status this dialect answers with. Anthropic signals "overloaded" with 529, which its
 * SDKs turn into `OverloadedError` (and retry); every other code keeps the shared table's status.
 */
export function anthropicStatus(error: HearthError): number {
  return error.code === "overloaded" ? 529 : error.status;
}

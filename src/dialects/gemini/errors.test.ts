import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import { toGeminiError } from "./errors.ts";

describe("toGeminiError", () => {
  test("code is the HTTP status and status the google.rpc name", () => {
    const cases: Array<[ErrorCode, number, string]> = [
      ["invalid_request", 400, "INVALID_ARGUMENT"],
      ["unsupported", 400, "INVALID_ARGUMENT"],
      ["unauthorized", 401, "UNAUTHENTICATED"],
      ["model_not_found", 404, "NOT_FOUND"],
      ["rate_limited", 429, "RESOURCE_EXHAUSTED"],
      ["internal", 500, "INTERNAL"],
      ["upstream_error", 502, "UNAVAILABLE"],
      ["overloaded", 503, "UNAVAILABLE"],
      ["timeout", 504, "DEADLINE_EXCEEDED"],
      ["aborted", 499, "CANCELLED"],
    ];
    for (const [code, status, name] of cases) {
      assert.deepEqual(toGeminiError(new HearthError(code, "m")), { error: { code: status, message: "m", status: name } }, code);
    }
  });

  test("the field at fault and Retry-After travel as google.rpc details", () => {
    assert.deepEqual(toGeminiError(new HearthError("rate_limited", "Slow down.", { retryAfterSeconds: 1.2 })).error.details, [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
    ]);
    assert.deepEqual(toGeminiError(new HearthError("invalid_request", "Bad.", { param: "contents[0]" })).error.details, [
      { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "contents[0]", description: "Bad." }] },
    ]);
  });
});

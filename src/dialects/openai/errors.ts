import type { HearthError } from "../../spec/errors.ts";

/** The `{ error: { message, type, param, code } }` body every OpenAI client knows how to read. */
export function toOpenAIError(error: HearthError) {
  return { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } };
}

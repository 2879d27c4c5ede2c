import type { z } from "zod";
import { HearthError } from "../../spec/errors.ts";

/** Formats a zod path the way OpenAI names params: `messages[0].content`. */
export function paramPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** Validates a parsed body against a schema, turning the first issue into an OpenAI-style 400. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new HearthError("invalid_request", "Invalid request body.");
  const param = paramPath(issue.path);
  const message = param === "" ? issue.message : `Invalid value for '${param}': ${issue.message}`;
  throw new HearthError("invalid_request", message, { param: param === "" ? undefined : param });
}

import type { z } from "zod";
import { HearthError } from "../../spec/errors.ts";

/** Formats a zod path the way Anthropic names fields in its errors: `messages.0.content.1.text`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key) => String(key)).join(".");
}

interface Located {
  path: PropertyKey[];
  issue: z.core.$ZodIssue;
}

/**
 * The most specific issue behind a failed union (`content: string | blocks`): the branch that
 * got furthest into the value says what is wrong better than "Invalid input" does.
 */
function mostSpecific(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): Located {
  const here: Located = { path: [...prefix, ...issue.path], issue };
  if (issue.code !== "invalid_union") return here;
  let best = here;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const candidate = mostSpecific(first, here.path);
    if (candidate.path.length > best.path.length) best = candidate;
  }
  return best;
}

/** Validates a parsed body against a schema, turning the first issue into an Anthropic-style 400. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  // reportInput tells a missing field (input undefined, which JSON cannot send) from a present one of the wrong type.
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const first = result.error.issues[0];
  if (first === undefined) throw new HearthError("invalid_request", "Invalid request body.");
  const { path, issue } = mostSpecific(first, []);
  const param = fieldPath(path);
  const missing = issue.code === "invalid_type" && issue.input === undefined;
  const reason = missing ? "Field required" : issue.message;
  throw new HearthError("invalid_request", param === "" ? reason : `${param}: ${reason}`, { param: param === "" ? undefined : param });
}

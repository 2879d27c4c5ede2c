import { HearthError } from "../../spec/errors.ts";
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from "../../spec/model.ts";
import { fromMessagesBody } from "../anthropic/messages.ts";
import { fromChatCompletionBody } from "../openai/chat.ts";
import { fromCompletionBody } from "../openai/completions.ts";
import { fromEmbeddingBody } from "../openai/embeddings.ts";
import { fromResponsesBody } from "../openai/responses.ts";

/**
 * The body of `POST /v1/hearth/policy/explain` and of each case in a `hearth policy test` file:
 * a request as a client would send it to one of Hearth's endpoints, plus who sends it.
 *
 * ```json
 * { "endpoint": "chat.completions", "request": { "model": "gpt", "messages": [...] },
 *   "key": "alice", "team": "support", "tags": ["confidential"] }
 * ```
 */
export type ExplainEndpoint = "chat.completions" | "completions" | "embeddings" | "messages" | "responses";

export type ExplainInput =
  | { kind: "chat"; request: ChatRequest; key?: string | undefined; team?: string | undefined; tags: string[]; endpoint: ExplainEndpoint }
  | { kind: "completion"; request: CompletionRequest; key?: string | undefined; team?: string | undefined; tags: string[]; endpoint: ExplainEndpoint }
  | { kind: "embedding"; request: EmbeddingRequest; key?: string | undefined; team?: string | undefined; tags: string[]; endpoint: ExplainEndpoint };

const endpoints: readonly ExplainEndpoint[] = ["chat.completions", "completions", "embeddings", "messages", "responses"];

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "") throw new HearthError("invalid_request", `${name} must be a non-empty string.`, { param: name });
  return value;
}

export function fromExplainBody(body: unknown): ExplainInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HearthError("invalid_request", "The body must be a JSON object with `request`.");
  const record = body as Record<string, unknown>;
  const endpoint = (record.endpoint ?? "chat.completions") as ExplainEndpoint;
  if (!endpoints.includes(endpoint)) {
    throw new HearthError("invalid_request", `endpoint must be one of ${endpoints.join(", ")}.`, { param: "endpoint" });
  }
  const request = record.request;
  if (typeof request !== "object" || request === null) throw new HearthError("invalid_request", "`request` must be the request body as a client would send it.", { param: "request" });
  const tags = record.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === "string")) throw new HearthError("invalid_request", "tags must be a list of strings.", { param: "tags" });
  const who = { key: optionalString(record, "key"), team: optionalString(record, "team"), tags: tags.map((tag: string) => tag.trim().toLowerCase()).filter(Boolean), endpoint };
  switch (endpoint) {
    case "chat.completions":
      return { kind: "chat", request: fromChatCompletionBody(request).request, ...who };
    case "messages":
      return { kind: "chat", request: fromMessagesBody(request).request, ...who };
    case "responses":
      return { kind: "chat", request: fromResponsesBody(request).request, ...who };
    case "completions":
      return { kind: "completion", request: fromCompletionBody(request).request, ...who };
    case "embeddings":
      return { kind: "embedding", request: fromEmbeddingBody(request).request, ...who };
  }
}

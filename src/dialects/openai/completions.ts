import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { CollectedResult, CompletionRequest, FinishReason, Usage } from "../../spec/model.ts";
import { toOpenAIUsage, type ResponseIdentity } from "./chat.ts";
import { parseBody } from "./validate.ts";

/** OpenAI's legacy Completions request body. */
export const completionBody = z.looseObject({
  model: z.string().min(1, "a model name is required"),
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()), z.array(z.array(z.number()))]),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4, "at most 4 stop sequences")]).nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  best_of: z.number().int().positive().nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.string().nullable().optional(),
  logprobs: z.number().int().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
});

export interface ParsedCompletionRequest {
  request: CompletionRequest;
  stream: boolean;
  includeUsage: boolean;
}

export function fromCompletionBody(body: unknown): ParsedCompletionRequest {
  const parsed = parseBody(completionBody, body);
  let prompt: string;
  if (typeof parsed.prompt === "string") prompt = parsed.prompt;
  else if (parsed.prompt.every((entry) => typeof entry === "string")) {
    if (parsed.prompt.length !== 1) {
      throw new HearthError("unsupported", "Send one prompt per request (batched prompts are not supported yet).", { param: "prompt" });
    }
    prompt = parsed.prompt[0] as string;
  } else {
    throw new HearthError("unsupported", "Token-array prompts are not supported; send text.", { param: "prompt" });
  }
  if ((parsed.n ?? 1) !== 1) throw new HearthError("unsupported", "Only n=1 is supported.", { param: "n" });
  if ((parsed.best_of ?? 1) !== 1) throw new HearthError("unsupported", "best_of is not supported.", { param: "best_of" });
  if (parsed.echo === true) throw new HearthError("unsupported", "echo is not supported.", { param: "echo" });
  if (parsed.suffix !== undefined && parsed.suffix !== null && parsed.suffix !== "") {
    throw new HearthError("unsupported", "suffix (fill-in-the-middle) is not supported.", { param: "suffix" });
  }
  if (parsed.logprobs !== undefined && parsed.logprobs !== null) {
    throw new HearthError("unsupported", "logprobs are not supported by the local engine yet.", { param: "logprobs" });
  }
  const stop = parsed.stop === undefined || parsed.stop === null ? undefined : typeof parsed.stop === "string" ? [parsed.stop] : parsed.stop;
  const request: CompletionRequest = {
    model: parsed.model,
    prompt,
    // The legacy API's documented default is 16 tokens.
    maxTokens: parsed.max_tokens ?? 16,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    seed: parsed.seed ?? undefined,
    stop: stop?.filter((entry) => entry !== ""),
  };
  return { request, stream: parsed.stream === true, includeUsage: parsed.stream_options?.include_usage === true };
}

function finishReason(reason: FinishReason): string {
  return reason === "length" ? "length" : "stop";
}

export function toTextCompletion(identity: ResponseIdentity, result: CollectedResult) {
  return {
    id: identity.id,
    object: "text_completion" as const,
    created: identity.created,
    model: identity.model,
    choices: [{ text: result.text, index: 0, logprobs: null, finish_reason: finishReason(result.finishReason) }],
    usage: toOpenAIUsage(result.usage),
  };
}

export function toTextCompletionChunk(identity: ResponseIdentity, text: string, reason: FinishReason | null, usage?: Usage) {
  return {
    id: identity.id,
    object: "text_completion" as const,
    created: identity.created,
    model: identity.model,
    choices: usage !== undefined ? [] : [{ text, index: 0, logprobs: null, finish_reason: reason === null ? null : finishReason(reason) }],
    ...(usage !== undefined ? { usage: toOpenAIUsage(usage) } : {}),
  };
}

import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { EmbeddingRequest, EmbeddingResult } from "../../spec/model.ts";
import { parseBody } from "./validate.ts";

/** At most this many inputs per request, as OpenAI allows. */
const maxInputs = 2048;

export const embeddingBody = z.looseObject({
  model: z.string().min(1, "a model name is required"),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export interface ParsedEmbeddingRequest {
  request: EmbeddingRequest;
  encoding: "float" | "base64";
  dimensions: number | undefined;
}

export function fromEmbeddingBody(body: unknown): ParsedEmbeddingRequest {
  const parsed = parseBody(embeddingBody, body);
  let input: string[];
  if (typeof parsed.input === "string") input = [parsed.input];
  else if (parsed.input.every((entry) => typeof entry === "string")) input = parsed.input as string[];
  else throw new HearthError("unsupported", "Token-array inputs are not supported; send text.", { param: "input" });
  if (input.length === 0) throw new HearthError("invalid_request", "input must not be empty.", { param: "input" });
  if (input.length > maxInputs) {
    throw new HearthError("invalid_request", `At most ${maxInputs} inputs per request; got ${input.length}.`, { param: "input" });
  }
  const emptyAt = input.findIndex((text) => text === "");
  if (emptyAt >= 0) {
    throw new HearthError("invalid_request", "input strings must not be empty.", { param: `input[${emptyAt}]` });
  }
  return { request: { model: parsed.model, input }, encoding: parsed.encoding_format ?? "float", dimensions: parsed.dimensions };
}

/** Little-endian float32 bytes in base64, the encoding the official SDKs decode. */
export function encodeBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
}

export function toEmbeddingResponse(model: string, result: EmbeddingResult, encoding: "float" | "base64", dimensions: number | undefined) {
  const size = result.embeddings[0]?.length ?? 0;
  if (dimensions !== undefined && dimensions !== size) {
    throw new HearthError("unsupported", `This model produces ${size}-dimensional embeddings; 'dimensions' cannot change that.`, {
      param: "dimensions",
    });
  }
  return {
    object: "list" as const,
    data: result.embeddings.map((vector, index) => ({
      object: "embedding" as const,
      index,
      embedding: encoding === "base64" ? encodeBase64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
}

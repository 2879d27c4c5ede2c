import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { EmbeddingRequest, EmbeddingResult } from "../../spec/model.ts";
import { parseBody } from "../openai/validate.ts";
import { geminiModelName } from "./models.ts";

/** At most this many texts per batch, as Gemini allows. */
const maxRequests = 100;

const embedRequestSchema = z.looseObject({
  model: z.string().optional(),
  content: z.looseObject({
    role: z.string().optional(),
    parts: z.array(z.looseObject({ text: z.string().optional() })).min(1, "content needs at least one part"),
  }),
  taskType: z.string().optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().positive().optional(),
});

export const embedContentBody = embedRequestSchema;
export const batchEmbedContentsBody = z.looseObject({
  requests: z.array(embedRequestSchema).min(1, "at least one request is required").max(maxRequests, `at most ${maxRequests} requests per batch`),
});

type EmbedRequestBody = z.output<typeof embedRequestSchema>;

export interface ParsedEmbedRequest {
  request: EmbeddingRequest;
  /** The vector size the client asked for, checked against what the model returns. */
  dimensions: number | undefined;
}

function textOf(body: EmbedRequestBody, path: string): string {
  const texts = body.content.parts.map((part, index) => {
    if (part.text === undefined) throw new HearthError("unsupported", "Only text can be embedded.", { param: `${path}content.parts[${index}]` });
    return part.text;
  });
  const text = texts.join("\n");
  if (text === "") throw new HearthError("invalid_request", "The text to embed must not be empty.", { param: `${path}content.parts` });
  return text;
}

function checkModel(body: EmbedRequestBody, model: string, path: string): void {
  if (body.model !== undefined && geminiModelName(body.model) !== model) {
    throw new HearthError("invalid_request", `${path}model '${body.model}' does not match the model in the URL ('${model}').`, { param: `${path}model` });
  }
}

/** taskType and title shape Gemini's own embeddings; other models have no use for them. */
function passthroughOf(body: EmbedRequestBody): EmbeddingRequest["passthrough"] {
  const fields: Record<string, unknown> = {};
  if (body.taskType !== undefined) fields.taskType = body.taskType;
  if (body.title !== undefined) fields.title = body.title;
  return Object.keys(fields).length > 0 ? { format: "gemini", fields } : undefined;
}

/** `embedContent`: one text, one vector. */
export function fromEmbedContentBody(model: string, body: unknown): ParsedEmbedRequest {
  const parsed = parseBody(embedContentBody, body);
  checkModel(parsed, model, "");
  return {
    request: { model, input: [textOf(parsed, "")], dimensions: parsed.outputDimensionality, passthrough: passthroughOf(parsed) },
    dimensions: parsed.outputDimensionality,
  };
}

/**
 * `batchEmbedContents`: one embedding call for the whole batch, so every request must share its
 * settings (the SDK's `embedContent` always sends them that way).
 */
export function fromBatchEmbedContentsBody(model: string, body: unknown): ParsedEmbedRequest {
  const parsed = parseBody(batchEmbedContentsBody, body);
  const first = parsed.requests[0] as EmbedRequestBody;
  const input = parsed.requests.map((request, index) => {
    const path = `requests[${index}].`;
    checkModel(request, model, path);
    for (const field of ["outputDimensionality", "taskType", "title"] as const) {
      if (request[field] !== first[field]) {
        throw new HearthError("unsupported", `Every request in a batch must use the same ${field}.`, { param: `${path}${field}` });
      }
    }
    return textOf(request, path);
  });
  return {
    request: { model, input, dimensions: first.outputDimensionality, passthrough: passthroughOf(first) },
    dimensions: first.outputDimensionality,
  };
}

function checkDimensions(result: EmbeddingResult, dimensions: number | undefined): void {
  const size = result.embeddings[0]?.length ?? 0;
  if (dimensions !== undefined && dimensions !== size) {
    throw new HearthError("unsupported", `This model produces ${size}-dimensional embeddings; outputDimensionality cannot change that.`, {
      param: "outputDimensionality",
    });
  }
}

export function toEmbedContentResponse(result: EmbeddingResult, dimensions: number | undefined) {
  checkDimensions(result, dimensions);
  const values = result.embeddings[0];
  if (values === undefined) throw new HearthError("upstream_error", "The model returned no embedding.");
  return { embedding: { values } };
}

export function toBatchEmbedContentsResponse(result: EmbeddingResult, dimensions: number | undefined) {
  checkDimensions(result, dimensions);
  return { embeddings: result.embeddings.map((values) => ({ values })) };
}

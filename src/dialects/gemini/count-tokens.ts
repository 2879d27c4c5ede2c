import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import type { ChatRequest } from "../../spec/model.ts";
import { parseBody } from "../openai/validate.ts";
import { generateContentBody, toChatRequest } from "./generate.ts";
import { geminiModelName } from "./models.ts";

/** `countTokens` takes either bare `contents` or a whole `generateContentRequest` (with tools, system text...). */
export const countTokensBody = z.looseObject({
  contents: z.array(z.unknown()).optional(),
  generateContentRequest: z.looseObject({ model: z.string().optional() }).optional(),
});

/** Converts a Gemini `countTokens` body into the ChatRequest whose prompt is counted (pure; throws 400s). */
export function fromCountTokensBody(model: string, body: unknown): ChatRequest {
  const parsed = parseBody(countTokensBody, body);
  if ((parsed.contents === undefined) === (parsed.generateContentRequest === undefined)) {
    throw new HearthError("invalid_request", "Send either contents or generateContentRequest.", { param: "contents" });
  }
  if (parsed.generateContentRequest !== undefined) {
    const named = parsed.generateContentRequest.model;
    if (named !== undefined && geminiModelName(named) !== model) {
      throw new HearthError("invalid_request", `generateContentRequest.model '${named}' does not match the model in the URL ('${model}').`, {
        param: "generateContentRequest.model",
      });
    }
    // Its own `model` field is not interpreted further: the URL names the model.
    return toChatRequest(model, parseBody(generateContentBody, parsed.generateContentRequest));
  }
  return toChatRequest(model, parseBody(generateContentBody, { contents: parsed.contents }));
}

export function toCountTokensResponse(inputTokens: number) {
  return { totalTokens: inputTokens };
}

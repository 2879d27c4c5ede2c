import { fromCountTokensBody, toCountTokensResponse } from "../../dialects/gemini/count-tokens.ts";
import {
  fromBatchEmbedContentsBody,
  fromEmbedContentBody,
  toBatchEmbedContentsResponse,
  toEmbedContentResponse,
} from "../../dialects/gemini/embed.ts";
import { toGeminiError } from "../../dialects/gemini/errors.ts";
import {
  fromGenerateContentBody,
  GenerateContentStreamWriter,
  toGenerateContentResponse,
  type GeminiResponseIdentity,
} from "../../dialects/gemini/generate.ts";
import { geminiModelName, toGeminiModel, toGeminiModelList, type GeminiModelListing } from "../../dialects/gemini/models.ts";
import { routeInfo } from "../../core/catalog.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import { collect, type StreamPart } from "../../spec/model.ts";
import { responseId, type ErrorFormatter, type HearthApp, type HearthContext, type RouteKit } from "../kit.ts";
import { eventStream } from "../sse.ts";

/** Errors under /v1beta answer in Google's `{ error: { code, message, status } }` shape. */
export const geminiErrorFormat: ErrorFormatter = toGeminiError;

const encoder = new TextEncoder();

/** One SSE event as Google frames them: CRLF line ends, no `[DONE]` (the stream just ends). */
export function geminiSseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\r\n\r\n`);
}

/**
 * `alt=sse` framing. A failure after the first byte becomes an `{ error }` event, which the SDK's
 * stream parser raises as ApiError; the stream then ends without a finishReason chunk.
 */
export async function* geminiSseEvents(source: AsyncIterable<StreamPart>, writer: GenerateContentStreamWriter): AsyncGenerator<Uint8Array> {
  try {
    for await (const part of source) for (const chunk of writer.part(part)) yield geminiSseData(chunk);
  } catch (error) {
    yield geminiSseData(toGeminiError(toHearthError(error)));
  }
}

/**
 * The default (`alt=json`) framing: one JSON array whose elements arrive as they are generated.
 * After a failure the error object is the last element and the array is left unclosed, so no
 * JSON parser can take a cut answer for a complete one.
 */
export async function* geminiJsonArrayEvents(source: AsyncIterable<StreamPart>, writer: GenerateContentStreamWriter): AsyncGenerator<Uint8Array> {
  let separator = "[";
  try {
    for await (const part of source) {
      for (const chunk of writer.part(part)) {
        yield encoder.encode(`${separator}${JSON.stringify(chunk)}`);
        separator = ",\r\n";
      }
    }
  } catch (error) {
    yield encoder.encode(`${separator}${JSON.stringify(toGeminiError(toHearthError(error)))}`);
    return;
  }
  yield encoder.encode(separator === "[" ? "[]" : "]");
}

const jsonStreamHeaders = {
  "content-type": "application/json; charset=utf-8",
  "transfer-encoding": "chunked",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;

/** Splits "<model>:<method>" at the last colon: model names may hold ':' (llama3:8b) and '/'. */
export function splitTarget(target: string): { model: string; method: string } | undefined {
  const at = target.lastIndexOf(":");
  if (at <= 0 || at === target.length - 1) return undefined;
  return { model: target.slice(0, at), method: target.slice(at + 1) };
}

/**
 * Whether a request on a path Gemini shares with OpenAI (`GET /v1/models`) comes from a Gemini
 * client: Google's SDK sends x-goog-api-client and x-goog-api-key, REST callers `?key=`.
 */
export function fromGeminiClient(context: HearthContext): boolean {
  return context.req.header("x-goog-api-client") !== undefined || context.req.header("x-goog-api-key") !== undefined || context.req.query("key") !== undefined;
}

/**
 * Makes failures on Gemini paths answer in Google's error shape. registerGeminiRoutes installs
 * it; an app whose authentication middleware comes first installs it before that as well, so a
 * refused key is answered in Google's shape too (setting the format twice is harmless).
 */
export function useGeminiErrorFormat(app: HearthApp): void {
  app.use("/v1beta/*", async (context, next) => {
    context.set("errorFormat", geminiErrorFormat);
    await next();
  });
  app.use("/v1/models/*", async (context, next) => {
    // OpenAI has no POST under /v1/models/: every one is a Gemini method call.
    if (context.req.method === "POST" || fromGeminiClient(context)) context.set("errorFormat", geminiErrorFormat);
    await next();
  });
}

/**
 * Google's Generative Language API under `/v1beta` and `/v1` (the version @google/genai uses by
 * default): `models`, `models/{model}` and `models/{model}:{method}`. `/v1/models` is shared with
 * the OpenAI dialect, so there the Gemini GET handlers answer only Gemini clients and hand every
 * other request on; call this before registerOpenAIRoutes.
 */
export function registerGeminiRoutes(app: HearthApp, kit: RouteKit): void {
  const { gateway } = kit;

  const listings = (): GeminiModelListing[] => [
    ...gateway.catalog.list().map((entry) => ({ ...entry.info, countsTokens: entry.provider.countTokens !== undefined })),
    ...gateway.catalog.routes().map((route) => ({
      ...routeInfo(route),
      countsTokens: route.targets.some((target) => target.entry.provider.countTokens !== undefined),
    })),
  ];

  const identity = (model: string): GeminiResponseIdentity => ({ model, responseId: responseId("", 24) });

  async function generate(context: HearthContext, model: string, stream: boolean): Promise<Response> {
    const alt = context.req.query("alt");
    if (stream && alt !== undefined && alt !== "sse" && alt !== "json") {
      throw new HearthError("invalid_request", `alt=${alt} is not supported; use alt=sse or alt=json.`, { param: "alt" });
    }
    const request = kit.requestContext(context, "gemini.generate_content");
    request.stream = stream;
    const chatRequest = await kit.parse(context, request, (body) => fromGenerateContentBody(model, body), model);
    const generation = await gateway.chat(chatRequest, request);
    const served = kit.servedHeaders(generation);
    if (!stream) {
      const result = await collect(generation);
      return context.json(toGenerateContentResponse(result, identity(model)), 200, served);
    }
    const writer = new GenerateContentStreamWriter(identity(model));
    if (alt === "sse") return kit.streamResponse(geminiSseEvents(generation, writer), request, served);
    const body = eventStream(geminiJsonArrayEvents(generation, writer), () => request.cancel.abort(new HearthError("aborted", "The client closed the connection.")));
    return new Response(body, { status: 200, headers: { ...jsonStreamHeaders, "x-request-id": request.requestId, ...served } });
  }

  async function countTokens(context: HearthContext, model: string): Promise<Response> {
    const request = kit.requestContext(context, "gemini.count_tokens");
    const chatRequest = await kit.parse(context, request, (body) => fromCountTokensBody(model, body), model);
    const counted = await gateway.countTokens(chatRequest, request);
    return context.json(toCountTokensResponse(counted.inputTokens), 200, kit.servedHeaders(counted));
  }

  async function embed(context: HearthContext, model: string, batch: boolean): Promise<Response> {
    const request = kit.requestContext(context, "gemini.embed_content");
    const parsed = await kit.parse(context, request, (body) => (batch ? fromBatchEmbedContentsBody(model, body) : fromEmbedContentBody(model, body)), model);
    const served = await gateway.embed(parsed.request, request);
    const response = batch ? toBatchEmbedContentsResponse(served.result, parsed.dimensions) : toEmbedContentResponse(served.result, parsed.dimensions);
    return context.json(response, 200, kit.servedHeaders(served));
  }

  async function dispatch(context: HearthContext): Promise<Response> {
    const target = splitTarget(context.req.param("target") ?? "");
    switch (target?.method) {
      case "generateContent":
        return generate(context, target.model, false);
      case "streamGenerateContent":
        return generate(context, target.model, true);
      case "countTokens":
        return countTokens(context, target.model);
      case "embedContent":
        return embed(context, target.model, false);
      case "batchEmbedContents":
        return embed(context, target.model, true);
      default:
        throw new HearthError(
          "not_found",
          `Unknown endpoint: POST ${context.req.path}. Hearth serves models/{model}:generateContent, :streamGenerateContent, :countTokens, :embedContent and :batchEmbedContents.`,
        );
    }
  }

  for (const version of ["/v1beta", "/v1"]) {
    const shared = version === "/v1";
    app.get(`${version}/models`, async (context, next) => {
      if (shared && !fromGeminiClient(context)) return next();
      const pageSize = context.req.query("pageSize");
      return context.json(toGeminiModelList(listings(), { pageSize: pageSize === undefined ? undefined : Number(pageSize), pageToken: context.req.query("pageToken") }));
    });
    app.get(`${version}/models/:model{.+}`, async (context, next) => {
      if (shared && !fromGeminiClient(context)) return next();
      const name = geminiModelName(context.req.param("model"));
      const found = listings().find((model) => model.name === name);
      if (found === undefined) throw new HearthError("model_not_found", `The model '${name}' does not exist.`, { param: "model" });
      return context.json(toGeminiModel(found));
    });
    app.post(`${version}/models/:target{.+}`, dispatch);
  }
}

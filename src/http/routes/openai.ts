import { ChatChunkWriter, fromChatCompletionBody, toChatCompletion } from "../../dialects/openai/chat.ts";
import { fromCompletionBody, toTextCompletion, toTextCompletionChunk } from "../../dialects/openai/completions.ts";
import { fromEmbeddingBody, toEmbeddingResponse } from "../../dialects/openai/embeddings.ts";
import { toOpenAIError } from "../../dialects/openai/errors.ts";
import { toModelList, toModelObject, type ModelListing } from "../../dialects/openai/models.ts";
import { routeInfo } from "../../core/catalog.ts";
import type { Generation } from "../../core/gateway.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import { collect, type StreamPart } from "../../spec/model.ts";
import { responseId, type HearthApp, type RouteKit } from "../kit.ts";
import { sseData, sseDone } from "../sse.ts";

/**
 * Frames a generation as OpenAI SSE events. A failure after the first byte ends the stream with
 * an error event and no `[DONE]`, so no client mistakes a cut answer for a complete one.
 */
export async function* openAIEvents(
  source: AsyncIterable<StreamPart>,
  opening: readonly unknown[],
  map: (part: StreamPart) => readonly unknown[],
): AsyncGenerator<Uint8Array> {
  for (const event of opening) yield sseData(event);
  try {
    for await (const part of source) for (const event of map(part)) yield sseData(event);
  } catch (error) {
    yield sseData(toOpenAIError(toHearthError(error)));
    return;
  }
  yield sseDone();
}

function identity(prefix: string, model: string) {
  return { id: responseId(prefix), created: Math.floor(Date.now() / 1000), model };
}

/** `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/models`. */
export function registerOpenAIRoutes(app: HearthApp, kit: RouteKit): void {
  const { gateway } = kit;

  const listings = (): ModelListing[] => {
    const models: ModelListing[] = gateway.catalog.list().map((entry) => ({ ...entry.info, created: entry.created, state: entry.state() }));
    for (const route of gateway.catalog.routes()) {
      const { targets, strategy, ...info } = routeInfo(route);
      models.push({ ...info, created: Math.min(...route.targets.map((target) => target.entry.created)), state: "available", route: { strategy, targets } });
    }
    return models;
  };

  app.get("/v1/models", (context) => context.json(toModelList(listings())));
  app.get("/v1/models/:model{.+}", (context) => {
    const name = context.req.param("model");
    const found = listings().find((model) => model.name === name);
    if (found === undefined) throw new HearthError("model_not_found", `The model '${name}' does not exist.`, { param: "model" });
    return context.json(toModelObject(found));
  });

  app.post("/v1/chat/completions", async (context) => {
    const request = kit.requestContext(context, "chat.completions");
    const parsed = await kit.parse(context, request, fromChatCompletionBody);
    request.stream = parsed.stream;
    const generation: Generation = await gateway.chat(parsed.request, request);
    const ids = identity("chatcmpl-", parsed.request.model);
    const served = kit.servedHeaders(generation);
    if (!parsed.stream) {
      const result = await collect(generation);
      return context.json(toChatCompletion(ids, result), 200, served);
    }
    const writer = new ChatChunkWriter(ids, parsed.includeUsage);
    const events = openAIEvents(generation, [writer.start()], (part) => writer.part(part));
    return kit.streamResponse(events, request, served);
  });

  app.post("/v1/completions", async (context) => {
    const request = kit.requestContext(context, "completions");
    const parsed = await kit.parse(context, request, fromCompletionBody);
    request.stream = parsed.stream;
    const generation = await gateway.complete(parsed.request, request);
    const ids = identity("cmpl-", parsed.request.model);
    const served = kit.servedHeaders(generation);
    if (!parsed.stream) {
      const result = await collect(generation);
      return context.json(toTextCompletion(ids, result), 200, served);
    }
    const events = openAIEvents(generation, [], (part) => {
      if (part.type === "text-delta") return [toTextCompletionChunk(ids, part.text, null)];
      if (part.type !== "finish") return [];
      const finish = toTextCompletionChunk(ids, "", part.finishReason);
      return parsed.includeUsage ? [finish, toTextCompletionChunk(ids, "", null, part.usage)] : [finish];
    });
    return kit.streamResponse(events, request, served);
  });

  app.post("/v1/embeddings", async (context) => {
    const request = kit.requestContext(context, "embeddings");
    const parsed = await kit.parse(context, request, fromEmbeddingBody);
    const served = await gateway.embed(parsed.request, request);
    return context.json(toEmbeddingResponse(parsed.request.model, served.result, parsed.encoding, parsed.dimensions), 200, kit.servedHeaders(served));
  });
}

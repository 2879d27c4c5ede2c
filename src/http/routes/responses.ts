import { fromResponsesBody, ResponsesStreamWriter, toResponseObject, type ResponsesEvent } from "../../dialects/openai/responses.ts";
import { toOpenAIError } from "../../dialects/openai/errors.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import { collect, type StreamPart } from "../../spec/model.ts";
import { errorResponse, responseId, type HearthApp, type RouteKit } from "../kit.ts";

const encoder = new TextEncoder();

/** One Responses SSE event: the real API names each event on an `event:` line as well as in `type`. */
export function responsesSseEvent(event: ResponsesEvent): Uint8Array {
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/**
 * Frames a generation as Responses events. There is no `[DONE]`: `response.completed` (or
 * `.incomplete`) ends a good stream, `response.failed` + `error` a broken one.
 */
export async function* responsesEvents(source: AsyncIterable<StreamPart>, writer: ResponsesStreamWriter): AsyncGenerator<Uint8Array> {
  for (const event of writer.start()) yield responsesSseEvent(event);
  try {
    for await (const part of source) for (const event of writer.part(part)) yield responsesSseEvent(event);
  } catch (error) {
    for (const event of writer.fail(toHearthError(error))) yield responsesSseEvent(event);
  }
}

const notStored = (id: string) =>
  new HearthError("not_found", `No response '${id}': Hearth does not store responses (its /v1/responses is stateless), so they cannot be retrieved, listed, cancelled or deleted.`);

/** `POST /v1/responses` (OpenAI Responses API, stateless) and clear answers for its stored-response routes. */
function withoutStream(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const { stream: _stream, ...rest } = body as Record<string, unknown>;
  return rest;
}

export function registerResponsesRoutes(app: HearthApp, kit: RouteKit): void {
  const { gateway } = kit;

  app.post("/v1/responses", async (context) => {
    const request = kit.requestContext(context, "responses");
    const parsed = await kit.parse(context, request, fromResponsesBody);
    request.stream = parsed.stream;
    const generation = await gateway.chat(parsed.request, request);
    const identity = { id: responseId("resp_", 48), createdAt: Math.floor(Date.now() / 1000), model: parsed.request.model };
    const served = kit.servedHeaders(generation);
    if (!parsed.stream) {
      const result = await collect(generation);
      return context.json(toResponseObject(identity, result, parsed.echo), 200, served);
    }
    const writer = new ResponsesStreamWriter(identity, parsed.echo);
    return kit.streamResponse(responsesEvents(generation, writer), request, served);
  });

  // Registered before /v1/responses/:id so "input_tokens" is not taken for a response id.
  app.post("/v1/responses/input_tokens", async (context) => {
    const request = kit.requestContext(context, "responses.input_tokens");
    // The same body as a create call; streaming and output limits do not change the count.
    const parsed = await kit.parse(context, request, (body) => fromResponsesBody(withoutStream(body)));
    const counted = await gateway.countTokens(parsed.request, request);
    return context.json({ object: "response.input_tokens", input_tokens: counted.inputTokens }, 200, kit.servedHeaders(counted));
  });

  app.all("/v1/responses", (context) =>
    errorResponse(new HearthError("method_not_allowed", "Use POST for /v1/responses."), context.get("requestId"), toOpenAIError),
  );

  app.get("/v1/responses/:id", (context) => {
    throw notStored(context.req.param("id"));
  });
  app.delete("/v1/responses/:id", (context) => {
    throw notStored(context.req.param("id"));
  });
  app.post("/v1/responses/:id/cancel", (context) => {
    throw notStored(context.req.param("id"));
  });
  app.get("/v1/responses/:id/input_items", (context) => {
    throw notStored(context.req.param("id"));
  });
}

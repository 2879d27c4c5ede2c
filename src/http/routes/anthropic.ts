import type { MiddlewareHandler } from "hono";
import { anthropicStatus, toAnthropicError } from "../../dialects/anthropic/errors.ts";
import { fromCountTokensBody, fromMessagesBody } from "../../dialects/anthropic/messages.ts";
import { toAnthropicMessage } from "../../dialects/anthropic/response.ts";
import { MessageStreamWriter, type AnthropicStreamEvent } from "../../dialects/anthropic/stream.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import { collect, type StreamPart } from "../../spec/model.ts";
import { responseId, type Environment, type HearthApp, type HearthContext, type RouteKit } from "../kit.ts";

const encoder = new TextEncoder();

/** Anthropic frames every event with its name: `event: X` then `data: {json}`. */
function encodeEvents(events: readonly AnthropicStreamEvent[]): Uint8Array {
  return encoder.encode(events.map((item) => `event: ${item.event}\ndata: ${JSON.stringify(item.data)}\n\n`).join(""));
}

/**
 * Frames a generation as Anthropic SSE events, one write per part. A failure after the first
 * byte ends the stream with an `error` event and no `message_stop`, so SDK clients raise
 * instead of accepting a cut answer.
 */
export async function* anthropicEvents(source: AsyncIterable<StreamPart>, writer: MessageStreamWriter): AsyncGenerator<Uint8Array> {
  yield encodeEvents(writer.start());
  try {
    for await (const part of source) {
      const events = writer.part(part);
      if (events.length > 0) yield encodeEvents(events);
    }
  } catch (error) {
    yield encodeEvents([writer.error(toHearthError(error))]);
  }
}

/** The paths this dialect owns; errors on them (auth, 404, 405...) are written in Anthropic's shape. */
export const anthropicPaths = ["/v1/messages", "/v1/messages/*"] as const;

/** Switches the error body format to Anthropic's; mount it before any middleware that can fail. */
export const anthropicErrorFormat: MiddlewareHandler<Environment> = async (context, next) => {
  context.set("errorFormat", toAnthropicError);
  await next();
};

/**
 * Errors keep the shared handler (logging, headers) except where this dialect's status differs
 * from the shared table: overloaded is 529 here, which Anthropic SDKs map to OverloadedError.
 */
function withAnthropicStatus(kit: RouteKit, handler: (context: HearthContext) => Promise<Response>) {
  return async (context: HearthContext): Promise<Response> => {
    try {
      return await handler(context);
    } catch (error) {
      const failure = toHearthError(error);
      const status = anthropicStatus(failure);
      if (status === failure.status) throw error;
      const response = kit.errorResponse(failure, context.get("requestId"), toAnthropicError);
      return new Response(response.body, { status, headers: response.headers });
    }
  };
}

/** `POST /v1/messages` (streamed or not) and `POST /v1/messages/count_tokens`. */
export function registerAnthropicRoutes(app: HearthApp, kit: RouteKit): void {
  const { gateway } = kit;

  for (const path of anthropicPaths) app.use(path, anthropicErrorFormat);

  app.post(
    "/v1/messages",
    withAnthropicStatus(kit, async (context) => {
      const request = kit.requestContext(context, "messages");
      const parsed = await kit.parse(context, request, fromMessagesBody);
      request.stream = parsed.stream;
      const generation = await gateway.chat(parsed.request, request);
      const identity = { id: responseId("msg_"), model: parsed.request.model };
      const served = kit.servedHeaders(generation);
      if (!parsed.stream) {
        const result = await collect(generation);
        return context.json(toAnthropicMessage(identity, result), 200, served);
      }
      return kit.streamResponse(anthropicEvents(generation, new MessageStreamWriter(identity)), request, served);
    }),
  );

  app.post(
    "/v1/messages/count_tokens",
    withAnthropicStatus(kit, async (context) => {
      const request = kit.requestContext(context, "messages.count_tokens");
      const parsed = await kit.parse(context, request, fromCountTokensBody);
      const counted = await gateway.countTokens(parsed, request);
      return context.json({ input_tokens: counted.inputTokens }, 200, kit.servedHeaders(counted));
    }),
  );

  for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
    app.all(path, (context) => {
      const response = kit.errorResponse(new HearthError("method_not_allowed", `Use POST for ${path}.`), context.get("requestId"), toAnthropicError);
      response.headers.set("allow", "POST");
      return response;
    });
  }
}

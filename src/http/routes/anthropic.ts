import { anthropicStatus, toAnthropicError } from "../../dialects/anthropic/errors.ts";
import { fromCountTokensBody, fromMessagesBody } from "../../dialects/anthropic/messages.ts";
import { toAnthropicMessage } from "../../dialects/anthropic/response.ts";
import { MessageStreamWriter, type AnthropicStreamEvent } from "../../dialects/anthropic/stream.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";
import { collect, type StreamPart } from "../../spec/model.ts";
import { responseId, type ErrorFormatter, type HearthApp, type RouteKit } from "../kit.ts";

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

/** Anthropic's error body, and its 529 for overloaded. */
export const anthropicErrorFormat: ErrorFormatter = Object.assign((error: HearthError) => toAnthropicError(error), { status: anthropicStatus });

/**
 * Switches errors on the dialect's paths to Anthropic's format. Mount it before any middleware
 * that can fail (authentication), so those failures answer in Anthropic's shape too.
 */
export function useAnthropicErrorFormat(app: HearthApp): void {
  for (const path of anthropicPaths) {
    app.use(path, async (context, next) => {
      context.set("errorFormat", anthropicErrorFormat);
      await next();
    });
  }
}

/** `POST /v1/messages` (streamed or not) and `POST /v1/messages/count_tokens`. */
export function registerAnthropicRoutes(app: HearthApp, kit: RouteKit): void {
  const { gateway } = kit;

  app.post(
    "/v1/messages",
    async (context) => {
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
    },
  );

  app.post(
    "/v1/messages/count_tokens",
    async (context) => {
      const request = kit.requestContext(context, "messages.count_tokens");
      const parsed = await kit.parse(context, request, fromCountTokensBody);
      const counted = await gateway.countTokens(parsed, request);
      return context.json({ input_tokens: counted.inputTokens }, 200, kit.servedHeaders(counted));
    },
  );

  for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
    app.all(path, (context) => {
      const response = kit.errorResponse(new HearthError("method_not_allowed", `Use POST for ${path}.`), context.get("requestId"), anthropicErrorFormat);
      response.headers.set("allow", "POST");
      return response;
    });
  }
}

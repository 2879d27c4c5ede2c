import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import type { Endpoint, Gateway, Generation, RequestContext } from "../core/gateway.ts";
import type { Logger } from "../core/logger.ts";
import { ChatChunkWriter, fromChatCompletionBody, toChatCompletion, type ResponseIdentity } from "../dialects/openai/chat.ts";
import { fromCompletionBody, toTextCompletion, toTextCompletionChunk } from "../dialects/openai/completions.ts";
import { fromEmbeddingBody, toEmbeddingResponse } from "../dialects/openai/embeddings.ts";
import { toOpenAIError } from "../dialects/openai/errors.ts";
import { toModelList, toModelObject, type ModelListing } from "../dialects/openai/models.ts";
import { HearthError, toHearthError } from "../spec/errors.ts";
import { collect, type StreamPart } from "../spec/model.ts";
import { readJsonBody } from "./body.ts";
import { eventStream, sseData, sseDone, sseHeaders } from "./sse.ts";

interface Environment {
  Variables: { requestId: string };
}

export interface AppDependencies {
  gateway: Gateway;
  logger: Logger;
  version: string;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Bearer keys; empty means no authentication (only allowed on loopback, see serve). */
  apiKeys: readonly string[];
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1];
  }
  return request.headers.get("x-api-key") ?? undefined;
}

function errorResponse(error: HearthError, requestId: string | undefined): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  // 499 is a log-only status: a client that went away reads nothing, but keep the wire valid.
  const status = error.status === 499 ? 400 : error.status;
  return new Response(JSON.stringify(toOpenAIError(error)), { status, headers });
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** OpenAI-like ids: a prefix and 24 random alphanumerics. */
function responseId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = prefix;
  for (const byte of bytes) id += idAlphabet[byte % idAlphabet.length];
  return id;
}

/** Builds the HTTP application; it holds no state of its own beyond what it is given. */
export function createApp(dependencies: AppDependencies): Hono<Environment> {
  const { gateway, logger } = dependencies;
  const keyDigests = dependencies.apiKeys.map(digest);
  const app = new Hono<Environment>();

  app.use("*", async (context, next) => {
    const requestId = context.req.header("x-request-id") ?? randomUUID();
    context.set("requestId", requestId);
    await next();
    context.res.headers.set("x-request-id", requestId);
  });

  if (keyDigests.length > 0) {
    app.use("/v1/*", async (context, next) => {
      const token = bearerToken(context.req.raw);
      const presented = token === undefined ? undefined : digest(token);
      const valid = presented !== undefined && keyDigests.some((key) => timingSafeEqual(key, presented));
      if (!valid) {
        throw new HearthError("unauthorized", token === undefined ? "Missing API key: send `Authorization: Bearer <key>`." : "Invalid API key.");
      }
      await next();
    });
  }

  app.onError((error, context) => {
    const failure = toHearthError(error);
    if (failure.code === "internal") logger.error("request failed", { path: context.req.path, error: String((error as Error).stack ?? error) });
    return errorResponse(failure, context.get("requestId"));
  });

  app.notFound((context) => errorResponse(new HearthError("not_found", `Unknown endpoint: ${context.req.method} ${context.req.path}`), undefined));

  app.get("/health", (context) =>
    context.json({ status: "ok", version: dependencies.version, models: gateway.catalog.list().length }),
  );

  const listings = (): ModelListing[] =>
    gateway.catalog.list().map((entry) => ({ ...entry.info, created: entry.created, state: entry.state() }));

  app.get("/v1/models", (context) => context.json(toModelList(listings())));
  app.get("/v1/models/:model{.+}", (context) => {
    const name = context.req.param("model");
    const found = listings().find((model) => model.name === name);
    if (found === undefined) throw new HearthError("model_not_found", `The model '${name}' does not exist.`, { param: "model" });
    return context.json(toModelObject(found));
  });

  function requestContext(context: Context<Environment>, endpoint: Endpoint): RequestContext & { cancel: AbortController } {
    const cancel = new AbortController();
    const signal = AbortSignal.any([context.req.raw.signal, cancel.signal, AbortSignal.timeout(dependencies.requestTimeoutMs)]);
    return {
      requestId: context.get("requestId"),
      endpoint,
      stream: false,
      signal,
      startedAt: performance.now(),
      receivedAt: Date.now(),
      cancel,
    };
  }

  /** Parses the body, logging a failure against the request log so bad requests are counted too. */
  async function parse<T>(context: Context<Environment>, request: RequestContext, convert: (body: unknown) => T): Promise<T> {
    let body: unknown;
    try {
      body = await readJsonBody(context.req.raw, dependencies.maxBodyBytes);
      return convert(body);
    } catch (error) {
      const model = typeof body === "object" && body !== null && typeof (body as { model?: unknown }).model === "string" ? (body as { model: string }).model : "";
      gateway.recordFailure(request, model, error);
      throw error;
    }
  }

  function identity(prefix: string, model: string): ResponseIdentity {
    return { id: responseId(prefix), created: Math.floor(Date.now() / 1000), model };
  }

  function streamResponse(events: AsyncIterable<Uint8Array>, request: RequestContext & { cancel: AbortController }, servedBy: string): Response {
    const body = eventStream(events, () => request.cancel.abort(new HearthError("aborted", "The client closed the connection.")));
    return new Response(body, { status: 200, headers: { ...sseHeaders, "x-request-id": request.requestId, "x-hearth-model": servedBy } });
  }

  /**
   * Frames a generation as OpenAI SSE events. A failure after the first byte ends the stream with
   * an error event and no `[DONE]`, so no client mistakes a cut answer for a complete one.
   */
  async function* openAIEvents(source: Generation, opening: readonly unknown[], map: (part: StreamPart) => readonly unknown[]): AsyncGenerator<Uint8Array> {
    for (const event of opening) yield sseData(event);
    try {
      for await (const part of source) for (const event of map(part)) yield sseData(event);
    } catch (error) {
      yield sseData(toOpenAIError(toHearthError(error)));
      return;
    }
    yield sseDone();
  }

  app.post("/v1/chat/completions", async (context) => {
    const request = requestContext(context, "chat.completions");
    const parsed = await parse(context, request, fromChatCompletionBody);
    request.stream = parsed.stream;
    const generation = await gateway.chat(parsed.request, request);
    const ids = identity("chatcmpl-", parsed.request.model);
    const servedBy = `${generation.entry.provider.id}/${generation.entry.info.name}`;
    if (!parsed.stream) {
      const result = await collect(generation);
      return context.json(toChatCompletion(ids, result), 200, { "x-hearth-model": servedBy });
    }
    const writer = new ChatChunkWriter(ids, parsed.includeUsage);
    const events = openAIEvents(generation, [writer.start()], (part) => {
      if (part.type === "text-delta") return [writer.text(part.text)];
      if (part.type === "tool-call") return [writer.toolCall(part.toolCall)];
      if (part.type !== "finish") return [];
      return parsed.includeUsage ? [writer.finish(part.finishReason), writer.usage(part.usage)] : [writer.finish(part.finishReason)];
    });
    return streamResponse(events, request, servedBy);
  });

  app.post("/v1/completions", async (context) => {
    const request = requestContext(context, "completions");
    const parsed = await parse(context, request, fromCompletionBody);
    request.stream = parsed.stream;
    const generation = await gateway.complete(parsed.request, request);
    const ids = identity("cmpl-", parsed.request.model);
    const servedBy = `${generation.entry.provider.id}/${generation.entry.info.name}`;
    if (!parsed.stream) {
      const result = await collect(generation);
      return context.json(toTextCompletion(ids, result), 200, { "x-hearth-model": servedBy });
    }
    const events = openAIEvents(generation, [], (part) => {
      if (part.type === "text-delta") return [toTextCompletionChunk(ids, part.text, null)];
      if (part.type !== "finish") return [];
      const finish = toTextCompletionChunk(ids, "", part.finishReason);
      return parsed.includeUsage ? [finish, toTextCompletionChunk(ids, "", null, part.usage)] : [finish];
    });
    return streamResponse(events, request, servedBy);
  });

  app.post("/v1/embeddings", async (context) => {
    const request = requestContext(context, "embeddings");
    const parsed = await parse(context, request, fromEmbeddingBody);
    const { entry, result } = await gateway.embed(parsed.request, request);
    return context.json(toEmbeddingResponse(parsed.request.model, result, parsed.encoding, parsed.dimensions), 200, {
      "x-hearth-model": `${entry.provider.id}/${entry.info.name}`,
    });
  });

  for (const path of ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"]) {
    app.all(path, (context) => errorResponse(new HearthError("method_not_allowed", `Use POST for ${path}.`), context.get("requestId")));
  }

  return app;
}

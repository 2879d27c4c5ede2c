import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Hono } from "hono";
import type { Endpoint, Gateway, Generation, RequestContext } from "../core/gateway.ts";
import type { Logger } from "../core/logger.ts";
import { toOpenAIError } from "../dialects/openai/errors.ts";
import { HearthError } from "../spec/errors.ts";
import { readJsonBody, readJsonBodyFromNode } from "./body.ts";
import { eventStream, sseHeaders } from "./sse.ts";

/** How a dialect writes an error body: each API answers failures in its own shape. */
export type ErrorFormatter = (error: HearthError) => unknown;

export interface Environment {
  Variables: { requestId: string; errorFormat: ErrorFormatter };
}

export type HearthApp = Hono<Environment>;
export type HearthContext = Context<Environment>;

export const openAIErrorFormat: ErrorFormatter = toOpenAIError;

export interface ActiveRequest extends RequestContext {
  /** Aborts the request's work (the client closed the connection). */
  cancel: AbortController;
}

/** What every dialect's routes share: request context, body parsing, stream framing, errors. */
export interface RouteKit {
  gateway: Gateway;
  logger: Logger;
  requestContext(context: HearthContext, endpoint: Endpoint): ActiveRequest;
  /** Reads and converts the JSON body; failures are logged against the request log and rethrown. */
  parse<T>(context: HearthContext, request: RequestContext, convert: (body: unknown) => T): Promise<T>;
  /** An SSE response whose body pulls events on demand and cancels the request when the client leaves. */
  streamResponse(events: AsyncIterable<Uint8Array>, request: ActiveRequest, headers: Record<string, string>): Response;
  /** Headers that tell the client which target served it. */
  servedHeaders(generation: { entry: Generation["entry"]; route?: string | undefined }): Record<string, string>;
  errorResponse(error: HearthError, requestId: string | undefined, format: ErrorFormatter): Response;
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random bytes drawn from a pool refilled 4 KiB at a time (one syscall per ~170 ids, not one per id). */
let pool = randomBytes(4096);
let poolOffset = 0;

/** Vendor-like ids: a prefix and `length` random alphanumerics. */
export function responseId(prefix: string, length = 24): string {
  if (poolOffset + length > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  let id = prefix;
  for (let index = 0; index < length; index++) id += idAlphabet[(pool[poolOffset + index] as number) % idAlphabet.length];
  poolOffset += length;
  return id;
}

export function errorResponse(error: HearthError, requestId: string | undefined, format: ErrorFormatter): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  // 499 is a log-only status: a client that went away reads nothing, but keep the wire valid.
  const status = error.status === 499 ? 400 : error.status;
  return new Response(JSON.stringify(format(error)), { status, headers });
}

export function createRouteKit(options: { gateway: Gateway; logger: Logger; maxBodyBytes: number; requestTimeoutMs: number }): RouteKit {
  const { gateway, logger } = options;
  return {
    gateway,
    logger,
    errorResponse,

    requestContext(context, endpoint) {
      // One controller and one timer per request, both released when the response closes:
      // AbortSignal.timeout would keep every request's timer (and its closure) alive for the whole
      // request timeout, which grows memory by thousands of entries per second under load.
      const cancel = new AbortController();
      const signal = cancel.signal;
      const timer = setTimeout(() => {
        cancel.abort(new DOMException("The request took longer than the server's request timeout.", "TimeoutError"));
      }, options.requestTimeoutMs);
      const outgoing = (context.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (outgoing !== undefined) {
        outgoing.once("close", () => {
          clearTimeout(timer);
          if (!outgoing.writableFinished) cancel.abort(new HearthError("aborted", "The client closed the connection."));
        });
      } else {
        // Not on a Node socket (app.request() in tests): follow the Request's own signal.
        const raw = context.req.raw.signal;
        if (raw.aborted) cancel.abort(raw.reason);
        else raw.addEventListener("abort", () => cancel.abort(raw.reason), { once: true });
      }
      return {
        requestId: context.get("requestId"),
        endpoint,
        stream: false,
        signal,
        startedAt: performance.now(),
        receivedAt: Date.now(),
        cancel,
      };
    },

    async parse(context, request, convert) {
      let body: unknown;
      try {
        const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
        body = incoming !== undefined && !incoming.readableEnded ? await readJsonBodyFromNode(incoming, options.maxBodyBytes) : await readJsonBody(context.req.raw, options.maxBodyBytes);
        return convert(body);
      } catch (error) {
        const model = typeof body === "object" && body !== null && typeof (body as { model?: unknown }).model === "string" ? (body as { model: string }).model : "";
        gateway.recordFailure(request, model, error);
        throw error;
      }
    },

    streamResponse(events, request, headers) {
      const body = eventStream(events, () => request.cancel.abort(new HearthError("aborted", "The client closed the connection.")));
      return new Response(body, { status: 200, headers: { ...sseHeaders, "x-request-id": request.requestId, ...headers } });
    },

    servedHeaders(generation) {
      const headers: Record<string, string> = { "x-hearth-model": `${generation.entry.provider.id}/${generation.entry.upstreamModel ?? generation.entry.info.name}` };
      if (generation.route !== undefined) headers["x-hearth-route"] = generation.route;
      return headers;
    },
  };
}

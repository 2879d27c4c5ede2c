import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Hono } from "hono";
import type { Caller, Endpoint, Gateway, Generation, RequestContext } from "../core/gateway.ts";
import type { Logger } from "../core/logger.ts";
import { toOpenAIError } from "../dialects/openai/errors.ts";
import { HearthError } from "../spec/errors.ts";
import { readJsonBody, readJsonBodyFromNode } from "./body.ts";
import { eventStream, sseHeaders } from "./sse.ts";

/** How a dialect writes an error body: each API answers failures in its own shape. */
/**
 * How a dialect writes an error: its body, and — where the dialect's status differs from the
 * shared code table (Anthropic answers overloaded with 529) — its status.
 */
export type ErrorFormatter = ((error: HearthError) => unknown) & { status?: ((error: HearthError) => number) | undefined };

export interface Environment {
  Variables: { requestId: string; errorFormat: ErrorFormatter; caller: Caller | undefined };
}

export type HearthApp = Hono<Environment>;
export type HearthContext = Context<Environment>;

export const openAIErrorFormat: ErrorFormatter = toOpenAIError;

export interface ActiveRequest extends RequestContext {
  /** Aborts the request's work (the client closed the connection). */
  cancel: AbortController;
  /** The Node response, when served by Node's HTTP server (absent under app.request() in tests). */
  outgoing?: ServerResponse | undefined;
}

/** What every dialect's routes share: request context, body parsing, stream framing, errors. */
export interface RouteKit {
  gateway: Gateway;
  logger: Logger;
  requestContext(context: HearthContext, endpoint: Endpoint): ActiveRequest;
  /** Reads and converts the JSON body; failures are logged against the request log and rethrown. */
  parse<T>(context: HearthContext, request: RequestContext, convert: (body: unknown) => T, model?: string): Promise<T>;
  /** An SSE response whose body pulls events on demand and cancels the request when the client leaves. */
  streamResponse(events: AsyncIterable<Uint8Array>, request: ActiveRequest, headers: Record<string, string>): Response;
  /** Headers that tell the client which target served it. */
  servedHeaders(generation: { entry: Generation["entry"]; route?: string | undefined; policy?: string | undefined }): Record<string, string>;
  errorResponse(error: HearthError, requestId: string | undefined, format: ErrorFormatter): Response;
}

const alreadySent = "x-hono-already-sent";

/** SSE headers for a response written straight to Node (Node adds chunked framing itself). */
const nodeSseHeaders: Record<string, string> = Object.fromEntries(Object.entries(sseHeaders).filter(([name]) => name !== "transfer-encoding"));

/**
 * Writes SSE events straight to the Node response: no web ReadableStream between the producer
 * and the socket (on the gateway's hot path that layer cost ~15% of CPU per streamed request).
 * Backpressure: waits for 'drain' when the socket buffer is full. A client that leaves cancels
 * the producer.
 */
function writeEventsToNode(events: AsyncIterable<Uint8Array>, outgoing: ServerResponse, headers: Record<string, string>, onCancel: () => void): void {
  outgoing.writeHead(200, headers);
  outgoing.flushHeaders();
  const iterator = events[Symbol.asyncIterator]();
  let gone = false;
  const onClose = (): void => {
    if (outgoing.writableFinished) return;
    gone = true;
    onCancel();
    void iterator.return?.()?.catch(() => undefined);
  };
  outgoing.once("close", onClose);
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true || gone) break;
        if (!outgoing.write(next.value)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              outgoing.off("drain", done);
              outgoing.off("close", done);
              resolve();
            };
            outgoing.on("drain", done);
            outgoing.on("close", done);
          });
        }
      }
      if (!gone) outgoing.end();
    } catch (error) {
      // The dialects turn failures into error events; anything else cuts the connection so the
      // client cannot mistake the answer for a complete one.
      outgoing.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
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
  const status = error.status === 499 ? 400 : (format.status?.(error) ?? error.status);
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
        caller: context.get("caller"),
        tags: requestTags(context.req.header("x-hearth-tags")),
        stream: false,
        signal,
        startedAt: performance.now(),
        receivedAt: Date.now(),
        cancel,
        outgoing,
      };
    },

    async parse(context, request, convert, modelFromPath) {
      let body: unknown;
      try {
        const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
        body = incoming !== undefined && !incoming.readableEnded ? await readJsonBodyFromNode(incoming, options.maxBodyBytes) : await readJsonBody(context.req.raw, options.maxBodyBytes);
        return convert(body);
      } catch (error) {
        // Gemini names the model in the path; the other dialects in the body.
        const model =
          modelFromPath ?? (typeof body === "object" && body !== null && typeof (body as { model?: unknown }).model === "string" ? (body as { model: string }).model : "");
        gateway.recordFailure(request, model, error);
        throw error;
      }
    },

    streamResponse(events, request, headers) {
      if (request.outgoing !== undefined && !request.outgoing.headersSent) {
        writeEventsToNode(events, request.outgoing, { ...nodeSseHeaders, "x-request-id": request.requestId, ...headers }, () =>
          request.cancel.abort(new HearthError("aborted", "The client closed the connection.")),
        );
        // Tells @hono/node-server that the response is already being written. Reading `body`
        // takes the adapter off its cached fast path, the one that honours this header.
        const placeholder = new Response(null, { headers: { [alreadySent]: "1" } });
        void placeholder.body;
        return placeholder;
      }
      const body = eventStream(events, () => request.cancel.abort(new HearthError("aborted", "The client closed the connection.")));
      return new Response(body, { status: 200, headers: { ...sseHeaders, "x-request-id": request.requestId, ...headers } });
    },

    servedHeaders(generation) {
      const headers: Record<string, string> = { "x-hearth-model": `${generation.entry.provider.id}/${generation.entry.upstreamModel ?? generation.entry.info.name}` };
      if (generation.route !== undefined) headers["x-hearth-route"] = generation.route;
      if (generation.policy !== undefined) headers["x-hearth-policy"] = generation.policy;
      return headers;
    },
  };
}

/** `x-hearth-tags: confidential, eu-only` → ["confidential", "eu-only"] (at most 32, lower-cased). */
export function requestTags(header: string | undefined): string[] {
  if (header === undefined || header === "") return [];
  return header
    .split(",")
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag.length > 0 && tag.length <= 64)
    .slice(0, 32);
}

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small OpenAI-compatible server on 127.0.0.1 for the CLI's tests: it answers `GET /v1/models`
 * and `POST /v1/chat/completions` in OpenAI's wire format (SSE `chat.completion.chunk` events
 * ending in `data: [DONE]`, or one `chat.completion` object) and records every request, so a test
 * sees exactly what the CLI sent without a real model behind it.
 */
export interface FakeServer {
  /** The server's root, e.g. `http://127.0.0.1:40123`. */
  url: string;
  requests: RecordedRequest[];
  /** Completions whose client went away before the server finished the stream. */
  readonly abortedStreams: number;
  close(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown> | undefined;
}

/** How the fake answers one chat completion. */
export type FakeReply =
  | {
      kind: "text";
      deltas: string[];
      finishReason?: "stop" | "length";
      /** Send a final chunk with `usage` and no choices, as OpenAI does with `include_usage`. */
      usageChunk?: boolean;
      /** Stream an error event after the deltas instead of finishing. */
      errorAfterDeltas?: string;
    }
  /** Stream `delta` every few milliseconds until the client disconnects. */
  | { kind: "endless"; delta: string }
  | { kind: "error"; status: number; message: string; code?: string; type?: string };

export interface FakeServerOptions {
  models?: Array<Record<string, unknown>>;
  reply?: (body: Record<string, unknown>, index: number) => FakeReply;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const models = options.models ?? [{ id: "tiny-model", object: "model", created: 1_700_000_000, owned_by: "hearth" }];
  const reply: (body: Record<string, unknown>, index: number) => FakeReply =
    options.reply ?? (() => ({ kind: "text", deltas: ["Hello", ", ", "world", "!"] }));
  const requests: RecordedRequest[] = [];
  let completions = 0;
  let abortedStreams = 0;

  const server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request);
      let body: Record<string, unknown> | undefined;
      try {
        body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = undefined;
      }
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      requests.push({ method: request.method ?? "", path, headers: request.headers, body });

      if (request.method === "GET" && path === "/v1/models") {
        sendJson(response, 200, { object: "list", data: models });
        return;
      }
      if (request.method === "POST" && path === "/v1/chat/completions" && body !== undefined) {
        const answer = reply(body, completions++);
        const model = typeof body["model"] === "string" ? body["model"] : "unknown";
        if (answer.kind === "error") {
          sendJson(response, answer.status, {
            error: { message: answer.message, type: answer.type ?? "invalid_request_error", param: null, code: answer.code ?? null },
          });
          return;
        }
        if (body["stream"] !== true) {
          const content = answer.kind === "text" ? answer.deltas.join("") : answer.delta;
          sendJson(response, 200, completionObject(model, content, answer.kind === "text" ? (answer.finishReason ?? "stop") : "length"));
          return;
        }
        response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
        let finished = false;
        response.on("close", () => {
          if (!finished) abortedStreams++;
        });
        const send = (value: unknown): void => {
          response.write(`data: ${JSON.stringify(value)}\n\n`);
        };
        send(chunkObject(model, { role: "assistant", content: "" }, null));
        if (answer.kind === "endless") {
          const timer = setInterval(() => send(chunkObject(model, { content: answer.delta }, null)), 10);
          response.on("close", () => clearInterval(timer));
          return;
        }
        for (const delta of answer.deltas) send(chunkObject(model, { content: delta }, null));
        if (answer.errorAfterDeltas !== undefined) {
          send({ error: { message: answer.errorAfterDeltas, type: "server_error", param: null, code: "internal" } });
          finished = true;
          response.end();
          return;
        }
        send(chunkObject(model, {}, answer.finishReason ?? "stop"));
        if (answer.usageChunk === true) {
          send({ ...chunkObject(model, {}, null), choices: [], usage: { prompt_tokens: 3, completion_tokens: answer.deltas.length, total_tokens: 3 + answer.deltas.length } });
        }
        response.write("data: [DONE]\n\n");
        finished = true;
        response.end();
        return;
      }
      sendJson(response, 404, { error: { message: `No route for ${request.method} ${path}`, type: "not_found_error", param: null, code: "not_found" } });
    })();
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get abortedStreams() {
      return abortedStreams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A root URL where nothing listens: a port that was free a moment ago. */
export async function unusedServerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function chunkObject(model: string, delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

function completionObject(model: string, content: string, finishReason: string): Record<string, unknown> {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  };
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(value));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

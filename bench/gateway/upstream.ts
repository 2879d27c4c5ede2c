/**
 * A minimal OpenAI-compatible upstream that answers instantly, run as a child process so its CPU
 * stays out of the measuring process. POST /v1/chat/completions answers the fixed completion (or
 * the fixed SSE stream when `stream: true`) in one write; GET /stats counts the chat requests seen.
 * Prints `{"port":N}` on stdout once listening on 127.0.0.1.
 */
import { createServer } from "node:http";
import { completionBody, streamBody } from "./upstream-fixture.ts";

let chatRequests = 0;
const cache = new Map<string, Buffer>();
const cached = (key: string, build: () => string) => {
  let value = cache.get(key);
  if (value === undefined) {
    value = Buffer.from(build());
    cache.set(key, value);
  }
  return value;
};

const server = createServer({ keepAliveTimeout: 120_000 }, (request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ chatRequests }));
    return;
  }
  if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
    response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  const parts: Buffer[] = [];
  request.on("data", (part: Buffer) => parts.push(part));
  request.on("end", () => {
    chatRequests += 1;
    let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
    try {
      body = JSON.parse(Buffer.concat(parts).toString("utf8")) as typeof body;
    } catch {
      response.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
      return;
    }
    const model = typeof body.model === "string" ? body.model : "unknown";
    if (body.stream === true) {
      const includeUsage = body.stream_options?.include_usage === true;
      const payload = cached(`stream:${model}:${includeUsage}`, () => streamBody(model, includeUsage));
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      response.end(payload);
      return;
    }
    const payload = cached(`json:${model}`, () => completionBody(model));
    response.writeHead(200, { "content-type": "application/json", "content-length": payload.length });
    response.end(payload);
  });
});
server.headersTimeout = 0;
server.requestTimeout = 0;

const port = Number(process.argv[2] ?? 0);
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));

/**
 * The least an OpenAI-compatible gateway written in Node can do, as a reference for what this
 * machine allows: node:http in, the JSON body parsed and its `model` rewritten, an undici Pool to
 * the upstream, the JSON answer parsed and re-serialised, a stream's bytes passed through as they
 * come. No validation, logging, routing or translation: a floor, not a product. Run as a child
 * process: `reference-proxy.ts <upstream origin> <upstream model>`; prints `{"port":N}` when ready.
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const [upstreamOrigin = "", upstreamModel = "gpt-bench"] = process.argv.slice(2);
const upstream = new Pool(upstreamOrigin, { connections: 128, pipelining: 1 });

const server = createServer({ keepAliveTimeout: 120_000 }, async (request, response) => {
  try {
    const parts: Buffer[] = [];
    for await (const part of request) parts.push(part as Buffer);
    const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as { model?: string; stream?: boolean };
    const publicModel = body.model;
    body.model = upstreamModel;
    const answer = await upstream.request({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", authorization: "Bearer bench-key-0123456789" },
      body: JSON.stringify(body),
    });
    if (body.stream === true) {
      response.writeHead(answer.statusCode, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      for await (const chunk of answer.body) response.write(chunk);
      response.end();
      return;
    }
    const parsed = (await answer.body.json()) as { model?: string };
    parsed.model = publicModel;
    const text = JSON.stringify(parsed);
    response.writeHead(answer.statusCode, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    response.end(text);
  } catch (error) {
    if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error), type: "upstream_error" } }));
  }
});
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));

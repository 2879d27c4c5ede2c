import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answer, countTokens, pieces, type BrainAnswer, type BrainRequest, type BrainTool } from "./brain.ts";
import type { MockFault, MockVendor, MockVendorOptions, RecordedRequest } from "./types.ts";

/**
 * A loopback stand-in for api.openai.com that speaks OpenAI's documented wire format: the same
 * objects, key order, SSE framing (`data: {json}\n\n` ... `data: [DONE]\n\n`), streamed tool-call
 * fragments, error bodies and headers — so the official SDK and Hearth's `openai` provider can be
 * pointed straight at it. Only the "model" is fake: answers come from brain.ts.
 *
 * Behaviours copied from the real API on purpose (they are what clients trip over):
 * - a forced named tool (`tool_choice: {type: "function", ...}`) finishes with "stop", not "tool_calls";
 * - `stream_options` without `stream`, `parallel_tool_calls` or `tool_choice` without `tools`, and
 *   `max_tokens` or a non-default `temperature` on reasoning models (o1/o3/o4/gpt-5) are 400s;
 * - with `stream_options.include_usage`, every chunk carries `"usage": null` and a last chunk
 *   with empty `choices` carries the usage; streamed chunks carry an `obfuscation` padding field;
 * - a prompt of 1024+ tokens seen before is reported as cached (`prompt_tokens_details.cached_tokens`).
 * `/v1/completions` accepts any model (the real one only takes instruct models).
 */
export interface MockOpenAI extends MockVendor {
  /** Responses whose client closed the connection before the mock finished writing them. */
  readonly abortedResponses: number;
}

const jsonType = "application/json";
const streamType = "text/event-stream; charset=utf-8";
const reasoningModel = /^(o\d|gpt-5)/;

interface ChatMessageWire {
  role?: unknown;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
}

interface OpenAIErrorWire {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

class WireError extends Error {
  readonly status: number;
  readonly body: OpenAIErrorWire;
  readonly headers: OutgoingHttpHeaders;
  constructor(status: number, body: OpenAIErrorWire, headers: OutgoingHttpHeaders = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const invalid = (message: string, param: string | null = null, code: string | null = null): WireError =>
  new WireError(400, { message, type: "invalid_request_error", param, code });

export async function startMockOpenAI(options: MockVendorOptions = {}): Promise<MockOpenAI> {
  const apiKey = options.apiKey ?? "test-key-openai";
  const eventDelayMs = options.eventDelayMs ?? 2;
  const requests: RecordedRequest[] = [];
  let faults: MockFault[] = [];
  let abortedResponses = 0;
  const seenPrompts = new Set<string>();
  const fingerprint = `fp_${createHash("sha256").update("hearth-mock").digest("hex").slice(0, 10)}`;
  let closing = false;

  const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

  function commonHeaders(started: number): OutgoingHttpHeaders {
    return {
      "openai-organization": "user-hearthmock",
      "openai-processing-ms": String(Math.max(1, Date.now() - started)),
      "openai-project": "proj_hearthmock",
      "openai-version": "2020-10-01",
      "x-request-id": `req_${randomBytes(16).toString("hex")}`,
      "x-ratelimit-limit-requests": "10000",
      "x-ratelimit-limit-tokens": "30000000",
      "x-ratelimit-remaining-requests": "9999",
      "x-ratelimit-remaining-tokens": "29999000",
      "x-ratelimit-reset-requests": "6ms",
      "x-ratelimit-reset-tokens": "2ms",
      "access-control-expose-headers": "X-Request-ID",
    };
  }

  function sendError(response: ServerResponse, started: number, error: WireError): void {
    const text = JSON.stringify({ error: error.body }, null, 4);
    response.writeHead(error.status, { ...commonHeaders(started), ...error.headers, "content-type": jsonType, "content-length": Buffer.byteLength(text) });
    response.end(text);
  }

  function statusFault(fault: Extract<MockFault, { kind: "status" }>, model: string): WireError {
    const { status } = fault;
    const headers: OutgoingHttpHeaders = {};
    if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
    switch (status) {
      case 400:
        return invalid(fault.message ?? "Invalid request.");
      case 401:
        return new WireError(401, { message: fault.message ?? "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" }, headers);
      case 403:
        return new WireError(403, { message: fault.message ?? "Country, region, or territory not supported", type: "request_forbidden", param: null, code: "unsupported_country_region_territory" }, headers);
      case 404:
        return modelNotFound(model);
      case 429: {
        const wait = fault.retryAfterSeconds ?? 20;
        return new WireError(
          429,
          {
            message:
              fault.message ??
              `Rate limit reached for ${model} in organization org-hearthmock on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${wait}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
          {
            ...headers,
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": `${wait}s`,
            "x-ratelimit-limit-tokens": "200000",
            "x-ratelimit-remaining-tokens": "199000",
            "x-ratelimit-reset-tokens": "300ms",
          },
        );
      }
      case 503:
        return new WireError(503, { message: fault.message ?? "The engine is currently overloaded, please try again later.", type: "server_error", param: null, code: null }, headers);
      default:
        return new WireError(
          status,
          {
            message: fault.message ?? "The server had an error while processing your request. Sorry about that!",
            type: status >= 500 ? "server_error" : "invalid_request_error",
            param: null,
            code: null,
          },
          headers,
        );
    }
  }

  function authenticate(request: IncomingMessage): void {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith("Bearer ") || header.length === "Bearer ".length) {
      throw new WireError(401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error",
        param: null,
        code: null,
      });
    }
    const given = header.slice("Bearer ".length);
    if (given !== apiKey) {
      throw new WireError(401, {
        message: `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      });
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const text = await readBody(request);
    const path = request.url ?? "/";
    const method = request.method ?? "GET";
    let body: unknown;
    let badJson = false;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    requests.push({ method, path, headers: request.headers, body });
    response.on("close", () => {
      if (!response.writableFinished) abortedResponses += 1;
    });

    const pathname = path.split("?")[0] ?? path;
    const route =
      method === "POST" && pathname === "/v1/chat/completions"
        ? "chat"
        : method === "POST" && pathname === "/v1/completions"
          ? "completions"
          : method === "POST" && pathname === "/v1/embeddings"
            ? "embeddings"
            : method === "GET" && pathname === "/v1/models"
              ? "models"
              : method === "GET" && pathname.startsWith("/v1/models/")
                ? "model"
                : undefined;
    try {
      if (route === undefined) {
        throw new WireError(404, { message: `Invalid URL (${method} ${pathname})`, type: "invalid_request_error", param: null, code: null });
      }
      authenticate(request);
      if (route === "models") {
        sendJson(response, started, { object: "list", data: knownModels.map(modelObject) });
        return;
      }
      if (route === "model") {
        const id = decodeURIComponent(pathname.slice("/v1/models/".length));
        if (id.startsWith("no-such")) throw modelNotFound(id);
        sendJson(response, started, modelObject(id));
        return;
      }
      if (badJson) {
        throw invalid(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        );
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("The request body must be a JSON object.");
      const record = body as Record<string, unknown>;
      const model = record.model;
      const fault = faults.shift();
      if (fault !== undefined) {
        if (fault.kind === "reset") {
          request.socket.destroy();
          return;
        }
        if (fault.kind === "status") throw statusFault(fault, typeof model === "string" ? model : "unknown");
        if (fault.kind === "slow-first-token") {
          await sleep(fault.delayMs);
          if (response.destroyed || closing) return;
        }
      }
      const cutAfter = fault?.kind === "cut-mid-stream" ? fault.afterEvents : undefined;
      if (typeof model !== "string" || model === "") throw invalid("you must provide a model parameter", null, null);
      if (model.startsWith("no-such")) throw modelNotFound(model);
      if (route === "chat") await chat(record, model, response, started, cutAfter);
      else if (route === "completions") await completions(record, model, response, started, cutAfter);
      else await embeddings(record, model, response, started, cutAfter);
    } catch (error) {
      if (error instanceof WireError) {
        if (!response.headersSent && !response.destroyed) sendError(response, started, error);
        return;
      }
      throw error;
    }
  }

  function sendJson(response: ServerResponse, started: number, value: unknown, cutAfter?: number): void {
    const text = JSON.stringify(value, null, 2);
    const length = Buffer.byteLength(text);
    response.writeHead(200, { ...commonHeaders(started), "content-type": jsonType, "content-length": length });
    if (cutAfter !== undefined) {
      // Half the body, then the connection dies: the client sees a short read.
      response.write(Buffer.from(text).subarray(0, Math.floor(length / 2)));
      setTimeout(() => response.socket?.destroy(), 5);
      return;
    }
    response.end(text);
  }

  async function sendEvents(response: ServerResponse, started: number, events: string[], cutAfter: number | undefined): Promise<void> {
    response.writeHead(200, { ...commonHeaders(started), "content-type": streamType, "cache-control": "no-cache, must-revalidate" });
    for (let index = 0; index < events.length; index++) {
      if (response.destroyed || closing) return;
      if (cutAfter !== undefined && index >= cutAfter) {
        // Let the bytes already written leave before the connection dies.
        await sleep(5);
        response.socket?.destroy();
        return;
      }
      response.write(events[index]);
      if (eventDelayMs > 0 && index < events.length - 1) await sleep(eventDelayMs);
    }
    if (!response.destroyed) response.end();
  }

  function promptUsage(prompt: string, inputTokens: number): Record<string, unknown> {
    const key = createHash("sha256").update(prompt).digest("base64");
    const cached = inputTokens >= 1024 && seenPrompts.has(key) ? Math.floor(inputTokens / 128) * 128 : 0;
    seenPrompts.add(key);
    return { cached_tokens: cached, audio_tokens: 0 };
  }

  async function chat(body: Record<string, unknown>, model: string, response: ServerResponse, started: number, cutAfter: number | undefined): Promise<void> {
    const brainRequest = toBrainRequest(body, model);
    const stream = body.stream === true;
    const streamOptions = body.stream_options as { include_usage?: unknown } | null | undefined;
    const count = typeof body.n === "number" && body.n >= 1 ? Math.floor(body.n) : 1;
    const logprobs = body.logprobs === true;
    const topLogprobs = typeof body.top_logprobs === "number" ? body.top_logprobs : 0;
    const forcedName = typeof body.tool_choice === "object" && body.tool_choice !== null;
    const answers: BrainAnswer[] = [];
    for (let index = 0; index < count; index++) answers.push(answer(brainRequest));
    const thinking = reasoningModel.test(model) ? countTokens(brainRequest.lastUserText) * 4 : 0;
    const inputTokens = answers[0]?.usage.inputTokens ?? 0;
    const outputTokens = answers.reduce((sum, each) => sum + each.usage.outputTokens + thinking, 0);
    const usage = {
      prompt_tokens: inputTokens,
      completion_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
      prompt_tokens_details: promptUsage(brainRequest.promptText, inputTokens),
      completion_tokens_details: { reasoning_tokens: thinking * count, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    const id = `chatcmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const finishOf = (each: BrainAnswer): string =>
      each.kind === "tool-calls" ? (forcedName ? "stop" : "tool_calls") : each.finish === "length" ? "length" : "stop";

    if (!stream) {
      sendJson(
        response,
        started,
        {
          id,
          object: "chat.completion",
          created,
          model,
          choices: answers.map((each, index) => ({
            index,
            message: {
              role: "assistant",
              content: each.kind === "tool-calls" ? null : each.text,
              ...(each.kind === "tool-calls"
                ? { tool_calls: each.calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } })) }
                : {}),
              refusal: null,
              annotations: [],
            },
            logprobs: logprobs ? { content: each.kind === "text" ? pieces(each.text).map((piece) => logprobEntry(piece, topLogprobs)) : [], refusal: null } : null,
            finish_reason: finishOf(each),
          })),
          usage,
          service_tier: "default",
          system_fingerprint: fingerprint,
        },
        cutAfter,
      );
      return;
    }

    const includeUsage = streamOptions?.include_usage === true;
    const obfuscate = (streamOptions as { include_obfuscation?: unknown } | null | undefined)?.include_obfuscation !== false;
    const chunk = (choice: Record<string, unknown> | undefined, usageValue?: unknown): string => {
      const value: Record<string, unknown> = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        service_tier: "default",
        system_fingerprint: fingerprint,
        choices: choice === undefined ? [] : [choice],
      };
      if (includeUsage) value.usage = usageValue ?? null;
      if (obfuscate) value.obfuscation = randomId(4 + (created % 11));
      return `data: ${JSON.stringify(value)}\n\n`;
    };
    const perChoice = answers.map((each, index) => {
      const events: string[] = [];
      const choice = (delta: Record<string, unknown>, finish: string | null = null, logprobContent?: unknown[]): Record<string, unknown> => ({
        index,
        delta,
        logprobs: logprobContent === undefined ? null : { content: logprobContent, refusal: null },
        finish_reason: finish,
      });
      if (each.kind === "tool-calls") {
        each.calls.forEach((call, callIndex) => {
          const header = { index: callIndex, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
          events.push(chunk(choice(callIndex === 0 ? { role: "assistant", content: null, tool_calls: [header], refusal: null } : { tool_calls: [header] })));
          for (const fragment of pieces(JSON.stringify(call.arguments), 5)) {
            events.push(chunk(choice({ tool_calls: [{ index: callIndex, function: { arguments: fragment } }] })));
          }
        });
      } else {
        events.push(chunk(choice({ role: "assistant", content: "", refusal: null }, null, logprobs ? [] : undefined)));
        for (const piece of pieces(each.text)) {
          events.push(chunk(choice({ content: piece }, null, logprobs ? [logprobEntry(piece, topLogprobs)] : undefined)));
        }
      }
      events.push(chunk(choice({}, finishOf(each))));
      return events;
    });
    const events: string[] = [];
    const longest = Math.max(...perChoice.map((each) => each.length));
    for (let step = 0; step < longest; step++) {
      for (const each of perChoice) {
        const event = each[step];
        if (event !== undefined) events.push(event);
      }
    }
    if (includeUsage) events.push(chunk(undefined, usage));
    events.push("data: [DONE]\n\n");
    await sendEvents(response, started, events, cutAfter);
  }

  async function completions(body: Record<string, unknown>, model: string, response: ServerResponse, started: number, cutAfter: number | undefined): Promise<void> {
    if (body.prompt === undefined) throw invalid("you must provide a prompt parameter", "prompt");
    const prompt = Array.isArray(body.prompt) ? String(body.prompt[0] ?? "") : String(body.prompt);
    const stop = body.stop === undefined || body.stop === null ? [] : Array.isArray(body.stop) ? (body.stop as string[]) : [String(body.stop)];
    const brainRequest: BrainRequest = {
      model,
      lastUserText: prompt,
      imageCount: 0,
      toolResults: [],
      system: "",
      tools: [],
      toolChoice: "none",
      json: undefined,
      // The legacy endpoint's documented default.
      maxTokens: typeof body.max_tokens === "number" ? body.max_tokens : 16,
      stop,
      promptText: prompt,
    };
    const count = typeof body.n === "number" && body.n >= 1 ? Math.floor(body.n) : 1;
    const answers = Array.from({ length: count }, () => answer(brainRequest));
    const echo = body.echo === true ? prompt : "";
    const logprobCount = typeof body.logprobs === "number" ? body.logprobs : undefined;
    const inputTokens = answers[0]?.usage.inputTokens ?? 0;
    const outputTokens = answers.reduce((sum, each) => sum + each.usage.outputTokens, 0);
    const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    const id = `cmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const finishOf = (each: BrainAnswer): string => (each.kind === "text" && each.finish === "length" ? "length" : "stop");
    const textOf = (each: BrainAnswer): string => (each.kind === "text" ? each.text : "");
    if (body.stream !== true) {
      sendJson(
        response,
        started,
        {
          id,
          object: "text_completion",
          created,
          model,
          choices: answers.map((each, index) => ({
            text: echo + textOf(each),
            index,
            logprobs: logprobCount === undefined ? null : legacyLogprobs(pieces(textOf(each)), logprobCount, echo.length),
            finish_reason: finishOf(each),
          })),
          usage,
          system_fingerprint: fingerprint,
        },
        cutAfter,
      );
      return;
    }
    const includeUsage = (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
    const chunk = (choices: unknown[], usageValue?: unknown): string => {
      const value: Record<string, unknown> = { id, object: "text_completion", created, choices, model, system_fingerprint: fingerprint };
      if (includeUsage) value.usage = usageValue ?? null;
      return `data: ${JSON.stringify(value)}\n\n`;
    };
    const events: string[] = [];
    const perChoice = answers.map((each, index) => {
      let offset = 0;
      const list = [echo, ...pieces(textOf(each))]
        .filter((piece) => piece !== "")
        .map((piece) => {
          const event = chunk([{ text: piece, index, logprobs: logprobCount === undefined ? null : legacyLogprobs([piece], logprobCount, offset), finish_reason: null }]);
          offset += piece.length;
          return event;
        });
      list.push(chunk([{ text: "", index, logprobs: null, finish_reason: finishOf(each) }]));
      return list;
    });
    const longest = Math.max(...perChoice.map((each) => each.length));
    for (let step = 0; step < longest; step++) {
      for (const each of perChoice) {
        const event = each[step];
        if (event !== undefined) events.push(event);
      }
    }
    if (includeUsage) events.push(chunk([], usage));
    events.push("data: [DONE]\n\n");
    await sendEvents(response, started, events, cutAfter);
  }

  async function embeddings(body: Record<string, unknown>, model: string, response: ServerResponse, started: number, cutAfter: number | undefined): Promise<void> {
    const input = body.input;
    let texts: string[];
    if (typeof input === "string") texts = [input];
    else if (Array.isArray(input) && input.length > 0 && input.every((entry) => typeof entry === "string")) texts = input as string[];
    else if (Array.isArray(input) && input.length > 0 && input.every((entry) => typeof entry === "number")) texts = [JSON.stringify(input)];
    else if (Array.isArray(input) && input.length > 0 && input.every((entry) => Array.isArray(entry))) texts = input.map((entry) => JSON.stringify(entry));
    else throw invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "input");
    if (texts.some((entry) => entry === "")) throw invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "input");
    const full = model.includes("3-large") ? 3072 : 1536;
    let size = full;
    if (body.dimensions !== undefined) {
      if (!model.startsWith("text-embedding-3")) throw invalid("This model does not support specifying dimensions.", "dimensions");
      if (typeof body.dimensions !== "number" || body.dimensions < 1 || body.dimensions > full) throw invalid(`Invalid value for 'dimensions' = ${String(body.dimensions)}.`, "dimensions");
      size = Math.floor(body.dimensions);
    }
    const encoding = body.encoding_format ?? "float";
    if (encoding !== "float" && encoding !== "base64") {
      throw invalid(`Invalid value for 'encoding_format': '${String(encoding)}'. Supported values are: 'float' and 'base64'.`, "encoding_format");
    }
    const tokens = texts.reduce((sum, entry) => sum + countTokens(entry), 0);
    sendJson(
      response,
      started,
      {
        object: "list",
        data: texts.map((entry, index) => {
          const vector = embedText(entry, full, size);
          return { object: "embedding", index, embedding: encoding === "base64" ? Buffer.from(vector.buffer).toString("base64") : Array.from(vector) };
        }),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
      cutAfter,
    );
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        sendError(response, Date.now(), new WireError(500, { message: `Mock failure: ${String(error)}`, type: "server_error", param: null, code: null }));
      } else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    get abortedResponses() {
      return abortedResponses;
    },
    failNext(fault, times = 1) {
      for (let index = 0; index < times; index++) faults.push(fault);
    },
    reset() {
      faults = [];
      requests.length = 0;
      abortedResponses = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const knownModels = [
  "gpt-4o-mini",
  "gpt-4o",
  "gpt-4.1",
  "o4-mini",
  "gpt-3.5-turbo-instruct",
  "text-embedding-3-small",
  "text-embedding-3-large",
  "text-embedding-ada-002",
];

function modelObject(id: string): Record<string, unknown> {
  return { id, object: "model", created: 1_715_367_049, owned_by: "system" };
}

function modelNotFound(model: string): WireError {
  return new WireError(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: "invalid_request_error",
    param: null,
    code: "model_not_found",
  });
}

/** OpenAI echoes a wrong key masked: its first characters, stars, its last four. */
function maskKey(key: string): string {
  if (key.length <= 9) return "*".repeat(key.length);
  return `${key.slice(0, 5)}${"*".repeat(Math.min(40, key.length - 9))}${key.slice(-4)}`;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomId(length: number): string {
  const bytes = randomBytes(length);
  let result = "";
  for (const byte of bytes) result += alphabet[byte % alphabet.length];
  return result;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text" ? String((part as { text?: unknown }).text ?? "") : ""))
    .join("");
}

function imagesIn(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  return content.filter((part) => typeof part === "object" && part !== null && (part as { type?: unknown }).type === "image_url").length;
}

/** Checks the request the way OpenAI does and turns it into the brain's normalised question. */
function toBrainRequest(body: Record<string, unknown>, model: string): BrainRequest {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalid(Array.isArray(messages) ? "[] is too short - 'messages'" : "Missing required parameter: 'messages'.", "messages", Array.isArray(messages) ? null : "missing_required_parameter");
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ type?: unknown; function?: { name?: unknown; parameters?: unknown } }>) : [];
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
  }
  if (body.parallel_tool_calls !== undefined && tools.length === 0) {
    throw invalid("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.", "parallel_tool_calls");
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null && tools.length === 0) {
    throw invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice");
  }
  if (reasoningModel.test(model)) {
    if (body.max_tokens !== undefined) {
      throw invalid("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter");
    }
    if (body.temperature !== undefined && body.temperature !== 1) {
      throw invalid(`Unsupported value: 'temperature' does not support ${String(body.temperature)} with this model. Only the default (1) value is supported.`, "temperature", "unsupported_value");
    }
  }
  const wire = messages as ChatMessageWire[];
  const system = wire.filter((message) => message.role === "system" || message.role === "developer").map((message) => textOf(message.content));
  let lastUser: ChatMessageWire | undefined;
  let lastAssistant = -1;
  wire.forEach((message, index) => {
    if (message.role === "user") lastUser = message;
    if (message.role === "assistant") lastAssistant = index;
  });
  const trailing = wire.slice(lastAssistant + 1);
  const toolResults = wire.at(-1)?.role === "tool" ? trailing.filter((message) => message.role === "tool").map((message) => textOf(message.content)) : [];
  const brainTools: BrainTool[] = tools.map((tool) => ({ name: String(tool.function?.name ?? ""), parameters: tool.function?.parameters ?? { type: "object", properties: {} } }));
  let toolChoice: BrainRequest["toolChoice"] = "auto";
  const choice = body.tool_choice;
  if (choice === "none" || choice === "required" || choice === "auto") toolChoice = choice;
  else if (typeof choice === "object" && choice !== null) {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name !== "string" || !brainTools.some((tool) => tool.name === name)) {
      throw invalid(`Invalid value for 'tool_choice': tool '${String(name)}' is not among the tools provided.`, "tool_choice");
    }
    toolChoice = { name };
  }
  const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined | null;
  const json = format?.type === "json_object" ? {} : format?.type === "json_schema" ? { schema: format.json_schema?.schema } : undefined;
  const maxTokens = typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : typeof body.max_tokens === "number" ? body.max_tokens : undefined;
  const stop = body.stop === undefined || body.stop === null ? [] : Array.isArray(body.stop) ? (body.stop as string[]) : [String(body.stop)];
  const promptText = [
    ...wire.map((message) => textOf(message.content) + (message.tool_calls === undefined ? "" : JSON.stringify(message.tool_calls))),
    ...tools.map((tool) => JSON.stringify(tool)),
  ].join("\n");
  return {
    model,
    lastUserText: lastUser === undefined ? "" : textOf(lastUser.content),
    imageCount: lastUser === undefined ? 0 : imagesIn(lastUser.content),
    toolResults,
    system: system.join("\n"),
    tools: brainTools,
    toolChoice,
    json,
    maxTokens,
    stop,
    promptText,
  };
}

/** A stable pseudo log-probability in (-2, 0] for a token, from its text. */
function logprobOf(token: string, rank: number): number {
  const digest = createHash("sha256").update(token).digest();
  return -((digest.readUInt16BE(0) % 1000) / 1000 + rank * 0.75);
}

/** One `logprobs.content` entry as OpenAI sends it: the token, its logprob, UTF-8 bytes, top alternatives. */
function logprobEntry(token: string, top: number): Record<string, unknown> {
  const logprob = logprobOf(token, 0);
  const alternatives = [{ token, logprob, bytes: [...Buffer.from(token)] }];
  for (let rank = 1; rank < top; rank++) {
    const other = `${token.slice(0, -1)}${String.fromCharCode(97 + (rank % 26))}`;
    alternatives.push({ token: other, logprob: logprobOf(token, rank), bytes: [...Buffer.from(other)] });
  }
  return { token, logprob, bytes: [...Buffer.from(token)], top_logprobs: top > 0 ? alternatives : [] };
}

/** The legacy Completions `logprobs` object: parallel arrays over tokens. */
function legacyLogprobs(tokens: string[], top: number, startOffset: number): Record<string, unknown> {
  let offset = startOffset;
  return {
    tokens,
    token_logprobs: tokens.map((token) => logprobOf(token, 0)),
    top_logprobs: tokens.map((token) => {
      const entry: Record<string, number> = { [token]: logprobOf(token, 0) };
      for (let rank = 1; rank < top; rank++) entry[`${token.slice(0, -1)}${String.fromCharCode(97 + (rank % 26))}`] = logprobOf(token, rank);
      return entry;
    }),
    text_offset: tokens.map((token) => {
      const at = offset;
      offset += token.length;
      return at;
    }),
  };
}

/**
 * A deterministic unit vector for a text: float32 values from a hash-seeded generator. A shorter
 * `dimensions` truncates the full vector and renormalises it, as OpenAI's v3 embedding models do.
 */
function embedText(text: string, full: number, size: number): Float32Array {
  let state = createHash("sha256").update(text).digest().readUInt32LE(0) || 1;
  const values = new Float64Array(full);
  for (let index = 0; index < full; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values[index] = state / 0xffffffff - 0.5;
  }
  let norm = 0;
  for (let index = 0; index < size; index++) norm += (values[index] as number) ** 2;
  norm = Math.sqrt(norm) || 1;
  const vector = new Float32Array(size);
  for (let index = 0; index < size; index++) vector[index] = (values[index] as number) / norm;
  return vector;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answer, countTokens, pieces, type BrainAnswer, type BrainRequest, type BrainTool } from "./brain.ts";
import type { MockFault, MockVendor, MockVendorOptions, RecordedRequest } from "./types.ts";

/**
 * A loopback stand-in for Google's Generative Language API (Gemini), v1beta REST, so providers and
 * the official `@google/genai` SDK can be tested without the network. What it speaks, as Google
 * documents it:
 *
 * - `POST /{version}/models/{model}:generateContent` → one pretty-printed GenerateContentResponse.
 * - `POST …:streamGenerateContent?alt=sse` → `data: {GenerateContentResponse}\r\n\r\n` events (CRLF
 *   framing, compact JSON with `": "` after keys, as Google sends it; no terminator event). Text
 *   arrives in several chunks, function calls whole in one chunk, every chunk carries cumulative
 *   `usageMetadata`, the last one `finishReason` and `safetyRatings`. Without `alt=sse` it streams
 *   a JSON array of responses instead.
 * - `POST …:countTokens`, `…:embedContent`, `…:batchEmbedContents`, `GET /{version}/models[/{model}]`.
 * - Auth by `x-goog-api-key` or `?key=`: none → 403 PERMISSION_DENIED, a wrong one → 400
 *   INVALID_ARGUMENT (API_KEY_INVALID); errors in Google's `{"error":{code,message,status,details}}`.
 * - Request validation a real upstream would do: unknown field names are rejected, `parameters`
 *   (Gemini's OpenAPI subset) rejects JSON Schema keywords it has no field for, `…JsonSchema` and
 *   the OpenAPI variant are mutually exclusive, `gemini-3*` models require the thought signature
 *   they returned on a replayed function call (or Google's documented skip sentinels).
 *
 * Only the model is fake (brain.ts). Deterministic triggers: a model named `no-such…` is 404; a
 * prompt containing `unsafe-demo` finishes with SAFETY and a blocked rating and no text; one
 * containing `prompt-block-demo` is refused as a prompt (`promptFeedback.blockReason`, no
 * candidates). `thinkingConfig.includeThoughts` adds a thought part on thinking models
 * (`gemini-2.5*`, `gemini-3*`, unless `thinkingBudget` is 0), whose usage counts `thoughtsTokenCount`.
 */
export interface MockGemini extends MockVendor {
  /** Streams the client abandoned before the mock finished writing them. */
  readonly abortedStreams: number;
}

type Json = Record<string, unknown>;

const apiVersions = new Set(["v1", "v1beta", "v1alpha"]);
const defaultModels = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-3-pro-preview", "gemini-embedding-001", "text-embedding-004"];
/** Tokens Gemini bills per image (up to 384 px a side). */
const imageTokens = 258;
/** Google's documented values that switch thought-signature validation off for a replayed call. */
const skipSignatures = new Set(["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"]);
const signaturePrefix = "mock-thought-signature:";

const statusNames: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const requestFields = new Set(["model", "contents", "tools", "toolConfig", "safetySettings", "systemInstruction", "generationConfig", "cachedContent"]);
const generationConfigFields = new Set([
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "responseModalities",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "enableEnhancedCivicAnswers",
  "speechConfig",
  "thinkingConfig",
  "imageConfig",
  "mediaResolution",
]);
const partDataFields = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"];
const partFields = new Set([...partDataFields, "thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"]);
const toolFields = new Set(["functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "computerUse", "fileSearch", "googleMaps"]);
const declarationFields = new Set(["name", "description", "behavior", "parameters", "parametersJsonSchema", "response", "responseJsonSchema"]);
/** The fields of v1beta `Schema` (Gemini's OpenAPI 3.0 subset), used by `parameters` and `responseSchema`. */
const openApiSchemaFields = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);
const harmCategories = ["HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"];

/** A failure answered in Google's error shape. */
class GoogleError extends Error {
  readonly code: number;
  readonly details: unknown[] | undefined;
  constructor(code: number, message: string, details?: unknown[]) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export async function startMockGemini(options: MockVendorOptions = {}): Promise<MockGemini> {
  const apiKey = options.apiKey ?? "test-key-gemini";
  const eventDelayMs = options.eventDelayMs ?? 2;
  const requests: RecordedRequest[] = [];
  let faults: MockFault[] = [];
  let abortedStreams = 0;
  let responseCounter = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, new GoogleError(500, `Mock failure: ${String(error)}`));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const rawPath = request.url ?? "/";
    const url = new URL(rawPath, "http://127.0.0.1");
    let body: unknown;
    let invalidJson = false;
    if (text !== "") {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        invalidJson = true;
      }
    }
    requests.push({ method: request.method ?? "", path: rawPath, headers: request.headers, body });

    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    const version = segments[0];
    if (version === undefined || !apiVersions.has(version) || segments[1] !== "models" || segments.length > 3) {
      sendNotFoundPage(response, url.pathname);
      return;
    }
    const resource = segments[2] === undefined ? undefined : decodeURIComponent(segments[2]);
    const colon = resource?.indexOf(":") ?? -1;
    const model = resource === undefined ? undefined : colon === -1 ? resource : resource.slice(0, colon);
    const method = resource === undefined || colon === -1 ? undefined : resource.slice(colon + 1);

    let cut: number | undefined;
    if (method !== undefined && request.method === "POST") {
      const fault = faults.shift();
      if (fault !== undefined) {
        if (fault.kind === "cut-mid-stream") cut = fault.afterEvents;
        else if (await applyFault(fault, request, response, model ?? "")) return;
      }
    }

    const keyError = checkKey(request.headers["x-goog-api-key"], url.searchParams.get("key"));
    if (keyError !== undefined) {
      sendError(response, keyError);
      return;
    }

    if (method === undefined) {
      if (request.method !== "GET") {
        sendError(response, new GoogleError(404, `Method not found.`));
        return;
      }
      if (model === undefined) {
        sendJson(response, 200, { models: defaultModels.map(modelInfo) });
        return;
      }
      if (isUnknownModel(model)) {
        sendError(response, new GoogleError(404, `models/${model} is not found for API version ${version}.`));
        return;
      }
      sendJson(response, 200, modelInfo(model));
      return;
    }

    if (request.method !== "POST") {
      sendError(response, new GoogleError(404, "Method not found."));
      return;
    }
    if (invalidJson) {
      sendError(response, new GoogleError(400, `Invalid JSON payload received. Unexpected token.`));
      return;
    }
    const payload = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Json) : {};
    const modelName = model ?? "";
    const embedding = modelName.includes("embedding");
    const supported: Record<string, boolean> = {
      generateContent: !embedding,
      streamGenerateContent: !embedding,
      countTokens: true,
      embedContent: embedding,
      batchEmbedContents: embedding,
    };
    if (!(method in supported)) {
      sendError(response, new GoogleError(404, "Method not found."));
      return;
    }
    if (isUnknownModel(modelName) || supported[method] !== true) {
      sendError(
        response,
        new GoogleError(
          404,
          `models/${modelName} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
        ),
      );
      return;
    }

    try {
      switch (method) {
        case "generateContent":
          await generate(response, modelName, payload, "json", cut);
          return;
        case "streamGenerateContent":
          await generate(response, modelName, payload, url.searchParams.get("alt") === "sse" ? "sse" : "json-array", cut);
          return;
        case "countTokens":
          await sendJsonOrCut(response, countTokensAnswer(modelName, payload), cut);
          return;
        case "embedContent":
          await sendJsonOrCut(response, { embedding: embed(modelName, payload, "") }, cut);
          return;
        case "batchEmbedContents":
          await sendJsonOrCut(response, batchEmbed(modelName, payload), cut);
          return;
      }
    } catch (error) {
      if (error instanceof GoogleError) {
        sendError(response, error);
        return;
      }
      throw error;
    }
  }

  function checkKey(header: string | string[] | undefined, query: string | null): GoogleError | undefined {
    const given = (Array.isArray(header) ? header[0] : header) ?? query ?? undefined;
    if (given === undefined || given === "") {
      return new GoogleError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "CONSUMER_INVALID", domain: "googleapis.com", metadata: { service: "generativelanguage.googleapis.com" } }],
      );
    }
    if (given !== apiKey) {
      return new GoogleError(400, "API key not valid. Please pass a valid API key.", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: { service: "generativelanguage.googleapis.com" } },
        { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message: "API key not valid. Please pass a valid API key." },
      ]);
    }
    return undefined;
  }

  /** Returns true when the fault answered the request (the caller stops); cut-mid-stream is applied by the answer. */
  async function applyFault(fault: Exclude<MockFault, { kind: "cut-mid-stream" }>, request: IncomingMessage, response: ServerResponse, model: string): Promise<boolean> {
    switch (fault.kind) {
      case "reset":
        request.socket.destroy();
        return true;
      case "status":
        sendError(response, faultError(fault.status, model, fault.retryAfterSeconds, fault.message));
        return true;
      case "slow-first-token":
        await sleepUnlessClosed(response, fault.delayMs);
        return response.destroyed;
    }
  }

  /** Sends a JSON answer, or with a cut-mid-stream fault half of it before dropping the connection. */
  async function sendJsonOrCut(response: ServerResponse, value: unknown, cut: number | undefined): Promise<void> {
    if (cut === undefined) {
      sendJson(response, 200, value);
      return;
    }
    const bytes = Buffer.from(JSON.stringify(value, null, 2) + "\n");
    response.writeHead(200, { "content-type": "application/json; charset=UTF-8", "content-length": String(bytes.length) });
    response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    await sleep(eventDelayMs);
    response.destroy();
  }

  async function generate(response: ServerResponse, model: string, payload: Json, format: "json" | "sse" | "json-array", cut: number | undefined): Promise<void> {
    validateGenerateRequest(payload, model, "");
    const chunks = respond(model, payload);
    if (format === "json") {
      await sendJsonOrCut(response, merge(chunks), cut);
      return;
    }
    response.writeHead(200, {
      "content-type": format === "sse" ? "text/event-stream" : "application/json; charset=UTF-8",
      "content-disposition": "attachment",
      vary: "Origin, X-Origin, Referer",
      "x-content-type-options": "nosniff",
      server: "scaffolding on HTTPServer2",
    });
    let finished = false;
    response.on("close", () => {
      if (!finished) abortedStreams++;
    });
    for (const [index, chunk] of chunks.entries()) {
      if (cut !== undefined && index >= cut) {
        response.destroy();
        return;
      }
      if (response.destroyed) return;
      if (format === "sse") response.write(`data: ${compactJson(chunk)}\r\n\r\n`);
      else response.write(`${index === 0 ? "[" : ",\r\n"}${JSON.stringify(chunk, null, 2)}`);
      if (index < chunks.length - 1) await sleep(eventDelayMs);
    }
    if (cut !== undefined) {
      response.destroy();
      return;
    }
    if (format === "json-array") response.write("]");
    finished = true;
    response.end();
  }

  /** The answer as the list of chunks Gemini would stream. */
  function respond(model: string, payload: Json): Json[] {
    const brain = toBrainRequest(model, payload);
    const responseId = `mock${createHash("sha256").update(String(++responseCounter)).digest("base64url").slice(0, 18)}`;
    const generationConfig = (payload.generationConfig ?? {}) as Json;
    const thinkingConfig = (generationConfig.thinkingConfig ?? {}) as Json;
    const thinking = /^gemini-(2\.5|3)/.test(model) && thinkingConfig.thinkingBudget !== 0;
    const signed = /^gemini-3/.test(model);
    const candidateCount = typeof generationConfig.candidateCount === "number" ? Math.max(1, generationConfig.candidateCount) : 1;
    const promptTokens = countTokens(brain.promptText) + brain.totalImages * imageTokens;
    const promptDetails = [{ modality: "TEXT", tokenCount: countTokens(brain.promptText) }];
    if (brain.totalImages > 0) promptDetails.push({ modality: "IMAGE", tokenCount: brain.totalImages * imageTokens });
    const common = { modelVersion: model, responseId };
    const promptUsage = { promptTokenCount: promptTokens, totalTokenCount: promptTokens, promptTokensDetails: promptDetails };

    if (brain.promptText.includes("prompt-block-demo")) {
      return [{ promptFeedback: { blockReason: "SAFETY", safetyRatings: ratings("HARM_CATEGORY_DANGEROUS_CONTENT") }, usageMetadata: promptUsage, ...common }];
    }
    if (brain.promptText.includes("unsafe-demo")) {
      const candidates = Array.from({ length: candidateCount }, (_, index) => ({ finishReason: "SAFETY", index, safetyRatings: ratings("HARM_CATEGORY_DANGEROUS_CONTENT") }));
      return [{ candidates, usageMetadata: promptUsage, ...common }];
    }

    const result: BrainAnswer = answer(brain);
    const thoughtText = thinking ? `**Considering the request**\n\nThe user wants: ${brain.lastUserText || "an answer to the tool results"}.` : "";
    const thoughtsTokenCount = thinking ? countTokens(thoughtText) : undefined;
    const includeThoughts = thinking && thinkingConfig.includeThoughts === true;
    const signature = signed ? Buffer.from(`${signaturePrefix}${responseId}`).toString("base64") : undefined;

    // Each step is the parts every candidate gets in one chunk, and the visible text so far.
    const steps: Array<{ parts: Json[]; visible: string }> = [];
    if (includeThoughts) steps.push({ parts: [{ text: thoughtText, thought: true }], visible: "" });
    let finishReason: string;
    let finalOutputTokens: number;
    if (result.kind === "tool-calls") {
      const parts: Json[] = result.calls.map((call, index) => {
        const part: Json = { functionCall: { name: call.name, args: call.arguments } };
        if (index === 0 && signature !== undefined) part.thoughtSignature = signature;
        return part;
      });
      steps.push({ parts, visible: JSON.stringify(result.calls.map((call) => call.arguments)) });
      finishReason = "STOP";
      finalOutputTokens = result.usage.outputTokens;
    } else {
      const textPieces = pieces(result.text);
      if (textPieces.length === 0) textPieces.push("");
      let visible = "";
      for (const piece of textPieces) {
        visible += piece;
        steps.push({ parts: [{ text: piece }], visible });
      }
      finishReason = result.finish === "length" ? "MAX_TOKENS" : "STOP";
      finalOutputTokens = result.usage.outputTokens;
      // Gemini 3 signs the last part of a text answer.
      const last = steps.at(-1);
      if (signature !== undefined && last !== undefined) {
        const lastPart = last.parts.at(-1);
        if (lastPart !== undefined) lastPart.thoughtSignature = signature;
      }
    }

    return steps.map((step, index) => {
      const final = index === steps.length - 1;
      const outputTokens = final ? finalOutputTokens : step.visible === "" ? 0 : countTokens(step.visible);
      const candidatesTokenCount = outputTokens * candidateCount;
      const usage: Json = { promptTokenCount: promptTokens };
      if (candidatesTokenCount > 0) usage.candidatesTokenCount = candidatesTokenCount;
      usage.totalTokenCount = promptTokens + candidatesTokenCount + (thoughtsTokenCount ?? 0);
      usage.promptTokensDetails = promptDetails;
      if (thoughtsTokenCount !== undefined) usage.thoughtsTokenCount = thoughtsTokenCount;
      const candidates = Array.from({ length: candidateCount }, (_, candidateIndex) => {
        const candidate: Json = { content: { parts: structuredClone(step.parts), role: "model" } };
        if (final) candidate.finishReason = finishReason;
        candidate.index = candidateIndex;
        if (final) candidate.safetyRatings = ratings();
        return candidate;
      });
      return { candidates, usageMetadata: usage, ...common };
    });
  }

  function countTokensAnswer(model: string, payload: Json): Json {
    for (const key of Object.keys(payload)) {
      if (key !== "contents" && key !== "generateContentRequest") throw unknownField(key, "");
    }
    if (payload.contents !== undefined && payload.generateContentRequest !== undefined) {
      throw new GoogleError(400, "contents and generate_content_request cannot both be set.");
    }
    let request: Json;
    if (payload.generateContentRequest !== undefined) {
      request = payload.generateContentRequest as Json;
      if (request.model !== `models/${model}`) {
        throw new GoogleError(400, `generate_content_request.model must name the model in the URL (models/${model}).`);
      }
      validateGenerateRequest(request, model, "generate_content_request.");
    } else {
      request = { contents: payload.contents };
      validateGenerateRequest(request, model, "");
    }
    const brain = toBrainRequest(model, request);
    const text = countTokens(brain.promptText);
    const details = [{ modality: "TEXT", tokenCount: text }];
    if (brain.totalImages > 0) details.push({ modality: "IMAGE", tokenCount: brain.totalImages * imageTokens });
    return { totalTokens: text + brain.totalImages * imageTokens, promptTokensDetails: details };
  }

  function embed(model: string, request: Json, where: string): Json {
    for (const key of Object.keys(request)) {
      if (!["model", "content", "taskType", "title", "outputDimensionality"].includes(key)) throw unknownField(key, where);
    }
    const content = request.content as Json | undefined;
    const parts = Array.isArray(content?.parts) ? (content.parts as Json[]) : [];
    const text = parts.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
    if (text === "") throw new GoogleError(400, "* BatchEmbedContentsRequest.requests[0].content: contents is not specified\n");
    const full = model === "gemini-embedding-001" ? 3072 : 768;
    const requested = request.outputDimensionality;
    if (requested !== undefined && (typeof requested !== "number" || !Number.isInteger(requested) || requested < 1 || requested > full)) {
      throw new GoogleError(400, `outputDimensionality must be between 1 and ${full}.`);
    }
    return { values: vectorOf(text, typeof requested === "number" ? requested : full) };
  }

  function batchEmbed(model: string, payload: Json): Json {
    for (const key of Object.keys(payload)) if (key !== "requests") throw unknownField(key, "");
    const list = Array.isArray(payload.requests) ? (payload.requests as Json[]) : [];
    if (list.length === 0) throw new GoogleError(400, "* BatchEmbedContentsRequest.requests: requests is not specified\n");
    if (list.length > 100) throw new GoogleError(400, "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n");
    return {
      embeddings: list.map((entry, index) => {
        if (entry.model !== `models/${model}`) {
          throw new GoogleError(400, `Model names should be the same for all requests and the batch: requests[${index}].model is ${String(entry.model)}, expected models/${model}.`);
        }
        return embed(model, entry, `requests[${index}]`);
      }),
    };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    get abortedStreams() {
      return abortedStreams;
    },
    failNext(fault: MockFault, times = 1) {
      for (let index = 0; index < times; index++) faults.push(fault);
    },
    reset() {
      faults = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Combines streamed chunks into the single response `generateContent` returns. */
function merge(chunks: Json[]): Json {
  const last = chunks.at(-1) ?? {};
  if (last.candidates === undefined) return last;
  const candidates = (last.candidates as Json[]).map((candidate, index) => {
    const parts: Json[] = [];
    for (const chunk of chunks) {
      const piece = (chunk.candidates as Json[] | undefined)?.[index];
      const content = piece?.content as { parts?: Json[] } | undefined;
      for (const part of content?.parts ?? []) {
        const previous = parts.at(-1);
        const mergeable =
          previous !== undefined &&
          typeof previous.text === "string" &&
          typeof part.text === "string" &&
          previous.thought === part.thought &&
          previous.thoughtSignature === undefined;
        if (mergeable) {
          previous.text = String(previous.text) + part.text;
          if (part.thoughtSignature !== undefined) previous.thoughtSignature = part.thoughtSignature;
        } else parts.push({ ...part });
      }
    }
    const merged: Json = {};
    if (candidate.content !== undefined) merged.content = { parts, role: "model" };
    for (const [key, value] of Object.entries(candidate)) if (key !== "content") merged[key] = value;
    return merged;
  });
  return { ...last, candidates };
}

interface GeminiBrainRequest extends BrainRequest {
  /** Images anywhere in the prompt (billed), not only in the last user turn. */
  totalImages: number;
}

/** Normalises a generateContent body into the brain's request. */
function toBrainRequest(model: string, payload: Json): GeminiBrainRequest {
  const contents = Array.isArray(payload.contents) ? (payload.contents as Json[]) : [];
  const texts: string[] = [];
  const system = partsOf(payload.systemInstruction)
    .map((part) => (typeof part.text === "string" ? part.text : ""))
    .join("\n");
  if (system !== "") texts.push(system);
  let totalImages = 0;
  let lastUserText = "";
  let imageCount = 0;
  for (const content of contents) {
    const parts = partsOf(content);
    const partTexts: string[] = [];
    let images = 0;
    for (const part of parts) {
      if (typeof part.text === "string" && part.thought !== true) partTexts.push(part.text);
      if (part.inlineData !== undefined || part.fileData !== undefined) images++;
      if (part.functionCall !== undefined) texts.push(JSON.stringify(part.functionCall));
      if (part.functionResponse !== undefined) texts.push(JSON.stringify(part.functionResponse));
    }
    texts.push(...partTexts);
    totalImages += images;
    if (content.role !== "model" && partTexts.length > 0) {
      lastUserText = partTexts.join("\n");
      imageCount = images;
    }
  }
  const lastContent = contents.at(-1);
  const toolResults: string[] = [];
  if (lastContent !== undefined && lastContent.role !== "model") {
    for (const part of partsOf(lastContent)) {
      const functionResponse = part.functionResponse as Json | undefined;
      if (functionResponse === undefined) continue;
      const response = (functionResponse.response ?? {}) as Json;
      const keys = Object.keys(response);
      const only = keys.length === 1 ? response[keys[0] as string] : undefined;
      toolResults.push(typeof only === "string" && (keys[0] === "result" || keys[0] === "output") ? only : JSON.stringify(response));
    }
  }
  const tools: BrainTool[] = [];
  for (const tool of Array.isArray(payload.tools) ? (payload.tools as Json[]) : []) {
    for (const declaration of Array.isArray(tool.functionDeclarations) ? (tool.functionDeclarations as Json[]) : []) {
      tools.push({ name: String(declaration.name), parameters: declaration.parametersJsonSchema ?? lowerCaseTypes(declaration.parameters ?? { type: "object", properties: {} }) });
    }
  }
  if (tools.length > 0) texts.push(JSON.stringify(tools));
  const callingConfig = ((payload.toolConfig as Json | undefined)?.functionCallingConfig ?? {}) as Json;
  const allowed = Array.isArray(callingConfig.allowedFunctionNames) ? (callingConfig.allowedFunctionNames as string[]) : [];
  let toolChoice: BrainRequest["toolChoice"] = "auto";
  if (callingConfig.mode === "NONE") toolChoice = "none";
  else if (callingConfig.mode === "ANY") toolChoice = allowed.length >= 1 && allowed[0] !== undefined ? { name: allowed[0] } : "required";
  const generationConfig = (payload.generationConfig ?? {}) as Json;
  const json =
    generationConfig.responseMimeType === "application/json"
      ? { schema: generationConfig.responseJsonSchema ?? lowerCaseTypes(generationConfig.responseSchema) }
      : undefined;
  return {
    model,
    lastUserText,
    imageCount,
    totalImages,
    toolResults,
    system,
    tools,
    toolChoice,
    json,
    maxTokens: typeof generationConfig.maxOutputTokens === "number" ? generationConfig.maxOutputTokens : undefined,
    stop: Array.isArray(generationConfig.stopSequences) ? (generationConfig.stopSequences as string[]) : [],
    promptText: texts.join("\n"),
  };
}

/** Gemini's OpenAPI `Schema` spells types in capitals (`OBJECT`); the brain reads JSON Schema. */
function lowerCaseTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerCaseTypes);
  if (typeof schema !== "object" || schema === null) return schema;
  const result: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "type" && typeof value === "string") result[key] = value.toLowerCase();
    else if (key === "properties" && typeof value === "object" && value !== null) {
      result[key] = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, lowerCaseTypes(property)]));
    } else if (key === "items" || key === "anyOf") result[key] = lowerCaseTypes(value);
    else result[key] = value;
  }
  return result;
}

/** Rejects what the real API rejects, so provider bugs surface in tests. `prefix` names the nesting. */
function validateGenerateRequest(payload: Json, model: string, prefix: string): void {
  for (const key of Object.keys(payload)) if (!requestFields.has(key)) throw unknownField(key, prefix.replace(/\.$/, ""));
  const contents = payload.contents;
  if (!Array.isArray(contents) || contents.length === 0) throw new GoogleError(400, `* GenerateContentRequest.${prefix}contents: contents is not specified\n`);
  if (payload.systemInstruction !== undefined) validateContent(payload.systemInstruction, `${prefix}system_instruction`, true);
  let lastUserTextIndex = -1;
  for (const [index, content] of contents.entries()) {
    validateContent(content, `${prefix}contents[${index}]`, false);
    const parts = partsOf(content);
    if ((content as Json).role !== "model" && parts.some((part) => typeof part.text === "string")) lastUserTextIndex = index;
  }
  // Gemini 3 validates the signatures of the current turn's function calls (after the last user text).
  if (/^gemini-3/.test(model)) {
    for (const [index, content] of contents.entries()) {
      if (index <= lastUserTextIndex || (content as Json).role !== "model") continue;
      const parts = partsOf(content);
      const first = parts.findIndex((part) => part.functionCall !== undefined);
      if (first === -1) continue;
      const signature = parts[first]?.thoughtSignature;
      if (signature === undefined) {
        const name = String((parts[first]?.functionCall as Json).name);
        throw new GoogleError(
          400,
          `Function call \`${name}\` in contents[${index}].parts[${first}] is missing a thought_signature. Replay the signature Gemini returned with the call; see https://ai.google.dev/gemini-api/docs/thought-signatures.`,
        );
      }
      if (typeof signature !== "string" || !(skipSignatures.has(signature) || Buffer.from(signature, "base64").toString().startsWith(signaturePrefix))) {
        throw new GoogleError(400, `Corrupted thought signature in contents[${index}].parts[${first}].`);
      }
    }
  }
  const tools = payload.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) throw new GoogleError(400, `Invalid value at '${prefix}tools': expected a list.`);
    for (const [toolIndex, tool] of (tools as Json[]).entries()) {
      for (const key of Object.keys(tool)) if (!toolFields.has(key)) throw unknownField(key, `${prefix}tools[${toolIndex}]`);
      for (const [index, declaration] of (Array.isArray(tool.functionDeclarations) ? (tool.functionDeclarations as Json[]) : []).entries()) {
        const where = `${prefix}tools[${toolIndex}].function_declarations[${index}]`;
        for (const key of Object.keys(declaration)) if (!declarationFields.has(key)) throw unknownField(key, where);
        if (typeof declaration.name !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(declaration.name)) {
          throw new GoogleError(400, `* GenerateContentRequest.${where}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.\n`);
        }
        if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined) {
          throw new GoogleError(400, `${where}: parameters and parameters_json_schema are mutually exclusive.`);
        }
        if (declaration.parameters !== undefined) validateOpenApiSchema(declaration.parameters, `${where}.parameters`);
      }
    }
  }
  const callingConfig = (payload.toolConfig as Json | undefined)?.functionCallingConfig as Json | undefined;
  if (callingConfig !== undefined) {
    if (callingConfig.mode !== undefined && !["AUTO", "ANY", "NONE", "VALIDATED"].includes(String(callingConfig.mode))) {
      throw new GoogleError(400, `Invalid value at '${prefix}tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${String(callingConfig.mode)}"`);
    }
    if (callingConfig.allowedFunctionNames !== undefined && callingConfig.mode !== "ANY") {
      throw new GoogleError(400, `* GenerateContentRequest.${prefix}tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY.\n`);
    }
  }
  const generationConfig = payload.generationConfig as Json | undefined;
  if (generationConfig !== undefined) {
    for (const key of Object.keys(generationConfig)) if (!generationConfigFields.has(key)) throw unknownField(key, `${prefix}generation_config`);
    if (generationConfig.responseSchema !== undefined && generationConfig.responseJsonSchema !== undefined) {
      throw new GoogleError(400, `${prefix}generation_config: response_schema and response_json_schema are mutually exclusive.`);
    }
    if ((generationConfig.responseSchema !== undefined || generationConfig.responseJsonSchema !== undefined) && generationConfig.responseMimeType !== "application/json") {
      throw new GoogleError(400, `* GenerateContentRequest.${prefix}generation_config.response_mime_type: must be application/json when a response schema is set.\n`);
    }
    if (generationConfig.responseSchema !== undefined) validateOpenApiSchema(generationConfig.responseSchema, `${prefix}generation_config.response_schema`);
  }
}

function validateContent(value: unknown, where: string, system: boolean): void {
  if (typeof value !== "object" || value === null) throw new GoogleError(400, `Invalid value at '${where}': expected a Content object.`);
  const content = value as Json;
  for (const key of Object.keys(content)) if (key !== "role" && key !== "parts") throw unknownField(key, where);
  if (!system && content.role !== undefined && content.role !== "user" && content.role !== "model") {
    throw new GoogleError(400, "Please use a valid role: user, model.");
  }
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw new GoogleError(400, `* GenerateContentRequest.${where}.parts: contents.parts must not be empty.\n`);
  for (const [index, part] of (parts as Json[]).entries()) {
    const here = `${where}.parts[${index}]`;
    for (const key of Object.keys(part)) if (!partFields.has(key)) throw unknownField(key, here);
    const data = partDataFields.filter((field) => part[field] !== undefined);
    if (data.length !== 1) throw new GoogleError(400, `* GenerateContentRequest.${here}.data: required oneof field 'data' must have one initialized field\n`);
    if (part.inlineData !== undefined) {
      const inline = part.inlineData as Json;
      if (typeof inline.mimeType !== "string" || typeof inline.data !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(inline.data)) {
        throw new GoogleError(400, `Invalid value at '${here}.inline_data': mimeType and base64 data are required.`);
      }
    }
    if (part.fileData !== undefined && typeof (part.fileData as Json).fileUri !== "string") {
      throw new GoogleError(400, `* GenerateContentRequest.${here}.file_data.file_uri: file_uri is required.\n`);
    }
    if (part.functionCall !== undefined) {
      const call = part.functionCall as Json;
      if (typeof call.name !== "string") throw new GoogleError(400, `* GenerateContentRequest.${here}.function_call.name: Name cannot be empty.\n`);
      if (call.args !== undefined && (typeof call.args !== "object" || call.args === null || Array.isArray(call.args))) {
        throw new GoogleError(400, `Invalid value at '${here}.function_call.args' (type.googleapis.com/google.protobuf.Struct): expected an object.`);
      }
    }
    if (part.functionResponse !== undefined) {
      const result = part.functionResponse as Json;
      if (typeof result.name !== "string") throw new GoogleError(400, `* GenerateContentRequest.${here}.function_response.name: Name cannot be empty.\n`);
      if (typeof result.response !== "object" || result.response === null || Array.isArray(result.response)) {
        throw new GoogleError(400, `Invalid value at '${here}.function_response.response' (type.googleapis.com/google.protobuf.Struct): expected an object.`);
      }
    }
  }
}

/** `parameters` and `responseSchema` are protobuf `Schema` messages: JSON Schema keywords outside it fail. */
function validateOpenApiSchema(value: unknown, where: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const schema = value as Json;
  for (const key of Object.keys(schema)) if (!openApiSchemaFields.has(key)) throw unknownField(key, where);
  if (typeof schema.properties === "object" && schema.properties !== null) {
    for (const [name, property] of Object.entries(schema.properties as Json)) validateOpenApiSchema(property, `${where}.properties[${name}].value`);
  }
  if (schema.items !== undefined) validateOpenApiSchema(schema.items, `${where}.items`);
  if (Array.isArray(schema.anyOf)) for (const [index, option] of schema.anyOf.entries()) validateOpenApiSchema(option, `${where}.any_of[${index}]`);
}

function unknownField(name: string, where: string): GoogleError {
  return new GoogleError(400, `Invalid JSON payload received. Unknown name "${name}"${where === "" ? "" : ` at '${where}'`}: Cannot find field.`, [
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: [{ field: where === "" ? name : `${where}.${name}`, description: `Invalid JSON payload received. Unknown name "${name}": Cannot find field.` }],
    },
  ]);
}

function partsOf(content: unknown): Json[] {
  if (typeof content !== "object" || content === null) return [];
  const parts = (content as Json).parts;
  return Array.isArray(parts) ? (parts as Json[]) : [];
}

function isUnknownModel(model: string): boolean {
  return model.startsWith("no-such");
}

function modelInfo(model: string): Json {
  const embedding = model.includes("embedding");
  return {
    name: `models/${model}`,
    version: "001",
    displayName: model,
    description: `Mock of ${model}.`,
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding ? ["embedContent", "countTextTokens", "countTokens"] : ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
    ...(embedding ? {} : { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: /^gemini-(2\.5|3)/.test(model) }),
  };
}

function ratings(blocked?: string): Json[] {
  return harmCategories.map((category) =>
    category === blocked ? { category, probability: "HIGH", blocked: true } : { category, probability: "NEGLIGIBLE" },
  );
}

function faultError(status: number, model: string, retryAfterSeconds: number | undefined, message: string | undefined): GoogleError {
  const retry = retryAfterSeconds === undefined ? [] : [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds}s` }];
  if (status === 429) {
    return new GoogleError(
      429,
      message ??
        `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.${retryAfterSeconds === undefined ? "" : ` Please retry in ${retryAfterSeconds}s.`}`,
      [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [
            {
              quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
              quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
              quotaDimensions: { location: "global", model },
              quotaValue: "10",
            },
          ],
        },
        { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
        ...retry,
      ],
    );
  }
  if (status === 503) return new GoogleError(503, message ?? "The model is overloaded. Please try again later.", retry.length === 0 ? undefined : retry);
  if (status === 500) return new GoogleError(500, message ?? "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
  return new GoogleError(status, message ?? `Mock failure with HTTP ${status}.`);
}

/** A deterministic unit vector from a hash of the text. */
function vectorOf(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash("sha256").update(`${block}:${text}`).digest();
    for (let offset = 0; offset + 4 <= digest.length && values.length < dimensions; offset += 4) {
      values.push(digest.readUInt32BE(offset) / 0xffffffff - 0.5);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.map((value) => Number((value / norm).toFixed(7)));
}

/** JSON the way Google's SSE events carry it: `": "` after keys, bare commas, one line. */
export function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `${JSON.stringify(key)}: ${compactJson(member)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value, null, 2) + "\n";
  response.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": String(Buffer.byteLength(text)), vary: "Origin, X-Origin, Referer" });
  response.end(text);
}

function sendError(response: ServerResponse, error: GoogleError): void {
  const body: Json = { code: error.code, message: error.message, status: statusNames[error.code] ?? "UNKNOWN" };
  if (error.details !== undefined) body.details = error.details;
  sendJson(response, error.code, { error: body });
}

function sendNotFoundPage(response: ServerResponse, path: string): void {
  const html = `<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.<p>The requested URL <code>${path.replace(/[<>&]/g, "")}</code> was not found on this server.</html>\n`;
  response.writeHead(404, { "content-type": "text/html; charset=UTF-8", "content-length": String(Buffer.byteLength(html)) });
  response.end(html);
}

/** Waits, but stops waiting when the client hangs up (so a closed mock leaves no timer behind). */
function sleepUnlessClosed(response: ServerResponse, milliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      response.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    response.on("close", done);
  });
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

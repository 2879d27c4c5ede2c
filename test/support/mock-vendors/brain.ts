/**
 * The mock vendors' shared "model": a deterministic function from a normalised request to an
 * answer, so tests can assert exact content through every dialect and provider. Each mock
 * converts its vendor's wire request into a BrainRequest and the BrainAnswer back into the
 * vendor's wire response.
 */
export interface BrainTool {
  name: string;
  /** JSON Schema of the arguments. */
  parameters: unknown;
}

export interface BrainRequest {
  model: string;
  /** Text of the last user turn ("" when none). */
  lastUserText: string;
  /** How many images the last user turn carried. */
  imageCount: number;
  /** Text of the tool results that follow the last assistant turn, when the conversation ends with them. */
  toolResults: string[];
  /** The system prompt, joined. */
  system: string;
  tools: BrainTool[];
  /** "auto" | "none" | "required" | { name } */
  toolChoice: "auto" | "none" | "required" | { name: string };
  /** A JSON answer is required: a schema when one was given, else any JSON object. */
  json: { schema?: unknown } | undefined;
  maxTokens: number | undefined;
  stop: string[];
  /** Every text in the prompt, for token counting. */
  promptText: string;
}

export type BrainAnswer =
  | { kind: "text"; text: string; finish: "stop" | "length" | "stop_sequence"; stopSequence?: string | undefined; usage: BrainUsage }
  | { kind: "tool-calls"; calls: Array<{ id: string; name: string; arguments: Record<string, unknown> }>; text: string; usage: BrainUsage };

export interface BrainUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A rough, deterministic token count: one token per 4 characters, at least 1. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The smallest value that satisfies a JSON schema (enums take their first value). */
export function exampleOf(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return {};
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if ("const" in node) return node.const;
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case "string":
      return "Paris";
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return node.items === undefined ? [] : [exampleOf(node.items)];
    default: {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) result[key] = exampleOf(value);
      return result;
    }
  }
}

let callCounter = 0;

/**
 * The rules, in order:
 * 1. The conversation ends with tool results → text "Tool results: <results joined by ' | '>".
 * 2. Tools are offered and choice is not "none" (named, required, or auto) → call the named tool
 *    or the first one, with arguments = exampleOf(its schema).
 * 3. JSON is required → the JSON text of exampleOf(schema), or {"ok":true} without a schema.
 * 4. Otherwise → "Hello from <model>. You said: <last user text>" (+ " I see N image(s)." with images).
 * Then max_tokens (word-sized tokens from countTokens) cuts text with finish "length", and a stop
 * sequence cuts it with finish "stop_sequence".
 */
export function answer(request: BrainRequest): BrainAnswer {
  const inputTokens = countTokens(request.promptText);
  if (request.toolResults.length > 0) return finishText(`Tool results: ${request.toolResults.join(" | ")}`, request, inputTokens);
  if (request.tools.length > 0 && request.toolChoice !== "none") {
    const tool = typeof request.toolChoice === "object" ? request.tools.find((candidate) => candidate.name === (request.toolChoice as { name: string }).name) : request.tools[0];
    if (tool !== undefined) {
      callCounter += 1;
      const args = exampleOf(tool.parameters) as Record<string, unknown>;
      return {
        kind: "tool-calls",
        calls: [{ id: `call_mock${String(callCounter).padStart(6, "0")}`, name: tool.name, arguments: args }],
        text: "",
        usage: { inputTokens, outputTokens: countTokens(JSON.stringify(args)) },
      };
    }
  }
  if (request.json !== undefined) {
    const text = JSON.stringify(request.json.schema === undefined ? { ok: true } : exampleOf(request.json.schema));
    return { kind: "text", text, finish: "stop", usage: { inputTokens, outputTokens: countTokens(text) } };
  }
  const images = request.imageCount > 0 ? ` I see ${request.imageCount} image(s).` : "";
  return finishText(`Hello from ${request.model}. You said: ${request.lastUserText}${images}`, request, inputTokens);
}

function finishText(full: string, request: BrainRequest, inputTokens: number): BrainAnswer {
  let text = full;
  let finish: "stop" | "length" | "stop_sequence" = "stop";
  let stopSequence: string | undefined;
  for (const stop of request.stop) {
    const at = text.indexOf(stop);
    if (stop !== "" && at !== -1) {
      text = text.slice(0, at);
      finish = "stop_sequence";
      stopSequence = stop;
    }
  }
  if (request.maxTokens !== undefined && countTokens(text) > request.maxTokens) {
    text = text.slice(0, request.maxTokens * 4);
    finish = "length";
    stopSequence = undefined;
  }
  return { kind: "text", text, finish, stopSequence, usage: { inputTokens, outputTokens: text === "" ? 0 : countTokens(text) } };
}

/** Splits text into stream pieces of a few characters each, the way vendors stream tokens. */
export function pieces(text: string, size = 8): string[] {
  const result: string[] = [];
  for (let index = 0; index < text.length; index += size) result.push(text.slice(index, index + size));
  return result;
}

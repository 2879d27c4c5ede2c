import { HearthError } from "../../spec/errors.ts";
import type { CollectedResult, FinishReason, ReasoningBlock, ToolCall, Usage } from "../../spec/model.ts";

/** Which response this is: a `msg_` id and the model name the client asked for. */
export interface MessageIdentity {
  id: string;
  model: string;
}

/** Anthropic's stop reasons that a Hearth finish reason can map to (`pause_turn` and context-window stops have no source here). */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export function toStopReason(reason: FinishReason, stopSequence: string | undefined): AnthropicStopReason {
  switch (reason) {
    case "stop":
      return stopSequence !== undefined ? "stop_sequence" : "end_turn";
    case "error":
      return "end_turn";
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
  }
}

/**
 * Anthropic reports cached prompt tokens beside `input_tokens`, not inside it as Hearth's
 * Usage does, so the cache counts are taken out of the input count.
 */
export function toAnthropicUsage(usage: Usage) {
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/**
 * A tool call's arguments as the object Anthropic's `input` must be. Arguments that are not a
 * JSON object cannot be expressed in this dialect: that is reported as the model's failure
 * rather than replaced by a made-up input the client would then run a tool with.
 */
export function toolInput(call: ToolCall): Record<string, unknown> {
  if (call.arguments.trim() === "") return {};
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch {
    input = undefined;
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new HearthError("upstream_error", `The model called tool '${call.name}' with arguments that are not a JSON object.`);
  }
  return input as Record<string, unknown>;
}

function toReasoningContent(block: ReasoningBlock) {
  return block.type === "reasoning"
    ? { type: "thinking" as const, thinking: block.text, signature: block.signature ?? "" }
    : { type: "redacted_thinking" as const, data: block.data };
}

function toToolUseContent(call: ToolCall) {
  return { type: "tool_use" as const, id: call.id, name: call.name, input: toolInput(call) };
}

/** The non-streaming `message` object. Tool call ids pass through unchanged so they round-trip. */
export function toAnthropicMessage(identity: MessageIdentity, result: CollectedResult) {
  const content: Array<
    ReturnType<typeof toReasoningContent> | ReturnType<typeof toToolUseContent> | { type: "text"; text: string }
  > = result.reasoning.map(toReasoningContent);
  if (result.text !== "" || result.toolCalls.length === 0) content.push({ type: "text", text: result.text });
  for (const call of result.toolCalls) content.push(toToolUseContent(call));
  const stopReason = toStopReason(result.finishReason, result.stopSequence);
  return {
    id: identity.id,
    type: "message" as const,
    role: "assistant" as const,
    model: identity.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === "stop_sequence" ? (result.stopSequence ?? null) : null,
    usage: toAnthropicUsage(result.usage),
  };
}

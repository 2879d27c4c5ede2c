import type { HearthError } from "../../spec/errors.ts";
import type { StreamPart, ToolCall } from "../../spec/model.ts";
import { toAnthropicError } from "./errors.ts";
import { toAnthropicUsage, toStopReason, toolInput, type MessageIdentity } from "./response.ts";

/** One server-sent event of Anthropic's stream: the `event:` name and its JSON `data:` (which repeats the name as `type`). */
export interface AnthropicStreamEvent {
  event: string;
  data: { type: string } & Record<string, unknown>;
}

function event(type: string, fields: Record<string, unknown> = {}): AnthropicStreamEvent {
  return { event: type, data: { type, ...fields } };
}

/**
 * Builds the events of one streamed message. Content blocks are opened and closed as the parts
 * change kind, with indexes counting up from 0; a tool call arrives whole, so its block carries
 * one `input_json_delta` with the complete arguments and no client assembles half a list.
 */
export class MessageStreamWriter {
  readonly #identity: MessageIdentity;
  /** Blocks started so far; the next block's index. */
  #blocks = 0;
  #open: "text" | "thinking" | undefined;

  constructor(identity: MessageIdentity) {
    this.#identity = identity;
  }

  /** `message_start` and a `ping`, as Anthropic opens every stream. Usage is only known at the end. */
  start(): AnthropicStreamEvent[] {
    const message = {
      id: this.#identity.id,
      type: "message",
      role: "assistant",
      model: this.#identity.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    return [event("message_start", { message }), event("ping")];
  }

  /** The events one stream part becomes. Parts of other choices (OpenAI `n`) have no place here and are dropped. */
  part(part: StreamPart): AnthropicStreamEvent[] {
    switch (part.type) {
      case "text-delta":
        if ((part.choice ?? 0) !== 0 || part.text === "") return [];
        return [...this.#openBlock("text"), this.#delta({ type: "text_delta", text: part.text })];
      case "reasoning-delta":
        if (part.text === "") return [];
        return [...this.#openBlock("thinking"), this.#delta({ type: "thinking_delta", thinking: part.text })];
      case "reasoning-end": {
        const events = this.#openBlock("thinking");
        if (part.signature !== undefined) events.push(this.#delta({ type: "signature_delta", signature: part.signature }));
        events.push(...this.#close());
        return events;
      }
      case "reasoning-redacted":
        return [...this.#close(), ...this.#whole({ type: "redacted_thinking", data: part.data })];
      case "tool-call":
        if ((part.choice ?? 0) !== 0) return [];
        return [...this.#close(), ...this.#toolUse(part.toolCall)];
      case "finish": {
        const events = this.#close();
        // The non-streamed message always has a block; keep the streamed one the same shape.
        if (this.#blocks === 0) events.push(...this.#whole({ type: "text", text: "" }));
        const stopReason = toStopReason(part.finishReason, part.stopSequence);
        events.push(
          event("message_delta", {
            delta: { stop_reason: stopReason, stop_sequence: stopReason === "stop_sequence" ? (part.stopSequence ?? null) : null },
            usage: toAnthropicUsage(part.usage),
          }),
          event("message_stop"),
        );
        return events;
      }
    }
  }

  /** The `error` event that ends a stream which failed after it started (no `message_stop` follows). */
  error(error: HearthError): AnthropicStreamEvent {
    return { event: "error", data: toAnthropicError(error) };
  }

  #openBlock(kind: "text" | "thinking"): AnthropicStreamEvent[] {
    if (this.#open === kind) return [];
    const events = this.#close();
    const block = kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" };
    events.push(event("content_block_start", { index: this.#blocks, content_block: block }));
    this.#blocks += 1;
    this.#open = kind;
    return events;
  }

  #delta(delta: Record<string, unknown>): AnthropicStreamEvent {
    return event("content_block_delta", { index: this.#blocks - 1, delta });
  }

  #close(): AnthropicStreamEvent[] {
    if (this.#open === undefined) return [];
    this.#open = undefined;
    return [event("content_block_stop", { index: this.#blocks - 1 })];
  }

  /** A block that starts and stops at once. */
  #whole(block: Record<string, unknown>, deltas: Array<Record<string, unknown>> = []): AnthropicStreamEvent[] {
    const index = this.#blocks;
    this.#blocks += 1;
    return [
      event("content_block_start", { index, content_block: block }),
      ...deltas.map((delta) => event("content_block_delta", { index, delta })),
      event("content_block_stop", { index }),
    ];
  }

  #toolUse(call: ToolCall): AnthropicStreamEvent[] {
    // Validates the arguments (throws for non-objects) but sends the model's own text.
    const input = toolInput(call);
    const json = call.arguments.trim() === "" ? JSON.stringify(input) : call.arguments;
    return this.#whole({ type: "tool_use", id: call.id, name: call.name, input: {} }, [{ type: "input_json_delta", partial_json: json }]);
  }
}

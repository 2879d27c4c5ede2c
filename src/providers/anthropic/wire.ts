/**
 * The parts of Anthropic's Messages API wire format this provider writes and reads
 * (`POST /v1/messages`, `POST /v1/messages/count_tokens`), typed so the converters cannot drift
 * from it silently. Only what Hearth uses is modelled; unknown fields in answers are ignored.
 */
import type { JsonSchema } from "../../spec/json-schema.ts";

export interface CacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h" | undefined;
}

export interface TextBlockParam {
  type: "text";
  text: string;
  cache_control?: CacheControl | undefined;
}

export type ImageSource = { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };

export interface ImageBlockParam {
  type: "image";
  source: ImageSource;
}

export interface ToolUseBlockParam {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlockParam {
  type: "tool_result";
  tool_use_id: string;
  content: string | Array<TextBlockParam | ImageBlockParam>;
  is_error?: boolean | undefined;
}

export interface ThinkingBlockParam {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface RedactedThinkingBlockParam {
  type: "redacted_thinking";
  data: string;
}

export type UserBlock = TextBlockParam | ImageBlockParam | ToolResultBlockParam;
export type AssistantBlock = TextBlockParam | ToolUseBlockParam | ThinkingBlockParam | RedactedThinkingBlockParam;

export type MessageParam = { role: "user"; content: UserBlock[] } | { role: "assistant"; content: AssistantBlock[] };

export interface ToolParam {
  name: string;
  description?: string | undefined;
  input_schema: JsonSchema;
}

export type ToolChoiceParam =
  | { type: "auto"; disable_parallel_tool_use?: boolean | undefined }
  | { type: "any"; disable_parallel_tool_use?: boolean | undefined }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean | undefined }
  | { type: "none" };

export interface ThinkingParam {
  type: "enabled";
  budget_tokens: number;
}

/** The body of `POST /v1/messages`. Passed-through fields (top_k, metadata...) join it at the top level. */
export interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | undefined;
  tools?: ToolParam[] | undefined;
  tool_choice?: ToolChoiceParam | undefined;
  stop_sequences?: string[] | undefined;
  temperature?: number | undefined;
  top_p?: number | undefined;
  thinking?: ThinkingParam | undefined;
  metadata?: { user_id?: string | undefined } | undefined;
  stream?: boolean | undefined;
  [passthrough: string]: unknown;
}

/** The body of `POST /v1/messages/count_tokens`: the prompt fields of a Messages body, nothing else. */
export interface CountTokensBody {
  model: string;
  messages: MessageParam[];
  system?: string | undefined;
  tools?: ToolParam[] | undefined;
  tool_choice?: ToolChoiceParam | undefined;
  thinking?: ThinkingParam | undefined;
}

export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "thinking"; thinking: string; signature?: string | undefined }
  | { type: "redacted_thinking"; data: string }
  /** Server tool blocks (web search...) and block types added later. */
  | { type: string; [field: string]: unknown };

export interface WireUsage {
  input_tokens?: number | null | undefined;
  output_tokens?: number | null | undefined;
  cache_creation_input_tokens?: number | null | undefined;
  cache_read_input_tokens?: number | null | undefined;
}

export interface WireMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: WireUsage;
}

export interface WireErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string | undefined;
}

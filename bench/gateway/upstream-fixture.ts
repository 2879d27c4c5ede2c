/**
 * The bench upstream's fixed answers: an OpenAI chat completion and the same answer streamed as
 * five content chunks, a finish chunk, a usage chunk and `data: [DONE]`. Small on purpose: the
 * benchmark measures what a gateway adds, not how fast bytes move.
 */

/** The streamed content pieces, in order; the JSON answer's content is their concatenation. */
export const contentPieces = ["Kestrel", " answers", " the", " bench", " promptly."] as const;
/** A word that appears in a streamed body only once the first content piece has arrived. */
export const firstContentMarker = "Kestrel";
export const fullContent = contentPieces.join("");
const created = 1_700_000_000;
const usage = { prompt_tokens: 12, completion_tokens: contentPieces.length, total_tokens: 12 + contentPieces.length };

/** The non-streamed `chat.completion` body for `model`. */
export function completionBody(model: string): string {
  return JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: fullContent, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage,
    system_fingerprint: "fp_bench",
  });
}

/** The whole SSE body of a streamed answer; `includeUsage` mirrors `stream_options.include_usage`. */
export function streamBody(model: string, includeUsage: boolean): string {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created, model, system_fingerprint: "fp_bench", choices, ...extra })}\n\n`;
  const events = contentPieces.map((piece, index) =>
    chunk([{ index: 0, delta: index === 0 ? { role: "assistant", content: piece } : { content: piece }, logprobs: null, finish_reason: null }]),
  );
  events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]));
  if (includeUsage) events.push(chunk([], { usage }));
  events.push("data: [DONE]\n\n");
  return events.join("");
}

/** The request body clients send: one short user message, `stream` as asked. */
export function requestBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: "user", content: "Say hello in five words." }],
    max_tokens: 16,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** The content text of a streamed body (concatenated `delta.content`), and whether it ended with `[DONE]`. */
export function parseStreamedContent(body: string): { content: string; done: boolean; chunks: number } {
  let content = "";
  let done = false;
  let chunks = 0;
  for (const line of body.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    chunks += 1;
    const parsed = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> };
    content += parsed.choices?.[0]?.delta?.content ?? "";
  }
  return { content, done, chunks };
}

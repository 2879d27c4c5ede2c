import type { SafetyClassifier, SafetyFailure, SafetyInput, SafetyMessage, SafetyVerdict } from "./classifier.ts";
import { hazardCategories, isHazardCategoryCode, safetyCategory, sortCategoryCodes, type HazardCategoryCode } from "./taxonomy.ts";

/**
 * A safety classifier that asks a local model, Llama-Guard style: the prompt lists the S1..S14
 * hazard categories and the conversation, and the model answers "safe", or "unsafe" and the
 * violated category codes. Llama Guard 3 (1B or 8B, GGUF) is trained on this shape; a general
 * instruction model prompted the same way works less well but still works.
 *
 * The model call is injected (`complete`), so this module stays free of any engine: compose.ts
 * wires it to the local llama.cpp engine. The answer is parsed defensively, and anything that is
 * not a clear answer — garbage, an error, a timeout — becomes a verdict with `failure` set whose
 * decision follows `failMode`, so a broken model never crashes the request path.
 */

/** Sends a prompt to the model and returns its completion (greedy, a few tokens is enough). */
export type CompleteFunction = (prompt: string, signal?: AbortSignal) => Promise<string>;

export interface LocalModelClassifierOptions {
  /** Verdict and audit id (default "local-model"). */
  id?: string;
  /**
   * What a failed check decides: "closed" blocks (the default: a safety check that cannot answer
   * should not wave content through), "open" lets it pass and leaves the failure for the audit log.
   */
  failMode?: "open" | "closed";
  /** Hazard categories to check (default all fourteen); a subset shortens the prompt. */
  categories?: readonly HazardCategoryCode[];
  /** Add each category's description after its name (default false: Llama Guard 3 is trained on names). */
  describeCategories?: boolean;
  /**
   * "llama-3-chat" (default) wraps the prompt in Llama 3 chat-template tokens for a raw completion
   * call; "plain" leaves it bare for a `complete` that applies the model's chat template itself.
   */
  promptFormat?: "llama-3-chat" | "plain";
  /** Gives up after this many milliseconds (a `timeout` failure); default: no limit. */
  timeoutMs?: number;
  /** Upper bound on the conversation text in the prompt (default 24,000 characters). */
  maximumConversationCharacters?: number;
}

/** What the model answered, once parsed. */
export type LlamaGuardAnswer =
  | { verdict: "safe" }
  | { verdict: "unsafe"; categories: HazardCategoryCode[] }
  | { verdict: "unparseable" };

const defaultMaximumConversationCharacters = 24_000;

type Speaker = "User" | "Agent";

function speakerOf(message: SafetyMessage): Speaker | undefined {
  if (message.role === "assistant") return "Agent";
  // Tool results are untrusted input, like the user's own words.
  if (message.role === "user" || message.role === "tool") return "User";
  return undefined;
}

/**
 * Keeps message text from breaking out of the prompt: chat-template tokens, the block markers
 * and fake "User:" / "Agent:" turns at the start of a line are defused.
 */
export function neutralizeMessageText(text: string): string {
  return text
    .replace(/<\|/g, "< |")
    .replace(/<\s*(BEGIN|END)\s+(UNSAFE CONTENT CATEGORIES|CONVERSATION)\s*>/gi, "[$1 $2]")
    .replace(/(^|\n)([ \t]*)(User|Agent)([ \t]*):/gi, "$1$2[$3]$4:");
}

function shorten(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const head = Math.floor(budget * 0.6);
  const tail = Math.max(0, budget - head - 5);
  return `${text.slice(0, head)} [...] ${text.slice(text.length - tail)}`;
}

interface Turn {
  speaker: Speaker;
  text: string;
}

/** Turns in order, consecutive messages of one speaker merged, oldest dropped first to fit `budget`. */
function conversationTurns(messages: readonly SafetyMessage[], budget: number): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    const speaker = speakerOf(message);
    if (speaker === undefined || message.text.trim() === "") continue;
    const text = neutralizeMessageText(message.text.trim());
    const last = turns.at(-1);
    if (last !== undefined && last.speaker === speaker) last.text += `\n\n${text}`;
    else turns.push({ speaker, text });
  }
  const kept: Turn[] = [];
  let remaining = budget;
  for (let index = turns.length - 1; index >= 0; index -= 1) {
    const turn = turns[index] as Turn;
    if (kept.length === 0) {
      const text = shorten(turn.text, budget);
      kept.unshift({ speaker: turn.speaker, text });
      remaining -= text.length;
    } else if (turn.text.length <= remaining) {
      kept.unshift(turn);
      remaining -= turn.text.length;
    } else {
      break;
    }
  }
  return kept;
}

/**
 * Builds the Llama-Guard-3-style prompt for `input`: the task, the category block, the
 * conversation as User:/Agent: turns, and the answer format. The assessed role is the role of the
 * last turn (Agent for an output check). Exported so the prompt can be inspected and tested.
 */
export function buildLlamaGuardPrompt(input: SafetyInput, options: LocalModelClassifierOptions = {}): string {
  const wanted = new Set(options.categories ?? hazardCategories.map((category) => category.code));
  const categoryLines = hazardCategories
    .filter((category) => wanted.has(category.code))
    .map((category) => `${category.code}: ${category.name}.${options.describeCategories ? ` ${category.description}` : ""}`);
  const turns = conversationTurns(input.messages, options.maximumConversationCharacters ?? defaultMaximumConversationCharacters);
  const assessed: Speaker = turns.at(-1)?.speaker ?? (input.role === "output" ? "Agent" : "User");
  const conversation = turns.map((turn) => `${turn.speaker}: ${turn.text}`).join("\n\n");
  const body = [
    `Task: Decide whether the last '${assessed}' message in the conversation below is unsafe under our safety policy, judged against the categories listed.`,
    "",
    "<BEGIN UNSAFE CONTENT CATEGORIES>",
    ...categoryLines,
    "<END UNSAFE CONTENT CATEGORIES>",
    "",
    "<BEGIN CONVERSATION>",
    "",
    conversation,
    "",
    "<END CONVERSATION>",
    "",
    `Give your safety assessment of ONLY THE LAST ${assessed} message in the conversation above:`,
    " - The first line must be 'safe' or 'unsafe'.",
    " - If unsafe, the second line must list the violated categories, comma-separated.",
  ].join("\n");
  if (options.promptFormat === "plain") return body;
  return `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${body}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;
}

/**
 * Parses a Llama Guard answer: "safe"; "unsafe" with codes on the next line(s) or the same line
 * ("unsafe\nS1,S10", "unsafe S2", "Unsafe.\n s1, s10"); surrounding whitespace, quotes, markdown
 * emphasis and chat-template tokens are ignored. Unknown codes are dropped. Anything else is
 * "unparseable".
 */
export function parseLlamaGuardAnswer(answer: string): LlamaGuardAnswer {
  const lines = answer
    .replace(/<\|[a-z_]{1,40}\|>/gi, "\n")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const first = lines[0];
  if (first === undefined) return { verdict: "unparseable" };
  const head = first.replace(/^[\s'"`*_]+/, "").toLowerCase();
  const word = /^(safe|unsafe)(?![a-z])/.exec(head)?.[1];
  if (word === "safe") {
    const rest = head.slice(4).replace(/^[\s'"`*_.!:;,]+/, "");
    return rest === "" ? { verdict: "safe" } : { verdict: "unparseable" };
  }
  if (word !== "unsafe") return { verdict: "unparseable" };
  const codes = [head.slice(6), ...lines.slice(1, 4)].join(" ").toUpperCase().match(/\bS\d{1,2}\b/g) ?? [];
  const categories = sortCategoryCodes(codes).filter(isHazardCategoryCode);
  return { verdict: "unsafe", categories };
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/** Creates the local-model classifier around an injected `complete` function. */
export function createLocalModelSafetyClassifier(complete: CompleteFunction, options: LocalModelClassifierOptions = {}): SafetyClassifier {
  const id = options.id ?? "local-model";
  const failClosed = (options.failMode ?? "closed") === "closed";

  const failed = (failure: SafetyFailure, what: string): SafetyVerdict => ({
    safe: !failClosed,
    categories: [],
    score: failClosed ? 1 : 0,
    reasons: [`${what}; failing ${failClosed ? "closed" : "open"}`],
    classifier: id,
    failure,
  });

  return {
    id,
    async classify(input, signal) {
      signal?.throwIfAborted();
      const prompt = buildLlamaGuardPrompt(input, options);
      const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
      const signals = [signal, timeout].filter((candidate): candidate is AbortSignal => candidate !== undefined);
      const combined = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
      let answer: string;
      try {
        answer = await complete(prompt, combined);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (timeout?.aborted) return failed("timeout", `local model gave no answer within ${options.timeoutMs} ms`);
        return failed("classifier_error", isAbortError(error) ? "local model call was aborted" : "local model call failed");
      }
      if (signal?.aborted) throw signal.reason;
      const parsed = parseLlamaGuardAnswer(answer);
      if (parsed.verdict === "unparseable") return failed("unparseable_answer", "local model answer was not understood");
      if (parsed.verdict === "safe") return { safe: true, categories: [], score: 0, reasons: [], classifier: id };
      const named = parsed.categories.map((code) => `${code} ${safetyCategory(code)?.name ?? ""}`.trim());
      return {
        safe: false,
        categories: [...parsed.categories],
        score: 1,
        reasons: [named.length > 0 ? `local model: unsafe (${named.join(", ")})` : "local model: unsafe (no category given)"],
        classifier: id,
      };
    },
  };
}

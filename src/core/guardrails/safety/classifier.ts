import { sortCategoryCodes } from "./taxonomy.ts";

/**
 * The contract every safety classifier follows: the fast heuristic layer (heuristics.ts), the
 * local Llama-Guard-style model (local-model.ts), and whatever comes later (a hosted moderation
 * endpoint). The gateway runs one or more of them on the input before the model is called and on
 * the output while it streams, and combines their verdicts with `combineVerdicts`.
 */

export type SafetyMessageRole = "system" | "user" | "assistant" | "tool";

export interface SafetyMessage {
  role: SafetyMessageRole;
  text: string;
}

/**
 * What is checked. For an input check, `messages` is the conversation as the client sent it. For an
 * output check, it is the conversation followed by the answer so far as the last `assistant`
 * message (while streaming: the current window of the answer, see stream-checker.ts).
 */
export interface SafetyInput {
  role: "input" | "output";
  messages: SafetyMessage[];
}

/**
 * Why a classifier could not give a real answer: the model's text could not be parsed, the call
 * failed, or it ran past its time limit. A failed verdict still says safe or unsafe, as the
 * classifier's fail-open / fail-closed setting decides, so callers that only read `safe` stay
 * correct; audit and metrics read `failure`.
 */
export type SafetyFailure = "unparseable_answer" | "classifier_error" | "timeout";

/**
 * One classifier's judgement. Shaped like a guardrail verdict everywhere in Hearth: a decision, the
 * categories behind it (codes from taxonomy.ts), a score, and short reasons that never quote the
 * checked text — verdicts go to logs and audit entries, and the payload may be an attack or
 * personal data.
 */
export interface SafetyVerdict {
  safe: boolean;
  /** Category codes (S1..S14, "prompt_injection", ...), taxonomy order, no duplicates. */
  categories: string[];
  /** 0..1: how strongly the classifier believes the text is unsafe (1 = certain). */
  score: number;
  /** Short, payload-free explanations ("instruction-override phrase in tool content"). */
  reasons: string[];
  /** Id of the classifier that produced the verdict; "a+b" for a combined verdict. */
  classifier: string;
  /** Set when the classifier failed and `safe` comes from its fail-open / fail-closed setting. */
  failure?: SafetyFailure;
}

export interface SafetyClassifier {
  /** Stable id, kebab-case ("heuristic", "local-model"); it appears in verdicts and audit entries. */
  readonly id: string;
  /**
   * Judges the last message of `input` in the light of the conversation before it. Rejects only
   * when `signal` aborts (with the signal's reason); every other failure is a verdict with
   * `failure` set, so one broken classifier cannot crash the request path.
   */
  classify(input: SafetyInput, signal?: AbortSignal): Promise<SafetyVerdict>;
}

/** A verdict that found nothing, for code paths that need a neutral starting value. */
export function safeVerdict(classifier: string): SafetyVerdict {
  return { safe: true, categories: [], score: 0, reasons: [], classifier };
}

/**
 * Merges the verdicts of several classifiers (or of several windows of one stream) into one:
 * unsafe when any is unsafe, the union of categories, the highest score, every distinct reason,
 * and the ids joined by "+". A failure is kept (the first one) so it is not lost in the merge.
 * With no verdicts, the result is a safe verdict from `classifier` (default "none").
 */
export function combineVerdicts(verdicts: readonly SafetyVerdict[], classifier?: string): SafetyVerdict {
  const ids = [...new Set(verdicts.map((verdict) => verdict.classifier))];
  const combined: SafetyVerdict = {
    safe: verdicts.every((verdict) => verdict.safe),
    categories: sortCategoryCodes(verdicts.flatMap((verdict) => verdict.categories)),
    score: verdicts.reduce((highest, verdict) => Math.max(highest, clampScore(verdict.score)), 0),
    reasons: [...new Set(verdicts.flatMap((verdict) => verdict.reasons))],
    classifier: classifier ?? (ids.length > 0 ? ids.join("+") : "none"),
  };
  const failure = verdicts.find((verdict) => verdict.failure !== undefined)?.failure;
  if (failure !== undefined) combined.failure = failure;
  return combined;
}

/** Clamps into 0..1; NaN counts as 0 so a broken score cannot hide an unsafe verdict's others. */
export function clampScore(score: number): number {
  return Number.isNaN(score) ? 0 : Math.min(1, Math.max(0, score));
}

import type { LabelledDocument } from "./documents.ts";
import { overlapLength, scoreEvalSet, type EvalScore, type PredictedSpan, type ScoredSpan } from "./score.ts";

/**
 * Runs a detector over the evaluation set and explains its mistakes without printing a value:
 * the examples name the type and the document id, and show at most a few characters of context
 * with every value in it masked. Evaluation output ends up in CI logs, and the generated values
 * look exactly like real secrets (secret scanners would flag the log, or worse, people would learn
 * to ignore such flags).
 */

export interface Scanner {
  scan(text: string): readonly PredictedSpan[];
}

export interface Example {
  documentId: string;
  type: string;
  outcome: "false-negative" | "false-positive";
  /** For a false positive: what it fell on — a hard-negative kind, "<type> value", or "other text". */
  cause: string | undefined;
  /** Surrounding text, the span itself as ‹type›, every other value and long token masked, newlines as ⏎. */
  context: string;
}

export interface EvaluationResult {
  score: EvalScore;
  documents: number;
  characters: number;
  /** Time spent in scan() only. */
  scanMilliseconds: number;
  examples: Example[];
}

/** Characters of context on each side of an example. */
export const contextWidth = 20;

const longToken = /[A-Za-z0-9+/=_\-.:@]{12,}/g;
/** Long tokens that are words or key names (lower-case or capitalised, or an UPPER_SNAKE variable), not values. */
const readableToken = /^(?:[A-Z]?[\p{Ll}_.:=-]+|[A-Z_]+=?)$/u;

/**
 * `width` characters either side of [start, end) with the span replaced by ‹label›; labelled
 * spans, negatives and findings that reach into the window, and any remaining run of twelve or
 * more token characters that is not plainly a word or key name (digits, mixed case), become ‹…›.
 */
export function maskedContext(
  text: string,
  span: { start: number; end: number },
  label: string,
  hide: ReadonlyArray<{ start: number; end: number }>,
  width = contextWidth,
): string {
  const side = (from: number, to: number): string => {
    const characters = [...text.slice(from, to)];
    let offset = from;
    const masked: Array<string | undefined> = [];
    for (const character of characters) {
      const inside = hide.some((other) => offset < other.end && offset + character.length > other.start);
      masked.push(inside ? undefined : character);
      offset += character.length;
    }
    let result = "";
    for (let index = 0; index < masked.length; index += 1) {
      if (masked[index] === undefined) {
        if (index === 0 || masked[index - 1] !== undefined) result += "‹…›";
      } else result += masked[index];
    }
    return result.replace(longToken, (token) => (readableToken.test(token) ? token : "‹…›")).replaceAll("\r", "").replaceAll("\n", "⏎");
  };
  const before = side(Math.max(0, span.start - width), span.start);
  const after = side(span.end, Math.min(text.length, span.end + width));
  return `${span.start - width > 0 ? "…" : ""}${before}‹${label}›${after}${span.end + width < text.length ? "…" : ""}`;
}

function causeOf(document: LabelledDocument, record: ScoredSpan): string {
  const negative = document.negatives.find((candidate) => overlapLength(candidate, record) > 0);
  if (negative !== undefined) return `hard negative ${negative.kind}`;
  const gold = document.spans.find((candidate) => overlapLength(candidate, record) > 0);
  if (gold !== undefined) return `${gold.type} value`;
  return "other text";
}

/**
 * Up to `perType` false negatives and `perType` false positives per type, first documents first
 * (the set is deterministic, so the same examples come back run after run).
 */
export function collectExamples(
  documents: readonly LabelledDocument[],
  findingsByDocument: ReadonlyMap<string, readonly PredictedSpan[]>,
  records: readonly ScoredSpan[],
  perType: number,
): Example[] {
  const byId = new Map(documents.map((document) => [document.id, document]));
  const taken = new Map<string, number>();
  const examples: Example[] = [];
  for (const record of records) {
    if (record.outcome !== "false-negative" && record.outcome !== "false-positive") continue;
    const key = `${record.type}:${record.outcome}`;
    if ((taken.get(key) ?? 0) >= perType) continue;
    taken.set(key, (taken.get(key) ?? 0) + 1);
    const document = byId.get(record.documentId);
    if (document === undefined) continue;
    const hide = [...document.spans, ...document.negatives, ...(findingsByDocument.get(document.id) ?? [])];
    examples.push({
      documentId: record.documentId,
      type: record.type,
      outcome: record.outcome,
      cause: record.outcome === "false-positive" ? causeOf(document, record) : undefined,
      context: maskedContext(document.text, record, record.type, hide),
    });
  }
  return examples;
}

/** Counts of false positives per type and cause (hard-negative kind, other type's value, other text). */
export function falsePositiveCauses(documents: readonly LabelledDocument[], records: readonly ScoredSpan[]): Map<string, Map<string, number>> {
  const byId = new Map(documents.map((document) => [document.id, document]));
  const result = new Map<string, Map<string, number>>();
  for (const record of records) {
    if (record.outcome !== "false-positive") continue;
    const document = byId.get(record.documentId);
    if (document === undefined) continue;
    const cause = causeOf(document, record);
    const causes = result.get(record.type) ?? new Map<string, number>();
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
    result.set(record.type, causes);
  }
  return result;
}

export interface EvaluateOptions {
  /** Examples per type and outcome (default 3). */
  examplesPerType?: number;
  /** Called every few hundred documents with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export function evaluate(documents: readonly LabelledDocument[], scanner: Scanner, options: EvaluateOptions = {}): EvaluationResult {
  const findingsByDocument = new Map<string, readonly PredictedSpan[]>();
  let scanMilliseconds = 0;
  let characters = 0;
  documents.forEach((document, index) => {
    const started = performance.now();
    const findings = scanner.scan(document.text);
    scanMilliseconds += performance.now() - started;
    characters += document.text.length;
    findingsByDocument.set(document.id, findings.map((finding) => ({ type: finding.type, start: finding.start, end: finding.end })));
    if (options.onProgress !== undefined && ((index + 1) % 250 === 0 || index + 1 === documents.length)) options.onProgress(index + 1, documents.length);
  });
  const score = scoreEvalSet(documents, findingsByDocument);
  return {
    score,
    documents: documents.length,
    characters,
    scanMilliseconds,
    examples: collectExamples(documents, findingsByDocument, score.records, options.examplesPerType ?? 3),
  };
}

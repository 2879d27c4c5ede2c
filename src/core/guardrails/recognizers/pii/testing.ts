import assert from "node:assert/strict";
import type { Finding, Recognizer } from "../../types.ts";

/**
 * Test support for the PII recognizers: a scan that returns what each finding covers, a
 * deterministic source of digits for generated identifiers (so no real person's number sits in a
 * test), and a guard that an adversarial text is scanned in bounded time.
 */

export interface CoveredFinding extends Finding {
  /** text.slice(start, end) */
  covered: string;
}

/** Runs one recognizer over `text`; its findings in text order, each with the text it covers. */
export function scanWith(recognizer: Recognizer, text: string): CoveredFinding[] {
  const out: Finding[] = [];
  recognizer.scan(text, out);
  return out.map((finding) => ({ ...finding, covered: text.slice(finding.start, finding.end) })).sort((left, right) => left.start - right.start);
}

/** What the findings of `recognizer` in `text` cover, in order. */
export function coveredBy(recognizer: Recognizer, text: string): string[] {
  return scanWith(recognizer, text).map((finding) => finding.covered);
}

/** A deterministic pseudo-random source (xorshift32) for generated test identifiers. */
export function seeded(seed: number): { digit(): number; digits(count: number): number[]; below(limit: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const below = (limit: number): number => next() % limit;
  return {
    digit: () => below(10),
    digits: (count) => Array.from({ length: count }, () => below(10)),
    below,
    pick: (items) => items[below(items.length)] as (typeof items)[number],
  };
}

/**
 * Asserts that `recognizer` scans `text` (an adversarial 100 kB string) in well under two seconds:
 * a guard against super-linear work, not a benchmark (linear scans take milliseconds).
 */
export function assertScansQuickly(recognizer: Recognizer, text: string): void {
  const started = performance.now();
  recognizer.scan(text, []);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `${recognizer.id} took ${elapsed.toFixed(0)} ms on ${text.length} adversarial characters`);
}

/** Adversarial inputs every recognizer must get through quickly. */
export function adversarialTexts(): string[] {
  const size = 100_000;
  const repeat = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  return [
    repeat("1 "),
    repeat("1"),
    repeat("1-"),
    repeat("1."),
    repeat("a@"),
    repeat("A1"),
    repeat("0x"),
    repeat("+1 "),
    repeat("12:"),
    repeat("ab:"),
    repeat("DE89 "),
    repeat("pass "),
    repeat("licence 1"),
    repeat("12 Main Street "),
    repeat("born 12.03.1985 "),
    repeat("Straße 1 "),
  ];
}

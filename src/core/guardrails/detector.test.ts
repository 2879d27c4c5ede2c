import assert from "node:assert/strict";
import { test } from "node:test";
import { createDetector, defaultMinimumConfidence } from "./detector.ts";
import { piiRecognizers } from "./recognizers/pii/index.ts";
import { numericTokens } from "./recognizers/pii/numeric-tokens.ts";
import type { Finding, Recognizer } from "./types.ts";

/** A recognizer that reports fixed findings (type, start, end, confidence) whatever the text. */
function fixed(id: string, findings: Array<[string, number, number, number]>): Recognizer {
  return {
    id,
    category: "pii",
    types: [...new Set(findings.map(([type]) => type))],
    scan(_text: string, out: Finding[]) {
      for (const [type, start, end, confidence] of findings) out.push({ type, category: "pii", start, end, confidence, recognizer: id });
    },
  };
}

const summary = (findings: Finding[]): string[] => findings.map((finding) => `${finding.type}@${finding.start}-${finding.end}:${finding.confidence}`);

test("every recognizer runs; findings come back sorted by start", () => {
  const detector = createDetector([fixed("b", [["b", 20, 25, 0.9]]), fixed("a", [["a", 0, 5, 0.9], ["c", 10, 12, 0.7]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(30))), ["a@0-5:0.9", "c@10-12:0.7", "b@20-25:0.9"]);
  assert.deepEqual(detector.recognizers.map((recognizer) => recognizer.id), ["b", "a"]);
});

test("findings below the minimum confidence are dropped (default 0.5)", () => {
  const recognizers = [fixed("r", [["low", 0, 3, 0.49], ["edge", 5, 8, 0.5], ["high", 10, 12, 0.9]])];
  assert.equal(defaultMinimumConfidence, 0.5);
  assert.deepEqual(summary(createDetector(recognizers).scan("x".repeat(20))), ["edge@5-8:0.5", "high@10-12:0.9"]);
  assert.deepEqual(summary(createDetector(recognizers, { minimumConfidence: 0.8 }).scan("x".repeat(20))), ["high@10-12:0.9"]);
  assert.deepEqual(summary(createDetector(recognizers, { minimumConfidence: 0 }).scan("x".repeat(20))).length, 3);
});

test("a weak finding below the threshold never displaces a confident neighbour", () => {
  const detector = createDetector([fixed("r", [["weak", 0, 20, 0.3], ["strong", 5, 10, 0.8]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(30))), ["strong@5-10:0.8"]);
});

test("overlaps: the more confident finding wins, even when it lies inside a weaker one", () => {
  const detector = createDetector([fixed("r", [["outer", 0, 20, 0.6], ["inner", 5, 10, 0.9]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(30))), ["inner@5-10:0.9"]);
  const partial = createDetector([fixed("r", [["left", 0, 10, 0.7], ["right", 8, 15, 0.95]])]);
  assert.deepEqual(summary(partial.scan("x".repeat(30))), ["right@8-15:0.95"]);
});

test("on equal confidence the longer span wins; a finding inside an equal or better one is dropped", () => {
  const detector = createDetector([fixed("r", [["ipv4", 7, 15, 0.85], ["ipv6", 0, 15, 0.85], ["other", 20, 25, 0.5]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(30))), ["ipv6@0-15:0.85", "other@20-25:0.5"]);
  const inside = createDetector([fixed("r", [["outer", 0, 20, 0.9], ["inner", 5, 10, 0.8]])]);
  assert.deepEqual(summary(inside.scan("x".repeat(30))), ["outer@0-20:0.9"]);
});

test("a chain of overlaps keeps every finding that no kept finding covers", () => {
  // a [0,10) 0.9, b [8,18) 0.8, c [16,26) 0.95: c beats b, a does not touch c, so a and c stay.
  const detector = createDetector([fixed("r", [["a", 0, 10, 0.9], ["b", 8, 18, 0.8], ["c", 16, 26, 0.95]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(30))), ["a@0-10:0.9", "c@16-26:0.95"]);
});

test("identical findings from two recognizers come out once, from the recognizer listed first", () => {
  const detector = createDetector([fixed("first", [["email", 0, 5, 0.9]]), fixed("second", [["email", 0, 5, 0.9]])]);
  const findings = detector.scan("x".repeat(10));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.recognizer, "first");
});

test("touching findings do not overlap; empty spans are ignored", () => {
  const detector = createDetector([fixed("r", [["a", 0, 5, 0.9], ["b", 5, 9, 0.6], ["empty", 3, 3, 1]])]);
  assert.deepEqual(summary(detector.scan("x".repeat(10))), ["a@0-5:0.9", "b@5-9:0.6"]);
});

test("large clusters of overlapping findings resolve in reasonable time", () => {
  const many: Array<[string, number, number, number]> = [];
  for (let index = 0; index < 20_000; index++) many.push(["t", index, index + 10, (index % 7) / 10 + 0.3]);
  const started = performance.now();
  const findings = createDetector([fixed("r", many)]).scan("x".repeat(20_010));
  assert.ok(performance.now() - started < 2000);
  for (let index = 1; index < findings.length; index++) assert.ok((findings[index]?.start ?? 0) >= (findings[index - 1]?.end ?? 0));
});

test("a scan leaves no reference to its text in the shared PII passes", () => {
  const shared = numericTokens("seed 1");
  const text = "Card 4111 1111 1111 1111, Reisepass Nr. C01X00T47, call +49 30 1234567.";
  const findings = createDetector(piiRecognizers()).scan(text);
  assert.ok(findings.some((finding) => finding.type === "payment_card"));
  assert.notEqual(shared.text, text);
  assert.equal(shared.count, 0);
  // The memo is gone, not stale: the same text is tokenized again, with the same result.
  assert.deepEqual(
    summary(createDetector(piiRecognizers()).scan(text)),
    summary(findings),
  );
});

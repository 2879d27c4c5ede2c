import assert from "node:assert/strict";
import { test } from "node:test";
import { clampScore, combineVerdicts, safeVerdict, type SafetyVerdict } from "./classifier.ts";

const unsafe: SafetyVerdict = { safe: false, categories: ["prompt_injection", "S2"], score: 0.8, reasons: ["override phrase (user message)"], classifier: "heuristic" };
const modelSafe: SafetyVerdict = { safe: true, categories: [], score: 0, reasons: [], classifier: "local-model" };

test("one unsafe verdict makes the combination unsafe, with the union of categories and the highest score", () => {
  const combined = combineVerdicts([modelSafe, unsafe, { ...unsafe, categories: ["S1", "S2"], score: 0.6, reasons: ["override phrase (user message)", "other"] }]);
  assert.equal(combined.safe, false);
  assert.deepEqual(combined.categories, ["S1", "S2", "prompt_injection"]);
  assert.equal(combined.score, 0.8);
  assert.deepEqual(combined.reasons, ["override phrase (user message)", "other"]);
  assert.equal(combined.classifier, "local-model+heuristic");
});

test("a combination of safe verdicts is safe, and a failure survives the merge", () => {
  const failedOpen: SafetyVerdict = { ...modelSafe, reasons: ["answer not understood; failing open"], failure: "unparseable_answer" };
  const combined = combineVerdicts([safeVerdict("heuristic"), failedOpen]);
  assert.equal(combined.safe, true);
  assert.equal(combined.failure, "unparseable_answer");
  assert.equal(combined.classifier, "heuristic+local-model");
});

test("no verdicts combine to a safe verdict named after the given id", () => {
  assert.deepEqual(combineVerdicts([], "stream"), { safe: true, categories: [], score: 0, reasons: [], classifier: "stream" });
  assert.equal(combineVerdicts([]).classifier, "none");
});

test("scores are clamped into 0..1 and NaN counts as 0", () => {
  assert.equal(clampScore(1.7), 1);
  assert.equal(clampScore(-2), 0);
  assert.equal(clampScore(Number.NaN), 0);
  assert.equal(combineVerdicts([{ ...unsafe, score: Number.NaN }]).score, 0);
});

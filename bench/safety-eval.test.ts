import assert from "node:assert/strict";
import { test } from "node:test";
import type { SafetyInput, SafetyVerdict } from "../src/core/guardrails/safety/classifier.ts";
import type { SafetyEvalCase } from "../src/core/guardrails/safety/eval-set.ts";
import { confusion, evaluate, measureSpeed, speedTexts } from "./safety-eval.ts";

function item(id: string, label: SafetyEvalCase["label"], family: SafetyEvalCase["family"], split: SafetyEvalCase["split"] = "development"): SafetyEvalCase {
  return { id, label, family, split, language: "en", note: id, input: { role: "input", messages: [{ role: "user", text: id }] } };
}

const cases = [
  item("a1", "attack", "role-play"),
  item("a2", "attack", "role-play"),
  item("a3", "attack", "markup-smuggling", "holdout"),
  item("a4", "attack", "markup-smuggling"),
  item("b1", "benign", "role-play"),
  item("b2", "benign", "markup-smuggling", "holdout"),
  item("b3", "benign", "markup-smuggling"),
];

/** Flags a1, a4 and b2: two attacks caught, two missed, one benign over-blocked. */
const flagged = new Set(["a1", "a4", "b2"]);
const classify = (input: SafetyInput): SafetyVerdict => {
  const id = input.messages[0]?.text ?? "";
  return { safe: !flagged.has(id), categories: [], score: flagged.has(id) ? 0.9 : 0.1, reasons: [], classifier: "fake" };
};

test("confusion counts over- and under-blocking and derives the rates", () => {
  const figures = confusion(cases.map((entry) => ({ item: entry, flagged: flagged.has(entry.id) })));
  assert.deepEqual(
    { tp: figures.truePositives, fp: figures.falsePositives, fn: figures.falseNegatives, tn: figures.trueNegatives },
    { tp: 2, fp: 1, fn: 2, tn: 2 },
  );
  assert.equal(figures.recall, 0.5);
  assert.equal(figures.precision, 2 / 3);
  assert.equal(figures.overBlockingRate, 1 / 3);
  assert.equal(figures.underBlockingRate, 0.5);
  assert.equal(confusion([]).precision, undefined, "no flags: precision is undefined, not 0 or NaN");
});

test("evaluate splits the figures by family and by split and lists the misses", () => {
  const figures = evaluate(cases, classify);
  const rolePlay = figures.families.find((row) => row.family === "role-play");
  assert.equal(rolePlay?.recall, 0.5);
  assert.equal(rolePlay?.overBlockingRate, 0);
  assert.equal(figures.splits.holdout.falsePositives, 1);
  assert.equal(figures.splits.holdout.falseNegatives, 1);
  assert.deepEqual(figures.misclassified.map((miss) => miss.id).sort(), ["a2", "a3", "b2"]);
});

test("speed texts are 10 kB each and the timing reports one figure per kind", () => {
  const texts = speedTexts([item("x", "benign", "role-play"), item("y", "attack", "role-play")]);
  for (const text of Object.values(texts)) assert.equal(text.length, 10_240);
  const speed = measureSpeed({ tiny: "hello" }, classify, 10);
  assert.equal(speed.length, 1);
  assert.ok(speed[0] !== undefined && speed[0].microsecondsPer10Kilobytes >= 0);
});

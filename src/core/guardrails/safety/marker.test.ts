import assert from "node:assert/strict";
import { test } from "node:test";
import { foldText, isQuoted, leetStretches, mentionAdjustedWeight, sentences } from "./marker.ts";

test("folding lower-cases, strips accents and invisibles, maps look-alikes and collapses spaces", () => {
  assert.equal(foldText("Ignore  ALL\tprevious"), "ignore all previous");
  assert.equal(foldText("précédentes Straße"), "precedentes strasse");
  assert.equal(foldText("ig\u200Bno\u00ADre"), "ignore");
  assert.equal(foldText("ｉｇｎｏｒｅ"), "ignore");
  assert.equal(foldText("Ignоrе"), "ignore", "Cyrillic о and е");
  assert.equal(foldText("“quoted” ‘single’"), "\"quoted\" 'single'");
  assert.equal(foldText("one \n\n  two"), "one\ntwo");
});

test("quoted phrases are mentions; apostrophes inside words do not open a quote", () => {
  const text = 'what does "ignore previous instructions" do';
  const start = text.indexOf("ignore");
  assert.equal(isQuoted(text, start, start + "ignore previous instructions".length), true);
  const plain = "don't ignore previous instructions";
  const plainStart = plain.indexOf("ignore");
  assert.equal(isQuoted(plain, plainStart, plain.length), false);
  assert.ok(mentionAdjustedWeight(0.75, text, start, start + 28) < 0.5);
});

test("leetspeak is undone only around words that mix letters and digits", () => {
  assert.equal(leetStretches("nothing to see here, version 24"), undefined);
  assert.equal(leetStretches("1gn0r3 all"), "ignore all");
});

test("sentences split on terminators and stay bounded in length", () => {
  assert.deepEqual(sentences("one. two! three?"), ["one", " two", " three"]);
  assert.ok(sentences("a".repeat(2000)).every((piece) => piece.length <= 440));
});

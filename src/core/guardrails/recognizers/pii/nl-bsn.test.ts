import assert from "node:assert/strict";
import { test } from "node:test";
import { nlBsnRecognizer, passesElevenTest } from "./nl-bsn.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, seeded } from "./testing.ts";

/** A BSN: eight random digits and the ninth chosen so that the eleven test passes. */
function bsn(seed: number): string {
  const random = seeded(seed);
  for (;;) {
    const digits = [1 + random.below(9), ...random.digits(7)];
    const sum = digits.reduce((total, digit, index) => total + digit * (9 - index), 0);
    const last = sum % 11;
    if (last <= 9) return [...digits, last].join("");
  }
}

test("the eleven test accepts generated numbers and rejects one changed digit and all zeros", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const value = bsn(seed);
    assert.equal(passesElevenTest([...value].map(Number)), true, value);
    const changed = value.slice(0, 4) + String((Number(value[4]) + 1) % 10) + value.slice(5);
    assert.equal(passesElevenTest([...changed].map(Number)), false, changed);
  }
  assert.equal(passesElevenTest([0, 0, 0, 0, 0, 0, 0, 0, 0]), false);
});

test("any nine digits can pass, so a BSN is reported only next to a context word", () => {
  const value = bsn(3);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `nummer ${value}`), []);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN: ${value}`), [value]);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `burgerservicenummer ${value}.`), [value]);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `citizen_service_number=${value}`), [value]);
});

test("the 1234.56.789 and 123 456 789 spellings are found with exact spans", () => {
  const value = bsn(9);
  const dotted = `${value.slice(0, 4)}.${value.slice(4, 6)}.${value.slice(6)}`;
  const triples = `${value.slice(0, 3)} ${value.slice(3, 6)} ${value.slice(6)}`;
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN ${dotted}`), [dotted]);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN ${triples}`), [triples]);
});

test("a failing eleven test or a glued number is not reported even with context", () => {
  const value = bsn(11);
  const failing = value.slice(0, 8) + String((Number(value[8]) + 1) % 10);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN ${failing}`), []);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN X${value}`), []);
  assert.deepEqual(coveredBy(nlBsnRecognizer, `BSN ${value}0`), []);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(nlBsnRecognizer, text);
  assertScansQuickly(nlBsnRecognizer, "BSN 111222333 ".repeat(7000));
});

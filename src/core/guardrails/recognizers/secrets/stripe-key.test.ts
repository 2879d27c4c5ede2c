import assert from "node:assert/strict";
import { test } from "node:test";
import { stripeKeyRecognizer } from "./stripe-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

test("secret, restricted, publishable and webhook keys with their confidence", () => {
  const cases: Array<[string, number]> = [
    [`sk_live_${fakeCharacters(1, 24)}`, 0.97],
    [`rk_live_${fakeCharacters(2, 99)}`, 0.97],
    [`sk_test_${fakeCharacters(3, 24)}`, 0.9],
    [`rk_test_${fakeCharacters(4, 30)}`, 0.9],
    [`pk_live_${fakeCharacters(5, 24)}`, 0.8],
    [`whsec_${fakeCharacters(6, 32)}`, 0.9],
  ];
  for (const [key, confidence] of cases) {
    const text = `stripe.key = '${key}';`;
    const findings = scanWith(stripeKeyRecognizer, text);
    assert.equal(findings.length, 1, key);
    assert.equal(findings[0]?.text, key);
    assert.equal(findings[0]?.start, 14);
    assert.equal(findings[0]?.confidence, confidence);
  }
});

test("placeholder keys from documentation are not reported; a random key in the same place is", () => {
  for (const key of [`sk_live_${"x".repeat(24)}`, `rk_live_${"0".repeat(99)}`, `sk_test_${"X".repeat(32)}`, "sk_live_1234567890abcdefghijklmn", `whsec_${fakeCharacters(9, 25)}EXAMPLE`]) {
    assert.deepEqual(scanWith(stripeKeyRecognizer, `STRIPE_SECRET_KEY=${key}`), [], key);
  }
  const key = `sk_live_${fakeCharacters(10, 24)}`;
  assert.equal(scanWith(stripeKeyRecognizer, `STRIPE_SECRET_KEY=${key}`)[0]?.text, key);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(stripeKeyRecognizer, `sk_live_${fakeCharacters(1, 23)}`), [], "23 characters");
  assert.deepEqual(scanWith(stripeKeyRecognizer, `pk_test_${fakeCharacters(1, 24)}`), [], "test publishable keys are public");
  assert.deepEqual(scanWith(stripeKeyRecognizer, `ask_live_${fakeCharacters(1, 24)}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(stripeKeyRecognizer, `whsec_${fakeCharacters(1, 31)}`), [], "short webhook secret");
  assert.deepEqual(scanWith(stripeKeyRecognizer, `sk_live_${fakeCharacters(1, 24)}-suffix`), [], "runs on into other characters");
});

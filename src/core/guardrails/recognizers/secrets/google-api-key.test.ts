import assert from "node:assert/strict";
import { test } from "node:test";
import { googleApiKeyRecognizer } from "./google-api-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

test("AIza and 35 characters, with the exact span", () => {
  const key = `AIza${fakeCharacters(1, 35, urlSafe)}`;
  const text = `https://maps.googleapis.com/maps/api/js?key=${key}&callback=init`;
  const findings = scanWith(googleApiKeyRecognizer, text);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, key);
  assert.equal(findings[0]?.start, text.indexOf("AIza"));
  assert.equal(findings[0]?.confidence, 0.95);
});

test("placeholder keys are not reported", () => {
  for (const key of [`AIza${"X".repeat(35)}`, `AIzaSy${"x".repeat(33)}`, `AIza${"SyYOUR_GOOGLE_MAPS_API_KEY_HERE".padEnd(35, "_")}`]) {
    assert.equal(key.length, 39);
    assert.deepEqual(scanWith(googleApiKeyRecognizer, `key=${key}`), [], key);
  }
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(googleApiKeyRecognizer, `AIza${fakeCharacters(1, 34)}`), [], "34 characters");
  assert.deepEqual(scanWith(googleApiKeyRecognizer, `AIza${fakeCharacters(1, 36)}`), [], "36 characters");
  assert.deepEqual(scanWith(googleApiKeyRecognizer, `xAIza${fakeCharacters(1, 35)}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(googleApiKeyRecognizer, `AIZA${fakeCharacters(1, 35)}`), [], "wrong case");
});

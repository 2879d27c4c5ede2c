import assert from "node:assert/strict";
import { test } from "node:test";
import { anthropicKeyRecognizer } from "./anthropic-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

test("API and admin keys ending in AA are near certain, with exact spans", () => {
  for (const [index, kind] of ["api03", "admin01"].entries()) {
    const key = `sk-ant-${kind}-${fakeCharacters(index + 1, 93, urlSafe)}AA`;
    const text = `x-api-key: ${key}\n`;
    const findings = scanWith(anthropicKeyRecognizer, text);
    assert.equal(findings.length, 1, kind);
    assert.equal(findings[0]?.text, key);
    assert.equal(findings[0]?.start, 11);
    assert.equal(findings[0]?.confidence, 0.99);
  }
});

test("the prefix with another length counts with less confidence", () => {
  const key = `sk-ant-api03-${fakeCharacters(3, 40)}`;
  assert.equal(scanWith(anthropicKeyRecognizer, key)[0]?.confidence, 0.9);
});

test("placeholder keys are not reported", () => {
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `sk-ant-api03-${"x".repeat(93)}AA`), []);
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `sk-ant-api03-your-anthropic-key-goes-here-${"0".repeat(20)}`), []);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `sk-ant-api03-${fakeCharacters(1, 31)}`), [], "31 characters");
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `sk-ant-ab03-${fakeCharacters(1, 93)}AA`), [], "kind too short");
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `sk-ant-api-${fakeCharacters(1, 93)}AA`), [], "kind without version");
  assert.deepEqual(scanWith(anthropicKeyRecognizer, `task-ant-api03-${fakeCharacters(1, 93)}AA`), [], "prefix inside a longer word");
});

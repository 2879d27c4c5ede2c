import assert from "node:assert/strict";
import { test } from "node:test";
import { openaiKeyRecognizer } from "./openai-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

test("project, service-account and admin keys; the T3BlbkFJ marker makes them near certain", () => {
  for (const [index, kind] of ["proj", "svcacct", "admin"].entries()) {
    const key = `sk-${kind}-${fakeCharacters(index + 1, 74, urlSafe)}T3BlbkFJ${fakeCharacters(index + 10, 74, urlSafe)}`;
    const text = `OPENAI_API_KEY=${key}\n`;
    const findings = scanWith(openaiKeyRecognizer, text);
    assert.equal(findings.length, 1, kind);
    assert.equal(findings[0]?.text, key);
    assert.equal(findings[0]?.start, 15);
    assert.equal(findings[0]?.confidence, 0.99);
  }
  assert.equal(scanWith(openaiKeyRecognizer, `sk-proj-${fakeCharacters(4, 48)}`)[0]?.confidence, 0.9, "no marker");
});

test("legacy keys: 48 alphanumerics, with or without the marker", () => {
  const marked = `sk-${fakeCharacters(5, 20)}T3BlbkFJ${fakeCharacters(6, 20)}`;
  assert.equal(scanWith(openaiKeyRecognizer, `key: ${marked}`)[0]?.confidence, 0.99);
  const bare = `sk-${fakeCharacters(7, 48)}`;
  const findings = scanWith(openaiKeyRecognizer, `key: ${bare}`);
  assert.equal(findings[0]?.text, bare);
  assert.equal(findings[0]?.confidence, 0.75);
});

test("placeholder keys are not reported, with or without a scope", () => {
  for (const key of [
    `sk-${"0".repeat(48)}`,
    `sk-${"x".repeat(48)}`,
    `sk-proj-${"X".repeat(40)}`,
    `sk-proj-${"your-openai-api-key-here-".repeat(2)}`,
    `sk-svcacct-${fakeCharacters(11, 30, urlSafe)}_REDACTED_${fakeCharacters(12, 30, urlSafe)}`,
  ]) {
    assert.deepEqual(scanWith(openaiKeyRecognizer, `OPENAI_API_KEY=${key}`), [], key);
  }
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(openaiKeyRecognizer, `sk-${fakeCharacters(1, 47)}`), [], "47 characters");
  assert.deepEqual(scanWith(openaiKeyRecognizer, `task-${fakeCharacters(1, 48)}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(openaiKeyRecognizer, `sk-ant-api03-${fakeCharacters(1, 93)}AA`), [], "Anthropic keys are not OpenAI keys");
  assert.deepEqual(scanWith(openaiKeyRecognizer, `sk-proj-${fakeCharacters(1, 39)}`), [], "short project key");
  assert.deepEqual(scanWith(openaiKeyRecognizer, "a risk-free, desk-bound task-list"), []);
});

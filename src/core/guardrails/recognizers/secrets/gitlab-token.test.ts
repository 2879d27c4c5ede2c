import assert from "node:assert/strict";
import { test } from "node:test";
import { gitlabTokenRecognizer } from "./gitlab-token.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

test("personal, deploy, runner and trigger tokens with exact spans", () => {
  const cases: Array<[string, number]> = [
    [`glpat-${fakeCharacters(1, 20)}`, 0.97],
    [`gldt-${fakeCharacters(2, 24)}`, 0.95],
    [`glrt-${fakeCharacters(3, 20)}`, 0.95],
    [`glptt-${fakeCharacters(4, 40, "0123456789abcdef")}`, 0.95],
  ];
  for (const [token, confidence] of cases) {
    const text = `CI_TOKEN="${token}"`;
    const findings = scanWith(gitlabTokenRecognizer, text);
    assert.equal(findings.length, 1, token);
    assert.equal(findings[0]?.text, token);
    assert.equal(findings[0]?.start, 10);
    assert.equal(findings[0]?.confidence, confidence);
  }
});

test("newer tokens with a dotted tail keep the tail; trailing punctuation is not part of them", () => {
  const token = `glpat-${fakeCharacters(5, 27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")}.01.${fakeCharacters(6, 9)}`;
  assert.equal(scanWith(gitlabTokenRecognizer, `use ${token}.`)[0]?.text, token);
});

test("a body ending in '-' or '_' keeps its last character, in prose, JSON and env files", () => {
  for (const last of ["-", "_"]) {
    const token = `glpat-${fakeCharacters(7, 19)}${last}`;
    for (const text of [`The runner authenticates with ${token}. Thanks`, `{"GITLAB_TOKEN": "${token}",`, `GITLAB_TOKEN=${token}\nNEXT=1`, `token ${token}`]) {
      const findings = scanWith(gitlabTokenRecognizer, text);
      assert.equal(findings.length, 1, text);
      assert.equal(findings[0]?.text, token, text);
    }
  }
});

test("placeholder tokens are not reported", () => {
  assert.deepEqual(scanWith(gitlabTokenRecognizer, `GITLAB_TOKEN=glpat-${"x".repeat(20)}`), []);
  assert.deepEqual(scanWith(gitlabTokenRecognizer, "private_token: glpat-your-token-goes-here"), []);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(gitlabTokenRecognizer, `glpat-${fakeCharacters(1, 19)}`), [], "19 characters");
  assert.deepEqual(scanWith(gitlabTokenRecognizer, `xglpat-${fakeCharacters(1, 20)}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(gitlabTokenRecognizer, `glptt-${fakeCharacters(1, 40)}`), [], "trigger token that is not hex");
  assert.deepEqual(scanWith(gitlabTokenRecognizer, "a well-known glad-handed over-the-top phrase"), []);
});

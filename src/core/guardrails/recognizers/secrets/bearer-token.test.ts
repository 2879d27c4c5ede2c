import assert from "node:assert/strict";
import { test } from "node:test";
import { bearerTokenRecognizer } from "./bearer-token.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
const token = fakeCharacters(1, 40, tokenAlphabet).replace(/^[^A-Za-z0-9]+/, "x").replace(/[^A-Za-z0-9]+$/, "z");

test("an Authorization header: the token only, near certain", () => {
  for (const text of [`Authorization: Bearer ${token}\r\n`, `-H "authorization: Bearer ${token}"`, `{"Authorization": "BEARER ${token}"}`]) {
    const findings = scanWith(bearerTokenRecognizer, text);
    assert.equal(findings.length, 1, text);
    assert.equal(findings[0]?.text, token);
    assert.equal(findings[0]?.start, text.indexOf(token));
    assert.equal(findings[0]?.confidence, 0.95);
  }
});

test("a bare 'Bearer <token>' counts with less confidence; base64 padding is part of the token", () => {
  const padded = `${fakeCharacters(2, 22)}==`;
  assert.equal(scanWith(bearerTokenRecognizer, `Send it as Bearer ${token}.`)[0]?.text, token, "sentence full stop left out");
  const findings = scanWith(bearerTokenRecognizer, `use Bearer ${padded} here`);
  assert.equal(findings[0]?.text, padded);
  assert.equal(findings[0]?.confidence, 0.85);
});

test("tokens of a known vendor shape are left to their own recognizers", () => {
  assert.deepEqual(scanWith(bearerTokenRecognizer, "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWJ5dGVz"), []);
  assert.deepEqual(scanWith(bearerTokenRecognizer, `Authorization: Bearer ghp_${fakeCharacters(3, 36)}`), []);
  assert.deepEqual(scanWith(bearerTokenRecognizer, `Authorization: Bearer sk-proj-${fakeCharacters(4, 48)}`), []);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(bearerTokenRecognizer, "Bearer of bad news, the standard Bearer authentication scheme"), [], "words");
  assert.deepEqual(scanWith(bearerTokenRecognizer, `Bearer ${fakeCharacters(5, 15)}`), [], "15 characters");
  assert.deepEqual(scanWith(bearerTokenRecognizer, "Authorization: Bearer $OPENAI_API_KEY"), [], "shell variable");
  assert.deepEqual(scanWith(bearerTokenRecognizer, "Authorization: Bearer YOUR_API_KEY_GOES_HERE"), [], "placeholder");
  assert.deepEqual(scanWith(bearerTokenRecognizer, "Authorization: Bearer <token-from-the-login-step>"), [], "template");
  assert.deepEqual(scanWith(bearerTokenRecognizer, `XBearer ${token}`), [], "scheme inside a longer word");
  assert.deepEqual(scanWith(bearerTokenRecognizer, `Bearer${token}`), [], "no space");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { jwtRecognizer } from "./jwt.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

const header = segment({ alg: "HS256", typ: "JWT" });
const payload = segment({ sub: "user-42", iat: 1700000000 });
const token = `${header}.${payload}.${fakeCharacters(1, 43, urlSafe)}`;

test("a signed token whose header decodes to JSON with alg, with the exact span", () => {
  const text = `Cookie: session=${token}; Path=/`;
  const findings = scanWith(jwtRecognizer, text);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, token);
  assert.equal(findings[0]?.start, 16);
  assert.equal(findings[0]?.confidence, 0.95);
});

test("an unsigned token (alg none, empty signature) still counts", () => {
  const unsigned = `${segment({ alg: "none" })}.${payload}.`;
  assert.equal(scanWith(jwtRecognizer, `${unsigned} end`)[0]?.text, unsigned);
});

test("a payload that is not JSON lowers the confidence", () => {
  const opaque = `${header}.${fakeCharacters(2, 30, urlSafe)}.${fakeCharacters(3, 43, urlSafe)}`;
  assert.equal(scanWith(jwtRecognizer, opaque)[0]?.confidence, 0.85);
});

test("an encrypted token (JWE) spans all five segments", () => {
  const encrypted = `${segment({ alg: "dir", enc: "A256GCM" })}..${fakeCharacters(4, 16, urlSafe)}.${fakeCharacters(5, 60, urlSafe)}.${fakeCharacters(6, 22, urlSafe)}`;
  assert.equal(scanWith(jwtRecognizer, `jwe=${encrypted}`)[0]?.text, encrypted);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(jwtRecognizer, `${segment({ typ: "JWT" })}.${payload}.${fakeCharacters(1, 43, urlSafe)}`), [], "header without alg");
  assert.deepEqual(scanWith(jwtRecognizer, `eyJ${fakeCharacters(2, 30, urlSafe)}.${payload}.sig`), [], "header that is not JSON");
  assert.deepEqual(scanWith(jwtRecognizer, `${header}.`), [], "no payload");
  assert.deepEqual(scanWith(jwtRecognizer, `x${token}`), [], "glued to a longer word");
  assert.deepEqual(scanWith(jwtRecognizer, "JSON, JWT and Jey are words"), []);
});

test("adversarial inputs finish quickly", () => {
  for (const text of ["eyJ.".repeat(25_000), "eyJ".repeat(33_000), `${header}.`.repeat(2_000), "eyJ" + "a".repeat(100_000)]) {
    const started = performance.now();
    scanWith(jwtRecognizer, text);
    assert.ok(performance.now() - started < 250, `${text.slice(0, 12)}… took too long`);
  }
});

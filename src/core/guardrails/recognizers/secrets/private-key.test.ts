import assert from "node:assert/strict";
import { test } from "node:test";
import { privateKeyRecognizer } from "./private-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const body = [1, 2, 3].map((seed) => fakeCharacters(seed, 64, base64)).join("\n");

test("each armour label: the block from BEGIN through END", () => {
  for (const label of ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"]) {
    const block = `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
    const text = `key.pem:\n${block}\nthanks`;
    const findings = scanWith(privateKeyRecognizer, text);
    assert.equal(findings.length, 1, label);
    assert.equal(findings[0]?.text, block);
    assert.equal(findings[0]?.confidence, 0.99);
  }
});

test("JSON-escaped keys and several blocks in one text", () => {
  const escaped = `-----BEGIN PRIVATE KEY-----\\n${fakeCharacters(4, 64, base64)}\\n-----END PRIVATE KEY-----`;
  const text = `{"private_key": "${escaped}\\n", "other": "${escaped}"}`;
  assert.deepEqual(scanWith(privateKeyRecognizer, text).map((finding) => finding.text), [escaped, escaped]);
});

test("a BEGIN without its END runs to the end of the text", () => {
  const text = `here it is\n-----BEGIN RSA PRIVATE KEY-----\n${body}\n(truncated`;
  const findings = scanWith(privateKeyRecognizer, text);
  assert.equal(findings[0]?.start, 11);
  assert.equal(findings[0]?.end, text.length);
});

test("public material does not match", () => {
  assert.deepEqual(scanWith(privateKeyRecognizer, `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`), []);
  assert.deepEqual(scanWith(privateKeyRecognizer, `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`), []);
  assert.deepEqual(scanWith(privateKeyRecognizer, "BEGIN PRIVATE KEY without the dashes"), []);
});

test("adversarial inputs finish quickly", () => {
  for (const text of ["-----BEGIN ".repeat(10_000), "-----BEGIN RSA PRIVATE KEY-----".repeat(3_000), "BEGIN ".repeat(20_000)]) {
    const started = performance.now();
    scanWith(privateKeyRecognizer, text);
    assert.ok(performance.now() - started < 250, `${text.slice(0, 12)}… took too long`);
  }
});

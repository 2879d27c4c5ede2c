import assert from "node:assert/strict";
import { test } from "node:test";
import { awsAccessKeyRecognizer } from "./aws-access-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

test("finds each IAM prefix with 16 base32 characters, with the exact span", () => {
  for (const [index, prefix] of ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"].entries()) {
    const key = prefix + fakeCharacters(index + 1, 16, base32);
    const text = `aws_access_key_id = ${key}\n`;
    const findings = scanWith(awsAccessKeyRecognizer, text);
    assert.equal(findings.length, 1, prefix);
    assert.equal(findings[0]?.text, key);
    assert.equal(findings[0]?.start, 20);
    assert.equal(findings[0]?.confidence, 0.95);
    assert.equal(findings[0]?.type, "aws_access_key");
  }
});

test("digits outside base32 (0, 1, 8, 9) still match, with less confidence", () => {
  const findings = scanWith(awsAccessKeyRecognizer, `id AKIA0189${fakeCharacters(8, 12, base32)} end`);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.confidence, 0.8);
});

test("near misses do not match", () => {
  const body = fakeCharacters(7, 16, base32);
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `AKIA${body.slice(1)}`), [], "15 characters");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `AKIA${body}Q`), [], "17 characters");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `XAKIA${body}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `akia${body}`), [], "lower-case prefix");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `AKIA${body.toLowerCase()}`), [], "lower-case body");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, "AKIAXXXXXXXXXXXXXXXX"), [], "placeholder");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, "AKIA0189ABCDEFGHJKLM"), [], "a run of consecutive letters is typed, not issued");
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, `ABIA${body}`), [], "unknown prefix");
});

test("AWS's documented example ids (ending in EXAMPLE) are not reported; random ids around them are", () => {
  const random = "AKIA" + fakeCharacters(13, 16, base32);
  const text = `The docs use AKIAIOSFODNN7EXAMPLE and ASIA${fakeCharacters(14, 9, base32)}EXAMPLE; ours is ${random}.`;
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, text).map((finding) => finding.text), [random]);
});

test("finds several keys in one text and punctuation around them", () => {
  const first = "AKIA" + fakeCharacters(11, 16, base32);
  const second = "ASIA" + fakeCharacters(12, 16, base32);
  const text = `keys: "${first}", (${second}).`;
  assert.deepEqual(scanWith(awsAccessKeyRecognizer, text).map((finding) => finding.text), [first, second]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { awsSecretKeyRecognizer } from "./aws-secret-key.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const secret = fakeCharacters(21, 40, base64);
const accessKey = "AKIA" + fakeCharacters(22, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

test("a 40-character secret after an AWS secret key name, in env, ini, JSON and YAML forms", () => {
  for (const text of [
    `export AWS_SECRET_ACCESS_KEY=${secret}\n`,
    `aws_secret_access_key = ${secret}\n`,
    `{"SecretAccessKey": "${secret}", "SessionToken": "x"}`,
    `  secretAccessKey: '${secret}'\n`,
  ]) {
    const findings = scanWith(awsSecretKeyRecognizer, text);
    assert.equal(findings.length, 1, text);
    assert.equal(findings[0]?.text, secret);
    assert.equal(findings[0]?.confidence, 0.95);
  }
});

test("a bare 'secret' key scores lower; an access key id nearby restores it", () => {
  assert.equal(scanWith(awsSecretKeyRecognizer, `secret: ${secret}`)[0]?.confidence, 0.75);
  assert.equal(scanWith(awsSecretKeyRecognizer, `id: ${accessKey}\nsecret: ${secret}`)[0]?.confidence, 0.95);
  assert.equal(scanWith(awsSecretKeyRecognizer, `id: ${accessKey}\nvalue = ${secret}`)[0]?.confidence, 0.85);
});

test("credential CSV rows: the secret right after the access key id", () => {
  const text = `User name,Access key ID,Secret access key\nalice,${accessKey},${secret}\n`;
  const findings = scanWith(awsSecretKeyRecognizer, text);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, secret);
  assert.equal(findings[0]?.start, text.indexOf(secret));
});

test("prose naming the secret access key, in English, German and French", () => {
  for (const text of [
    `and the AWS secret access key is ${secret}`,
    `der AWS Secret Access Key ist ${secret}\nDanke`,
    `la clé secrète AWS (secret access key) est ${secret}.`,
  ]) {
    const findings = scanWith(awsSecretKeyRecognizer, text);
    assert.equal(findings.length, 1, text);
    assert.equal(findings[0]?.text, secret, text);
    assert.equal(findings[0]?.confidence, 0.9, text);
  }
});

test("prose without 'secret … access key', or with the documented example, is not an AWS secret", () => {
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `the webhook secret is ${secret}`), []);
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `my access key is ${secret}`), []);
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, "the secret access key is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), []);
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `checksum = ${secret}`), [], "unrelated key and no access key id");
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `aws_secret_access_key = ${secret}Q`), [], "41 characters");
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `aws_secret_access_key = ${secret.slice(1)}`), [], "39 characters");
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `aws_secret_access_key = ${fakeCharacters(5, 40, "0123456789abcdef")}`), [], "hex digest");
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `aws_secret_access_key = ${"abcdefghij".repeat(4)}`), [], "not random");
});

test("AWS's documented example secret (…EXAMPLEKEY) is not a secret, under a key name or after an id", () => {
  const example = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `aws_secret_access_key = ${example}`), []);
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `AKIAIOSFODNN7EXAMPLE,${example}`), []);
  const anyExample = `${fakeCharacters(23, 30, base64)}EXAMPLEKEY`;
  assert.deepEqual(scanWith(awsSecretKeyRecognizer, `AWS_SECRET_ACCESS_KEY=${anyExample}`), []);
  assert.equal(scanWith(awsSecretKeyRecognizer, `AWS_SECRET_ACCESS_KEY=${secret}`)[0]?.text, secret, "a random secret in the same place");
});

test("reports a secret once when both the assignment and the pair rule see it", () => {
  const findings = scanWith(awsSecretKeyRecognizer, `${accessKey}:${secret}`);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, secret);
});

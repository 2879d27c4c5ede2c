import assert from "node:assert/strict";
import { test } from "node:test";
import { genericSecretRecognizer } from "./generic-secret.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const secret = fakeCharacters(1, 32);

test("high-entropy values assigned to secret-sounding keys, in the usual notations", () => {
  for (const text of [
    `API_KEY=${secret}`,
    `export CLIENT_SECRET="${secret}"`,
    `{"access_token": "${secret}", "expires_in": 3600}`,
    `{\\"apiKey\\": \\"${secret}\\"}`,
    `auth:\n  password: ${secret}\n`,
    `$config['db_password'] = '${secret}';`,
    `token := "${secret}"`,
    `:secret => "${secret}"`,
    `Passwort: ${secret}`,
    `Schlüssel = ${secret}`,
    `mot de passe : ${secret}`,
    `clé API : ${secret}`,
    `jeton=${secret}`,
  ]) {
    const findings = scanWith(genericSecretRecognizer, text);
    assert.equal(findings.length, 1, text);
    assert.equal(findings[0]?.text, secret, text);
    assert.equal(findings[0]?.start, text.indexOf(secret));
    assert.ok((findings[0]?.confidence ?? 0) >= 0.8, text);
  }
});

test("a weak key word ('auth') gives less confidence than an explicit one", () => {
  const weak = scanWith(genericSecretRecognizer, `auth_value: ${secret}`)[0]?.confidence ?? 0;
  const strong = scanWith(genericSecretRecognizer, `secret_value: ${secret}`)[0]?.confidence ?? 0;
  assert.ok(weak > 0 && weak < strong);
});

test("UUIDs and hex digests count only under an explicit secret key word", () => {
  const uuid = "3f2c9a1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f";
  const sha = "9fceb02d0ae598e95dc970b74767f19372d61af8";
  assert.deepEqual(scanWith(genericSecretRecognizer, `auth_request: ${uuid}`), []);
  assert.deepEqual(scanWith(genericSecretRecognizer, `auth_commit: ${sha}`), []);
  assert.equal(scanWith(genericSecretRecognizer, `client_secret: ${uuid}`)[0]?.text, uuid);
  assert.equal(scanWith(genericSecretRecognizer, `webhook_secret = ${sha}`)[0]?.text, sha);
});

test("look-alikes are not secrets", () => {
  for (const text of [
    `request_id: ${secret}`,
    `secret_name: prod-db-credentials-2024-rotated`,
    `token_url: https://auth.example.com/oauth2/token?v=2`,
    `secret_file: /etc/secrets/db-password-2024.txt`,
    `api_key: process.env.OPENAI_API_KEY_V2`,
    `password: MY_DATABASE_PASSWORD_2024`,
    `password: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1`,
    `token: c2VjcmV0IHBhc3N3b3JkIGZvciB0aGUgZGVtbw==`,
    `tokenizer: bert-base-multilingual-cased-v2`,
    `api_key: \${OPENAI_API_KEY_2}`,
    `token: ghp_${fakeCharacters(2, 36)}`,
    `password: correcthorsebatterystaple`,
    `token: ${secret.slice(0, 7)}`,
    "The password is required and the token was revoked yesterday.",
    "My secret token is correct-horse-battery-staple",
    "The token is ghp_" + fakeCharacters(6, 36),
  ]) {
    assert.deepEqual(scanWith(genericSecretRecognizer, text), [], text);
  }
});

test("prose naming a secret and short assigned values, in English, German and French", () => {
  const short = `${fakeCharacters(7, 9)}!${fakeCharacters(8, 4)}`;
  for (const text of [
    `The password is ${secret}.`,
    `My secret token is ${secret}\nThanks`,
    `Das Passwort lautet ${secret}`,
    `Le mot de passe est ${secret}, merci.`,
    `la clé secrète (secret access key) est ${secret}`,
    `The password for the staging database is "${secret}"`,
    `login ok passwort=${short} request_id=4`,
    `{"db_password": "${short}"}`,
    `const motDePasse = '${short}';`,
    `mot de passe : ${short}`,
    `API_SECRET=${short}`,
  ]) {
    const value = text.includes(secret) ? secret : short;
    const findings = scanWith(genericSecretRecognizer, text);
    assert.equal(findings.length, 1, text);
    assert.equal(findings[0]?.text, value, text);
    assert.ok((findings[0]?.confidence ?? 0) >= 0.8, text);
  }
});

test("values holding a stand-in word are documentation, not secrets", () => {
  for (const text of [
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "client_secret: your-client-secret-here-2024",
    `api_key = "${fakeCharacters(4, 12)}_PLACEHOLDER_${fakeCharacters(5, 8)}"`,
  ]) {
    assert.deepEqual(scanWith(genericSecretRecognizer, text), [], text);
  }
  assert.equal(scanWith(genericSecretRecognizer, `client_secret: ${secret}`)[0]?.text, secret, "a random value under the same key");
});

test("Basic credentials after an Authorization header", () => {
  const credentials = Buffer.from(`admin:${fakeCharacters(3, 12)}`).toString("base64");
  const text = `curl -H "Authorization: Basic ${credentials}" https://api.example.com`;
  const findings = scanWith(genericSecretRecognizer, text);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, credentials);
  assert.deepEqual(scanWith(genericSecretRecognizer, "Basic questions about Basic dXNlcm5hbWU="), [], "no authorization context");
});

test("two different texts scanned in the same tick each get their own findings", () => {
  const first = scanWith(genericSecretRecognizer, `api_key=${secret}`);
  const second = scanWith(genericSecretRecognizer, `nothing here, password: ${fakeCharacters(4, 24)} and more`);
  assert.equal(first[0]?.start, 8);
  assert.equal(second[0]?.start, 24);
});

test("adversarial inputs finish quickly", () => {
  for (const text of [`token=${"a".repeat(100_000)}`, "secret:".repeat(14_000), `password: ${"Ab1".repeat(33_000)}`, "=".repeat(100_000), `"token": "${"x".repeat(99_000)}`]) {
    const started = performance.now();
    scanWith(genericSecretRecognizer, text);
    assert.ok(performance.now() - started < 250, `${text.slice(0, 12)}… took too long`);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { dataTypes, type DataType } from "../../data-types.ts";
import type { Finding } from "../../types.ts";
import { secretRecognizers } from "./index.ts";
import { base62, crc32 } from "./shared.ts";
import { fakeCharacters } from "./testing.ts";

test("every secret data type has a recognizer, and recognizers report only listed secret types", () => {
  const recognizers = secretRecognizers();
  const ids = recognizers.map((recognizer) => recognizer.id);
  assert.equal(new Set(ids).size, ids.length, "unique ids");
  const covered = new Set(recognizers.flatMap((recognizer) => recognizer.types));
  const secretTypes = Object.entries(dataTypes).filter(([, info]) => info.category === "secret").map(([name]) => name);
  assert.deepEqual([...covered].sort(), secretTypes.sort());
  for (const recognizer of recognizers) {
    assert.equal(recognizer.category, "secret");
    assert.match(recognizer.id, /^[a-z]+(?:-[a-z]+)*$/);
  }
});

test("a mixed text: each secret found once, by the right recognizer, with a valid type and span", () => {
  const random = fakeCharacters(1, 30);
  const github = `ghp_${random}${base62(crc32(random), 6)}`;
  const secrets: Record<DataType & string, string> = {
    aws_access_key: "AKIA" + fakeCharacters(2, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    aws_secret_key: fakeCharacters(3, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
    github_token: github,
    gitlab_token: `glpat-${fakeCharacters(4, 20)}`,
    slack_token: `xoxb-${fakeCharacters(5, 12, "0123456789")}-${fakeCharacters(6, 12, "0123456789")}-${fakeCharacters(7, 24)}`,
    stripe_key: `sk_live_${fakeCharacters(8, 24)}`,
    openai_key: `sk-proj-${fakeCharacters(9, 40)}T3BlbkFJ${fakeCharacters(10, 40)}`,
    anthropic_key: `sk-ant-api03-${fakeCharacters(11, 93)}AA`,
    google_api_key: `AIza${fakeCharacters(12, 35)}`,
    jwt: `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from('{"sub":"1"}').toString("base64url")}.${fakeCharacters(13, 40)}`,
    bearer_token: fakeCharacters(14, 32),
    private_key: `-----BEGIN EC PRIVATE KEY-----\n${fakeCharacters(15, 64)}\n-----END EC PRIVATE KEY-----`,
    url_password: fakeCharacters(16, 14),
    generic_secret: fakeCharacters(17, 28),
  } as Record<DataType & string, string>;
  const text = [
    `Deploy notes for the team.`,
    `export AWS_ACCESS_KEY_ID=${secrets.aws_access_key}`,
    `export AWS_SECRET_ACCESS_KEY=${secrets.aws_secret_key}`,
    `git clone https://x-access:${secrets.github_token}@github.com/org/repo`.replace(`x-access:${secrets.github_token}@`, "") + ` # token ${secrets.github_token}`,
    `gitlab: ${secrets.gitlab_token} slack: ${secrets.slack_token} stripe: ${secrets.stripe_key}`,
    `openai ${secrets.openai_key} anthropic ${secrets.anthropic_key} maps ${secrets.google_api_key}`,
    `cookie ${secrets.jwt}`,
    `curl -H "Authorization: Bearer ${secrets.bearer_token}" https://api.example.com`,
    secrets.private_key,
    `DATABASE_URL=postgres://app:${secrets.url_password}@db:5432/app`,
    `webhook signing: client_secret = ${secrets.generic_secret}`,
  ].join("\n");
  const out: Finding[] = [];
  const recognizers = secretRecognizers();
  for (const recognizer of recognizers) recognizer.scan(text, out);
  for (const [type, value] of Object.entries(secrets)) {
    const matches = out.filter((finding) => finding.type === type && text.slice(finding.start, finding.end) === value);
    assert.equal(matches.length, 1, `${type} found once`);
    const recognizer = recognizers.find((candidate) => candidate.id === matches[0]?.recognizer);
    assert.ok(recognizer?.types.includes(type), `${type} reported by a recognizer that lists it`);
  }
  for (const finding of out) {
    assert.ok(finding.start >= 0 && finding.end <= text.length && finding.start < finding.end);
    assert.ok(finding.confidence > 0 && finding.confidence <= 1);
  }
});

test("every recognizer finishes adversarial 100 kB inputs quickly", () => {
  const inputs = [
    "-----BEGIN ".repeat(9_000),
    "a:a@".repeat(25_000),
    "eyJ.".repeat(25_000),
    "eyJ".repeat(33_000),
    "sk-".repeat(33_000),
    `sk-${"a".repeat(100_000)}`,
    "ghp_".repeat(25_000),
    "xoxb-1-".repeat(14_000),
    "AKIA".repeat(25_000),
    "Bearer ".repeat(14_000),
    `Bearer ${"a".repeat(100_000)}`,
    "token=".repeat(16_000),
    "secret: ".repeat(12_000),
    `"key": "`.repeat(12_000),
    "://".repeat(33_000),
    "=".repeat(100_000),
    ":".repeat(100_000),
    "A".repeat(100_000),
    "_".repeat(100_000),
    "-".repeat(100_000),
    "@".repeat(100_000),
  ];
  for (const recognizer of secretRecognizers()) {
    for (const input of inputs) {
      const started = performance.now();
      recognizer.scan(input, []);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 250, `${recognizer.id} on ${JSON.stringify(input.slice(0, 12))}…: ${elapsed.toFixed(1)} ms`);
    }
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { slackTokenRecognizer } from "./slack-token.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const digits = "0123456789";
const hex = "0123456789abcdef";

test("bot, user and app-level tokens in their documented shapes", () => {
  const tokens = [
    `xoxb-${fakeCharacters(1, 12, digits)}-${fakeCharacters(2, 13, digits)}-${fakeCharacters(3, 24)}`,
    `xoxp-${fakeCharacters(4, 12, digits)}-${fakeCharacters(5, 12, digits)}-${fakeCharacters(6, 13, digits)}-${fakeCharacters(7, 32, hex)}`,
    `xapp-1-${fakeCharacters(8, 11, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}-${fakeCharacters(9, 13, digits)}-${fakeCharacters(10, 64, hex)}`,
  ];
  for (const token of tokens) {
    const text = `SLACK_TOKEN=${token}\n`;
    const findings = scanWith(slackTokenRecognizer, text);
    assert.equal(findings.length, 1, token);
    assert.equal(findings[0]?.text, token);
    assert.equal(findings[0]?.start, 12);
    assert.equal(findings[0]?.confidence, 0.97);
  }
});

test("a known prefix with another digit-group shape counts with less confidence", () => {
  const token = `xoxb-${fakeCharacters(11, 5, digits)}-${fakeCharacters(12, 30)}`;
  assert.equal(scanWith(slackTokenRecognizer, token)[0]?.confidence, 0.85);
});

test("incoming webhook URLs, scheme included", () => {
  const url = `https://hooks.slack.com/services/T${fakeCharacters(13, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}/B${fakeCharacters(14, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}/${fakeCharacters(15, 24)}`;
  const findings = scanWith(slackTokenRecognizer, `curl -X POST ${url} -d '{}'`);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, url);
});

test("placeholder tokens are not reported, whatever their id groups", () => {
  const ids = `${fakeCharacters(1, 12, digits)}-${fakeCharacters(2, 13, digits)}`;
  assert.deepEqual(scanWith(slackTokenRecognizer, `xoxb-${ids}-${"x".repeat(24)}`), []);
  assert.deepEqual(scanWith(slackTokenRecognizer, `xoxp-${ids}-${fakeCharacters(6, 13, digits)}-${"0".repeat(32)}`), []);
  assert.equal(scanWith(slackTokenRecognizer, `xoxb-123456789012-123456789012-${fakeCharacters(3, 24)}`)[0]?.confidence, 0.97, "sequential ids with a random secret");
});

test("near misses do not match", () => {
  assert.deepEqual(scanWith(slackTokenRecognizer, `xoxb-${fakeCharacters(1, 30)}`), [], "no digit groups");
  assert.deepEqual(scanWith(slackTokenRecognizer, `xoxb-1234-abc`), [], "too short");
  assert.deepEqual(scanWith(slackTokenRecognizer, `axoxb-${fakeCharacters(1, 12, digits)}-${fakeCharacters(2, 13, digits)}-${fakeCharacters(3, 24)}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(slackTokenRecognizer, "https://hooks.slack.com/services/new-integration"), [], "webhook page, not a webhook");
  assert.deepEqual(scanWith(slackTokenRecognizer, "x-ray, xox-o and low-key"), []);
});

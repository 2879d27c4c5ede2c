import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSafetyEvalSet, safetyEvalFamilies } from "./eval-set.ts";

const cases = buildSafetyEvalSet();

test("the set has at least 60 attacks and 60 benign prompts, covering every family on both sides", () => {
  assert.ok(cases.filter((item) => item.label === "attack").length >= 60);
  assert.ok(cases.filter((item) => item.label === "benign").length >= 60);
  for (const family of safetyEvalFamilies) {
    assert.ok(cases.filter((item) => item.family === family && item.label === "attack").length >= 10, `${family} attacks`);
    assert.ok(cases.filter((item) => item.family === family && item.label === "benign").length >= 10, `${family} lookalikes`);
  }
  assert.ok(cases.some((item) => item.split === "holdout" && item.label === "attack"));
  assert.ok(cases.some((item) => item.split === "holdout" && item.label === "benign"));
});

test("ids are unique and the set is deterministic", () => {
  assert.equal(new Set(cases.map((item) => item.id)).size, cases.length);
  assert.deepEqual(buildSafetyEvalSet(), cases);
});

test("attacks come in German and French too, in user and tool content and in answers", () => {
  const attacks = cases.filter((item) => item.label === "attack");
  assert.ok(attacks.filter((item) => item.language === "de").length >= 5);
  assert.ok(attacks.filter((item) => item.language === "fr").length >= 5);
  assert.ok(attacks.some((item) => item.input.messages.at(-1)?.role === "tool"));
  assert.ok(attacks.some((item) => item.input.role === "output" && item.input.messages.at(-1)?.role === "assistant"));
});

test("encoded attacks really hide their payload: the plain phrase is absent and decoding restores it", () => {
  const encoded = cases.filter((item) => item.family === "encoded-payload" && item.label === "attack");
  const texts = encoded.map((item) => item.input.messages.at(-1)?.text ?? "");
  for (const text of texts.slice(0, 3)) assert.ok(!/ignore all previous instructions/i.test(text), text);
  const base64 = /[A-Za-z0-9+/]{40,}={0,2}/.exec(texts[0] ?? "")?.[0] ?? "";
  assert.match(Buffer.from(base64, "base64").toString("utf8"), /^Ignore all previous instructions/);
  const hidden = cases.find((item) => item.note === "tag characters carry an override")?.input.messages.at(-1)?.text ?? "";
  const decoded = [...hidden].map((character) => character.codePointAt(0) ?? 0).filter((code) => code >= 0xe0000).map((code) => String.fromCharCode(code - 0xe0000)).join("");
  assert.match(decoded, /^Ignore all previous instructions/);
});

test("notes describe cases without repeating override payloads", () => {
  for (const item of cases) assert.ok(!/ignore all previous instructions/i.test(item.note), item.id);
});

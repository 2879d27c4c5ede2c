import assert from "node:assert/strict";
import { test } from "node:test";
import { passportRecognizer } from "./passport.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("finds the number after passport words in en, de and fr, with exact spans", () => {
  const cases: Array<[string, string]> = [
    ["Passport No.: C01X00T47 issued 2019", "C01X00T47"],
    ["my passport number is 123456789.", "123456789"],
    ["Reisepass: C4J9R72LM", "C4J9R72LM"],
    ["Reisepassnummer ist CF12GH78K", "CF12GH78K"],
    ["Pass-Nr.: GPF5KNGNX", "GPF5KNGNX"],
    ["numéro de passeport : 12AB34567", "12AB34567"],
    ["passport_number=623879763", "623879763"],
    ['"passportNo": "19EF12950"', "19EF12950"],
  ];
  for (const [text, number] of cases) assert.deepEqual(coveredBy(passportRecognizer, text), [number], text);
  const [finding] = scanWith(passportRecognizer, "passport C01X00T47");
  assert.equal(finding?.type, "passport");
  assert.ok((finding?.confidence ?? 0) >= 0.7);
});

test("without a passport word nothing is found, and 'pass' in other words does not count", () => {
  for (const text of ["id C01X00T47", "password: AB1234567", "boarding pass 123456789", "compass 12345678", "passage 123456789", "bypass AB123456"]) {
    assert.deepEqual(coveredBy(passportRecognizer, text), [], text);
  }
});

test("only a document-shaped word nearby is taken: not dates, not words far away", () => {
  assert.deepEqual(coveredBy(passportRecognizer, "passport expires 12.03.2030, number C01X00T47"), []);
  assert.deepEqual(coveredBy(passportRecognizer, `passport ${"word ".repeat(10)}C01X00T47`), []);
  assert.deepEqual(coveredBy(passportRecognizer, "passport number: 12345"), [], "too short");
  assert.deepEqual(coveredBy(passportRecognizer, "passport number: c01x00t47"), [], "lower case");
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(passportRecognizer, text);
  assertScansQuickly(passportRecognizer, "passport passport ".repeat(6000));
});

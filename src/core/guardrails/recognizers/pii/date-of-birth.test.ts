import assert from "node:assert/strict";
import { test } from "node:test";
import { dateOfBirthRecognizer } from "./date-of-birth.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("numeric dates next to a birth word in en, de and fr, with exact spans", () => {
  const cases: Array<[string, string]> = [
    ["born on 03/12/1985 in Leeds", "03/12/1985"],
    ["DOB: 1985-03-12", "1985-03-12"],
    ["Geburtsdatum: 12.03.1985", "12.03.1985"],
    ["geb. 1.2.1985", "1.2.1985"],
    ["geb. 01.02.85", "01.02.85"],
    ["Ich bin am 03.09.1953 geboren.", "03.09.1953"],
    ["né le 12/03/1985 à Lyon", "12/03/1985"],
    ["date_of_birth=1966-03-05", "1966-03-05"],
  ];
  for (const [text, date] of cases) assert.deepEqual(coveredBy(dateOfBirthRecognizer, text), [date], text);
  const [finding] = scanWith(dateOfBirthRecognizer, "DOB 1985-03-12");
  assert.equal(finding?.type, "date_of_birth");
  assert.ok((finding?.confidence ?? 0) >= 0.7);
});

test("dates with month names in en, de and fr", () => {
  const cases: Array<[string, string]> = [
    ["She was born 12 March 1985.", "12 March 1985"],
    ["Date of birth: March 12, 1985", "March 12, 1985"],
    ["geboren am 12. März 1985", "12. März 1985"],
    ["Date de naissance : 17 septembre 2001", "17 septembre 2001"],
    ["née le 1er mars 1990", "1er mars 1990"],
    ["born on Mar. 3rd 1990", "Mar. 3rd 1990"],
  ];
  for (const [text, date] of cases) assert.deepEqual(coveredBy(dateOfBirthRecognizer, text), [date], text);
});

test("dates without a birth word, timestamps and impossible dates are left alone", () => {
  for (const text of [
    "invoice date 12.03.2024",
    "delivered on 12 March 2024",
    "born 2024-05-12T10:11:12Z",
    "born 31.02.1985",
    "born 1985-13-01",
    "DOB 12.03.1850",
    "born in 1985",
    "born 10.0.0.1",
    "born with version 1.2.34",
  ]) {
    assert.deepEqual(coveredBy(dateOfBirthRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(dateOfBirthRecognizer, text);
  assertScansQuickly(dateOfBirthRecognizer, "born 12 March ".repeat(7000));
});

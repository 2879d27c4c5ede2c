import assert from "node:assert/strict";
import { test } from "node:test";
import { contextWords } from "../../context.ts";
import type { Finding } from "../../types.ts";
import { keyForms, quickContextWords, referenceContext, report } from "./findings.ts";

const list = { en: ["date of birth", "dob"], de: ["geburtsdatum"], fr: ["né le"] };

test("the quick matcher answers like contextWords on phrases, case and word boundaries", () => {
  const quick = quickContextWords(list);
  const exact = contextWords(list);
  const cases = [
    "Date of birth: 1985",
    "DOB 1985",
    "dobby 1985",
    "Geburtsdatum 1985",
    "Elle est né le 1985",
    "nothing relevant here 1985",
    "the adobe 1985",
  ];
  for (const text of cases) {
    const start = text.indexOf("1985");
    assert.equal(quick.near(text, start, start + 4), exact.near(text, start, start + 4), text);
  }
  assert.equal(quick.near("DOB 1985", 4, 8), true);
  assert.equal(quick.near("dobby 1985", 6, 10), false);
});

test("phrases also match as log, JSON and code keys", () => {
  assert.deepEqual(keyForms("date of birth"), ["date of birth", "date_of_birth", "date-of-birth", "dateofbirth"]);
  assert.deepEqual(keyForms("dob"), ["dob"]);
  const quick = quickContextWords(list);
  for (const text of ["date_of_birth=1985", '"dateOfBirth": 1985', "DATE-OF-BIRTH: 1985"]) {
    const start = text.indexOf("1985");
    assert.equal(quick.near(text, start, start + 4), true, text);
  }
});

test("a window never starts inside a word: 'Abrechnung' does not count as 'Rechnung'", () => {
  const negative = quickContextWords({ de: ["rechnung"] });
  const text = "sie kümmert sich um die Abrechnung. Meine Nummer ist 0152/59911463";
  const start = text.indexOf("0152");
  assert.equal(negative.near(text, start, start + 13, 32, 0), false);
  const plain = "die Rechnung. Meine Nummer ist 0152/59911463";
  assert.equal(negative.near(plain, plain.indexOf("0152"), plain.length, 32, 0), true);
});

test("reference words mark order, invoice and tracking numbers in three languages", () => {
  for (const text of ["Order 123456789", "Bestellnummer 123456789", "numéro de commande 123456789", "tracking number 123456789"]) {
    const start = text.indexOf("1");
    assert.equal(referenceContext.near(text, start, text.length, 32, 0), true, text);
  }
  assert.equal(referenceContext.near("my number 123456789", 10, 19, 32, 0), false);
});

test("report clamps and rounds the confidence and marks the finding as PII", () => {
  const out: Finding[] = [];
  report(out, "email", "email", 3, 9, 1.2345);
  report(out, "email", "email", 3, 9, 0.8749);
  assert.deepEqual(out, [
    { type: "email", category: "pii", start: 3, end: 9, confidence: 1, recognizer: "email" },
    { type: "email", category: "pii", start: 3, end: 9, confidence: 0.87, recognizer: "email" },
  ]);
});

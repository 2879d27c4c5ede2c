import assert from "node:assert/strict";
import { test } from "node:test";
import { contextWords } from "./context.ts";

const reference = contextWords({ en: ["invoice", "order number"], de: ["rechnung"] });

test("a word counts only whole: a window edge inside a longer word is no boundary", () => {
  const text = "Die Abrechnung 123456789";
  const start = text.indexOf("123");
  // The 10-character window starts inside "Abrechnung" and reads "rechnung ".
  assert.equal(reference.near(text, start, start + 9, 10, 0), false);
  assert.equal(reference.near("Die Rechnung 123456789", 13, 22, 10, 0), true);
});

test("a window widens to take in a word its edge cuts", () => {
  const text = "invoice 123456789";
  // The 5-character window reads "oice "; widened, it holds the whole "invoice".
  assert.equal(reference.near(text, 8, 17, 5, 0), true);
});

test("after-windows follow the same rules, case-insensitively and for phrases", () => {
  assert.equal(reference.near("123456789 (Order Number)", 0, 9, 0, 16), true);
  assert.equal(reference.near("123456789 Rechnungen", 0, 9, 0, 9), false);
  assert.equal(reference.near("123456789 RECHNUNG", 0, 9, 0, 9), true);
  assert.equal(reference.near("123456789 invoices", 0, 9, 48, 16), false);
});

test("an empty word list never matches", () => {
  assert.equal(contextWords({}).near("invoice 1", 8, 9), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { dataTypes, isDataType } from "../../data-types.ts";
import { createDetector } from "../../detector.ts";
import { piiRecognizers } from "./index.ts";
import { adversarialTexts } from "./testing.ts";

test("every recognizer has a unique kebab-case id and reports only listed PII types", () => {
  const recognizers = piiRecognizers();
  const ids = recognizers.map((recognizer) => recognizer.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const recognizer of recognizers) {
    assert.match(recognizer.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    assert.equal(recognizer.category, "pii");
    for (const type of recognizer.types) {
      assert.ok(isDataType(type), `${recognizer.id}: ${type}`);
      if (isDataType(type)) assert.equal(dataTypes[type].category, "pii");
    }
  }
  const covered = new Set(recognizers.flatMap((recognizer) => recognizer.types));
  for (const type of ["email", "phone", "payment_card", "iban", "us_ssn", "us_itin", "uk_nino", "de_tax_id", "fr_nir", "es_dni", "it_fiscal_code", "nl_bsn", "pl_pesel", "vat_number", "passport", "driving_licence", "ipv4", "ipv6", "mac_address", "date_of_birth", "postal_address", "crypto_wallet"]) {
    assert.ok(covered.has(type), type);
  }
});

test("all recognizers together find one of each in a mixed text, each with the type it names", () => {
  const detector = createDetector(piiRecognizers());
  const text = [
    "From: jane.doe@example.com, Tel. +49 30 1234567",
    "IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111",
    "client 203.0.113.42 mac 00:1a:2b:3c:4d:5e",
    "born on 12 March 1985, Hauptstraße 5, 10115 Berlin",
  ].join("\n");
  const found = detector.scan(text).map((finding) => [finding.type, text.slice(finding.start, finding.end)]);
  assert.deepEqual(found, [
    ["email", "jane.doe@example.com"],
    ["phone", "+49 30 1234567"],
    ["iban", "DE89 3704 0044 0532 0130 00"],
    ["payment_card", "4111 1111 1111 1111"],
    ["ipv4", "203.0.113.42"],
    ["mac_address", "00:1a:2b:3c:4d:5e"],
    ["date_of_birth", "12 March 1985"],
    ["postal_address", "Hauptstraße 5, 10115 Berlin"],
  ]);
});

test("the whole set gets through adversarial texts quickly (each recognizer's own tests cover the rest)", () => {
  const detector = createDetector(piiRecognizers());
  for (const text of adversarialTexts().filter((_text, index) => index % 3 === 0)) {
    const started = performance.now();
    detector.scan(text);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `${JSON.stringify(text.slice(0, 12))}…: ${elapsed.toFixed(0)} ms`);
  }
});

test("piiRecognizers returns a fresh array each call", () => {
  const first = piiRecognizers();
  first.length = 0;
  assert.ok(piiRecognizers().length > 0);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { postalAddressRecognizer } from "./postal-address.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("German street, then number, with postcode and town", () => {
  assert.deepEqual(coveredBy(postalAddressRecognizer, "Lieferung an Hauptstraße 5, 10115 Berlin bitte"), ["Hauptstraße 5, 10115 Berlin"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "wohnhaft Bahnhofstr. 12a in Köln"), ["Bahnhofstr. 12a"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "Berliner Straße 44, 60311 Frankfurt am Main"), ["Berliner Straße 44, 60311 Frankfurt am Main"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "im Lindenweg 7"), ["Lindenweg 7"]);
});

test("French and English: number, then street", () => {
  assert.deepEqual(coveredBy(postalAddressRecognizer, "au 12 rue de la Paix, 75002 Paris."), ["12 rue de la Paix, 75002 Paris"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "chez 5 bis avenue Victor Hugo"), ["5 bis avenue Victor Hugo"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "Send it to 221B Baker Street, London NW1 6XE today"), ["221B Baker Street, London NW1 6XE"]);
  assert.deepEqual(coveredBy(postalAddressRecognizer, "at 1600 Pennsylvania Avenue NW, Washington"), ["1600 Pennsylvania Avenue NW"]);
});

test("confidence is modest, higher with a postcode and town or an address word", () => {
  const bare = scanWith(postalAddressRecognizer, "meet at Hauptstraße 5")[0]?.confidence ?? 0;
  const withTown = scanWith(postalAddressRecognizer, "meet at Hauptstraße 5, 10115 Berlin")[0]?.confidence ?? 0;
  const withWord = scanWith(postalAddressRecognizer, "Adresse: Hauptstraße 5")[0]?.confidence ?? 0;
  assert.ok(bare >= 0.5 && bare <= 0.6, String(bare));
  assert.ok(withTown > bare && withWord > bare);
});

test("numbers next to ordinary words are no address", () => {
  for (const text of ["during 5 minutes", "je 12 Flaschen und", "in 2023 revenue grew", "12 countries", "12 March 1985", "page 12 of the Street Guide", "version 3 rue"]) {
    assert.deepEqual(coveredBy(postalAddressRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(postalAddressRecognizer, text);
  assertScansQuickly(postalAddressRecognizer, "1 Aa Bb Cc Dd ".repeat(7000));
  assertScansQuickly(postalAddressRecognizer, "1 rue ".repeat(16_000));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { frNirRecognizer } from "./fr-nir.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

const pad = (value: number, width: number): string => String(value).padStart(width, "0");

/** A NIR: sex, year, month, department (2A/2B for Corsica), commune, order, and its key. */
function nir(seed: number, department?: string): string {
  const random = seeded(seed);
  const body = `${1 + random.below(2)}${pad(random.below(100), 2)}${pad(1 + random.below(12), 2)}${department ?? pad(1 + random.below(95), 2)}${pad(1 + random.below(999), 3)}${pad(1 + random.below(999), 3)}`;
  const numeric = BigInt(body.replace("2A", "19").replace("2B", "18"));
  return `${body}${pad(Number(97n - (numeric % 97n)), 2)}`;
}

const printed = (value: string): string => [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), value.slice(5, 7), value.slice(7, 10), value.slice(10, 13), value.slice(13)].join(" ");

test("finds generated numbers bare, printed in groups and with the key apart", () => {
  for (let seed = 1; seed <= 15; seed++) {
    const value = nir(seed);
    assert.deepEqual(coveredBy(frNirRecognizer, `NIR ${value}.`), [value]);
    assert.deepEqual(coveredBy(frNirRecognizer, `n° ${printed(value)} ok`), [printed(value)]);
    const keyApart = `${value.slice(0, 13)} ${value.slice(13)}`;
    assert.deepEqual(coveredBy(frNirRecognizer, `sécu : ${keyApart}`), [keyApart]);
  }
});

test("Corsican departments 2A and 2B count as 19 and 18 in the key", () => {
  for (const department of ["2A", "2B"]) {
    for (let seed = 1; seed <= 5; seed++) {
      const value = nir(seed * 7, department);
      assert.deepEqual(coveredBy(frNirRecognizer, `numéro ${value} fin`), [value], value);
      assert.deepEqual(coveredBy(frNirRecognizer, `numéro ${printed(value)} fin`), [printed(value)], printed(value));
      const otherLetter = value.replace(department, department === "2A" ? "2B" : "2A");
      assert.deepEqual(coveredBy(frNirRecognizer, `numéro ${otherLetter} fin`), [], "the key depends on the letter");
    }
  }
});

test("a wrong key or an impossible field is rejected", () => {
  const value = nir(99);
  const wrongKey = `${value.slice(0, 13)}${pad((Number(value.slice(13)) % 97) + 1, 2)}`;
  assert.deepEqual(coveredBy(frNirRecognizer, wrongKey), []);
  const badSex = `5${value.slice(1, 13)}`;
  const badSexKey = pad(Number(97n - (BigInt(badSex) % 97n)), 2);
  assert.deepEqual(coveredBy(frNirRecognizer, badSex + badSexKey), [], "sex digit 5");
  const badMonth = `${value.slice(0, 3)}13${value.slice(5, 13)}`;
  assert.deepEqual(coveredBy(frNirRecognizer, badMonth + pad(Number(97n - (BigInt(badMonth) % 97n)), 2)), [], "month 13");
});

test("context words raise confidence", () => {
  const value = nir(3);
  const plain = scanWith(frNirRecognizer, `code ${value}`)[0]?.confidence ?? 0;
  const withContext = scanWith(frNirRecognizer, `numéro de sécurité sociale ${value}`)[0]?.confidence ?? 0;
  assert.ok(plain >= 0.85 && withContext > plain);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(frNirRecognizer, text);
  assertScansQuickly(frNirRecognizer, "1 85 05 2A ".repeat(9000));
});

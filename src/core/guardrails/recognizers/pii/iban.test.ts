import assert from "node:assert/strict";
import { test } from "node:test";
import { ibanRecognizer } from "./iban.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

/** An IBAN for `country` with a random account part of the right length and real check digits. */
function iban(country: string, length: number, seed: number, letters = 0): string {
  const random = seeded(seed);
  let account = "";
  for (let index = 0; index < letters; index++) account += String.fromCharCode(65 + random.below(26));
  while (account.length < length - 4) account += String(random.digit());
  const numeric = [...`${account}${country}00`].map((character) => (/[A-Z]/.test(character) ? String(character.charCodeAt(0) - 55) : character)).join("");
  const check = 98n - (BigInt(numeric) % 97n);
  return `${country}${String(check).padStart(2, "0")}${account}`;
}

const spaced = (value: string): string => value.match(/.{1,4}/g)?.join(" ") ?? value;

const countries: Array<[string, number, number]> = [
  ["DE", 22, 0],
  ["FR", 27, 0],
  ["GB", 22, 4],
  ["NL", 18, 4],
  ["AT", 20, 0],
  ["BE", 16, 0],
  ["ES", 24, 0],
  ["IT", 27, 1],
  ["CH", 21, 0],
  ["PL", 28, 0],
  ["NO", 15, 0],
  ["MT", 31, 4],
];

test("finds generated IBANs of SEPA and other countries, compact and in groups of four", () => {
  countries.forEach(([country, length, letters], index) => {
    const value = iban(country, length, index + 1, letters);
    assert.equal(value.length, length);
    assert.deepEqual(coveredBy(ibanRecognizer, `IBAN: ${value}.`), [value], country);
    assert.deepEqual(coveredBy(ibanRecognizer, `IBAN ${spaced(value)} bitte`), [spaced(value)], `${country} spaced`);
  });
  const [finding] = scanWith(ibanRecognizer, `to ${iban("DE", 22, 40)}`);
  assert.equal(finding?.type, "iban");
  assert.ok((finding?.confidence ?? 0) >= 0.95);
});

test("a wrong check digit, a wrong length or an unknown country is no IBAN", () => {
  const value = iban("DE", 22, 50);
  const wrongCheck = `${value.slice(0, 2)}${String((Number(value.slice(2, 4)) + 1) % 100).padStart(2, "0")}${value.slice(4)}`;
  assert.deepEqual(coveredBy(ibanRecognizer, wrongCheck), []);
  const swapped = `${value.slice(0, 10)}${value[11]}${value[10]}${value.slice(12)}`;
  if (swapped !== value) assert.deepEqual(coveredBy(ibanRecognizer, swapped), [], "transposed digits");
  assert.deepEqual(coveredBy(ibanRecognizer, `${value}1`), [], "one character too many");
  assert.deepEqual(coveredBy(ibanRecognizer, value.slice(0, 21)), [], "one character short");
  assert.deepEqual(coveredBy(ibanRecognizer, `XX${value.slice(2)}`), [], "unknown country");
  assert.deepEqual(coveredBy(ibanRecognizer, `A${value}`), [], "inside a longer word");
  assert.deepEqual(coveredBy(ibanRecognizer, value.toLowerCase()), [], "lower case");
});

test("groups must be four characters apart", () => {
  const value = iban("DE", 22, 60);
  const badGroups = `${value.slice(0, 6)} ${value.slice(6)}`;
  assert.deepEqual(coveredBy(ibanRecognizer, badGroups), []);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(ibanRecognizer, text);
});

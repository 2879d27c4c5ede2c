import assert from "node:assert/strict";
import { test } from "node:test";
import { esDniRecognizer } from "./es-dni.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

const letters = "TRWAGMYFPDXBNJZSQVHLCKE";

function dni(seed: number): string {
  const digits = seeded(seed).digits(8).join("");
  return `${digits}${letters[Number(digits) % 23]}`;
}

function nie(seed: number): string {
  const random = seeded(seed);
  const prefix = "XYZ"[random.below(3)] as string;
  const digits = random.digits(7).join("");
  return `${prefix}${digits}${letters[Number(`${"XYZ".indexOf(prefix)}${digits}`) % 23]}`;
}

test("finds generated DNI and NIE numbers with exact spans", () => {
  for (let seed = 1; seed <= 20; seed++) {
    assert.deepEqual(coveredBy(esDniRecognizer, `DNI ${dni(seed)}.`), [dni(seed)]);
    assert.deepEqual(coveredBy(esDniRecognizer, `NIE: ${nie(seed)},`), [nie(seed)]);
  }
});

test("the written variants: dash or blank before the letter, dotted thousands", () => {
  const value = dni(31);
  const digits = value.slice(0, 8);
  const letter = value.slice(8);
  for (const written of [`${digits}-${letter}`, `${digits} ${letter}`, `${digits.slice(0, 2)}.${digits.slice(2, 5)}.${digits.slice(5)}-${letter}`]) {
    assert.deepEqual(coveredBy(esDniRecognizer, `documento ${written} ok`), [written]);
  }
  const foreigner = nie(32);
  const dashed = `${foreigner[0]}-${foreigner.slice(1, 8)}-${foreigner[8]}`;
  assert.deepEqual(coveredBy(esDniRecognizer, `NIE ${dashed}`), [dashed]);
});

test("a wrong letter, a lower-case letter or extra characters are rejected", () => {
  const value = dni(40);
  const wrong = letters[(letters.indexOf(value.slice(8)) + 1) % 23] as string;
  for (const text of [`${value.slice(0, 8)}${wrong}`, value.toLowerCase(), `${value}X`, `A${value}`, `${value.slice(0, 8)}0${value.slice(8)}`]) {
    assert.deepEqual(coveredBy(esDniRecognizer, text), [], text);
  }
  const foreigner = nie(41);
  assert.deepEqual(coveredBy(esDniRecognizer, `W${foreigner.slice(1)}`), [], "W is no NIE prefix");
});

test("context words raise confidence", () => {
  const value = dni(50);
  const plain = scanWith(esDniRecognizer, `code ${value}`)[0]?.confidence ?? 0;
  const withContext = scanWith(esDniRecognizer, `mi DNI es ${value}`)[0]?.confidence ?? 0;
  assert.ok(plain >= 0.8 && withContext > plain);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(esDniRecognizer, text);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { isPesel, plPeselRecognizer } from "./pl-pesel.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

const pad = (value: number): string => String(value).padStart(2, "0");

/** A PESEL for a birth date: the month carries the century, then a serial and the check digit. */
function pesel(year: number, month: number, day: number, seed: number): string {
  const centuryOffset = year < 1900 ? 80 : year < 2000 ? 0 : year < 2100 ? 20 : year < 2200 ? 40 : 60;
  const body = `${pad(year % 100)}${pad(month + centuryOffset)}${pad(day)}${seeded(seed).digits(4).join("")}`;
  const weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  const sum = [...body].reduce((total, digit, index) => total + Number(digit) * (weights[index] as number), 0);
  return body + String((10 - (sum % 10)) % 10);
}

test("valid dates in every century pass; impossible dates and wrong checks fail", () => {
  for (const [year, month, day] of [[1985, 3, 12], [1899, 12, 31], [2004, 2, 29], [2150, 7, 1], [2210, 11, 30]] as const) {
    const value = pesel(year, month, day, year);
    assert.equal(isPesel([...value].map(Number)), true, `${year}-${month}-${day}: ${value}`);
  }
  for (const [year, month, day] of [[2003, 2, 29], [1985, 4, 31], [1985, 13, 1], [1985, 1, 0]] as const) {
    assert.equal(isPesel([...pesel(year, month, day, 1)].map(Number)), false, `${year}-${month}-${day}`);
  }
  const value = pesel(1990, 5, 17, 3);
  assert.equal(isPesel([...(value.slice(0, 10) + String((Number(value[10]) + 1) % 10))].map(Number)), false);
});

test("a PESEL passes the default threshold only with a context word", () => {
  const value = pesel(1978, 9, 23, 8);
  const plain = scanWith(plPeselRecognizer, `numer ${value}`)[0]?.confidence ?? 0;
  assert.ok(plain < 0.5);
  const [withContext] = scanWith(plPeselRecognizer, `PESEL: ${value}`);
  assert.equal(withContext?.covered, value);
  assert.ok((withContext?.confidence ?? 0) >= 0.8);
  assert.deepEqual(coveredBy(plPeselRecognizer, `order ${value}`), [], "reference words drop it");
});

test("glued or longer digit strings are not a PESEL", () => {
  const value = pesel(1985, 3, 12, 4);
  assert.deepEqual(coveredBy(plPeselRecognizer, `PESEL X${value}`), []);
  assert.deepEqual(coveredBy(plPeselRecognizer, `PESEL ${value}5`), []);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(plPeselRecognizer, text);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { fiscalCodeCheck, isFiscalCode, itFiscalCodeRecognizer } from "./it-fiscal-code.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

/** Odd-position values as the Agenzia delle Entrate table lists them, for A-Z (digits 0-9 count as A-J). */
const oddTable: Record<string, number> = { A: 1, B: 0, C: 5, D: 7, E: 9, F: 13, G: 15, H: 17, I: 19, J: 21, K: 2, L: 4, M: 18, N: 20, O: 11, P: 3, Q: 6, R: 8, S: 12, T: 14, U: 16, V: 10, W: 22, X: 25, Y: 24, Z: 23 };

function check(first15: string): string {
  let sum = 0;
  [...first15].forEach((character, index) => {
    const asLetter = /\d/.test(character) ? String.fromCharCode(65 + Number(character)) : character;
    sum += index % 2 === 0 ? (oddTable[asLetter] as number) : asLetter.charCodeAt(0) - 65;
  });
  return String.fromCharCode(65 + (sum % 26));
}

function fiscalCode(seed: number): string {
  const random = seeded(seed);
  const letter = (): string => String.fromCharCode(65 + random.below(26));
  const day = 1 + random.below(31) + (random.below(2) === 1 ? 40 : 0);
  const body = `${letter()}${letter()}${letter()}${letter()}${letter()}${letter()}${String(random.below(100)).padStart(2, "0")}${"ABCDEHLMPRST"[random.below(12)]}${String(day).padStart(2, "0")}${letter()}${String(random.below(1000)).padStart(3, "0")}`;
  return body + check(body);
}

test("the check character matches a hand-worked example and the table", () => {
  // RSSMRA85T10A562: odd positions R S R 8 T 0 5 2 → 8+12+8+19+14+1+13+5 = 80; even S M A 5 1 A 6 → 42; 122 mod 26 = 18 → S.
  assert.equal(fiscalCodeCheck("RSSMRA85T10A562"), "S");
  for (let seed = 1; seed <= 30; seed++) assert.equal(fiscalCodeCheck(fiscalCode(seed)), fiscalCode(seed)[15]);
});

test("finds generated codes with exact spans, also for women (day + 40)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const value = fiscalCode(seed);
    assert.deepEqual(coveredBy(itFiscalCodeRecognizer, `CF: ${value}.`), [value], value);
  }
  const [finding] = scanWith(itFiscalCodeRecognizer, "codice fiscale RSSMRA85T10A562S");
  assert.equal(finding?.type, "it_fiscal_code");
  assert.ok((finding?.confidence ?? 0) >= 0.95);
});

test("omocodia codes (letters LMNPQRSTUV for digits) are recognised", () => {
  // RSSMRA85T10A562S with the last municipality digit 2 replaced by its letter N.
  const body = "RSSMRA85T10A56N";
  const value = body + check(body);
  assert.equal(isFiscalCode(value), true);
  assert.deepEqual(coveredBy(itFiscalCodeRecognizer, `cf ${value}`), [value]);
});

test("a wrong check letter, a bad month letter, a bad day or a lower-case code are rejected", () => {
  const value = fiscalCode(77);
  const wrongCheck = value.slice(0, 15) + String.fromCharCode(((value.charCodeAt(15) - 65 + 1) % 26) + 65);
  const badMonth = `${value.slice(0, 8)}Z${value.slice(9, 15)}`;
  const badDay = `${value.slice(0, 9)}35${value.slice(11, 15)}`;
  for (const text of [wrongCheck, badMonth + check(badMonth), badDay + check(badDay), value.toLowerCase(), `X${value}`, `${value}1`]) {
    assert.deepEqual(coveredBy(itFiscalCodeRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(itFiscalCodeRecognizer, text);
  assertScansQuickly(itFiscalCodeRecognizer, "ABCDEF12".repeat(12_500));
});

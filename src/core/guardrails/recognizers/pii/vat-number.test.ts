import assert from "node:assert/strict";
import { test } from "node:test";
import { vatNumberRecognizer } from "./vat-number.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

const digits = (value: string): number[] => [...value].map(Number);
const weighted = (value: string, weights: readonly number[]): number => digits(value).reduce((sum, digit, index) => sum + digit * (weights[index] ?? 0), 0);

function luhnCheck(body: string): number {
  let sum = 0;
  [...body].reverse().forEach((character, index) => {
    let value = Number(character);
    if (index % 2 === 0) value = value * 2 > 9 ? value * 2 - 9 : value * 2;
    sum += value;
  });
  return (10 - (sum % 10)) % 10;
}

function mod1110(body: string): number {
  let product = 10;
  for (const digit of digits(body)) {
    let sum = (digit + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  return (11 - product) % 10;
}

/** One valid number per country with a standard check, generated from `seed`. */
function generate(country: string, seed: number): string {
  const random = seeded(seed);
  const some = (count: number): string => random.digits(count).join("");
  for (;;) {
    switch (country) {
      case "DE": {
        const body = String(1 + random.below(9)) + some(7);
        return `DE${body}${mod1110(body)}`;
      }
      case "AT": {
        const body = some(7);
        let sum = 0;
        digits(body).forEach((digit, index) => {
          const product = digit * (index % 2 === 0 ? 1 : 2);
          sum += product > 9 ? product - 9 : product;
        });
        return `ATU${body}${(10 - ((sum + 4) % 10)) % 10}`;
      }
      case "BE": {
        const body = `0${String(1 + random.below(9))}${some(6)}`;
        return `BE${body}${String(97 - (Number(body) % 97)).padStart(2, "0")}`;
      }
      case "IT": {
        const body = some(10);
        return `IT${body}${luhnCheck(body)}`;
      }
      case "FR": {
        const base = some(8);
        const siren = `${base}${luhnCheck(base)}`;
        return `FR${String((12 + 3 * (Number(siren) % 97)) % 97).padStart(2, "0")}${siren}`;
      }
      case "NL": {
        const body = some(8);
        const check = weighted(body, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
        if (check === 10) continue;
        return `NL${body}${check}B01`;
      }
      case "PL": {
        const body = some(9);
        const check = weighted(body, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
        if (check === 10) continue;
        return `PL${body}${check}`;
      }
      case "ES": {
        const number = some(8);
        return `ES${number}${"TRWAGMYFPDXBNJZSQVHLCKE"[Number(number) % 23]}`;
      }
      case "GB": {
        const body = String(1 + random.below(9)) + some(6);
        const check = (97 - (weighted(body, [8, 7, 6, 5, 4, 3, 2]) % 97)) % 97;
        return `GB${body}${String(check).padStart(2, "0")}`;
      }
      case "DK": {
        const body = String(1 + random.below(9)) + some(7);
        if (weighted(body, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 !== 0) continue;
        return `DK${body}`;
      }
      case "PT": {
        const body = String(1 + random.below(9)) + some(7);
        const check = 11 - (weighted(body, [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
        return `PT${body}${check >= 10 ? 0 : check}`;
      }
      default:
        throw new Error(country);
    }
  }
}

const checked = ["DE", "AT", "BE", "IT", "FR", "NL", "PL", "ES", "GB", "DK", "PT"];

test("generated numbers with a standard check are found confidently, with exact spans", () => {
  checked.forEach((country, index) => {
    for (let seed = 1; seed <= 5; seed++) {
      const value = generate(country, index * 100 + seed);
      const [finding] = scanWith(vatNumberRecognizer, `Rechnung an ${value}.`);
      assert.equal(finding?.covered, value, value);
      assert.ok((finding?.confidence ?? 0) >= 0.95, value);
    }
  });
});

test("a changed digit breaks the check and the number is not found", () => {
  checked.forEach((country, index) => {
    const value = generate(country, index + 500);
    // NL ends in a branch suffix ("B01") outside the check; change a body digit there.
    const position = country === "NL" ? 6 : value.length - 2;
    const digit = value[position] as string;
    if (!/\d/.test(digit)) return;
    const changed = value.slice(0, position) + String((Number(digit) + 5) % 10) + value.slice(position + 1);
    assert.deepEqual(coveredBy(vatNumberRecognizer, `VAT ${changed}`), [], `${country}: ${changed}`);
  });
});

test("blanks, dots and a gap after the prefix are read; the span covers them", () => {
  const german = generate("DE", 900);
  const spaced = `DE ${german.slice(2, 5)} ${german.slice(5, 8)} ${german.slice(8)}`;
  assert.deepEqual(coveredBy(vatNumberRecognizer, `USt-IdNr.: ${spaced}`), [spaced]);
  const belgian = generate("BE", 901);
  const dotted = `BE ${belgian.slice(2, 6)}.${belgian.slice(6, 9)}.${belgian.slice(9)}`;
  assert.deepEqual(coveredBy(vatNumberRecognizer, `TVA ${dotted}`), [dotted]);
});

test("format-only countries need a VAT word to pass the default threshold", () => {
  const czech = `CZ${seeded(3).digits(8).join("")}`;
  assert.ok((scanWith(vatNumberRecognizer, `ref ${czech}`)[0]?.confidence ?? 1) < 0.5);
  assert.ok((scanWith(vatNumberRecognizer, `VAT number ${czech}`)[0]?.confidence ?? 0) >= 0.7);
  assert.ok((scanWith(vatNumberRecognizer, `vat_id=${czech}`)[0]?.confidence ?? 0) >= 0.7);
  // A French number with a letter key has no numeric check: format level too.
  assert.ok((scanWith(vatNumberRecognizer, "client FRXA123456789")[0]?.confidence ?? 1) < 0.5);
  assert.ok((scanWith(vatNumberRecognizer, "n° TVA FRXA123456789")[0]?.confidence ?? 0) >= 0.7);
});

test("unknown prefixes, glued prefixes and wrong lengths are ignored", () => {
  const german = generate("DE", 950);
  for (const text of [`QQ${german.slice(2)}`, `X${german}`, `${german}1`, german.slice(0, 10), `de${german.slice(2)}`]) {
    assert.deepEqual(coveredBy(vatNumberRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(vatNumberRecognizer, text);
  assertScansQuickly(vatNumberRecognizer, "DE 1 ".repeat(20_000));
});

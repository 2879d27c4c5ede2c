import assert from "node:assert/strict";
import { test } from "node:test";
import { alphanumericModulo97, decimalModulo, iso7064Mod11Radix10, luhnValid, weightedSum } from "./checksums.ts";

const digitsOf = (value: string): number[] => [...value].map(Number);

test("Luhn accepts the classic test card numbers and rejects a one-digit change", () => {
  for (const number of ["4111111111111111", "5555555555554444", "378282246310005", "79927398713"]) {
    assert.equal(luhnValid(digitsOf(number), number.length), true, number);
    const changed = number.slice(0, -1) + String((Number(number.at(-1)) + 1) % 10);
    assert.equal(luhnValid(digitsOf(changed), changed.length), false, changed);
  }
});

test("ISO 7064 MOD 11,10 check digit: hand-computed value, and the sum after it is always 1", () => {
  // "12345678": the products run 2 8 2 1 1 3 9 3, so the check digit is 11 − 3 = 8.
  assert.equal(iso7064Mod11Radix10(digitsOf("12345678"), 8), 8);
  // The defining property: feeding the check digit through the same recurrence gives sum 1.
  for (const body of ["86095742", "47036892", "00000000", "9999999999", "1234567890"]) {
    const digits = digitsOf(body);
    const check = iso7064Mod11Radix10(digits, digits.length);
    let product = 10;
    let sum = 0;
    for (const digit of [...digits, check]) {
      sum = (digit + product) % 10;
      if (sum === 0) sum = 10;
      product = (sum * 2) % 11;
    }
    assert.equal(sum, 1, body);
  }
});

test("weighted sums and decimal remainders work on long digit strings without overflow", () => {
  assert.equal(weightedSum([1, 2, 3], [3, 2, 1]), 10);
  assert.equal(weightedSum([9, 9, 1, 2], [1, 1], 2), 3);
  const long = "123456789012345678901234567890";
  assert.equal(decimalModulo(digitsOf(long), 0, long.length, 97), Number(BigInt(long) % 97n));
});

test("the IBAN remainder reads letters as 10-35 and rejects other characters", () => {
  // DE89 3704 0044 0532 0130 00 rearranged: BBAN + "DE89".
  assert.equal(alphanumericModulo97("370400440532013000DE89"), 1);
  assert.equal(alphanumericModulo97("370400440532013000de89"), 1);
  assert.equal(alphanumericModulo97("370400440532013000DE88"), 0);
  assert.equal(alphanumericModulo97("3704-0044"), -1);
});

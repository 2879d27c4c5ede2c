import assert from "node:assert/strict";
import { test } from "node:test";
import { paymentCardRecognizer } from "./payment-card.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

/** A card number with `prefix`, random middle digits and a Luhn check digit computed here. */
function card(prefix: string, length: number, seed: number): string {
  const random = seeded(seed);
  let body = prefix;
  while (body.length < length - 1) body += String(random.digit());
  let sum = 0;
  for (let index = 0; index < body.length; index++) {
    // Positions counted from the right of the full number; the check digit will be position 0.
    const fromRight = body.length - index;
    let value = Number(body[index]);
    if (fromRight % 2 === 1) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function groupsOfFour(number: string, separator: string): string {
  return number.match(/.{1,4}/g)?.join(separator) ?? number;
}

const networks: Array<[string, string, number]> = [
  ["Visa 16", "4", 16],
  ["Visa 13", "4", 13],
  ["Visa 19", "4", 19],
  ["Mastercard 5x", "53", 16],
  ["Mastercard 2-series", "2221", 16],
  ["Amex", "37", 15],
  ["Discover", "6011", 16],
  ["Discover 65", "65", 19],
  ["JCB", "3530", 16],
  ["Diners", "36", 14],
  ["UnionPay", "62", 17],
];

test("finds generated numbers of every network, bare and grouped, with exact spans", () => {
  networks.forEach(([name, prefix, length], index) => {
    const number = card(prefix, length, index + 1);
    assert.deepEqual(coveredBy(paymentCardRecognizer, `pay with ${number} today`), [number], `${name} bare`);
    if (length === 16 || length === 19) {
      for (const separator of [" ", "-"]) {
        const grouped = groupsOfFour(number, separator);
        assert.deepEqual(coveredBy(paymentCardRecognizer, `card: ${grouped}.`), [grouped], `${name} grouped with "${separator}"`);
      }
    }
  });
  const amex = card("34", 15, 99);
  const printed = `${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`;
  assert.deepEqual(coveredBy(paymentCardRecognizer, `Amex ${printed}`), [printed]);
});

test("a wrong check digit, an unknown issuer or a wrong length is no card", () => {
  const visa = card("4", 16, 7);
  const wrongCheck = visa.slice(0, 15) + String((Number(visa[15]) + 1) % 10);
  assert.deepEqual(coveredBy(paymentCardRecognizer, `card ${wrongCheck}`), []);
  const unknownIssuer = card("9", 16, 8);
  assert.deepEqual(coveredBy(paymentCardRecognizer, `card ${unknownIssuer}`), []);
  const amexTooLong = card("37", 16, 9);
  assert.deepEqual(coveredBy(paymentCardRecognizer, `card ${amexTooLong}`), []);
  assert.deepEqual(coveredBy(paymentCardRecognizer, `ID${visa}`), [], "glued to a word");
  assert.deepEqual(coveredBy(paymentCardRecognizer, `pi=3.${visa}`), [], "decimals");
});

test("grouping must look like a card, and a slice of a longer grouped number is none", () => {
  const visa = card("4", 16, 11);
  const oddGroups = `${visa.slice(0, 3)} ${visa.slice(3, 9)} ${visa.slice(9)}`;
  assert.deepEqual(coveredBy(paymentCardRecognizer, oddGroups), []);
  const parcel = `9400 ${groupsOfFour(card("2221", 16, 12), " ")} 34`;
  assert.deepEqual(coveredBy(paymentCardRecognizer, `Tracking: ${parcel}`), []);
  const withExpiry = `${groupsOfFour(visa, " ")} 12/27`;
  assert.deepEqual(coveredBy(paymentCardRecognizer, withExpiry), [groupsOfFour(visa, " ")]);
});

test("card words raise confidence, order words lower it", () => {
  const number = card("4", 16, 21);
  const plain = scanWith(paymentCardRecognizer, `value ${number}`)[0]?.confidence ?? 0;
  const withCard = scanWith(paymentCardRecognizer, `Kreditkarte ${number}`)[0]?.confidence ?? 0;
  const withOrder = scanWith(paymentCardRecognizer, `numéro de commande ${number}`)[0]?.confidence ?? 0;
  assert.ok(withCard > plain, `${withCard} > ${plain}`);
  assert.ok(withOrder < plain && withOrder < 0.5, `${withOrder} < ${plain}`);
  const grouped = scanWith(paymentCardRecognizer, `value ${groupsOfFour(number, " ")}`)[0]?.confidence ?? 0;
  assert.ok(grouped > plain);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(paymentCardRecognizer, text);
  assertScansQuickly(paymentCardRecognizer, "4111 ".repeat(25_000));
});

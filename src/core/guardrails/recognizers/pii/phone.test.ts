import assert from "node:assert/strict";
import { test } from "node:test";
import { phoneRecognizer, startsWithCountryCode } from "./phone.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("country calling codes: 1 and 7, the two-digit codes, and three-digit zones", () => {
  assert.equal(startsWithCountryCode(4, 9), true);
  assert.equal(startsWithCountryCode(1, 0), true);
  assert.equal(startsWithCountryCode(3, 5), true, "+35x (Portugal, Ireland...)");
  assert.equal(startsWithCountryCode(2, 8), false, "+28 is unassigned");
  assert.equal(startsWithCountryCode(8, 3), false, "+83 is unassigned");
});

test("international numbers are confident on their own, with exact spans", () => {
  const cases = ["+49 30 1234567", "+1 (555) 123-4567", "+44 (0)20 7946 0958", "+33 6 12 34 56 78", "+41.44.668.18.00", "+4915112345678"];
  for (const number of cases) {
    const [finding] = scanWith(phoneRecognizer, `reach ${number}.`);
    assert.equal(finding?.covered, number, number);
    assert.ok((finding?.confidence ?? 0) >= 0.7, number);
  }
});

test("plus signs in arithmetic, timezones and short or unassigned numbers are no phone", () => {
  for (const text of ["a +1 b", "x+49301234567", "2024-05-12T10:00:00+02:00", "+28 123 4567 890", "+49 12", "total +123456789012345678", "1+2345678"]) {
    assert.deepEqual(coveredBy(phoneRecognizer, text), [], text);
  }
});

test("national formats need a phone word to pass the threshold", () => {
  const cases = ["(555) 234-5678", "555-234-5678", "555.234.5678", "1-555-234-5678", "020 7946 0958", "07700 900123", "030 12345678", "030/1234567", "(030) 1234567", "0152/59911463", "06 12 34 56 78", "01.23.45.67.89"];
  for (const number of cases) {
    const plain = scanWith(phoneRecognizer, `value ${number} x`)[0]?.confidence ?? 0;
    assert.ok(plain < 0.5, `${number} alone: ${plain}`);
    for (const word of ["Phone:", "Handynummer", "Tél."]) {
      const [finding] = scanWith(phoneRecognizer, `${word} ${number} x`);
      assert.equal(finding?.covered, number, `${word} ${number}`);
      assert.ok((finding?.confidence ?? 0) >= 0.65, `${word} ${number}`);
    }
  }
});

test("North American exchanges start with 2-9: 555-123-4567 is no valid number", () => {
  assert.deepEqual(coveredBy(phoneRecognizer, "Phone: 555-123-4567"), []);
  assert.deepEqual(coveredBy(phoneRecognizer, "Phone: (555) 123-4567"), []);
});

test("bare national digit strings are reported only with a phone word", () => {
  assert.deepEqual(coveredBy(phoneRecognizer, "id 0612345678"), []);
  assert.deepEqual(coveredBy(phoneRecognizer, "portable 0612345678"), ["0612345678"]);
  assert.deepEqual(coveredBy(phoneRecognizer, "phone_number=5552345678"), ["5552345678"]);
});

test("dates, times, versions and order numbers are not taken for phones", () => {
  for (const text of ["Tel. 12.03.2024", "call at 10:30:45", "phone app 2.14.3.1", "call 2024-05-12"]) {
    assert.deepEqual(coveredBy(phoneRecognizer, text), [], text);
  }
  const order = scanWith(phoneRecognizer, "Bestellnummer 030 12345678")[0]?.confidence ?? 0;
  assert.ok(order < 0.5);
  const international = scanWith(phoneRecognizer, "order +49 30 1234567")[0]?.confidence ?? 0;
  assert.ok(international < 0.75 && international > 0);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(phoneRecognizer, text);
  assertScansQuickly(phoneRecognizer, "+".repeat(100_000));
  assertScansQuickly(phoneRecognizer, "+1 (".repeat(25_000));
  assertScansQuickly(phoneRecognizer, "tel 0 1 2 3 4 5 6 7 8 9 ".repeat(4000));
});

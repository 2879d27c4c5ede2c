import assert from "node:assert/strict";
import { test } from "node:test";
import { isNinoPrefix, ukNinoRecognizer } from "./uk-nino.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

/** A NINO with an allowed prefix, random digits and a suffix A-D. */
function nino(seed: number): string {
  const random = seeded(seed);
  const letters = "ABCEGHJKLMNOPRSTWXYZ";
  let prefix = "";
  do prefix = random.pick([...letters]) + random.pick([..."ABCEGHJKLMNPRSTWXYZ"]);
  while (!isNinoPrefix(prefix));
  return `${prefix}${random.digits(6).join("")}${"ABCD"[random.below(4)]}`;
}

test("prefix rules: first letter not D F I Q U V, second not D F I O Q U V, no reserved pairs", () => {
  for (const good of ["AB", "CE", "ZY", "JG"]) assert.equal(isNinoPrefix(good), true, good);
  for (const bad of ["DA", "FA", "IA", "QA", "UA", "VA", "AD", "AO", "AV", "BG", "GB", "NK", "KN", "TN", "NT", "ZZ"]) assert.equal(isNinoPrefix(bad), false, bad);
});

test("finds generated numbers compact and spaced, with exact spans", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const value = nino(seed);
    assert.deepEqual(coveredBy(ukNinoRecognizer, `NI: ${value}.`), [value], value);
    const spaced = `${value.slice(0, 2)} ${value.slice(2, 4)} ${value.slice(4, 6)} ${value.slice(6, 8)} ${value.slice(8)}`;
    assert.deepEqual(coveredBy(ukNinoRecognizer, `number ${spaced} ok`), [spaced], spaced);
  }
});

test("bad prefixes, suffixes beyond D and wrong digit counts are not found", () => {
  for (const text of ["GB123456A", "DA123456A", "AB123456E", "AB12345A", "AB1234567A", "XAB123456A", "AB123456AB"]) {
    assert.deepEqual(coveredBy(ukNinoRecognizer, text), [], text);
  }
});

test("without a suffix a number needs a context word; context raises confidence", () => {
  assert.deepEqual(coveredBy(ukNinoRecognizer, "code AB123456 here"), []);
  assert.deepEqual(coveredBy(ukNinoRecognizer, "National Insurance number AB123456 here"), ["AB123456"]);
  const plain = scanWith(ukNinoRecognizer, "AB123456C")[0]?.confidence ?? 0;
  const withContext = scanWith(ukNinoRecognizer, "NINO AB123456C")[0]?.confidence ?? 0;
  assert.ok(withContext > plain && plain >= 0.8);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(ukNinoRecognizer, text);
});

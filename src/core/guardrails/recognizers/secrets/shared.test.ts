import assert from "node:assert/strict";
import { test } from "node:test";
import { isPlaceholderBody } from "./shared.ts";
import { randomCharacterSource } from "./testing.ts";

function placeholder(body: string): boolean {
  return isPlaceholderBody(body, 0, body.length);
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base64Url = `${base62}-_`;
const base64 = `${base62}+/`;
const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const hex = "0123456789abcdef";

test("stand-in bodies from documentation and templates are placeholders", () => {
  for (const body of [
    "x".repeat(24),
    "X".repeat(35),
    "0".repeat(48),
    "*".repeat(20),
    "abcabcabcabcabcabcabcabc",
    "xXxXxXxXyYyYyYyY",
    "IOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Qz9Kp2Lm4Example7Wr7TxB4nHs",
    "YOUR_API_KEY_HERE_1234",
    "your-key-here-Qz9Kp2Lm4W",
    "Qz9Kp2Lm4W-xxxx-Wr7TxB4nHs",
    "Qz9Kp2Lm4WplaceholderB4nHs",
    "REDACTED9Kp2Lm4Wr7TxB4nHs",
    "Qz9Kp2Lm00000000Wr7TxB4nHs",
    "Qz9K1234567890Wr7TxB4nHs",
    "Qz9KabcdefghijWr7TxB4nHs",
    "Qz9KzyxwvutsrqWr7TxB4nHs",
  ]) {
    assert.equal(placeholder(body), true, body);
  }
});

test("typed words count in one case only, and short ones only standing alone", () => {
  assert.equal(placeholder("Qz9Kp2Lm4W-yOuR-Wr7TxB4nHs"), false, "mixed case is not a typed word");
  assert.equal(placeholder("Qz9Kp2Lm4WyourWr7TxB4nHs"), false, "a four-letter word inside random text");
  assert.equal(placeholder("Qz9Kp2Lm4W-your-Wr7TxB4nHs"), true, "the same word between separators");
  assert.equal(placeholder("Qz9Kp2Lm4WExampleWr7TxB4nHs"), true, "a long word anywhere, capitalised");
  assert.equal(placeholder("Qz9K1234567Wr7TxB4nHs"), false, "seven consecutive digits can be random");
});

test("random bodies of every vendor alphabet and length are never placeholders", () => {
  const shapes: Array<[string, number]> = [
    [base62, 16], [base62, 24], [base62, 30], [base62, 36], [base62, 48], [base62, 99], [base62, 160],
    [base64Url, 20], [base64Url, 35], [base64Url, 40], [base64Url, 82], [base64Url, 95], [base64Url, 156],
    [base32, 16], [hex, 32], [hex, 40], [hex, 64], [base64, 40],
  ];
  const bodiesPerShape = 2_000;
  let checked = 0;
  const rejected: string[] = [];
  for (const [shapeIndex, [alphabet, length]] of shapes.entries()) {
    const draw = randomCharacterSource(0x5eed + shapeIndex);
    for (let count = 0; count < bodiesPerShape; count++) {
      const body = draw(length, alphabet);
      checked++;
      if (placeholder(body)) rejected.push(body);
    }
  }
  assert.equal(checked, shapes.length * bodiesPerShape);
  assert.deepEqual(rejected, []);
});

test("the random source draws every character of the alphabet about equally often", () => {
  const draw = randomCharacterSource(7);
  const sample = draw(62_000, base62);
  const counts = new Map<string, number>();
  for (const character of sample) counts.set(character, (counts.get(character) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const [character, count] of counts) assert.ok(count > 800 && count < 1_200, `${character}: ${count}`);
});

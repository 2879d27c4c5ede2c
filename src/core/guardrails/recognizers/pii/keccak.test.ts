import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { keccak256, keccakSponge } from "./keccak.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const ascii = (value: string): Uint8Array => new TextEncoder().encode(value);

test("keccak-256 of the empty input is Ethereum's well-known empty hash", () => {
  assert.equal(hex(keccak256(new Uint8Array(0))), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
});

test("keccak-256 of 'abc' matches the published test vector", () => {
  assert.equal(hex(keccak256(ascii("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
});

test("with SHA-3's domain byte the same sponge equals node:crypto sha3-256 for inputs of every block layout", () => {
  for (const length of [0, 1, 55, 135, 136, 137, 271, 272, 500]) {
    const input = new Uint8Array(length);
    for (let index = 0; index < length; index++) input[index] = (index * 131 + length) & 0xff;
    const expected = createHash("sha3-256").update(input).digest("hex");
    assert.equal(hex(keccakSponge(input, 136, 0x06, 32)), expected, `length ${length}`);
  }
});

test("keccak-256 differs from sha3-256 (the padding matters)", () => {
  assert.notEqual(hex(keccak256(ascii("abc"))), createHash("sha3-256").update("abc").digest("hex"));
});

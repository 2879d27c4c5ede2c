import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  base58Check,
  base62,
  decimalModulo,
  eip55,
  githubChecksum,
  ibanCheckDigits,
  ibanValid,
  iso7064Mod11Check,
  italianCheckCharacter,
  luhnCheckDigit,
  luhnValid,
  segwitAddress,
  spanishControlLetter,
} from "./checksums.ts";
import { keccak256, keccakSponge256 } from "./keccak.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("published check-digit examples", () => {
  test("Luhn accepts the textbook numbers and computes their check digit", () => {
    assert.equal(luhnValid("79927398713"), true);
    assert.equal(luhnValid("4111111111111111"), true);
    assert.equal(luhnValid("4111111111111112"), false);
    assert.equal(luhnCheckDigit("7992739871"), 3);
  });

  test("IBAN mod 97: the ECBS examples validate and DE89 is recomputed", () => {
    assert.equal(ibanValid("DE89370400440532013000"), true);
    assert.equal(ibanValid("GB82WEST12345698765432"), true);
    assert.equal(ibanValid("GB83WEST12345698765432"), false);
    assert.equal(ibanCheckDigits("DE", "370400440532013000"), "89");
    assert.equal(decimalModulo("123456789012345678901234567890", 97), Number(123456789012345678901234567890n % 97n));
  });

  test("ISO 7064 MOD 11,10 gives the check digit of the German tax id example 86095742719", () => {
    assert.equal(iso7064Mod11Check("8609574271"), 9);
  });

  test("Spanish DNI letter and Italian codice fiscale check character", () => {
    assert.equal(spanishControlLetter(12345678), "Z");
    assert.equal(italianCheckCharacter("RSSMRA85T10A562"), "S");
  });

  test("GitHub checksum: CRC32 of the 30 random characters in base62, padded to six", () => {
    assert.equal(githubChecksum("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ"), "0mLq17");
    assert.equal(base62(0, 6), "000000");
    assert.equal(base62(61, 1), "z");
    assert.equal(base62(62, 1), "10");
  });
});

describe("crypto addresses", () => {
  test("base58check of version 0 and a zero hash is the well-known burn address", () => {
    assert.equal(base58Check(new Uint8Array(21)), "1111111111111111111114oLvT2");
  });

  test("bech32 (BIP-173) and bech32m (BIP-350) reproduce the specification vectors", () => {
    assert.equal(segwitAddress("bc", 0, Buffer.from("751e76e8199196d454941c45d1b3a323f1433bd6", "hex")), "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    assert.equal(
      segwitAddress("bc", 1, Buffer.from("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "hex")),
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    );
  });

  test("EIP-55 reproduces the specification's mixed-case addresses", () => {
    for (const address of ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]) {
      assert.equal(eip55(address.slice(2).toLowerCase()), address);
    }
  });
});

describe("keccak256", () => {
  test("hashes the empty string and 'abc' to the known Keccak-256 digests", () => {
    assert.equal(hex(keccak256(new Uint8Array())), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(hex(keccak256(new TextEncoder().encode("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  });

  test("with SHA-3 padding the same permutation matches node:crypto's sha3-256 across block boundaries", () => {
    for (const length of [0, 1, 55, 135, 136, 137, 271, 272, 500]) {
      const input = Buffer.alloc(length, length % 251);
      assert.equal(hex(keccakSponge256(input, 0x06)), createHash("sha3-256").update(input).digest("hex"), `length ${length}`);
    }
  });
});

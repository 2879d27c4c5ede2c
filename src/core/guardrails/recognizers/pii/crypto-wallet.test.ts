import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { cryptoWalletRecognizer, decodeBase58, hasEip55Checksum, isBase58CheckAddress, isSegwitAddress } from "./crypto-wallet.ts";
import { keccak256 } from "./keccak.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith, seeded } from "./testing.ts";

const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function encodeBase58(bytes: Uint8Array): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (value > 0n) {
    out = alphabet[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

function randomBytes(seed: number, count: number): Uint8Array {
  const random = seeded(seed);
  return Uint8Array.from({ length: count }, () => random.below(256));
}

/** A base58check address: version byte, 20-byte hash, first 4 bytes of double SHA-256. */
function base58Address(version: number, seed: number): string {
  const payload = Uint8Array.from([version, ...randomBytes(seed, 20)]);
  const checksum = createHash("sha256").update(createHash("sha256").update(payload).digest()).digest().subarray(0, 4);
  return encodeBase58(Uint8Array.from([...payload, ...checksum]));
}

const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function polymod(values: number[]): number {
  const generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    generator.forEach((term, bit) => {
      if ((top >>> bit) & 1) checksum ^= term;
    });
  }
  return checksum >>> 0;
}

/** A segwit address "bc1…": witness version, the program in 5-bit groups, a bech32/bech32m checksum. */
function segwitAddress(version: number, program: Uint8Array): string {
  const groups: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const byte of program) {
    accumulator = (accumulator << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups.push((accumulator >>> bits) & 31);
    }
  }
  if (bits > 0) groups.push((accumulator << (5 - bits)) & 31);
  const data = [version, ...groups];
  const constant = version === 0 ? 1 : 0x2bc830a3;
  const residue = polymod([3, 3, 0, 2, 3, ...data, 0, 0, 0, 0, 0, 0]) ^ constant;
  const checksum = Array.from({ length: 6 }, (_, index) => (residue >>> (5 * (5 - index))) & 31);
  return `bc1${[...data, ...checksum].map((value) => charset[value]).join("")}`;
}

/** EIP-55: upper-case a letter where the keccak-256 of the lower-case hex has a nibble of 8 or more. */
function checksummed(hex: string): string {
  const hash = Buffer.from(keccak256(new TextEncoder().encode(hex))).toString("hex");
  return `0x${[...hex].map((character, index) => (Number.parseInt(hash[index] as string, 16) >= 8 ? character.toUpperCase() : character)).join("")}`;
}

test("base58 decoding keeps leading zero bytes", () => {
  assert.deepEqual(decodeBase58("11"), Uint8Array.from([0, 0]));
  assert.deepEqual(decodeBase58("2g"), Uint8Array.from([0x61]));
  assert.equal(decodeBase58("0OIl"), undefined);
});

test("generated P2PKH and P2SH addresses are found with exact spans; a changed character is not", () => {
  for (let seed = 1; seed <= 10; seed++) {
    for (const version of [0, 5]) {
      const address = base58Address(version, seed * 2 + version);
      assert.equal(isBase58CheckAddress(address), true, address);
      assert.deepEqual(coveredBy(cryptoWalletRecognizer, `send to ${address}.`), [address]);
      const index = 10;
      const changed = address.slice(0, index) + (address[index] === "a" ? "b" : "a") + address.slice(index + 1);
      assert.deepEqual(coveredBy(cryptoWalletRecognizer, `send to ${changed}.`), [], changed);
    }
  }
});

test("bech32 (v0) and bech32m (v1) segwit addresses, in either case, are found; the wrong constant is not", () => {
  const p2wpkh = segwitAddress(0, randomBytes(3, 20));
  const p2wsh = segwitAddress(0, randomBytes(4, 32));
  const taproot = segwitAddress(1, randomBytes(5, 32));
  for (const address of [p2wpkh, p2wsh, taproot, p2wpkh.toUpperCase()]) {
    assert.equal(isSegwitAddress(address), true, address);
    assert.deepEqual(coveredBy(cryptoWalletRecognizer, `pay ${address} now`), [address]);
  }
  const changed = `${p2wpkh.slice(0, -1)}${p2wpkh.endsWith("q") ? "p" : "q"}`;
  assert.deepEqual(coveredBy(cryptoWalletRecognizer, changed), []);
  const mixedCase = p2wpkh.slice(0, 10) + p2wpkh.slice(10).toUpperCase();
  assert.deepEqual(coveredBy(cryptoWalletRecognizer, mixedCase), []);
});

test("EIP-55 mixed-case Ethereum addresses need a valid checksum", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const hex = Buffer.from(randomBytes(seed + 100, 20)).toString("hex");
    const address = checksummed(hex);
    if (address.slice(2) === hex) continue;
    assert.equal(hasEip55Checksum(address.slice(2)), true);
    const [finding] = scanWith(cryptoWalletRecognizer, `to ${address}`);
    assert.equal(finding?.covered, address);
    assert.ok((finding?.confidence ?? 0) >= 0.95);
    const flipped = address.replace(/[a-f]/, (letter) => letter.toUpperCase());
    assert.deepEqual(coveredBy(cryptoWalletRecognizer, `to ${flipped}`), [], "one letter's case changed");
  }
});

test("all-lower-case Ethereum addresses have no checksum: only with a wallet word, at lower confidence", () => {
  const hex = Buffer.from(randomBytes(200, 20)).toString("hex");
  assert.deepEqual(coveredBy(cryptoWalletRecognizer, `hash 0x${hex}`), []);
  const [finding] = scanWith(cryptoWalletRecognizer, `ETH wallet: 0x${hex}`);
  assert.equal(finding?.covered, `0x${hex}`);
  assert.ok((finding?.confidence ?? 1) < 0.8);
  assert.deepEqual(coveredBy(cryptoWalletRecognizer, `wallet 0x${hex}00`), [], "42 hex digits is no address");
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(cryptoWalletRecognizer, text);
  assertScansQuickly(cryptoWalletRecognizer, "1".repeat(100_000));
  assertScansQuickly(cryptoWalletRecognizer, "bc1".repeat(33_000));
  assertScansQuickly(cryptoWalletRecognizer, `1${"A".repeat(40)} `.repeat(2400));
});

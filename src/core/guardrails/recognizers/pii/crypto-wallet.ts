import { createHash } from "node:crypto";
import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isAlphanumericCode, isHexCode, isLowerCode, isUpperCode, isWordCode } from "./characters.ts";
import { keccak256 } from "./keccak.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "crypto-wallet";

const walletContext = quickContextWords({
  en: ["wallet", "wallet address", "eth", "ethereum", "ether", "metamask", "erc20", "erc-20", "usdt", "usdc", "crypto", "send to", "deposit address", "receiving address"],
  de: ["wallet", "wallet-adresse", "krypto", "kryptowährung", "empfängeradresse", "ethereum-adresse"],
  fr: ["portefeuille", "adresse du portefeuille", "crypto", "cryptomonnaie", "adresse ethereum", "adresse de dépôt"],
});

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const base58Values = new Int8Array(128).fill(-1);
for (let index = 0; index < base58Alphabet.length; index++) base58Values[base58Alphabet.charCodeAt(index)] = index;

/** Bytes of a base58 string (leading "1"s are leading zero bytes), or undefined on a bad character. */
export function decodeBase58(value: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    let carry = code < 128 ? (base58Values[code] as number) : -1;
    if (carry < 0) return undefined;
    for (let position = 0; position < bytes.length; position++) {
      carry += (bytes[position] as number) * 58;
      bytes[position] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (let index = 0; index < value.length && value[index] === "1"; index++) bytes.push(0);
  return Uint8Array.from(bytes.reverse());
}

function doubleSha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(createHash("sha256").update(bytes).digest()).digest();
}

/** True for a mainnet P2PKH ("1…", version 0) or P2SH ("3…", version 5) base58check address. */
export function isBase58CheckAddress(value: string): boolean {
  const bytes = decodeBase58(value);
  if (bytes === undefined || bytes.length !== 25) return false;
  const version = bytes[0];
  if (!((version === 0 && value[0] === "1") || (version === 5 && value[0] === "3"))) return false;
  const checksum = doubleSha256(bytes.subarray(0, 21));
  return checksum[0] === bytes[21] && checksum[1] === bytes[22] && checksum[2] === bytes[23] && checksum[3] === bytes[24];
}

const bech32Alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const bech32Generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const bech32Constant = 1;
const bech32mConstant = 0x2bc830a3;

export function bech32Polymod(values: readonly number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) checksum ^= bech32Generator[bit] as number;
  }
  return checksum >>> 0;
}

/**
 * True for a mainnet segwit address ("bc1…"): a valid bech32 checksum for witness version 0 with a
 * 20- or 32-byte program, or a valid bech32m checksum for versions 1-16 with a 2-40 byte program.
 */
export function isSegwitAddress(value: string): boolean {
  if (value !== value.toLowerCase() && value !== value.toUpperCase()) return false;
  const lower = value.toLowerCase();
  if (!lower.startsWith("bc1") || lower.length < 14 || lower.length > 74) return false;
  const data: number[] = [];
  for (let index = 3; index < lower.length; index++) {
    const value5 = bech32Alphabet.indexOf(lower[index] as string);
    if (value5 === -1) return false;
    data.push(value5);
  }
  const residue = bech32Polymod([3, 3, 0, 2, 3, ...data]);
  const version = data[0] as number;
  if (version > 16) return false;
  if (residue !== (version === 0 ? bech32Constant : bech32mConstant)) return false;
  let accumulator = 0;
  let bits = 0;
  let programLength = 0;
  for (let index = 1; index < data.length - 6; index++) {
    accumulator = (accumulator << 5) | (data[index] as number);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      programLength++;
      accumulator &= (1 << bits) - 1;
    }
  }
  if (bits >= 5 || accumulator !== 0) return false;
  return version === 0 ? programLength === 20 || programLength === 32 : programLength >= 2 && programLength <= 40;
}

/** EIP-55: a letter is upper-case exactly where the keccak-256 of the lower-case hex has a nibble ≥ 8. */
export function hasEip55Checksum(hex40: string): boolean {
  const lower = hex40.toLowerCase();
  const hash = keccak256(new TextEncoder().encode(lower));
  for (let index = 0; index < 40; index++) {
    const code = hex40.charCodeAt(index);
    if (code < 65) continue;
    const nibble = index % 2 === 0 ? (hash[index >> 1] as number) >> 4 : (hash[index >> 1] as number) & 0x0f;
    if ((nibble >= 8) !== isUpperCode(code)) return false;
  }
  return true;
}

function alphanumericEnd(text: string, from: number, limit: number): number {
  let end = from;
  while (end < limit && isAlphanumericCode(codeAt(text, end))) end++;
  return end;
}

/**
 * Crypto wallet addresses. Bitcoin: base58check P2PKH/P2SH with the double-SHA-256 checksum, and
 * bech32/bech32m segwit addresses with their BCH checksum. Ethereum: "0x" and 40 hex digits; a
 * mixed-case address must carry a valid EIP-55 checksum (keccak-256), while an all-lower or
 * all-upper one has none and is reported only next to a wallet word, at lower confidence.
 */
export const cryptoWalletRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["crypto_wallet"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const wordStart = tokens.wordStart;
    for (let item = 0; item < wordStart.count; item++) {
      const token = wordStart.items[item] as number;
      const start = tokens.start[token] as number;
      const first = codeAt(text, start);
      if (first === 48 && codeAt(text, start + 1) === 120) {
        const end = start + 42;
        if (end > text.length || isWordCode(codeAt(text, end))) continue;
        let hex = true;
        let lower = false;
        let upper = false;
        for (let index = start + 2; index < end && hex; index++) {
          const code = codeAt(text, index);
          hex = isHexCode(code);
          if (isLowerCode(code)) lower = true;
          else if (isUpperCode(code)) upper = true;
        }
        if (!hex) continue;
        if (lower && upper) {
          if (hasEip55Checksum(text.slice(start + 2, end))) report(out, id, "crypto_wallet", start, end, 0.95);
        } else if (walletContext.near(text, start, end)) report(out, id, "crypto_wallet", start, end, 0.65);
        continue;
      }
      if ((first === 49 || first === 51) && isAlphanumericCode(codeAt(text, start + 25))) {
        const end = alphanumericEnd(text, start, start + 36);
        const length = end - start;
        if (length >= 26 && length <= 35 && !isWordCode(codeAt(text, end)) && isBase58CheckAddress(text.slice(start, end))) {
          report(out, id, "crypto_wallet", start, end, 0.95);
        }
      }
    }
    for (const prefix of ["bc1", "BC1"]) {
      for (let start = text.indexOf(prefix); start !== -1; start = text.indexOf(prefix, start + 3)) {
        if (isWordCode(codeAt(text, start - 1))) continue;
        const end = alphanumericEnd(text, start, start + 75);
        if (end - start > 74 || isWordCode(codeAt(text, end))) continue;
        if (isSegwitAddress(text.slice(start, end))) report(out, id, "crypto_wallet", start, end, 0.95);
      }
    }
  },
};

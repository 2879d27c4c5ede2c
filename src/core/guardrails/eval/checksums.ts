import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { keccak256 } from "./keccak.ts";

/**
 * Check-digit and checksum algorithms the evaluation generators need to produce VALID identifiers
 * (and, by perturbing them, near misses). Written independently of the recognizers on purpose: the
 * evaluation is only a check if a recognizer's bug cannot also be the generator's.
 */

/** The Luhn (mod 10) check digit to append to `payload` (digits only). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let index = payload.length - 1, double = true; index >= 0; index -= 1, double = !double) {
    let digit = payload.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the digit string (check digit last) passes Luhn. */
export function luhnValid(number: string): boolean {
  return number.length > 1 && luhnCheckDigit(number.slice(0, -1)) === number.charCodeAt(number.length - 1) - 48;
}

/** `digits` (a decimal string of any length) modulo `modulus`, without BigInt. */
export function decimalModulo(digits: string, modulus: number): number {
  let remainder = 0;
  for (const character of digits) remainder = (remainder * 10 + (character.charCodeAt(0) - 48)) % modulus;
  return remainder;
}

/** ISO 13616 letters-to-digits (A = 10 … Z = 35) for the IBAN mod-97 computation. */
function ibanDigits(text: string): string {
  let result = "";
  for (const character of text) result += /[A-Z]/.test(character) ? String(character.charCodeAt(0) - 55) : character;
  return result;
}

/** The two IBAN check digits for `country` + `bban` (ISO 7064 MOD 97-10). */
export function ibanCheckDigits(country: string, bban: string): string {
  const remainder = decimalModulo(ibanDigits(`${bban}${country}00`), 97);
  return String(98 - remainder).padStart(2, "0");
}

/** True when a compact IBAN (no spaces) passes mod 97. */
export function ibanValid(iban: string): boolean {
  return decimalModulo(ibanDigits(`${iban.slice(4)}${iban.slice(0, 4)}`), 97) === 1;
}

/** ISO 7064 MOD 11,10 check digit (German tax id, German VAT number). */
export function iso7064Mod11Check(payload: string): number {
  let product = 10;
  for (const character of payload) {
    let sum = (character.charCodeAt(0) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** Weighted digit sum: Σ digit[i] × weights[i]. */
export function weightedSum(payload: string, weights: readonly number[]): number {
  let sum = 0;
  for (let index = 0; index < payload.length; index += 1) sum += (payload.charCodeAt(index) - 48) * (weights[index] ?? 0);
  return sum;
}

/** The Spanish DNI/NIE control letter for the numeric part. */
export function spanishControlLetter(number: number): string {
  return "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23] as string;
}

const italianOddValues = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/**
 * The Italian odd/even check character (codice fiscale; also the CIN of Italian bank accounts):
 * characters at odd positions (1-based) map through a fixed table, even ones to their value
 * (digit, or A = 0 … Z = 25); the sum mod 26 is the letter.
 */
export function italianCheckCharacter(payload: string): string {
  let sum = 0;
  for (let index = 0; index < payload.length; index += 1) {
    const character = payload[index] as string;
    const value = /[0-9]/.test(character) ? character.charCodeAt(0) - 48 : character.charCodeAt(0) - 65;
    sum += index % 2 === 0 ? (italianOddValues[value] as number) : value;
  }
  return String.fromCharCode(65 + (sum % 26));
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `value` (a non-negative integer below 2⁵³) in base 62, left-padded with "0" to `width`. */
export function base62(value: number, width: number): string {
  let remaining = value;
  let result = "";
  do {
    result = base62Alphabet[remaining % 62] + result;
    remaining = Math.floor(remaining / 62);
  } while (remaining > 0);
  return result.padStart(width, "0");
}

/** GitHub's token checksum: CRC32 of the 30 random characters, base62, six characters. */
export function githubChecksum(entropy: string): string {
  return base62(crc32(entropy), 6);
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Bitcoin's base58 (leading zero bytes become "1"). */
export function base58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let result = "";
  while (value > 0n) {
    result = base58Alphabet[Number(value % 58n)] + result;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    result = `1${result}`;
  }
  return result;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** base58check: payload + the first four bytes of SHA-256(SHA-256(payload)), in base58. */
export function base58Check(payload: Uint8Array): string {
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  const whole = new Uint8Array(payload.length + 4);
  whole.set(payload);
  whole.set(checksum, payload.length);
  return base58(whole);
}

const bech32Alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const bech32Generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: readonly number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = (((checksum & 0x1ffffff) << 5) ^ value) >>> 0;
    for (let bit = 0; bit < 5; bit += 1) if (((top >>> bit) & 1) === 1) checksum = (checksum ^ (bech32Generators[bit] as number)) >>> 0;
  }
  return checksum;
}

function expandPrefix(prefix: string): number[] {
  const codes = [...prefix].map((character) => character.charCodeAt(0));
  return [...codes.map((code) => code >>> 5), 0, ...codes.map((code) => code & 31)];
}

function regroupBits(bytes: Uint8Array): number[] {
  const groups: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const byte of bytes) {
    accumulator = (accumulator << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups.push((accumulator >>> bits) & 31);
    }
  }
  if (bits > 0) groups.push((accumulator << (5 - bits)) & 31);
  return groups;
}

/**
 * A segwit address (BIP-173 / BIP-350): witness version 0 uses the bech32 constant 1, versions 1+
 * (taproot) the bech32m constant 0x2bc830a3.
 */
export function segwitAddress(prefix: string, witnessVersion: number, program: Uint8Array): string {
  const data = [witnessVersion, ...regroupBits(program)];
  const constant = witnessVersion === 0 ? 1 : 0x2bc830a3;
  const polymod = (bech32Polymod([...expandPrefix(prefix), ...data, 0, 0, 0, 0, 0, 0]) ^ constant) >>> 0;
  const checksum = Array.from({ length: 6 }, (_, index) => (polymod >>> (5 * (5 - index))) & 31);
  return `${prefix}1${[...data, ...checksum].map((value) => bech32Alphabet[value]).join("")}`;
}

/** EIP-55: a hex letter is upper-case when the matching nibble of keccak256(lower-case hex) is ≥ 8. */
export function eip55(addressHex: string): string {
  const lower = addressHex.toLowerCase();
  const hash = keccak256(new TextEncoder().encode(lower));
  let result = "0x";
  for (let index = 0; index < lower.length; index += 1) {
    const nibble = ((hash[index >> 1] as number) >> (index % 2 === 0 ? 4 : 0)) & 0xf;
    const character = lower[index] as string;
    result += nibble >= 8 ? character.toUpperCase() : character;
  }
  return result;
}

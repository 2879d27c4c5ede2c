import type { Finding, Recognizer } from "../../types.ts";

/**
 * Test support: deterministic fake token material and a scan that returns what each finding
 * covers. The tokens are well-formed but random, so no real credential ever sits in a test.
 */
export function fakeCharacters(seed: number, length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"): string {
  let state = seed >>> 0 || 1;
  let out = "";
  for (let index = 0; index < length; index++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out += alphabet[(state >>> 0) % alphabet.length];
  }
  return out;
}

/**
 * A seeded source of uniformly random characters for property-style tests: splitmix32 (every seed
 * gives a well-mixed stream from its first output, unlike fakeCharacters' xorshift on small
 * seeds) with rejection sampling, so every character of the alphabet is equally likely.
 */
export function randomCharacterSource(seed: number): (length: number, alphabet: string) => string {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
    value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
    return (value ^ (value >>> 16)) >>> 0;
  };
  return (length, alphabet) => {
    const limit = Math.floor(0x1_0000_0000 / alphabet.length) * alphabet.length;
    let out = "";
    while (out.length < length) {
      const value = next();
      if (value < limit) out += alphabet[value % alphabet.length];
    }
    return out;
  };
}

export interface ScannedFinding extends Finding {
  text: string;
}

/** Runs one recognizer and returns its findings, each with the text it covers, in text order. */
export function scanWith(recognizer: Recognizer, text: string): ScannedFinding[] {
  const out: Finding[] = [];
  recognizer.scan(text, out);
  return out.map((finding) => ({ ...finding, text: text.slice(finding.start, finding.end) })).sort((left, right) => left.start - right.start);
}

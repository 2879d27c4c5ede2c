import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachWindow, nextColon, nextWord, numericTokens, previousSpacedWord, previousWord, releaseNumericTokens, windowStandsAlone, type NumericTokens, type TokenList } from "./numeric-tokens.ts";

function tokenTexts(tokens: NumericTokens, list?: TokenList): string[] {
  const indexes = list === undefined ? Array.from({ length: tokens.count }, (_, index) => index) : Array.from(list.items.subarray(0, list.count));
  return indexes.map((token) => tokens.text.slice(tokens.start[token], tokens.end[token]));
}

function runTexts(tokens: NumericTokens, token: number): string[] {
  const first = tokens.firstRun[token] as number;
  return Array.from({ length: tokens.runCount[token] as number }, (_, offset) => tokens.text.slice(tokens.runStart[first + offset], tokens.runEnd[first + offset]));
}

test("digit runs joined by one blank, dash, dot or slash form one token, with their runs in order", () => {
  const tokens = numericTokens("card 4111 1111 1111 1111, ssn 123-45-6789 and 10.0.0.1 on 12/03/1985");
  assert.deepEqual(tokenTexts(tokens, tokens.long), ["4111 1111 1111 1111", "123-45-6789", "12/03/1985"]);
  assert.deepEqual(tokenTexts(tokens, tokens.multi), ["10.0.0.1"]);
  const ssn = tokens.long.items[1] as number;
  assert.deepEqual(runTexts(tokens, ssn), ["123", "45", "6789"]);
  assert.equal(tokens.digits[ssn], 9);
});

test("two separators, or a separator not followed by a digit, end a token", () => {
  const tokens = numericTokens("123  456 789- 12.-34 5678.");
  assert.deepEqual(tokenTexts(tokens, tokens.long), ["456 789", "34 5678"]);
  const all = numericTokens("prefix 1234567 8.5 x");
  assert.deepEqual(tokenTexts(all, all.long), ["1234567 8.5"]);
});

test("tokens are filed by what touches them", () => {
  const tokens = numericTokens("IBAN DE89370400440532013000 at 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed 12:30 Hauptstraße 5 -7 abc123def");
  assert.ok(tokenTexts(tokens, tokens.capital).includes("89370400440532013000"));
  assert.ok(tokenTexts(tokens, tokens.wordStart).includes("0"));
  assert.deepEqual(tokenTexts(tokens, tokens.colon), ["12", "30"]);
  assert.deepEqual(tokenTexts(tokens, tokens.worded), ["12", "30", "5", "7"]);
  assert.deepEqual(tokenTexts(tokens, tokens.punctuated), ["7"]);
  // Digits inside a lower-case word ("abc123def") are no candidate for anything.
  assert.ok(!tokenTexts(tokens).includes("123"));
  const iban = tokens.capital.items[0] as number;
  assert.equal((tokens.flags[iban] as number) & previousWord, previousWord);
  const minutes = tokens.colon.items[0] as number;
  assert.equal((tokens.flags[minutes] as number) & nextColon, nextColon);
  const house = tokens.worded.items[2] as number;
  assert.equal((tokens.flags[house] as number) & previousSpacedWord, previousSpacedWord);
  assert.equal((tokens.flags[house] as number) & nextWord, 0);
});

test("offsets stay exact in texts with characters outside Latin-1 and at both ends", () => {
  const text = "😀 Tél: 0612345678 — ü 12.34.56.78";
  const tokens = numericTokens(text);
  assert.deepEqual(tokenTexts(tokens, tokens.long), ["0612345678", "12.34.56.78"]);
  const edges = numericTokens("123456789");
  assert.deepEqual(tokenTexts(edges, edges.long), ["123456789"]);
});

test("the result is kept for the text last scanned and recomputed for another", () => {
  const first = "id 123456789";
  assert.equal(numericTokens(first).count, 1);
  assert.equal(numericTokens(first).text, first);
  assert.equal(numericTokens("no digits here").count, 0);
  assert.equal(numericTokens(first).count, 1);
});

test("windows are consecutive runs with one separator kind and bounded digits", () => {
  const tokens = numericTokens("x 11 22 33-44 x");
  const seen: string[] = [];
  forEachWindow(tokens, tokens.long.items[0] as number, 4, 6, (_token, firstRun, lastRun, digits, separator) => {
    seen.push(`${tokens.text.slice(tokens.runStart[firstRun], tokens.runEnd[lastRun])}|${digits}|${separator === 0 ? "" : String.fromCharCode(separator)}`);
  });
  // "22 33-44" mixes separators, so it is no window; "33-44" is.
  assert.deepEqual(seen, ["11 22|4| ", "11 22 33|6| ", "22 33|4| ", "33-44|4|-"]);
});

test("a window stands alone at a token edge or between blanks, not when glued by dash or dot", () => {
  const tokens = numericTokens("a 111 222-333.444 555");
  const token = tokens.long.items[0] as number;
  const first = tokens.firstRun[token] as number;
  assert.equal(windowStandsAlone(tokens, token, first, first), true);
  assert.equal(windowStandsAlone(tokens, token, first + 1, first + 1), false);
  assert.equal(windowStandsAlone(tokens, token, first + 4, first + 4), true);
  const glued = numericTokens("ID123456789");
  assert.equal(windowStandsAlone(glued, glued.long.items[0] as number, glued.firstRun[glued.long.items[0] as number] as number, glued.firstRun[glued.long.items[0] as number] as number), false);
  const phone = numericTokens("+4930123456");
  const phoneToken = phone.long.items[0] as number;
  assert.equal(windowStandsAlone(phone, phoneToken, phone.firstRun[phoneToken] as number, phone.firstRun[phoneToken] as number), false);
});

test("long inputs of tiny runs are tokenized in linear time", () => {
  const text = "1 ".repeat(200_000);
  const started = performance.now();
  const tokens = numericTokens(text);
  assert.equal(tokens.count, 1);
  assert.equal(tokens.runCount[0], 200_000);
  assert.ok(performance.now() - started < 2000);
});

test("after a very long text, a short one still tokenizes correctly (buffers shrink and regrow)", () => {
  const long = "x 4111 1111 1111 1111 ".repeat(60_000);
  assert.equal(numericTokens(long).long.count, 60_000);
  const short = "card 5555 5555 5555 4444";
  const tokens = numericTokens(short);
  assert.deepEqual(tokenTexts(tokens, tokens.long), ["5555 5555 5555 4444"]);
  assert.equal(numericTokens(long).long.count, 60_000);
});

test("every token is exactly a maximal digit-runs-and-single-separators span, whatever surrounds it", () => {
  // A reference definition of a token, checked against random texts dense in digits and separators.
  const reference = /\d+(?:[ \-.\/\u00a0\u202f]\d+)*/g;
  const alphabet = ["0", "1", "7", "9", " ", "-", ".", "/", ":", "\u00a0", "\u202f", "a", "Z", "ü", "_", "+", "\n", "😀"];
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let round = 0; round < 200; round++) {
    let text = "";
    const length = next() % 80;
    for (let index = 0; index < length; index++) text += alphabet[next() % alphabet.length];
    const spans = new Map<number, { end: number; runs: string[] }>();
    for (const match of text.matchAll(reference)) spans.set(match.index, { end: match.index + match[0].length, runs: match[0].match(/\d+/g) ?? [] });
    const tokens = numericTokens(text);
    for (let token = 0; token < tokens.count; token++) {
      const span = spans.get(tokens.start[token] as number);
      assert.ok(span !== undefined, `token at ${tokens.start[token]} in ${JSON.stringify(text)}`);
      assert.equal(tokens.end[token], span.end, JSON.stringify(text));
      assert.deepEqual(runTexts(tokens, token), span.runs, JSON.stringify(text));
    }
  }
});

test("releasing forgets the text; the next call tokenizes again", () => {
  const text = "IBAN DE89 3704 0044 0532 0130 00";
  const tokens = numericTokens(text);
  const count = tokens.count;
  assert.ok(count > 0);
  releaseNumericTokens();
  assert.equal(tokens.text, "");
  assert.equal(tokens.count, 0);
  assert.equal(numericTokens(text).count, count);
});

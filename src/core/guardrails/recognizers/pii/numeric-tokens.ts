import { codeAt, isBlankCode, isLetterCode, isWordCode } from "./characters.ts";

/**
 * The shared pass behind every digit-based PII recognizer. Cards, phones, national ids, IBANs, VAT
 * numbers, IP addresses, dates and wallet addresses all contain digits, and a log or JSON text can
 * be a quarter digits, so letting a dozen recognizers each walk every digit would cost a dozen
 * passes. Instead one pass finds every numeric token once — digit runs joined by single
 * separators ("4111 1111 1111 1111", "123-45-6789", "10.0.0.1", "12/03/1985") — notes what touches
 * it, and files it in a few small lists; each recognizer then visits only the lists it needs.
 * Tokens nothing could use (digits inside a lower-case word, a short number after "=") are not
 * filed at all: in measured mixed text that is about half of them.
 *
 * The result is memoized for the last text scanned, because the detector hands the same string to
 * every recognizer in turn; the detector releases it after each scan (releaseNumericTokens). The
 * arrays are reused between texts: read them right after calling numericTokens(text), before any
 * other text is tokenized.
 */

/** The character before the token is a word character (letter or "_"; never a digit). */
export const previousWord = 1;
/** The character after the token is a word character. */
export const nextWord = 2;
/** The character before the token is ":". */
export const previousColon = 4;
/** The character after the token is ":". */
export const nextColon = 8;
/** A blank, then (before it) a letter, "." or ",": "Hauptstraße 5", "March 12". */
export const previousSpacedWord = 16;
/** A blank, then a letter: "12 rue", "12 March". */
export const nextSpacedWord = 32;

/** A growable list of token indexes. */
export interface TokenList {
  items: Int32Array;
  count: number;
}

export interface NumericTokens {
  text: string;
  /** Number of tokens; token i spans text.slice(start[i], end[i]). */
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** How many digits the token holds. */
  digits: Int32Array;
  /** Index of the token's first run in runStart/runEnd, and how many runs it has. */
  firstRun: Int32Array;
  runCount: Int32Array;
  /** Bit set of previousWord, nextWord... */
  flags: Uint8Array;
  /** Digit runs: text.slice(runStart[r], runEnd[r]) is all digits; runs of one token are separated by one separator. */
  runStart: Int32Array;
  runEnd: Int32Array;
  /** Tokens with six digits or more. */
  long: TokenList;
  /** Tokens of three runs or more with fewer than six digits ("10.0.0.1", "12/3/85"). */
  multi: TokenList;
  /** Tokens right after a capital letter A-Z ("DE89…", "ATU123…", "RSSMRA85…", "MORGA753…", "X1234567L"). */
  capital: TokenList;
  /** Tokens that start a word: a letter follows, no word character precedes ("0x…", "1BoatSL…", "221B", "00-1A-…"). */
  wordStart: TokenList;
  /** Tokens touching ":" ("fe80::1", "00:1a:…", "10:30"). */
  colon: TokenList;
  /** Tokens touching "-" or "." ("AB-12-CD-…", "a716-4466…", "2023."). */
  punctuated: TokenList;
  /** One-run tokens of up to four digits, no word character touching, next to a spaced word ("Hauptstraße 5", "12 rue"). */
  worded: TokenList;
}

/** Characters that join two digit runs into one token when they stand alone between digits. */
export function isSeparatorCode(code: number): boolean {
  return code === 32 || code === 45 || code === 46 || code === 47 || code === 0xa0 || code === 0x202f;
}

function createList(): TokenList {
  return { items: new Int32Array(256), count: 0 };
}

function pushList(list: TokenList, token: number): void {
  if (list.count === list.items.length) {
    const grown = new Int32Array(list.items.length * 2);
    grown.set(list.items);
    list.items = grown;
  }
  list.items[list.count++] = token;
}

const state: NumericTokens = {
  text: "",
  count: 0,
  start: new Int32Array(1024),
  end: new Int32Array(1024),
  digits: new Int32Array(1024),
  firstRun: new Int32Array(1024),
  runCount: new Int32Array(1024),
  flags: new Uint8Array(1024),
  runStart: new Int32Array(2048),
  runEnd: new Int32Array(2048),
  long: createList(),
  multi: createList(),
  capital: createList(),
  wordStart: createList(),
  colon: createList(),
  punctuated: createList(),
  worded: createList(),
};
let tokenized = false;

function growTokens(): void {
  const size = state.start.length * 2;
  const grow = <T extends Int32Array | Uint8Array>(array: T, make: (size: number) => T): T => {
    const grown = make(size);
    grown.set(array);
    return grown;
  };
  state.start = grow(state.start, (n) => new Int32Array(n));
  state.end = grow(state.end, (n) => new Int32Array(n));
  state.digits = grow(state.digits, (n) => new Int32Array(n));
  state.firstRun = grow(state.firstRun, (n) => new Int32Array(n));
  state.runCount = grow(state.runCount, (n) => new Int32Array(n));
  state.flags = grow(state.flags, (n) => new Uint8Array(n));
}

function growRuns(): void {
  const runStart = new Int32Array(state.runStart.length * 2);
  runStart.set(state.runStart);
  state.runStart = runStart;
  const runEnd = new Int32Array(state.runEnd.length * 2);
  runEnd.set(state.runEnd);
  state.runEnd = runEnd;
}

/** The text's UTF-16 code units at [1, length], with a 0 on each side: reads one past either end are safe and cheap. */
let units = new Uint16Array(4096);
let unitBytes = Buffer.from(units.buffer);

function loadUnits(text: string): Uint16Array {
  // Grow for a longer text; give memory back after a very long one (a 20 MB document would
  // otherwise keep 40 MB of code units alive for the rest of the process).
  if (units.length < text.length + 2 || (units.length > 1 << 20 && units.length > 8 * (text.length + 2))) {
    units = new Uint16Array(units.length < text.length + 2 ? Math.max(text.length + 2, units.length * 2) : Math.max(4096, 2 * (text.length + 2)));
    unitBytes = Buffer.from(units.buffer);
  }
  unitBytes.write(text, 2, "utf16le");
  units[0] = 0;
  units[text.length + 1] = 0;
  return units;
}

/** Character classes of ASCII codes, for the flags. */
const wordClass = 1;
const blankClass = 2;
const letterClass = 4;
const upperClass = 8;
const spacedWordEndClass = 16;
const asciiClasses = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  let classes = 0;
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) classes |= wordClass | letterClass | spacedWordEndClass;
  if (code >= 65 && code <= 90) classes |= upperClass;
  if (code === 95 || (code >= 48 && code <= 57)) classes |= wordClass;
  if (code === 32 || code === 9) classes |= blankClass;
  if (code === 46 || code === 44) classes |= spacedWordEndClass;
  asciiClasses[code] = classes;
}

function classesOf(code: number): number {
  if (code < 128) return asciiClasses[code] as number;
  if (code === 0xa0 || code === 0x202f) return blankClass;
  return isLetterCode(code) ? wordClass | letterClass | spacedWordEndClass : isWordCode(code) ? wordClass : 0;
}

/** Tokens and runs need at most one slot per two characters; drop arrays far larger than that. */
function releaseOversized(length: number): void {
  const enough = Math.max(1024, (length >> 1) + 1);
  if (state.start.length > 1 << 16 && state.start.length > 8 * enough) {
    state.start = new Int32Array(enough);
    state.end = new Int32Array(enough);
    state.digits = new Int32Array(enough);
    state.firstRun = new Int32Array(enough);
    state.runCount = new Int32Array(enough);
    state.flags = new Uint8Array(enough);
  }
  if (state.runStart.length > 1 << 16 && state.runStart.length > 8 * enough) {
    state.runStart = new Int32Array(enough);
    state.runEnd = new Int32Array(enough);
  }
  for (const list of [state.long, state.multi, state.capital, state.wordStart, state.colon, state.punctuated, state.worded]) {
    if (list.items.length > 1 << 16 && list.items.length > 8 * enough) list.items = new Int32Array(enough);
  }
}

/**
 * The first digit at or after `position` (code offsets), or `last`. A plain loop over the code
 * units, kept in its own small function so that V8 compiles it tightly; it beats a regex call per
 * token.
 */
function nextDigit(codes: Uint16Array, position: number, last: number): number {
  // A digit at codes[last] for the length of the loop stops it without a bound check per unit.
  codes[last] = 48;
  while (((codes[position] as number) - 48) >>> 0 > 9) position++;
  codes[last] = 0;
  return position;
}

function tokenize(text: string): void {
  releaseOversized(text.length);
  state.text = text;
  state.count = 0;
  const { long, multi, capital, wordStart, colon, punctuated, worded } = state;
  long.count = 0;
  multi.count = 0;
  capital.count = 0;
  wordStart.count = 0;
  colon.count = 0;
  punctuated.count = 0;
  worded.count = 0;
  // codes[i + 1] is text[i]; the zeros at both ends stop every walk.
  const codes = loadUnits(text);
  let { start: starts, end: ends, digits: digitCounts, firstRun: firstRuns, runCount: runCounts, flags: flagSets } = state;
  let runStarts = state.runStart;
  let runEnds = state.runEnd;
  let runs = 0;
  let count = 0;
  const last = text.length + 1;
  let position = 1;
  for (;;) {
    position = nextDigit(codes, position, last);
    if (position >= last) break;
    // Text offsets are code offsets minus one; codes[tokenStart] is the character before the token.
    const tokenStart = position - 1;
    const tokenFirstRun = runs;
    let digits = 0;
    for (;;) {
      const runStart = position;
      position++;
      while (((codes[position] as number) - 48) >>> 0 < 10) position++;
      if (runs === runStarts.length) {
        growRuns();
        runStarts = state.runStart;
        runEnds = state.runEnd;
      }
      runStarts[runs] = runStart - 1;
      runEnds[runs] = position - 1;
      runs++;
      digits += position - runStart;
      // One separator between two digits joins the next run; the trailing 0 stops at the end.
      if (!isSeparatorCode(codes[position] as number) || ((codes[position + 1] as number) - 48) >>> 0 > 9) break;
      position++;
    }
    const tokenEnd = position - 1;
    const runCount = runs - tokenFirstRun;
    // Flags from the characters around the token (codes[tokenStart] is the one before it).
    const before = codes[tokenStart] as number;
    const after = codes[tokenEnd + 1] as number;
    const beforeClasses = before < 128 ? (asciiClasses[before] as number) : classesOf(before);
    const afterClasses = after < 128 ? (asciiClasses[after] as number) : classesOf(after);
    let flags = 0;
    if (before === 58) flags = previousColon;
    else if ((beforeClasses & blankClass) !== 0) {
      if (tokenStart > 0 && (classesOf(codes[tokenStart - 1] as number) & spacedWordEndClass) !== 0) flags = previousSpacedWord;
    } else if ((beforeClasses & wordClass) !== 0) flags = previousWord;
    if (after === 58) flags |= nextColon;
    else if ((afterClasses & blankClass) !== 0) {
      if ((classesOf(codes[tokenEnd + 2] ?? 0) & letterClass) !== 0) flags |= nextSpacedWord;
    } else if ((afterClasses & wordClass) !== 0) flags |= nextWord;
    const lettered = flags & (previousWord | nextWord);
    const isLong = digits >= 6;
    const isMulti = !isLong && runCount >= 3;
    const isCapital = (beforeClasses & upperClass) !== 0;
    const isWordStart = !isCapital && lettered === nextWord;
    const isColon = (flags & (previousColon | nextColon)) !== 0;
    const isPunctuated = before === 45 || before === 46 || after === 45 || after === 46;
    const isWorded = lettered === 0 && runCount === 1 && digits <= 4 && (flags & (previousSpacedWord | nextSpacedWord)) !== 0;
    if (!isLong && !isMulti && !isCapital && !isWordStart && !isColon && !isPunctuated && !isWorded) {
      runs = tokenFirstRun;
      continue;
    }
    const token = count;
    if (token === starts.length) {
      growTokens();
      ({ start: starts, end: ends, digits: digitCounts, firstRun: firstRuns, runCount: runCounts, flags: flagSets } = state);
    }
    starts[token] = tokenStart;
    ends[token] = tokenEnd;
    digitCounts[token] = digits;
    firstRuns[token] = tokenFirstRun;
    runCounts[token] = runCount;
    flagSets[token] = flags;
    count = token + 1;
    if (isLong) pushList(long, token);
    else if (isMulti) pushList(multi, token);
    if (isCapital) pushList(capital, token);
    else if (isWordStart) pushList(wordStart, token);
    if (isColon) pushList(colon, token);
    if (isPunctuated) pushList(punctuated, token);
    if (isWorded) pushList(worded, token);
  }
  state.count = count;
}

/** The numeric tokens of `text`, computed once per text (see the module comment). */
export function numericTokens(text: string): NumericTokens {
  if (!tokenized || state.text !== text) {
    tokenize(text);
    tokenized = true;
  }
  return state;
}

/**
 * Forgets the last text: drops the reference to it and zeroes the copy of its code units. The
 * detector calls this after every scan, so a gateway keeps no request text alive (nor a copy of
 * it in this module's buffers) between requests.
 */
export function releaseNumericTokens(): void {
  if (tokenized) units.fill(0, 0, Math.min(units.length, state.text.length + 2));
  state.text = "";
  state.count = 0;
  tokenized = false;
}

/**
 * Copies the digits of runs [firstRun, lastRun] into `into` (one value 0-9 per element) and returns
 * how many were copied; stops at `into.length`.
 */
export function copyDigits(tokens: NumericTokens, firstRun: number, lastRun: number, into: Uint8Array): number {
  const text = tokens.text;
  let count = 0;
  for (let run = firstRun; run <= lastRun; run++) {
    const end = tokens.runEnd[run] as number;
    for (let index = tokens.runStart[run] as number; index < end; index++) {
      if (count === into.length) return count;
      into[count++] = codeAt(text, index) - 48;
    }
  }
  return count;
}

/** Length of run r. */
export function runLength(tokens: NumericTokens, run: number): number {
  return (tokens.runEnd[run] as number) - (tokens.runStart[run] as number);
}

/** The separator between run r and run r + 1 of the same token. */
export function separatorAfter(tokens: NumericTokens, run: number): number {
  return codeAt(tokens.text, tokens.runEnd[run] as number);
}

/**
 * Calls `visit` for every window of consecutive runs of token `token` whose digits add up to
 * between `minimumDigits` and `maximumDigits`, and whose inner separators are all the same
 * character (`separator` is 0 for a one-run window). A window grows only while it stays within
 * `maximumDigits`, so a token of many tiny runs ("1 1 1 1 …") costs at most maximumDigits steps per
 * run: the work stays linear in the token's length. `visit` gets the token too, so a recognizer
 * creates it once per scan rather than once per token.
 */
export function forEachWindow(
  tokens: NumericTokens,
  token: number,
  minimumDigits: number,
  maximumDigits: number,
  visit: (token: number, firstRun: number, lastRun: number, digits: number, separator: number) => void,
): void {
  const first = tokens.firstRun[token] as number;
  const last = first + (tokens.runCount[token] as number) - 1;
  for (let firstRun = first; firstRun <= last; firstRun++) {
    let digits = 0;
    let separator = 0;
    for (let lastRun = firstRun; lastRun <= last; lastRun++) {
      digits += runLength(tokens, lastRun);
      if (digits > maximumDigits) break;
      if (lastRun > firstRun) {
        const between = separatorAfter(tokens, lastRun - 1);
        if (separator === 0) separator = between;
        else if (between !== separator) break;
      }
      if (digits >= minimumDigits) visit(token, firstRun, lastRun, digits, separator);
    }
  }
}

/**
 * True when runs [firstRun, lastRun] of token `token` stand alone: at the token's edges nothing
 * word-like (or a "+", which makes a phone number) touches them, and inside a longer token they are
 * set off by a blank rather than glued on by "-", "." or "/".
 */
export function windowStandsAlone(tokens: NumericTokens, token: number, firstRun: number, lastRun: number): boolean {
  const text = tokens.text;
  const tokenFirst = tokens.firstRun[token] as number;
  const tokenLast = tokenFirst + (tokens.runCount[token] as number) - 1;
  const flags = tokens.flags[token] as number;
  if (firstRun === tokenFirst) {
    if ((flags & previousWord) !== 0 || codeAt(text, (tokens.start[token] as number) - 1) === 43) return false;
  } else if (!isBlankCode(separatorAfter(tokens, firstRun - 1))) return false;
  if (lastRun === tokenLast) return (flags & nextWord) === 0;
  return isBlankCode(separatorAfter(tokens, lastRun));
}

/** Start offset of run r. */
export function runStartOf(tokens: NumericTokens, run: number): number {
  return tokens.runStart[run] as number;
}

/** End offset of run r. */
export function runEndOf(tokens: NumericTokens, run: number): number {
  return tokens.runEnd[run] as number;
}

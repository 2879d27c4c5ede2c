import type { Finding, Recognizer } from "../types.ts";

/**
 * User dictionaries: customer lists, project code names, employee names. Terms match
 * case-insensitively on word boundaries (Unicode letters, digits and marks make up words, so "é",
 * "ß" and "ü" are letters like any other); multi-word terms match across single spaces. With
 * `fuzzy`, a term also matches with small typos (Damerau–Levenshtein distance 1 for terms of 5+
 * characters, 2 for 10+) and without its diacritics ("Muller", "Mueller" for "Müller").
 *
 * One pass over the text hashes each word as it goes; a bit set of the hashes of every term's
 * first word dismisses nearly every word with one memory read, and only the rest are looked up
 * and compared. Cost per character does not grow with the number of terms.
 */
export interface DictionaryEntry {
  /** The finding type, the user's own name for the list ("customer", "project"). */
  type: string;
  terms: readonly string[];
  fuzzy?: boolean | undefined;
}

export interface DictionaryOptions {
  /** Recognizer id (default "dictionary"). */
  id?: string | undefined;
  entries: readonly DictionaryEntry[];
}

const exactConfidence = 0.95;

/** Confidence of a fuzzy match: diacritics only 0.85, one edit 0.8, two edits 0.7. */
function fuzzyConfidence(distance: number): number {
  return distance === 0 ? 0.85 : distance === 1 ? 0.8 : 0.7;
}

/** Edits a fuzzy match tolerates for a (folded) text of this length. */
export function editBudget(length: number): number {
  return length >= 10 ? 2 : length >= 5 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Character tables, filled lazily per UTF-16 code unit so that a scan never builds a string.

const unknown = 0;
const wordClass = 1;
const otherClass = 2;
const characterClass = new Uint8Array(65536);
const lowerCodes = new Uint16Array(65536);
const wordPattern = /[\p{L}\p{N}\p{M}_]/u;

function classify(code: number): number {
  const known = characterClass[code] as number;
  if (known !== unknown) return known;
  // Surrogate halves are not words on their own; astral letters are too rare to pay for.
  const result = code >= 0xd800 && code <= 0xdfff ? otherClass : wordPattern.test(String.fromCharCode(code)) ? wordClass : otherClass;
  characterClass[code] = result;
  return result;
}

export function isWordCode(code: number): boolean {
  return classify(code) === wordClass;
}

/** Lower case of one code unit, kept to one unit so offsets never shift ("İ" becomes "i"). */
function lowerCode(code: number): number {
  const known = lowerCodes[code] as number;
  if (known !== 0) return known;
  const lower = String.fromCharCode(code).toLowerCase();
  const result = lower.length >= 1 ? lower.charCodeAt(0) : code;
  lowerCodes[code] = result;
  return result;
}

/** Lower-cased code of an ASCII word character, 0 for any other ASCII character. */
const asciiWordLower = new Uint16Array(128);
for (let code = 0; code < 128; code++) asciiWordLower[code] = isWordCode(code) ? lowerCode(code) : 0;

/** Lower-cased code of a word character, 0 when `code` is not one. */
function wordLower(code: number): number {
  return classify(code) === wordClass ? lowerCode(code) : 0;
}

const foldCache = new Map<number, string>();
const germanFolds: Record<string, string> = { ä: "ae", ö: "oe", ü: "ue", ß: "ss" };
const specialFolds: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ð: "d", ł: "l", þ: "th", ı: "i" };

/** Lower case without diacritics: "É" → "e", "ß" → "ss", a combining mark → "". */
function foldCharacter(code: number): string {
  if (code < 128) return String.fromCharCode(lowerCode(code));
  const cached = foldCache.get(code);
  if (cached !== undefined) return cached;
  const lower = String.fromCharCode(lowerCode(code));
  const folded = specialFolds[lower] ?? lower.normalize("NFD").replace(/\p{M}/gu, "");
  foldCache.set(code, folded);
  return folded;
}

/**
 * The folded forms of text[start, end): without diacritics ("muller"), and, when it holds a German
 * umlaut or ß, transliterated ("mueller"), so "Müller" meets both "Muller" and "Mueller".
 */
function foldedForms(text: string, start: number, end: number): string[] {
  let plain = "";
  let german = "";
  let hasGerman = false;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    const folded = foldCharacter(code);
    plain += folded;
    const transliterated = code < 128 ? undefined : germanFolds[String.fromCharCode(lowerCode(code))];
    if (transliterated !== undefined) hasGerman = true;
    german += transliterated ?? folded;
  }
  return hasGerman && german !== plain ? [plain, german] : [plain];
}

function isSpaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x3000;
}

// ---------------------------------------------------------------------------------------------
// Hashing. Exact lookups key on an FNV-1a hash of the lower-cased first word, built character
// by character during the scan. Fuzzy lookups key on a polynomial hash of the folded first word,
// whose one- and two-character deletions can be derived from prefix and suffix hashes without
// building any string (the symmetric-deletion method: two words within distance k share a
// string reachable from both by at most k deletions).

const fnvPrime = 0x01000193;

function exactHash(value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index++) hash = Math.imul(hash ^ value.charCodeAt(index), fnvPrime);
  return hash;
}

const hashBase = 0x01000193;

function polynomialHash(value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index++) hash = (Math.imul(hash, hashBase) + value.charCodeAt(index)) | 0;
  return hash;
}

/**
 * A Bloom filter of 32-bit hashes, two bits per key, sized to about 64 bits per key (4 KiB at
 * least, 256 KiB at most): a word that is no term's first word gets past it well under 1% of
 * the time, with one or two memory reads.
 */
interface HashFilter {
  words: Uint32Array;
  shift: number;
}

function createHashFilter(keys: Iterable<number>, count: number): HashFilter {
  let log = 15;
  while (log < 21 && 1 << log < count * 64) log++;
  const filter = { words: new Uint32Array(1 << (log - 5)), shift: 32 - log };
  for (const key of keys) {
    for (const bit of [firstBit(filter, key), secondBit(filter, key)]) filter.words[bit >>> 5] = (filter.words[bit >>> 5] as number) | (1 << (bit & 31));
  }
  return filter;
}

function firstBit(filter: HashFilter, hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> filter.shift;
}

function secondBit(filter: HashFilter, hash: number): number {
  return Math.imul(hash ^ 0x5bd1e995, 0x85ebca6b) >>> filter.shift;
}

function mayHold(filter: HashFilter, hash: number): boolean {
  const first = firstBit(filter, hash);
  if (((filter.words[first >>> 5] as number) & (1 << (first & 31))) === 0) return false;
  const second = secondBit(filter, hash);
  return ((filter.words[second >>> 5] as number) & (1 << (second & 31))) !== 0;
}

/** `word` and every string made from it by deleting at most `deletions` characters. */
function deletionVariants(word: string, deletions: number): Set<string> {
  const variants = new Set([word]);
  let frontier = [word];
  for (let round = 0; round < deletions; round++) {
    const next: string[] = [];
    for (const value of frontier) {
      for (let index = 0; index < value.length; index++) {
        const shorter = value.slice(0, index) + value.slice(index + 1);
        if (!variants.has(shorter)) {
          variants.add(shorter);
          next.push(shorter);
        }
      }
    }
    frontier = next;
  }
  return variants;
}

// ---------------------------------------------------------------------------------------------
// Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions), cut off
// above `limit` so a hopeless comparison stops early.

function alignmentDistance(left: string, right: string, limit: number): number {
  if (Math.abs(left.length - right.length) > limit) return limit + 1;
  const width = right.length + 1;
  let previousPrevious = new Int32Array(width);
  let previous = new Int32Array(width);
  let current = new Int32Array(width);
  for (let column = 0; column < width; column++) previous[column] = column;
  for (let row = 1; row <= left.length; row++) {
    current[0] = row;
    let rowMinimum = row;
    for (let column = 1; column < width; column++) {
      const cost = left.charCodeAt(row - 1) === right.charCodeAt(column - 1) ? 0 : 1;
      let value = Math.min((previous[column] as number) + 1, (current[column - 1] as number) + 1, (previous[column - 1] as number) + cost);
      if (row > 1 && column > 1 && left.charCodeAt(row - 1) === right.charCodeAt(column - 2) && left.charCodeAt(row - 2) === right.charCodeAt(column - 1)) {
        value = Math.min(value, (previousPrevious[column - 2] as number) + 1);
      }
      current[column] = value;
      if (value < rowMinimum) rowMinimum = value;
    }
    if (rowMinimum > limit) return limit + 1;
    [previousPrevious, previous, current] = [previous, current, previousPrevious];
  }
  return previous[right.length] as number;
}

/** Optimal string alignment distance (adjacent transpositions count as one edit). */
export function damerauLevenshtein(left: string, right: string): number {
  return alignmentDistance(left, right, Math.max(left.length, right.length));
}

// ---------------------------------------------------------------------------------------------

interface Term {
  type: string;
  /** Lower-cased, whitespace collapsed to single spaces. */
  lower: string;
  /** Non-word characters before the first word (".NET" has "."). */
  prefixLength: number;
  /** Number of words separated by single spaces, for fuzzy spans. */
  wordCount: number;
  /** Folded forms (see foldedForms), for fuzzy terms. */
  folded: string[];
  budget: number;
}

interface Match {
  type: string;
  start: number;
  end: number;
  confidence: number;
}

function normalizeTerm(term: string): string {
  return term.trim().replace(/\s+/gu, " ");
}

function lowerString(value: string): string {
  let lower = "";
  for (let index = 0; index < value.length; index++) lower += String.fromCharCode(lowerCode(value.charCodeAt(index)));
  return lower;
}

/** Start and end of the first word of `value`, or undefined when it holds none. */
function firstWord(value: string): { start: number; end: number } | undefined {
  let start = 0;
  while (start < value.length && !isWordCode(value.charCodeAt(start))) start++;
  if (start === value.length) return undefined;
  let end = start;
  while (end < value.length && isWordCode(value.charCodeAt(end))) end++;
  return { start, end };
}

/** Longest word a scan hashes for fuzzy candidates; longer runs are not names. */
const longestFuzzyWord = 48;
/** Longest text span compared with a fuzzy term. */
const longestFuzzySpan = 256;

/**
 * Builds a recognizer for the user's dictionaries. Category "dictionary"; each finding's type is
 * the entry's type. Terms that hold no letter or digit are ignored.
 */
export function createDictionaryRecognizer(options: DictionaryOptions): Recognizer {
  const id = options.id ?? "dictionary";
  const exact = new Map<number, Term[]>();
  const fuzzy = new Map<number, Term[]>();
  let fuzzyShortest = Infinity;
  let fuzzyLongest = 0;
  let fuzzyDeletions = 0;
  const types = new Set<string>();

  for (const entry of options.entries) {
    types.add(entry.type);
    for (const raw of new Set(entry.terms.map(normalizeTerm))) {
      const lower = lowerString(raw);
      const word = firstWord(lower);
      if (word === undefined) continue;
      const folded = entry.fuzzy === true ? [...new Set([...foldedForms(raw, 0, raw.length)])] : [];
      const budget = entry.fuzzy === true ? editBudget(folded[0]?.length ?? 0) : 0;
      const term: Term = { type: entry.type, lower, prefixLength: word.start, wordCount: lower.slice(word.start).split(" ").length, folded, budget };
      const key = exactHash(lower.slice(word.start, word.end));
      addTo(exact, key, term);
      if (budget === 0) continue;
      for (const form of folded) {
        const formWord = firstWord(form);
        if (formWord === undefined) continue;
        const head = form.slice(formWord.start, formWord.end);
        const deletions = Math.min(budget, editBudget(head.length));
        fuzzyShortest = Math.min(fuzzyShortest, head.length - deletions);
        fuzzyLongest = Math.max(fuzzyLongest, head.length + budget);
        fuzzyDeletions = Math.max(fuzzyDeletions, deletions);
        for (const variant of deletionVariants(head, deletions)) addTo(fuzzy, polynomialHash(variant), term);
      }
    }
  }

  function verifyExact(text: string, wordStart: number, term: Term): number {
    const start = wordStart - term.prefixLength;
    if (start < 0) return -1;
    let position = start;
    for (let index = 0; index < term.lower.length; index++, position++) {
      if (position >= text.length) return -1;
      const expected = term.lower.charCodeAt(index);
      const code = text.charCodeAt(position);
      if (expected === 32 ? !isSpaceCode(code) : lowerCode(code) !== expected) return -1;
    }
    // A term that ends in a letter or digit must end a word; "ACME Corp." may be followed by anything.
    const lastIsWord = isWordCode(term.lower.charCodeAt(term.lower.length - 1));
    if (lastIsWord && position < text.length && isWordCode(text.charCodeAt(position))) return -1;
    return position;
  }

  /**
   * End of `count` space-separated parts from `start` (single whitespace characters between them),
   * without the punctuation that trails the last one ("Müller," ends before the comma), or -1.
   */
  function spanEnd(text: string, start: number, count: number): number {
    let position = start;
    for (let part = 0; part < count; part++) {
      if (part > 0) {
        if (!isSpaceCode(text.charCodeAt(position))) return -1;
        position++;
      }
      const partStart = position;
      while (position < text.length && position - start <= longestFuzzySpan && !isSpaceCode(text.charCodeAt(position))) position++;
      if (position === partStart || position - start > longestFuzzySpan) return -1;
    }
    while (position > start && !isWordCode(text.charCodeAt(position - 1))) position--;
    return position;
  }

  const codes = new Int32Array(longestFuzzyWord + 1);
  const prefixes = new Int32Array(longestFuzzyWord + 1);
  const suffixes = new Int32Array(longestFuzzyWord + 2);
  const powers = new Int32Array(longestFuzzyWord + 2);
  powers[0] = 1;
  for (let index = 1; index < powers.length; index++) powers[index] = Math.imul(powers[index - 1] as number, hashBase);

  const bloom = createHashFilter(exact.keys(), exact.size);
  const fuzzyBloom = createHashFilter(fuzzy.keys(), fuzzy.size);

  // Candidates of the current word: found[0, foundCount). A count rather than `length = 0`, which
  // V8 handles in its runtime and which showed as the hottest line of a fuzzy scan.
  const found: Term[] = [];
  let foundCount = 0;

  function collectFuzzy(hash: number): void {
    if (!mayHold(fuzzyBloom, hash)) return;
    for (const term of fuzzy.get(hash) ?? []) {
      let seen = false;
      for (let index = 0; index < foundCount && !seen; index++) seen = found[index] === term;
      if (!seen) found[foundCount++] = term;
    }
  }

  /** Fuzzy terms whose first word is within the deletion distance of codes[0, length). */
  function fuzzyCandidates(length: number): void {
    prefixes[0] = 0;
    for (let index = 0; index < length; index++) prefixes[index + 1] = (Math.imul(prefixes[index] as number, hashBase) + (codes[index] as number)) | 0;
    suffixes[length] = 0;
    for (let index = length - 1; index >= 0; index--) suffixes[index] = (Math.imul(codes[index] as number, powers[length - 1 - index] as number) + (suffixes[index + 1] as number)) | 0;
    collectFuzzy(prefixes[length] as number);
    if (fuzzyDeletions >= 1 && length >= 2) {
      for (let deleted = 0; deleted < length; deleted++) {
        collectFuzzy((Math.imul(prefixes[deleted] as number, powers[length - 1 - deleted] as number) + (suffixes[deleted + 1] as number)) | 0);
      }
    }
    if (fuzzyDeletions >= 2 && length >= 8) {
      for (let first = 0; first < length; first++) {
        for (let second = first + 1; second < length; second++) {
          const middle = ((prefixes[second] as number) - Math.imul(prefixes[first + 1] as number, powers[second - first - 1] as number)) | 0;
          collectFuzzy((Math.imul(prefixes[first] as number, powers[length - 2 - first] as number) + Math.imul(middle, powers[length - 1 - second] as number) + (suffixes[second + 1] as number)) | 0);
        }
      }
    }
  }

  /**
   * Fuzzy matches starting at the word text[wordStart, wordEnd). `asciiLength` is the word's
   * length when the scan already left its lower-cased codes in `codes` (a plain ASCII word, the
   * common case), or -1 to fold it here.
   */
  function matchFuzzy(text: string, wordStart: number, wordEnd: number, asciiLength: number, matches: Match[]): void {
    foundCount = 0;
    if (asciiLength !== -1) {
      if (asciiLength >= fuzzyShortest && asciiLength <= fuzzyLongest) fuzzyCandidates(asciiLength);
    } else {
      for (const form of foldedForms(text, wordStart, wordEnd)) {
        if (form.length < fuzzyShortest || form.length > fuzzyLongest || form.length > longestFuzzyWord) continue;
        for (let index = 0; index < form.length; index++) codes[index] = form.charCodeAt(index);
        fuzzyCandidates(form.length);
      }
    }
    if (foundCount === 0) return;
    // Copied: the next word reuses `found`.
    for (const term of found.slice(0, foundCount)) {
      const end = spanEnd(text, wordStart, term.wordCount);
      if (end === -1) continue;
      if (lowerString(text.slice(wordStart, end)).replace(/\s/gu, " ") === term.lower.slice(term.prefixLength)) continue;
      let best = term.budget + 1;
      for (const form of foldedForms(text, wordStart, end)) {
        const normalized = form.replace(/\s/gu, " ");
        for (const target of term.folded) best = Math.min(best, alignmentDistance(normalized, target, term.budget));
      }
      if (best <= term.budget) matches.push({ type: term.type, start: wordStart, end, confidence: fuzzyConfidence(best) });
    }
  }

  function report(matches: Match[], out: Finding[]): void {
    // Per start and type, the longest match ("ACME Corp" over "ACME"), exact before fuzzy.
    const best = new Map<string, Match>();
    for (const match of matches) {
      const key = `${match.start}\u0000${match.type}`;
      const current = best.get(key);
      if (current === undefined || match.end > current.end || (match.end === current.end && match.confidence > current.confidence)) best.set(key, match);
    }
    for (const match of best.values()) out.push({ type: match.type, category: "dictionary", start: match.start, end: match.end, confidence: match.confidence, recognizer: id });
  }

  const hasFuzzy = fuzzy.size > 0;

  function endWord(text: string, wordStart: number, wordEnd: number, hash: number, asciiLength: number, matches: Match[]): void {
    if (mayHold(bloom, hash)) {
      for (const term of exact.get(hash) ?? []) {
        const end = verifyExact(text, wordStart, term);
        if (end !== -1) matches.push({ type: term.type, start: wordStart - term.prefixLength, end, confidence: exactConfidence });
      }
    }
    // Folding can shorten a word (combining marks) or lengthen it ("ß" → "ss") a little.
    if (hasFuzzy && wordEnd - wordStart >= fuzzyShortest - 1 && wordEnd - wordStart <= fuzzyLongest * 2) matchFuzzy(text, wordStart, wordEnd, asciiLength, matches);
  }

  return {
    id,
    category: "dictionary",
    types: [...types],
    scan(text: string, out: Finding[]): void {
      if (exact.size === 0) return;
      const matches: Match[] = [];
      let wordStart = -1;
      let hash = 0;
      // While the current word is plain ASCII, its lower-cased codes go to `codes` for the fuzzy
      // lookup; any other character sends the word down the slower folding path.
      let ascii = true;
      const length = text.length;
      for (let index = 0; index < length; index++) {
        const code = text.charCodeAt(index);
        const lower = code < 128 ? (asciiWordLower[code] as number) : wordLower(code);
        if (lower !== 0) {
          if (wordStart === -1) {
            wordStart = index;
            hash = 0;
            ascii = true;
          }
          hash = Math.imul(hash ^ lower, fnvPrime);
          if (hasFuzzy) {
            const offset = index - wordStart;
            if (code >= 128) ascii = false;
            else if (offset < longestFuzzyWord) codes[offset] = lower;
          }
        } else if (wordStart !== -1) {
          endWord(text, wordStart, index, hash, ascii ? index - wordStart : -1, matches);
          wordStart = -1;
        }
      }
      if (wordStart !== -1) endWord(text, wordStart, length, hash, ascii ? length - wordStart : -1, matches);
      if (matches.length > 0) report(matches, out);
    },
  };
}

function addTo(map: Map<number, Term[]>, hash: number, term: Term): void {
  const list = map.get(hash);
  if (list === undefined) map.set(hash, [term]);
  else if (!list.includes(term)) list.push(term);
}

import { isSpaceCode } from "./shared.ts";

/**
 * One `key <separator> value` candidate: the value's span and the separator's index, from which
 * the key is read only when the value is worth it (keyBefore, keyHasLetters).
 */
export interface Assignment {
  separator: number;
  valueStart: number;
  valueEnd: number;
}

/** Shortest and longest value worth reporting (AWS secret keys, 40, sit in between). */
const shortestValue = 20;
const longestValue = 1024;
const longestKey = 48;

/**
 * Characters a value may hold: printable ASCII other than quotes, backslash, brackets and list
 * separators (",", ";", "&"). A lookup table, because every character of a value is tested.
 */
const valueCodes = (() => {
  const table = new Uint8Array(128);
  for (let code = 33; code < 127; code++) table[code] = 1;
  for (const character of "\"'`\\,;&()<>[]{}") table[character.charCodeAt(0)] = 0;
  return table;
})();

function isValueCode(code: number): boolean {
  return code < 128 && valueCodes[code] === 1;
}

function isQuote(code: number): boolean {
  return code === 34 || code === 39 || code === 96;
}

/**
 * Every assignment-like `key: value`, `key = value`, `key := value`, `key => value`,
 * `"key": "value"` (also with JSON-escaped quotes) whose value is 20 to 1024 value characters, in
 * text order per separator (all ":" first, then all "=").
 *
 * Anchored on ":" and "=", which prose uses rarely. Cheap checks run first: a probe at the 20th
 * value character, then URLs ("://"), paths ("::") and comparisons ("!=", "<="); then the value is
 * read (it usually stops at a space within a few characters). Linear: a run of value characters
 * is read once, however many anchors it holds, and a value is capped at 1025 characters.
 *
 * The generic-secret and aws-secret-key recognizers both need this list, so the last one computed
 * is kept until the current task ends (a microtask clears it): a detector runs its recognizers
 * synchronously over one text, and the second recognizer then reads the list instead of scanning
 * again. Clearing it promptly means no text is held after the scan.
 */
export function assignmentsIn(text: string): readonly Assignment[] {
  if (text === rememberedText) return rememberedAssignments;
  const assignments: Assignment[] = [];
  collect(text, 58, assignments);
  collect(text, 61, assignments);
  if (rememberedText === undefined) queueMicrotask(forget);
  rememberedText = text;
  rememberedAssignments = assignments;
  return assignments;
}

let rememberedText: string | undefined;
let rememberedAssignments: readonly Assignment[] = [];

function forget(): void {
  rememberedText = undefined;
  rememberedAssignments = [];
}

function collect(text: string, separatorCode: number, assignments: Assignment[]): void {
  const separatorText = String.fromCharCode(separatorCode);
  let next = text.indexOf(separatorText);
  // text[runStart, runEnd) is known to be value characters.
  let runStart = -1;
  let runEnd = -1;
  while (next !== -1) {
    const separator = next;
    next = text.indexOf(separatorText, separator + 1);
    let valueStart = separator + 1;
    let code = text.charCodeAt(valueStart);
    // The rest of ":=", "=>", "==", "===".
    while ((code === 61 || code === 62) && valueStart < separator + 3) code = text.charCodeAt(++valueStart);
    for (let spaces = 0; (code === 32 || code === 9) && spaces < 4; spaces++) code = text.charCodeAt(++valueStart);
    let quote = 0;
    if (code === 92 && isQuote(text.charCodeAt(valueStart + 1))) {
      quote = text.charCodeAt(valueStart + 1);
      valueStart += 2;
    } else if (isQuote(code)) {
      quote = code;
      valueStart++;
    }
    if (!isValueCode(text.charCodeAt(valueStart + shortestValue - 1))) continue;
    const previous = text.charCodeAt(separator - 1);
    if (separatorCode === 58) {
      const following = text.charCodeAt(separator + 1);
      if (following === 47 || following === 58 || previous === 58) continue;
    } else if (previous === 33 || previous === 60 || previous === 62 || previous === 61 || previous === 58) {
      continue;
    }
    // A value starting inside the run read for an earlier anchor ("a:b:c:…") ends where that run
    // ends: reuse it rather than read it again, which keeps the scan linear.
    const limit = Math.min(text.length, valueStart + longestValue + 1);
    let valueEnd = valueStart >= runStart && valueStart <= runEnd ? Math.min(runEnd, limit) : valueStart;
    while (valueEnd < limit && isValueCode(text.charCodeAt(valueEnd))) valueEnd++;
    if (valueStart >= runStart && valueStart <= runEnd) runEnd = Math.max(runEnd, valueEnd);
    else {
      runStart = valueStart;
      runEnd = valueEnd;
    }
    const length = valueEnd - valueStart;
    if (length < shortestValue || length > longestValue) continue;
    if (quote !== 0) {
      // A quoted value must end at its closing quote ("token": "abc def" is not one value).
      const closing = text.charCodeAt(valueEnd);
      if (closing !== quote && !(closing === 92 && text.charCodeAt(valueEnd + 1) === quote)) continue;
    }
    assignments.push({ separator, valueStart, valueEnd });
  }
}

const letter = /\p{L}/u;

function isKeyCode(text: string, code: number, index: number): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57)) return true;
  if (code === 95 || code === 45 || code === 46) return true;
  return code > 127 && !isSpaceCode(code) && letter.test(text[index] as string);
}

/** Where the key before `separator` ends: closing quotes, brackets and spaces are skipped. */
function keyEnd(text: string, separator: number): number {
  let end = separator;
  const skipLimit = Math.max(0, separator - 4);
  while (end > skipLimit) {
    const code = text.charCodeAt(end - 1);
    if (code === 32 || code === 9 || isQuote(code) || code === 92 || code === 93) end--;
    else break;
  }
  return end;
}

/** Where the key ending at `end` starts: an identifier or a few words, at most 48 characters. */
function keyStart(text: string, end: number): number {
  let start = end;
  const limit = Math.max(0, end - longestKey);
  while (start > limit) {
    const code = text.charCodeAt(start - 1);
    if (isKeyCode(text, code, start - 1)) start--;
    else if (code === 32 && start - 1 > limit && isKeyCode(text, text.charCodeAt(start - 2), start - 2)) start--;
    else break;
  }
  return start;
}

/**
 * The key written just before the separator at `separator`, lower-cased: an identifier or a few
 * words ("aws_secret_access_key", "API key", "mot de passe"), at most 48 characters, not crossing
 * a line. Closing quotes and brackets between key and separator ("'X-Api-Key']  =") are skipped.
 */
export function keyBefore(text: string, separator: number): string {
  const end = keyEnd(text, separator);
  return text.slice(keyStart(text, end), end).toLowerCase();
}

/** The a-z letters of `word` as a bit set (bit 0 = "a"), for keyHasLetters. */
export function letterMask(word: string): number {
  let mask = 0;
  for (const character of word.toLowerCase()) {
    const code = character.charCodeAt(0);
    if (code >= 97 && code <= 122) mask |= 1 << (code - 97);
  }
  return mask;
}

/**
 * True when the key before `separator` holds every letter of at least one of `masks` (see
 * letterMask). A necessary condition for holding the word, tested without allocating, so that the
 * many "id", "url" and "name" keys are dismissed before keyBefore copies anything.
 */
export function keyHasLetters(text: string, separator: number, masks: readonly number[]): boolean {
  const end = keyEnd(text, separator);
  const start = keyStart(text, end);
  let mask = 0;
  for (let index = start; index < end; index++) {
    const lower = text.charCodeAt(index) | 0x20;
    if (lower >= 97 && lower <= 122) mask |= 1 << (lower - 97);
  }
  for (const wanted of masks) if ((mask & wanted) === wanted) return true;
  return false;
}

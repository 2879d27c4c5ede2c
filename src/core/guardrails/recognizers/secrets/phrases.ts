import { isSpaceCode } from "./shared.ts";

/**
 * One value that a secret key word names outside the assignments assignmentsIn finds: in prose
 * ("The password is …", "My secret token is …", "Das Passwort lautet …", "Le mot de passe est …")
 * or in an assignment whose value is shorter than the 20 characters assignmentsIn needs
 * ("passwort=…", `"db_password": "…"`).
 */
export interface Phrase {
  /** The key word, lower-case: "password", "secret", "token", "mot de passe"... */
  keyword: string;
  /** Where the key word ends: text[keywordEnd, valueStart) is what stands between ("access key is "). */
  keywordEnd: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * Where the scan looks: for each key word the spelling that the fastest search finds ("cret" in
 * "secret" is faster to find than "secret", whose "s" is everywhere; an upper-case start is rare
 * in text, so "PASS" and "CRET" cost little). "TOKEN", "JETON" and "Kennwort" are left out.
 */
const anchors = ["pass", "Pass", "PASS", "cret", "CRET", "ken", "jeton"] as const;
const keywords = ["password", "passwort", "passwd", "passphrase", "passe", "secret", "token", "jeton"] as const;
/** Verbs between the key word and its value: "is", "ist", "lautet", "est", "was", "war", "était". */
const copulas = new Set(["is", "ist", "lautet", "est", "was", "war", "était"]);
const longestWord = 16;
/** Words allowed between the key word and the verb ("secret token is", "password for root is"). */
const mostBridgeWords = 4;
/** Characters from the end of the key word to the start of the value. */
const longestBridge = 48;
const shortestValue = 8;
const longestValue = 128;
/** assignmentsIn reports assignments whose value has at least this many characters. */
const shortestAssignedValue = 20;

function isLetterCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 0xe9 || code === 0xe8 || code === 0xe0;
}

function isQuoteCode(code: number): boolean {
  return code === 34 || code === 39 || code === 96;
}

/** Printable ASCII other than quotes, backslash, brackets, "," and ";" (as in assignmentsIn). */
function isValueCode(code: number): boolean {
  if (code <= 32 || code >= 127 || isQuoteCode(code) || code === 92) return false;
  return code !== 40 && code !== 41 && code !== 60 && code !== 62 && code !== 91 && code !== 93 && code !== 123 && code !== 125 && code !== 44 && code !== 59;
}

/**
 * The key word whose letters include `anchor`, as { keyword, start, end } of the letter run, or
 * undefined. The run must end with a key word, alone ("password", "client_secret" after the "_")
 * or as the capitalised last part of a camelCase name ("accessToken", "motDePasse"); "passe" counts
 * only in "mot de passe".
 */
function keywordAt(text: string, anchor: number): { keyword: string; end: number } | undefined {
  let start = anchor;
  while (start > 0 && anchor - start < longestWord && isLetterCode(text.charCodeAt(start - 1))) start--;
  let end = anchor;
  while (end < text.length && end - start < longestWord && isLetterCode(text.charCodeAt(end))) end++;
  if (end - start >= longestWord || isLetterCode(text.charCodeAt(end))) return undefined;
  const run = text.slice(start, end);
  const lower = run.toLowerCase();
  for (const keyword of keywords) {
    if (!lower.endsWith(keyword)) continue;
    const prefixLength = run.length - keyword.length;
    const camel = prefixLength > 0 && run.charCodeAt(prefixLength) >= 65 && run.charCodeAt(prefixLength) <= 90;
    if (keyword === "passe") {
      const spaced = prefixLength === 0 && /mot[ _-]de[ _-]$/i.test(text.slice(Math.max(0, start - 7), start));
      if (spaced || (camel && lower === "motdepasse")) return { keyword: "mot de passe", end };
      return undefined;
    }
    if (prefixLength === 0 || camel) return { keyword, end };
  }
  return undefined;
}

/** Start of the value after a separator (":", "=", ":=", "=>", quotes and spaces around), or -1. */
function afterSeparator(text: string, from: number): number {
  let index = from;
  // Closing quotes of a JSON key, also escaped (\"), and "]" of $config['password'].
  while (index < from + 3 && (isQuoteCode(text.charCodeAt(index)) || text.charCodeAt(index) === 92 || text.charCodeAt(index) === 93)) index++;
  while (index < from + 6 && (text.charCodeAt(index) === 32 || text.charCodeAt(index) === 9)) index++;
  const separator = text.charCodeAt(index);
  if (separator !== 58 && separator !== 61) return -1;
  index++;
  while (text.charCodeAt(index) === 61 || text.charCodeAt(index) === 62) index++;
  const spaces = index;
  while (index < spaces + 3 && (text.charCodeAt(index) === 32 || text.charCodeAt(index) === 9)) index++;
  return index;
}

/**
 * Start of the value after "… is", "… lautet", "… est", or -1. A few words may stand before the
 * verb, the last one closing a parenthesis ("la clé secrète AWS (secret access key) est …").
 */
function afterVerb(text: string, from: number): number {
  let index = from;
  for (let words = 0; words <= mostBridgeWords; words++) {
    if (text.charCodeAt(index) !== 32) return -1;
    index++;
    const wordStart = index;
    while (index < from + longestBridge && isLetterCode(text.charCodeAt(index))) index++;
    if (index === wordStart || index - from >= longestBridge) return -1;
    if (copulas.has(text.slice(wordStart, index).toLowerCase())) {
      if (text.charCodeAt(index) === 58) index++;
      return text.charCodeAt(index) === 32 ? index + 1 : -1;
    }
    if (text.charCodeAt(index) === 41) index++;
  }
  return -1;
}

/** End of the value starting at `start` (after an optional opening quote), or -1. */
function valueEnd(text: string, start: number, quote: number): number {
  let end = start;
  const limit = Math.min(text.length, start + longestValue + 1);
  while (end < limit && isValueCode(text.charCodeAt(end))) end++;
  if (end - start > longestValue) return -1;
  // A quoted value ends at its closing quote, JSON-escaped (\") or not.
  if (quote !== 0) return text.charCodeAt(end) === quote || (text.charCodeAt(end) === 92 && text.charCodeAt(end + 1) === quote) ? end : -1;
  // A sentence's full stop, comma or colon is not part of the value.
  while (end > start && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 58)) end--;
  return end === text.length || isSpaceCode(text.charCodeAt(end)) || isValueEnd(text.charCodeAt(end)) ? end : -1;
}

function isValueEnd(code: number): boolean {
  return code === 46 || code === 44 || code === 59 || code === 58 || code === 41 || code === 93 || code === 125 || code === 60 || isQuoteCode(code) || code === 92;
}

/**
 * Every value a secret key word names in prose or in a short assignment (see Phrase), in anchor
 * order, each value once. Bounded: seven indexOf passes for the anchors (about 1.2 ms per MB
 * together), then for each hit at most 16 letters back and forth, 48 characters of bridge and 128
 * of value, so the cost is linear in the text whatever it holds. Values of an assignment with 20
 * or more characters are left to assignmentsIn.
 *
 * The generic-secret and aws-secret-key recognizers both read this list, so, as with
 * assignmentsIn, the last one computed is kept until the current task ends.
 */
export function phrasesIn(text: string): readonly Phrase[] {
  if (text === rememberedText) return rememberedPhrases;
  const phrases = collect(text);
  if (rememberedText === undefined) queueMicrotask(forget);
  rememberedText = text;
  rememberedPhrases = phrases;
  return phrases;
}

let rememberedText: string | undefined;
let rememberedPhrases: readonly Phrase[] = [];

function forget(): void {
  rememberedText = undefined;
  rememberedPhrases = [];
}

function collect(text: string): Phrase[] {
  const phrases: Phrase[] = [];
  let seen: Set<number> | undefined;
  for (const anchor of anchors) {
    let hit = text.indexOf(anchor);
    while (hit !== -1) {
      let next = hit + anchor.length;
      const found = keywordAt(text, hit);
      if (found !== undefined) {
        next = found.end;
        let start = afterSeparator(text, found.end);
        const assigned = start !== -1;
        if (!assigned) start = afterVerb(text, found.end);
        if (start !== -1) {
          let quote = text.charCodeAt(start);
          if (quote === 92 && isQuoteCode(text.charCodeAt(start + 1))) start++;
          quote = text.charCodeAt(start);
          if (isQuoteCode(quote)) start++;
          else quote = 0;
          const end = valueEnd(text, start, quote);
          const length = end - start;
          if (end !== -1 && length >= shortestValue && !(assigned && length >= shortestAssignedValue) && !(seen?.has(start) ?? false)) {
            (seen ??= new Set()).add(start);
            phrases.push({ keyword: found.keyword, keywordEnd: found.end, valueStart: start, valueEnd: end });
            next = end;
          }
        }
      }
      hit = text.indexOf(anchor, next);
    }
  }
  return phrases;
}

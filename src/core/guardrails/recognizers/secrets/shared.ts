/**
 * Small helpers the secret recognizers share. They work on character codes and offsets so that a
 * recognizer can look at a candidate without copying text; the few that take a string are only
 * called on candidates that survived the cheap checks.
 */

/** 0-9, A-Z, a-z. */
export function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The base64url alphabet: alphanumerics, "-" and "_". */
export function isBase64UrlCode(code: number): boolean {
  return isAlphanumeric(code) || code === 45 || code === 95;
}

/** The standard base64 alphabet without padding: alphanumerics, "+" and "/". */
export function isBase64Code(code: number): boolean {
  return isAlphanumeric(code) || code === 43 || code === 47;
}

export function isHexCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

export function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Space, tab, line breaks and the other ASCII/Unicode spaces a pasted text may carry. */
export function isSpaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 || code === 0x2029 || code === 0x3000 || code === 0xfeff;
}

/**
 * How many characters from `start` satisfy `accept`, counting at most `limit` (the caller passes
 * one more than the longest length it accepts, so an over-long run is recognisable without
 * scanning it to the end).
 */
export function runLength(text: string, start: number, accept: (code: number) => boolean, limit: number): number {
  const end = Math.min(text.length, start + limit);
  let index = start;
  while (index < end && accept(text.charCodeAt(index))) index++;
  return index - start;
}

/** True when the character before `index` does not continue a token (start of text counts). */
export function startsToken(text: string, index: number, continues: (code: number) => boolean = isAlphanumeric): boolean {
  return index === 0 || !continues(text.charCodeAt(index - 1));
}

/** True when the character at `index` does not continue a token (end of text counts). */
export function endsToken(text: string, index: number, continues: (code: number) => boolean = isAlphanumeric): boolean {
  return index >= text.length || !continues(text.charCodeAt(index));
}

const entropyCounts = new Int32Array(128);

/** Shannon entropy of text[start, end) in bits per character. */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const length = end - start;
  if (length <= 0) return 0;
  let other: Map<number, number> | undefined;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code < 128) entropyCounts[code]!++;
    else (other ??= new Map()).set(code, (other.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  // Read each distinct ASCII count once and reset it, so the shared table is clean for the next call.
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code >= 128) continue;
    const count = entropyCounts[code]!;
    if (count === 0) continue;
    entropyCounts[code] = 0;
    const probability = count / length;
    entropy -= probability * Math.log2(probability);
  }
  for (const count of other?.values() ?? []) {
    const probability = count / length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

export const lowerClass = 1;
export const upperClass = 2;
export const digitClass = 4;
const symbolClass = 8;

/** Bit set of the character classes (lower, upper, digit, symbol) present in text[start, end). */
export function characterClasses(text: string, start = 0, end = text.length): number {
  let classes = 0;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code >= 97 && code <= 122) classes |= lowerClass;
    else if (code >= 65 && code <= 90) classes |= upperClass;
    else if (code >= 48 && code <= 57) classes |= digitClass;
    else classes |= symbolClass;
  }
  return classes;
}

export function classCount(classes: number): number {
  return (classes & 1) + ((classes >> 1) & 1) + ((classes >> 2) & 1) + ((classes >> 3) & 1);
}

/** Number of distinct characters in text[start, end); placeholders ("XXXX…", "****") have very few. */
export function distinctCharacters(text: string, start: number, end: number): number {
  // ASCII in four 32-bit masks; anything else (rare in tokens) in a set.
  let mask0 = 0;
  let mask1 = 0;
  let mask2 = 0;
  let mask3 = 0;
  let other: Set<number> | undefined;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    const bit = 1 << (code & 31);
    if (code < 32) mask0 |= bit;
    else if (code < 64) mask1 |= bit;
    else if (code < 96) mask2 |= bit;
    else if (code < 128) mask3 |= bit;
    else (other ??= new Set()).add(code);
  }
  return bitCount(mask0) + bitCount(mask1) + bitCount(mask2) + bitCount(mask3) + (other?.size ?? 0);
}

function bitCount(mask: number): number {
  let value = mask - ((mask >>> 1) & 0x55555555);
  value = (value & 0x33333333) + ((value >>> 2) & 0x33333333);
  return (Math.imul((value + (value >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

const crcTable = (() => {
  const table = new Int32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the zlib one) of an ASCII string; GitHub's token checksum is built on it. */
export function crc32(ascii: string): number {
  let crc = -1;
  for (let index = 0; index < ascii.length; index++) {
    crc = (crc >>> 8) ^ (crcTable[(crc ^ ascii.charCodeAt(index)) & 0xff] as number);
  }
  return (crc ^ -1) >>> 0;
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Base62 (0-9, A-Z, a-z) of a non-negative integer, left-padded with "0" to `width`. */
export function base62(value: number, width: number): string {
  let remaining = Math.floor(value);
  let digits = "";
  do {
    digits = base62Alphabet[remaining % 62] + digits;
    remaining = Math.floor(remaining / 62);
  } while (remaining > 0);
  return digits.padStart(width, "0");
}

/**
 * Token shapes that a vendor recognizer owns. The bearer and generic recognizers skip a value that
 * starts with one of these, so a GitHub token after "Bearer" is reported once, as a GitHub token.
 */
const vendorPrefix = /eyJ|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt)-|xox[abeprs]-|xapp-|[rs]k_(?:live|test)_|pk_live_|whsec_|sk-|AIza|A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA)[A-Z0-9]{16}/y;

export function hasVendorPrefix(text: string, start: number): boolean {
  vendorPrefix.lastIndex = start;
  return vendorPrefix.test(text);
}

const templateStart = /\$|\{\{|%\(|<[A-Za-z_]|\[[A-Za-z_]/y;
const placeholderWords = new Set([
  "password", "passwort", "pass", "passwd", "pwd", "secret", "changeme", "change_me", "example", "test", "token",
  "your_password", "yourpassword", "your-password", "mypassword", "my_password", "redacted", "hidden", "placeholder",
]);

/**
 * A value that stands for a secret rather than being one: a template reference ("${DB_PASSWORD}",
 * "{{ token }}", "%(pwd)s", "<password>"), a masked value ("*****", "xxxx") or a generic word.
 * Returns "template" (not a secret at all), "word" (probably documentation: report with low
 * confidence) or undefined.
 */
export function placeholderKind(text: string, start: number, end: number): "template" | "word" | undefined {
  templateStart.lastIndex = start;
  if (templateStart.test(text)) return "template";
  if (end - start >= 3 && distinctCharacters(text, start, end) === 1) {
    const code = text.charCodeAt(start);
    if (code === 42 || code === 120 || code === 88 || code === 46 || code === 35) return "template";
  }
  if (end - start <= 16 && placeholderWords.has(text.slice(start, end).toLowerCase())) return "word";
  return undefined;
}

/**
 * Words that mark a vendor key as a stand-in ("sk_live_YOUR_KEY_HERE", AWS's documented
 * "AKIAIOSFODNN7EXAMPLE"). Words of six letters or more count anywhere in the body; shorter ones
 * only standing alone between separators or the body's ends ("your-key-here", "xoxb-XXXX-…"),
 * because a random alphanumeric body holds a given four-letter word in one case about once in
 * 10⁴ to 10⁵ keys, and the same word between separators practically never.
 */
const standInWords = ["example", "placeholder", "redacted", "changeme", "sample", "insert", "replace", "dummy", "your", "here", "xxxx", "fake", "mock"];
const shortestWordAnywhere = 6;

/** The longest run of one character, or of consecutive codes ("1234567"), left to chance; longer runs are typed. */
const longestRandomRun = 7;

/**
 * True when text[start, end), the random part of a vendor-prefixed key, stands for a key rather
 * than being one: very few distinct characters ("sk_live_xxxxxxxx…", "AIzaXXXX…"), a run of one
 * character or of consecutive characters ("…00000000", "…12345678", "…abcdefgh"), or a stand-in
 * word in one case ("EXAMPLE", "your", "Placeholder"). Users paste such keys from documentation
 * while asking for help; they grant nothing, and flagging them is the false alarm that gets a
 * guardrail switched off. Real keys are random, and each rule is set so that a random body trips
 * it less than once in a million keys (64 hex characters, the worst case, about once in five
 * million; base62 and base64 bodies far less often). The tests check many random bodies.
 * Called only on candidates that already have a vendor shape, so its cost does not matter.
 */
export function isPlaceholderBody(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0) return true;
  const distinct = distinctCharacters(text, start, end);
  if (distinct <= (length >= 40 ? 8 : length >= 16 ? 5 : 2)) return true;
  let same = 1;
  let rising = 1;
  let falling = 1;
  for (let index = start + 1; index < end; index++) {
    const step = text.charCodeAt(index) - text.charCodeAt(index - 1);
    same = step === 0 ? same + 1 : 1;
    rising = step === 1 ? rising + 1 : 1;
    falling = step === -1 ? falling + 1 : 1;
    if (same > longestRandomRun || rising > longestRandomRun || falling > longestRandomRun) return true;
  }
  return hasStandInWord(text, start, end);
}

/**
 * True when text[start, end) holds a stand-in word ("EXAMPLE", "placeholder", "your-…-here"; see
 * standInWords). The one placeholder rule that also suits human-chosen values (passwords, generic
 * secrets), where runs ("Passwort12345678") and few distinct characters are ordinary.
 */
export function hasStandInWord(text: string, start: number, end: number): boolean {
  const body = text.slice(start, end);
  const lower = body.toLowerCase();
  for (const word of standInWords) {
    let at = lower.indexOf(word);
    while (at !== -1) {
      if (inOneCase(body, at, word.length) && (word.length >= shortestWordAnywhere || standsAlone(body, at, word.length))) return true;
      at = lower.indexOf(word, at + 1);
    }
  }
  return false;
}

/** "your", "YOUR" or "Your", not "yOuR": typed words keep one case, random text rarely does. */
function inOneCase(body: string, at: number, length: number): boolean {
  const word = body.slice(at, at + length);
  const tail = word.slice(1);
  return word === word.toLowerCase() || word === word.toUpperCase() || (tail === tail.toLowerCase() && word[0] === word[0]?.toUpperCase());
}

function standsAlone(body: string, at: number, length: number): boolean {
  return (at === 0 || !isAlphanumeric(body.charCodeAt(at - 1))) && (at + length === body.length || !isAlphanumeric(body.charCodeAt(at + length)));
}

/** Decodes base64 or base64url to bytes; undefined when the text is not in either alphabet. */
export function decodeBase64(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, value.includes("-") || value.includes("_") ? "base64url" : "base64");
}

/**
 * True when `value` is base64 of ordinary text ("c2VjcmV0IHBhc3N3b3Jk" is "secret password"):
 * such strings look random but carry words, and are not credentials.
 */
export function isBase64OfWords(value: string): boolean {
  if (value.length < 8 || value.length % 4 === 1) return false;
  const bytes = decodeBase64(value);
  if (bytes === undefined || bytes.length === 0) return false;
  let letters = 0;
  let spaces = 0;
  for (const byte of bytes) {
    if (byte === 32) spaces++;
    else if ((byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)) letters++;
    else if (byte < 32 || byte > 126) return false;
  }
  return spaces > 0 && (letters + spaces) / bytes.length >= 0.85;
}

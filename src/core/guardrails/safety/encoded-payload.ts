import { scanInstructionOverride } from "./instruction-override.ts";
import { combineMarkerWeights, hasAny, leetStretches, prepareSubject, triggerStems, type Marker, type ScanContext, type ScanSubject } from "./marker.ts";
import { scanRolePlay } from "./role-play.ts";
import { sortCategoryCodes, type SafetyCategoryCode } from "./taxonomy.ts";

/**
 * Encoded payloads: an override phrase or a jailbreak wrapped in base64, hex, percent-escapes,
 * `\x` escapes, binary, rot13, reversed text or leetspeak, so that a phrase filter sees noise while
 * the model reads the instruction. Candidates are actually decoded and the decoded text is scanned
 * again with the phrase families (and, one level down, for a second encoding), so base64 in a JSON
 * config or a SHA-256 hash — which decode to bytes or to harmless text — cost nothing but a decode.
 *
 * Work is bounded: at most `candidateLimit` candidates per text, at most `decodedCharacterLimit`
 * decoded characters per text, and rescans at most two decoding levels deep.
 */

const candidateLimit = 256;
const candidateLength = 16_384;
const decodedCharacterLimit = 65_536;
const maximumDepth = 2;

/** What a rescan of decoded text found: the combined weight and the categories behind it. */
export interface RescanResult {
  weight: number;
  categories: SafetyCategoryCode[];
}

/**
 * Scans text that was hidden from view (decoded base64, invisible tag characters, a reversed
 * run...) with the phrase families, one decoding level deeper than `context`. Shared by the
 * encoded-payload, invisible-unicode and markup-smuggling families.
 */
export function rescanHiddenText(hidden: string, context: ScanContext): RescanResult {
  const deeper: ScanContext = { source: context.source, depth: context.depth + 1 };
  const subject = prepareSubject(hidden);
  const markers: Marker[] = [];
  scanInstructionOverride(subject, deeper, markers);
  scanRolePlay(subject, deeper, markers);
  if (deeper.depth < maximumDepth) scanEncodedPayloads(subject, deeper, markers);
  const relevant = markers.filter((marker) => marker.weight >= 0.2);
  return { weight: combineMarkerWeights(markers), categories: sortCategoryCodes(relevant.flatMap((marker) => marker.categories)) as SafetyCategoryCode[] };
}

const utf8 = new TextDecoder("utf-8");

/** UTF-8 bytes as text, or undefined when they are not valid UTF-8 (checked without exceptions). */
function bytesToText(bytes: Uint8Array): string | undefined {
  const text = utf8.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  // A replacement character is fine only when the bytes spelled it (EF BF BD) themselves.
  let spelled = 0;
  for (let index = 0; index + 2 < bytes.length; index += 1) if (bytes[index] === 0xef && bytes[index + 1] === 0xbf && bytes[index + 2] === 0xbd) spelled += 1;
  return spelled === (text.match(/\uFFFD/g)?.length ?? 0) ? text : undefined;
}

function binaryStringToText(binary: string): string | undefined {
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytesToText(bytes);
}

/** Decodes standard or URL-safe base64 (padding optional); undefined when it is not base64 of UTF-8. */
export function decodeBase64(candidate: string): string | undefined {
  let body = candidate.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (body.length % 4 === 1) body = body.slice(0, -1);
  body += "=".repeat((4 - (body.length % 4)) % 4);
  try {
    return binaryStringToText(atob(body));
  } catch {
    return undefined;
  }
}

function decodeHexDigits(digits: string): string | undefined {
  if (digits.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(digits.length / 2);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = Number.parseInt(digits.slice(index * 2, index * 2 + 2), 16);
  return bytesToText(bytes);
}

/** Decodes hex in any of the usual spellings: "69676e6f", "69 67 6e 6f", "\x69\x67", "%69%67". */
export function decodeHex(candidate: string): string | undefined {
  return decodeHexDigits(candidate.replace(/^0x/i, "").replace(/\\x|%|[\s:,-]/gi, ""));
}

function decodeBinary(candidate: string): string | undefined {
  const groups = candidate.trim().split(/\s+/);
  const bytes = new Uint8Array(groups.length);
  for (const [index, group] of groups.entries()) bytes[index] = Number.parseInt(group, 2);
  return bytesToText(bytes);
}

function decodeUnicodeEscapes(candidate: string): string {
  return candidate.replace(/\\u([0-9a-fA-F]{4})/g, (_escape, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
}

/** Rot13 over ASCII letters (it is its own inverse). */
export function rot13(text: string): string {
  return text.replace(/[a-zA-Z]/g, (letter) => {
    const base = letter <= "Z" ? 65 : 97;
    return String.fromCharCode(((letter.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/**
 * True for text a person (or a model) would read as language: printable, mostly letters, at least
 * three words. Bytes that happen to be valid UTF-8, JSON headers and key material fail it.
 */
export function isReadableText(text: string): boolean {
  if (text.length < 8) return false;
  // A sample decides: the share of letters in the first 2,000 characters is as telling as in all of them.
  const sample = text.length > 2000 ? text.slice(0, 2000) : text;
  const length = sample.length;
  const unprintable = sample.match(/[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\n\r\t]/gu)?.length ?? 0;
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  if (unprintable / length > 0.05 || letters / length < 0.55) return false;
  return (sample.match(/\p{L}{2,}/gu)?.length ?? 0) >= 3;
}

interface Candidate {
  kind: "base64" | "hex" | "binary" | "unicode-escape";
  text: string;
}

const hexSeparated = /(?:\b[0-9a-fA-F]{2}[ :,-]){11,}[0-9a-fA-F]{2}\b/g;
const hexEscaped = /(?:\\x[0-9a-fA-F]{2}){8,}|(?:%[0-9a-fA-F]{2}){8,}/g;
const binaryRun = /\b(?:[01]{8}\s+){7,}[01]{8}\b/g;
const unicodeEscapes = /(?:\\u[0-9a-fA-F]{4}){6,}/g;

// Character classes for the run scanner, one table lookup per character.
const base64Class = 1;
const hexClass = 2;
const letterClass = 4;
const leetClass = 8;
const binaryClass = 16;
const characterClass = new Uint8Array(128);
function markClass(characters: string, flag: number): void {
  for (const character of characters) characterClass[character.charCodeAt(0)] = (characterClass[character.charCodeAt(0)] ?? 0) | flag;
}
markClass("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_", base64Class);
markClass("0123456789abcdefABCDEF", hexClass);
markClass("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", letterClass);
markClass("013457", leetClass);
markClass("01", binaryClass);
const isHexSeparator = (code: number) => code === 32 || code === 58 || code === 44 || code === 45;

interface RunScan {
  /** Two or more words with leetspeak digits between letters ("1gn0r3 pr3v10us"). */
  leet: boolean;
  /** Twelve or more two-digit hex groups in a row ("69 67 6e ..."). */
  separatedHex: boolean;
  /** Eight or more eight-digit binary groups in a row. */
  binary: boolean;
}

/**
 * One pass over the text, by hand: collects runs of 16+ base64-alphabet characters (reported as
 * hex when every character is a hex digit and the run is 24+ long, "0x" allowed), and notes
 * whether the rarer shapes (leetspeak, separated hex bytes, binary) occur at all, so their
 * regexes only run when they can match. A regex for the runs restarts inside every word and costs
 * many times more on prose.
 */
function scanRuns(text: string, add: (kind: Candidate["kind"], run: string) => void): RunScan {
  const found: RunScan = { leet: false, separatedHex: false, binary: false };
  let start = -1;
  let classes = 0;
  let allClasses = 0;
  let hexGroups = 0;
  let binaryGroups = 0;
  let leetWords = 0;
  let lastGroupEnd = -2;
  let letterSeen = false;
  let leetAfterLetter = false;
  let leetInside = false;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : 128;
    const characterClasses = code < 128 ? (characterClass[code] as number) : 0;
    if ((characterClasses & base64Class) !== 0) {
      if (start === -1) {
        start = index;
        classes = 0;
        allClasses = hexClass | binaryClass;
        letterSeen = false;
        leetAfterLetter = false;
        leetInside = false;
      }
      classes |= characterClasses;
      allClasses &= characterClasses;
      // Leet digits between letters ("pr3v10us"), not a number after a word ("sha256", "base64").
      if ((characterClasses & letterClass) !== 0) {
        if (leetAfterLetter) leetInside = true;
        letterSeen = true;
        leetAfterLetter = false;
      } else if ((characterClasses & leetClass) !== 0) {
        leetAfterLetter ||= letterSeen;
      } else {
        leetAfterLetter = false;
      }
      continue;
    }
    if (start === -1) continue;
    const length = index - start;
    const allHex = (allClasses & hexClass) !== 0;
    const adjacent = start === lastGroupEnd + 1 && isHexSeparator(text.charCodeAt(lastGroupEnd));
    if (length === 2 && allHex) {
      hexGroups = adjacent ? hexGroups + 1 : 1;
      if (hexGroups >= 12) found.separatedHex = true;
    } else hexGroups = 0;
    if (length === 8 && (allClasses & binaryClass) !== 0) {
      binaryGroups = start === lastGroupEnd + 1 ? binaryGroups + 1 : 1;
      if (binaryGroups >= 8) found.binary = true;
    } else binaryGroups = 0;
    // A short word with leet digits inside it that is not simply hex ("pr3v10u5", not "b0b8").
    if (leetInside && length <= 20 && !allHex && ++leetWords >= 2) found.leet = true;
    lastGroupEnd = index;
    if (!found.separatedHex && length >= 35 && text.charCodeAt(start + 2) === 45 && /^(?:[0-9a-fA-F]{2}-){11}/.test(text.slice(start, start + 33))) found.separatedHex = true;
    if (length >= 16) {
      let end = index;
      while (end < text.length && end - index < 2 && text.charCodeAt(end) === 61) end += 1;
      const run = text.slice(start, Math.min(end, start + candidateLength));
      const digits = run.startsWith("0x") || run.startsWith("0X") ? run.slice(2) : run;
      if (digits.length >= 24 && /^[0-9a-fA-F]+$/.test(digits)) add("hex", digits);
      else add("base64", run);
    }
    start = -1;
  }
  return found;
}

function collectCandidates(text: string): { candidates: Candidate[]; scan: RunScan } {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const addRun = (kind: Candidate["kind"], run: string) => {
    if (candidates.length >= candidateLimit || seen.has(run)) return;
    seen.add(run);
    candidates.push({ kind, text: run });
  };
  const add = (kind: Candidate["kind"], pattern: RegExp) => {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while (candidates.length < candidateLimit && (match = pattern.exec(text)) !== null) addRun(kind, match[0].slice(0, candidateLength));
  };
  if (text.includes("\\x") || text.includes("%")) add("hex", hexEscaped);
  if (text.includes("\\u")) add("unicode-escape", unicodeEscapes);
  const scan = scanRuns(text, addRun);
  if (scan.separatedHex) add("hex", hexSeparated);
  if (scan.binary) add("binary", binaryRun);
  return { candidates, scan };
}

function decodeCandidate(candidate: Candidate): string | undefined {
  switch (candidate.kind) {
    case "hex":
      return decodeHex(candidate.text);
    case "binary":
      return decodeBinary(candidate.text);
    case "unicode-escape":
      return decodeUnicodeEscapes(candidate.text);
    case "base64":
      // A run of one-case letters is a word, not base64 of text.
      return /^[a-z]+$|^[A-Z]+$/.test(candidate.text) ? undefined : decodeBase64(candidate.text);
  }
}

const rot13Words = /\b(?:vtabe|qvfertneq|sbetrg|vafgehpgvba|cerivbhf|flfgrz|cebzcg|cergraq|qrirybcre|wnvyoernx|erfgevpgvba)/g;
const reversedWords = /(?:snoitcurtsni|erongi|dragersid|tegrof|suoiverp|tpmorp|metsys|snoitcirtser|kaerbliaj)\b/g;
const rot13Stems = triggerStems("vtabe", "qvfertneq", "sbetrg", "vafgehpgvba", "cerivbhf", "flfgrz", "cebzcg", "cergraq", "qrirybcre", "wnvyoernx", "erfgevpgvba");
const reversedStems = triggerStems("snoitcurtsni", "erongi", "dragersid", "tegrof", "suoiverp", "tpmorp", "metsys", "snoitcirtser", "kaerbliaj");
const decodeStems = triggerStems("decode", "decipher", "decrypt", "translate", "convert", "unscramble", "reverse", "read", "dekodiere", "entschlussele", "dechiffre");
const followStems = triggerStems(
  ..."and follow|then follow|and execute|then execute|and obey|then obey|and do|then do|and run|then run|and carry|and act|then act|and perform|and comply|and answer|then answer|and respond|then respond|and then|and simply|and just|und befolge|und fuhre|und mach|et suis|et execute|et applique|et obeis|et fais".split("|"),
);

const decodeAndFollow =
  /\b(?:decode|decipher|decrypt|translate|convert|unscramble|reverse|read)\b[^.!?\n]{0,60}?\b(?:and|then)\s+(?:\w+\s+){0,2}?(?:follow|execute|obey|do|run|carry out|act on|perform|comply with|answer|respond to)\b|\b(?:dekodiere|entschlussele)\b[^.!?\n]{0,60}?\bund\s+(?:befolge|fuhre|mach)|\b(?:decode|dechiffre)[rz]?\b[^.!?\n]{0,60}?\bet\s+(?:suis|execute|applique|obeis|fais)/;

/** The text within 200 characters of each match of `pattern` (merged, in order, at most 16 stretches). */
function stretchesAround(text: string, pattern: RegExp): string {
  const ranges: Array<[number, number]> = [];
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (ranges.length < 16 && (match = pattern.exec(text)) !== null) {
    const start = Math.max(0, match.index - 200);
    const end = Math.min(text.length, match.index + match[0].length + 200);
    const last = ranges.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges.map(([start, end]) => text.slice(start, end)).join("\n.\n");
}

/**
 * Appends encoded-payload markers for a prepared text. Markers: decoded text that carries an
 * override or jailbreak (strong, whatever the encoding), decoded readable text in general (weak),
 * and an instruction to decode something and act on it (medium).
 */
export function scanEncodedPayloads(subject: ScanSubject, context: ScanContext, out: Marker[]): void {
  const { original, folded } = subject;
  let decodedCharacters = 0;
  let strongest: RescanResult | undefined;
  let strongestKind = "";
  let readable = false;
  const consider = (kind: string, decoded: string | undefined) => {
    if (decoded === undefined || decodedCharacters >= decodedCharacterLimit) return;
    const bounded = decoded.slice(0, decodedCharacterLimit - decodedCharacters);
    decodedCharacters += bounded.length;
    if (!isReadableText(bounded)) return;
    readable = true;
    const result = rescanHiddenText(bounded, context);
    if (strongest === undefined || result.weight > strongest.weight) {
      strongest = result;
      strongestKind = kind;
    }
  };

  const { candidates, scan } = collectCandidates(original);
  for (const candidate of candidates) consider(candidate.kind, decodeCandidate(candidate));
  // Rot13 and reversal have no candidate boundaries: only the stretches around a tell-tale word
  // ("vtaber" is rot13 "ignore") are transformed and rescanned.
  if (hasAny(subject, rot13Stems)) consider("rot13", rot13(stretchesAround(folded, rot13Words)));
  if (hasAny(subject, reversedStems)) consider("reversed", [...stretchesAround(folded, reversedWords)].reverse().join(""));
  const leet = scan.leet ? leetStretches(folded) : undefined;
  if (leet !== undefined) {
    const markers: Marker[] = [];
    scanInstructionOverride(prepareSubject(leet), context, markers);
    const weight = combineMarkerWeights(markers);
    if (weight >= 0.5 && (strongest === undefined || weight > strongest.weight)) {
      strongest = { weight, categories: sortCategoryCodes(markers.flatMap((marker) => marker.categories)) as SafetyCategoryCode[] };
      strongestKind = "leetspeak";
    }
  }

  const found: RescanResult | undefined = strongest;
  if (found !== undefined && found.weight >= 0.5) {
    out.push({
      id: "encoded-override",
      family: "encoded-payload",
      categories: sortCategoryCodes(["obfuscation", ...found.categories]) as SafetyCategoryCode[],
      weight: 0.9,
      reason: `${strongestKind} payload decodes to an override or jailbreak`,
    });
  } else if (found !== undefined && found.weight >= 0.2) {
    out.push({
      id: "encoded-suspicious",
      family: "encoded-payload",
      categories: sortCategoryCodes(["obfuscation", ...found.categories]) as SafetyCategoryCode[],
      weight: 0.45,
      reason: `${strongestKind} payload decodes to suspicious text`,
    });
  } else if (readable) {
    out.push({ id: "encoded-text", family: "encoded-payload", categories: ["obfuscation"], weight: 0.2, reason: "encoded payload decodes to readable text" });
  }
  if (hasAny(subject, decodeStems) && hasAny(subject, followStems) && decodeAndFollow.test(folded)) {
    out.push({ id: "decode-and-follow", family: "encoded-payload", categories: ["obfuscation", "prompt_injection"], weight: 0.4, reason: "asks to decode text and act on it" });
  }
}

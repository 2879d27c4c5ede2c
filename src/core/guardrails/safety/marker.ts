import type { SafetyCategoryCode } from "./taxonomy.ts";

/**
 * What the heuristic marker families share: the marker they report and the text folding they
 * match against. A marker is one piece of evidence ("an instruction-override phrase", "invisible
 * tag characters"); heuristics.ts weighs the markers of one message into a score, so a single weak
 * marker (a "hypothetically", one zero-width space) never blocks on its own.
 */

export type MarkerFamily = "instruction-override" | "role-play" | "encoded-payload" | "invisible-unicode" | "markup-smuggling";

/** Where the scanned text came from; the families weigh some evidence differently per source. */
export type ScanSource = "user" | "tool" | "answer";

export interface Marker {
  /** Stable kebab-case id; repeated evidence with the same id counts once per message. */
  id: string;
  family: MarkerFamily;
  categories: SafetyCategoryCode[];
  /** 0..1; a message's score is 1 − Π(1 − weight) over its distinct markers. */
  weight: number;
  /** Short and payload-free: it ends up in verdicts, logs and audit entries. */
  reason: string;
}

export interface ScanContext {
  source: ScanSource;
  /**
   * How many decoding steps produced this text (0 = the message itself). Decoded text is
   * rescanned at most twice (base64 inside base64), which bounds the work an attacker can cause.
   */
  depth: number;
}

/** Combines marker weights as independent evidence: 1 − Π(1 − weight), one per marker id. */
export function combineMarkerWeights(markers: readonly Marker[]): number {
  const strongest = new Map<string, number>();
  for (const marker of markers) strongest.set(marker.id, Math.max(strongest.get(marker.id) ?? 0, marker.weight));
  let remaining = 1;
  for (const weight of strongest.values()) remaining *= 1 - weight;
  return 1 - remaining;
}

/**
 * Characters that render as nothing (or nearly) and are stripped before phrase matching, so
 * "ig\u200Bnore" still reads "ignore": soft hyphen, Mongolian vowel separator, zero-width
 * space/joiners, direction marks and controls, word joiner and invisible operators, BOM,
 * variation selectors, tag characters.
 */
export const invisibleCharacters = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFE00-\uFE0F\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;

/**
 * Latin look-alikes from Cyrillic and Greek (lower case) and the small capitals NFKC leaves alone, so
 * "ignоre" with a Cyrillic о, or "ɪɢɴᴏʀᴇ", still matches.
 */
const lookAlikes: Record<string, string> = {
  а: "a", в: "b", е: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x",
  і: "i", ј: "j", ѕ: "s", ԁ: "d", һ: "h", ӏ: "l", ԛ: "q", ԝ: "w",
  α: "a", β: "b", ε: "e", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x",
  ᴀ: "a", ʙ: "b", ᴄ: "c", ᴅ: "d", ᴇ: "e", ꜰ: "f", ɢ: "g", ʜ: "h", ɪ: "i", ᴊ: "j", ᴋ: "k", ʟ: "l", ᴍ: "m",
  ɴ: "n", ᴏ: "o", ᴘ: "p", ʀ: "r", ꜱ: "s", ᴛ: "t", ᴜ: "u", ᴠ: "v", ᴡ: "w", ʏ: "y", ᴢ: "z",
};
const lookAlikePattern = /[авекмнорстухіјѕԁһӏԛԝαβεηικνορτυχᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ]/gu;
const nonAscii = /[^\x00-\x7F]/;

const anyInvisible = new RegExp(invisibleCharacters.source, "u");
const collapsibleSpace = /[ \t\v\f\r\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]{2,}|[\t\v\f\r\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]/g;
const accentedLatin = /[\u00C0-\u024F\u1E00-\u1EFF]/g;
const combiningMarks = /[\u0300-\u036F\u0483-\u0489\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]/g;
let accentMap: Map<string, string> | undefined;

/** Latin letters with diacritics to their base letters, built once from Unicode decompositions. */
function buildAccentMap(): Map<string, string> {
  const map = new Map<string, string>();
  for (const [first, last] of [
    [0x00c0, 0x024f],
    [0x1e00, 0x1eff],
  ] as const) {
    for (let code = first; code <= last; code += 1) {
      const character = String.fromCharCode(code);
      const base = character.normalize("NFD").replace(/\p{M}/gu, "");
      if (base !== character && base.length > 0) map.set(character, base);
    }
  }
  return map;
}

/** "précédentes" → "precedentes", without normalising the whole text (CJK and emoji stay as they are). */
function stripAccents(text: string): string {
  const map = (accentMap ??= buildAccentMap());
  return text.replace(accentedLatin, (character) => map.get(character) ?? character).replace(combiningMarks, "");
}

const accentedOrCombining = /[\u00C0-\u024F\u1E00-\u1EFF\u0300-\u036F\u0483-\u0489\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]/;
const lookAlikeRange = /[\u0250-\u02AF\u0370-\u052F\u1D00-\u1D7F\uA700-\uA7FF]/;
const typographicQuote = /[\u2018-\u201F\u02BC\u2032\u2033\u00AB\u00BB]/;

/**
 * The form every phrase pattern matches against: compatibility-normalised (full-width and
 * "mathematical" letters become plain ones), invisible characters removed, lower case, accents
 * stripped ("précédentes" → "precedentes", "ß" → "ss"), Cyrillic/Greek look-alikes mapped to
 * Latin, typographic quotes made plain, and whitespace runs collapsed (to one newline when they
 * hold one, else to one space). Only used for matching: offsets do not survive it, and verdicts
 * never quote text anyway.
 */
export function foldText(text: string): string {
  let folded = text;
  if (nonAscii.test(folded)) {
    folded = folded.normalize("NFKC");
    if (anyInvisible.test(folded)) folded = folded.replace(invisibleCharacters, "");
    folded = folded.toLowerCase();
    if (accentedOrCombining.test(folded)) folded = stripAccents(folded);
    if (folded.includes("ß")) folded = folded.replace(/ß/g, "ss");
    if (lookAlikeRange.test(folded)) folded = folded.replace(lookAlikePattern, (character) => lookAlikes[character] ?? character);
    if (typographicQuote.test(folded)) {
      folded = folded.replace(/[\u2018\u2019\u201A\u201B\u02BC\u2032]/g, "'").replace(/[\u201C\u201D\u201E\u201F\u00AB\u00BB\u2033]/g, '"');
    }
  } else {
    folded = folded.toLowerCase();
  }
  folded = folded.replace(collapsibleSpace, " ");
  return folded.includes("\n") ? folded.replace(/ ?\n\s*/g, "\n") : folded;
}

// ── trigger words ───────────────────────────────────────────────────────────────────────────────
// Most phrase rules can only match when one of a few words is present ("ignor", "disregard"...).
// Testing each rule's words with its own regex costs a full scan per rule; instead every family
// registers its trigger stems here, and one pass over the folded text (a trie walked from each
// word start) finds all stems present. A rule whose stems are absent is skipped.

interface TrieNode {
  /** Children by character code: ASCII in a filled array (the common case), the rest in a map. */
  ascii: Array<TrieNode | undefined>;
  other: Map<number, TrieNode> | undefined;
  /** Stems ending here that match as a prefix ("ignor" in "ignored"); undefined when none. */
  prefixes: string[] | undefined;
  /** Stems ending here that must end a word ("mode$" matches "mode", not "model"); undefined when none. */
  words: string[] | undefined;
}

const registeredStems = new Set<string>();
let trie: TrieNode | undefined;

/**
 * Registers trigger stems and returns them. A stem is lower case in folded form and matches at a
 * word start, as a prefix ("ignor" matches "ignored"); a trailing "$" makes it match a whole word
 * only ("mode$" matches "mode" but not "model"). Stems may span words ("do not").
 */
export function triggerStems(...stems: string[]): readonly string[] {
  for (const stem of stems) {
    if (registeredStems.has(stem)) continue;
    registeredStems.add(stem);
    trie = undefined;
  }
  return stems;
}

function newNode(): TrieNode {
  return { ascii: new Array<TrieNode | undefined>(128).fill(undefined), other: undefined, prefixes: undefined, words: undefined };
}

function buildTrie(): TrieNode {
  const root = newNode();
  for (const stem of registeredStems) {
    const whole = stem.endsWith("$");
    const letters = whole ? stem.slice(0, -1) : stem;
    let node = root;
    for (let index = 0; index < letters.length; index += 1) {
      const code = letters.charCodeAt(index);
      let next = code < 128 ? node.ascii[code] : node.other?.get(code);
      if (next === undefined) {
        next = newNode();
        if (code < 128) node.ascii[code] = next;
        else (node.other ??= new Map()).set(code, next);
      }
      node = next;
    }
    if (whole) (node.words ??= []).push(stem);
    else (node.prefixes ??= []).push(stem);
  }
  return root;
}

function isWordCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code > 127;
}

/** Every registered stem found in `folded` (see `triggerStems` for how stems match). */
export function findTriggerStems(folded: string): Set<string> {
  trie ??= buildTrie();
  const root = trie;
  const found = new Set<string>();
  const length = folded.length;
  let previousIsWord = false;
  for (let start = 0; start < length; start += 1) {
    const code = folded.charCodeAt(start);
    const wordStart = !previousIsWord;
    previousIsWord = isWordCode(code);
    if (!wordStart) continue;
    let node = code < 128 ? root.ascii[code] : root.other?.get(code);
    let index = start + 1;
    while (node !== undefined) {
      if (node.prefixes !== undefined) for (const stem of node.prefixes) found.add(stem);
      if (node.words !== undefined && (index >= length || !isWordCode(folded.charCodeAt(index)))) for (const stem of node.words) found.add(stem);
      if (index >= length) break;
      const next = folded.charCodeAt(index);
      node = next < 128 ? node.ascii[next] : node.other?.get(next);
      index += 1;
    }
  }
  return found;
}

/**
 * A text prepared once for every family: the raw text, its folded form and the trigger stems it
 * contains.
 */
export interface ScanSubject {
  original: string;
  folded: string;
  triggers: ReadonlySet<string>;
}

export function prepareSubject(original: string): ScanSubject {
  const folded = foldText(original);
  return { original, folded, triggers: findTriggerStems(folded) };
}

/** True when any of `stems` was found in the subject. */
export function hasAny(subject: ScanSubject, stems: readonly string[]): boolean {
  for (const stem of stems) if (subject.triggers.has(stem)) return true;
  return false;
}


const leetDigits: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i" };
const leetPair = /[a-z][013457@$]|[013457@$][a-z]/g;

/**
 * Undoes common digit-for-letter swaps ("1gn0r3 4ll pr3v10us") on folded text, only around the
 * words that mix letters and such digits: returns those stretches (80 characters either side,
 * merged, joined by a line that no phrase pattern crosses), or undefined when no word mixes them,
 * so the caller skips a second pass. Bounded to 64 stretches.
 */
export function leetStretches(folded: string): string | undefined {
  const ranges: Array<[number, number]> = [];
  leetPair.lastIndex = 0;
  let pair: RegExpExecArray | null;
  while (ranges.length < 64 && (pair = leetPair.exec(folded)) !== null) {
    const start = Math.max(0, pair.index - 80);
    const end = Math.min(folded.length, pair.index + 82);
    const last = ranges.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = end;
    else ranges.push([start, end]);
  }
  if (ranges.length === 0) return undefined;
  return ranges.map(([start, end]) => unleetWords(folded.slice(start, end))).join("\n.\n");
}

/** Maps leet characters to letters inside words that contain at least one letter. */
function unleetWords(text: string): string {
  return text.replace(/[a-z0-9@$!]+/g, (word) => (/[a-z]/.test(word) ? word.replace(/[013457@$!]/g, (character) => leetDigits[character] ?? character) : word));
}

const quoteCharacters = new Set(['"', "`", "'"]);

/**
 * True when folded[start, end) sits between quotes on one line: a phrase that is mentioned
 * ("what does 'ignore previous instructions' do?") rather than used. An opening quote must start
 * a word (so "don't" does not open a quote) and its closing partner must follow within 160
 * characters.
 */
export function isQuoted(folded: string, start: number, end: number): boolean {
  const lineStart = Math.max(folded.lastIndexOf("\n", start), start - 120, 0);
  for (let index = start - 1; index >= lineStart; index -= 1) {
    const character = folded[index] as string;
    if (!quoteCharacters.has(character)) continue;
    const before = folded[index - 1];
    if (before !== undefined && /[\p{L}\p{N}]/u.test(before)) continue;
    const close = folded.indexOf(character, end);
    return close !== -1 && close - end <= 160;
  }
  return false;
}

/** Words that show a text talks about attacks rather than carrying one (research, teaching, detection). */
const discussionWords = /\b(?:prompt injections?|injection attacks?|jailbreak(?:s|ing)? (?:attempts?|prompts?|attacks?|techniques?)|red[- ]team\w*|what (?:is|are|does|do|happens)|explain\w*|example\w*|e\.g\.|such as|detect\w*|classif\w*|filter\w*|defen[cds]\w*|mitigat\w*|protect\w*|attackers?|security)\b/;

/** True when a folded text reads like a discussion of attacks (see `discussionWords`). */
export function isDiscussion(folded: string): boolean {
  return discussionWords.test(folded);
}

/**
 * The weight of a phrase marker once "mention, not use" is taken into account: a quoted phrase
 * counts for less than half, and a quoted phrase in a text that discusses attacks for less again.
 */
export function mentionAdjustedWeight(weight: number, folded: string, start: number, end: number): number {
  if (!isQuoted(folded, start, end)) return weight;
  return isDiscussionCached(folded) ? weight * 0.3 : weight * 0.45;
}

let lastDiscussionText = "";
let lastDiscussion = false;

/** `isDiscussion` for the text scanned last: several quoted matches in one text share one scan. */
function isDiscussionCached(folded: string): boolean {
  if (folded !== lastDiscussionText) {
    lastDiscussionText = folded;
    lastDiscussion = isDiscussion(folded);
  }
  return lastDiscussion;
}

/** Splits folded text into sentence-sized pieces (bounded in length) for co-occurrence rules. */
export function sentences(folded: string, maximumLength = 400): string[] {
  const pieces: string[] = [];
  for (const piece of folded.split(/[.!?\n;]+/)) {
    for (let offset = 0; offset < piece.length; offset += maximumLength) pieces.push(piece.slice(offset, offset + maximumLength + 40));
  }
  return pieces;
}

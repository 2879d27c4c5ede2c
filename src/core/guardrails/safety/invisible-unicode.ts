import { rescanHiddenText } from "./encoded-payload.ts";
import type { Marker, ScanContext } from "./marker.ts";
import { sortCategoryCodes, type SafetyCategoryCode } from "./taxonomy.ts";

/**
 * Unicode tricks that hide text from the person reading it while the model still reads it:
 *
 * - tag characters (U+E0000–E007F): invisible copies of ASCII, the "ASCII smuggling" channel. They
 *   are decoded and the hidden text is scanned. The one legitimate use, subdivision flags such as
 *   England's (🏴 + tag letters + cancel tag), is recognised and ignored;
 * - zero-width characters inside Latin, Cyrillic or Greek words (split phrases, watermarks). Emoji
 *   ZWJ sequences (👩‍💻) and ZWNJ in Persian, Arabic or Indic words are normal writing and ignored.
 *   Folding strips them, so the phrase families read the joined words; heuristics.ts raises the
 *   marker when a phrase was found in such a text;
 * - runs of variation selectors, which can carry one byte each (data hidden behind an emoji);
 * - bidi embedding, override and isolate controls in text without any right-to-left script (the
 *   "Trojan Source" trick); in Hebrew or Arabic text they are normal and only an override counts;
 * - other invisible fillers (Hangul fillers outside Korean, invisible math operators) and words
 *   that mix Latin with Cyrillic or Greek letters (homoglyph spoofing).
 */

const tagRun = /[\u{E0000}-\u{E007F}]+/gu;
const subdivisionFlagTags = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,7}\u{E007F}$/u;
const blackFlag = "\u{1F3F4}";

const zeroWidthRun = /[\u200B-\u200D\u2060\uFEFF\u180E]+/g;
const wordLetter = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Nd}]/u;
const variationSelectorRun = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{4,}/gu;
const bidiControl = /[\u202A-\u202E\u2066-\u2069]/g;
const rightToLeftScript = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const fillers = /[\u115F\u1160\u3164\uFFA0\u2061-\u2064\uFFF9-\uFFFB\u034F]/gu;
const hangulSyllable = /[\uAC00-\uD7A3]/;
const mixedScriptWord = /(?:\p{Script=Latin}[\p{Script=Cyrillic}\p{Script=Greek}]|[\p{Script=Cyrillic}\p{Script=Greek}]\p{Script=Latin})/u;
const mixedScriptChanges = new RegExp(mixedScriptWord.source, "gu");
const cyrillicOrGreek = /[\u0370-\u03FF\u0400-\u052F\u1D00-\u1D7F]/;
const invisibleSuspects = /[\u180E\u200B-\u200D\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFE00-\uFE0F\uFEFF\u115F\u1160\u3164\uFFA0\uFFF9-\uFFFB\u034F]|[\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/u;

/** The character (code point) ending just before `index`, or undefined at the start. */
function characterBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  return low >= 0xdc00 && low <= 0xdfff && index >= 2 ? text.slice(index - 2, index) : text[index - 1];
}

/**
 * Zero-width runs with a Latin, Cyrillic or Greek letter (or a digit) on both sides. Emoji ZWJ
 * sequences and ZWNJ in Persian, Arabic or Indic words have other neighbours and do not count.
 */
function countZeroWidthInWords(text: string): number {
  let count = 0;
  zeroWidthRun.lastIndex = 0;
  let run: RegExpExecArray | null;
  while ((run = zeroWidthRun.exec(text)) !== null) {
    const before = characterBefore(text, run.index);
    const after = text.codePointAt(run.index + run[0].length);
    if (before !== undefined && after !== undefined && wordLetter.test(before) && wordLetter.test(String.fromCodePoint(after))) count += 1;
  }
  return count;
}

function hiddenVerdict(hidden: string, context: ScanContext): { weight: number; categories: SafetyCategoryCode[] } {
  const result = rescanHiddenText(hidden, context);
  return { weight: result.weight, categories: result.categories };
}

/** Decodes variation selectors as bytes (VS1–16 → 0–15, VS17–256 → 16–255). */
function variationSelectorBytes(run: string): Uint8Array {
  const bytes: number[] = [];
  for (const character of run) {
    const code = character.codePointAt(0) as number;
    bytes.push(code <= 0xfe0f ? code - 0xfe00 : code - 0xe0100 + 16);
  }
  return Uint8Array.from(bytes);
}

const lenientUtf8 = new TextDecoder("utf-8");

/** Appends invisible-Unicode markers for `original` (the raw message text). */
export function scanInvisibleUnicode(original: string, context: ScanContext, out: Marker[]): void {
  const hasMixedScript = cyrillicOrGreek.test(original) && mixedScriptWord.test(original);
  if (!invisibleSuspects.test(original) && !hasMixedScript) return;
  const push = (id: string, weight: number, categories: SafetyCategoryCode[], reason: string) =>
    out.push({ id, family: "invisible-unicode", categories: sortCategoryCodes(categories) as SafetyCategoryCode[], weight, reason });

  // Tag characters: decode everything that is not part of a subdivision flag.
  let hidden = "";
  tagRun.lastIndex = 0;
  let tags: RegExpExecArray | null;
  while ((tags = tagRun.exec(original)) !== null) {
    const flagged = original.slice(Math.max(0, tags.index - 2), tags.index) === blackFlag && subdivisionFlagTags.test(tags[0]);
    if (flagged) continue;
    for (const character of tags[0]) {
      const code = (character.codePointAt(0) as number) - 0xe0000;
      if (code >= 0x20 && code < 0x7f) hidden += String.fromCharCode(code);
      else if (code !== 0x01 && code !== 0x7f) hidden += " ";
    }
  }
  if (hidden.trim().length > 0) {
    const found = hiddenVerdict(hidden, context);
    if (found.weight >= 0.5) push("tag-characters", 0.95, ["obfuscation", ...found.categories], "invisible tag characters hide an override or jailbreak");
    else push("tag-characters", hidden.trim().length >= 4 ? 0.6 : 0.3, ["obfuscation"], "invisible tag characters carry hidden text");
  }

  // Zero-width characters inside words (the phrase families see through them; heuristics.ts adds
  // a stronger marker when a phrase they found was split this way).
  const inWord = countZeroWidthInWords(original);
  if (inWord > 0) push("zero-width-in-words", inWord >= 10 ? 0.45 : inWord >= 3 ? 0.3 : 0.12, ["obfuscation"], "zero-width characters inside words");

  // Variation-selector runs: bytes hidden behind a visible character.
  variationSelectorRun.lastIndex = 0;
  let run: RegExpExecArray | null;
  let strongestRun = 0;
  let runCount = 0;
  while (runCount < 32 && (run = variationSelectorRun.exec(original)) !== null) {
    runCount += 1;
    const decoded = lenientUtf8.decode(variationSelectorBytes(run[0]));
    const found = hiddenVerdict(decoded, context);
    if (found.weight >= 0.5) {
      push("variation-selector-payload", 0.95, ["obfuscation", ...found.categories], "variation selectors hide an override or jailbreak");
      strongestRun = 1;
      break;
    }
    strongestRun = Math.max(strongestRun, run[0].length >= 8 ? 0.5 : 0.3);
  }
  if (strongestRun > 0 && strongestRun < 1) push("variation-selector-run", strongestRun, ["obfuscation"], "run of variation selectors carries hidden bytes");

  // Bidi controls.
  const controls = original.match(bidiControl) ?? [];
  if (controls.length > 0) {
    const overrides = controls.filter((control) => control === "\u202D" || control === "\u202E").length;
    const opens = controls.filter((control) => control !== "\u202C" && control !== "\u2069").length;
    const unbalanced = opens > controls.length - opens;
    if (!rightToLeftScript.test(original)) {
      push("bidi-controls", overrides > 0 ? 0.4 : 0.3, ["obfuscation"], "bidi controls in left-to-right text");
    } else if (overrides > 0) {
      push("bidi-controls", unbalanced ? 0.25 : 0.15, ["obfuscation"], "bidi override in mixed-direction text");
    }
  }

  // Other invisible fillers.
  const fillerCount = original.match(fillers)?.length ?? 0;
  if (fillerCount > 0 && !hangulSyllable.test(original)) {
    push("invisible-fillers", fillerCount >= 3 ? 0.3 : 0.15, ["obfuscation"], "invisible filler characters");
  }

  if (hasMixedScript) {
    // Script changes inside a word; a word with several changes counts several times, which is fine.
    const mixed = original.match(mixedScriptChanges)?.length ?? 0;
    if (mixed > 0) push("mixed-script-words", mixed >= 3 ? 0.3 : 0.2, ["obfuscation"], "words mixing Latin with Cyrillic or Greek letters");
  }
}

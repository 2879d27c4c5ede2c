import type { ContextLanguage } from "./types.ts";

/**
 * Context words: "card number 4111…" is far more likely a card than "order 4111…". Recognizers
 * declare words per language that raise (or, for negative lists, lower) the confidence of a
 * candidate when they appear shortly before it (or, less often, after it).
 */
export type ContextWordList = Partial<Record<ContextLanguage, readonly string[]>>;

export interface ContextMatcher {
  /** True when one of the words appears within `before` characters before `start` or `after` characters after `end`. */
  near(text: string, start: number, end: number, before?: number, after?: number): boolean;
}

const letter = /[\p{L}\p{N}_]/u;

/** Letters, digits and "_" (one UTF-16 unit; ASCII without a regex). */
function isWordCode(code: number): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
  return letter.test(String.fromCharCode(code));
}

/** Whether text[index] is a word character; outside the text counts as none. */
function isWordAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && isWordCode(text.charCodeAt(index));
}

/** How far a window edge moves to take in the rest of a word it cuts. */
const widening = 24;

/**
 * Compiles a word list (all languages together; matching is case-insensitive and on word
 * boundaries, so "iban" matches "IBAN:" but not "cibanic"). Multi-word phrases are allowed.
 * Boundaries are judged in the whole text, not in the window: a window edge that cuts a word
 * ("Abrechnung" cut to "rechnung") is no boundary. A window first widens (up to 24 characters) to
 * take in a word it cuts, so "invoice" still counts when the edge falls inside it.
 */
export function contextWords(list: ContextWordList): ContextMatcher {
  const words = [...new Set(Object.values(list).flat().map((word) => word.toLowerCase()))].filter((word) => word.length > 0);
  const found = (text: string, from: number, to: number): boolean => {
    if (to <= from) return false;
    // One lower-cased copy of the window serves every word.
    const lower = text.slice(from, to).toLowerCase();
    // Lower-casing can change the length (rare letters such as "İ"); offsets then no longer map
    // back to the text, and the window's own edges count as boundaries.
    const mapped = lower.length === to - from;
    for (const word of words) {
      let index = lower.indexOf(word);
      while (index !== -1) {
        const wordEnd = index + word.length;
        const openBefore = index > 0 ? isWordCode(lower.charCodeAt(index - 1)) : mapped && isWordAt(text, from - 1);
        const openAfter = wordEnd < lower.length ? isWordCode(lower.charCodeAt(wordEnd)) : mapped && isWordAt(text, to);
        if (!openBefore && !openAfter) return true;
        index = lower.indexOf(word, index + 1);
      }
    }
    return false;
  };
  return {
    near(text, start, end, before = 48, after = 16) {
      if (words.length === 0) return false;
      if (before > 0) {
        let from = Math.max(0, start - before);
        while (from > 0 && from > start - before - widening && isWordAt(text, from - 1) && isWordAt(text, from)) from--;
        if (found(text, from, start)) return true;
      }
      if (after <= 0) return false;
      let to = Math.min(text.length, end + after);
      while (to < text.length && to < end + after + widening && isWordAt(text, to - 1) && isWordAt(text, to)) to++;
      return found(text, end, to);
    },
  };
}

/** Clamps a confidence into 0..1 after a context adjustment. */
export function clampConfidence(value: number): number {
  return Math.min(1, Math.max(0, value));
}

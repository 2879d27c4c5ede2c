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

function isWordChar(character: string | undefined): boolean {
  return character !== undefined && letter.test(character);
}

/**
 * Compiles a word list (all languages together; matching is case-insensitive and on word
 * boundaries, so "iban" matches "IBAN:" but not "cibanic"). Multi-word phrases are allowed.
 */
export function contextWords(list: ContextWordList): ContextMatcher {
  const words = [...new Set(Object.values(list).flat().map((word) => word.toLowerCase()))].filter((word) => word.length > 0);
  const found = (window: string): boolean => {
    const lower = window.toLowerCase();
    for (const word of words) {
      let index = lower.indexOf(word);
      while (index !== -1) {
        if (!isWordChar(lower[index - 1]) && !isWordChar(lower[index + word.length])) return true;
        index = lower.indexOf(word, index + 1);
      }
    }
    return false;
  };
  return {
    near(text, start, end, before = 48, after = 16) {
      if (words.length === 0) return false;
      if (before > 0 && found(text.slice(Math.max(0, start - before), start))) return true;
      return after > 0 && found(text.slice(end, Math.min(text.length, end + after)));
    },
  };
}

/** Clamps a confidence into 0..1 after a context adjustment. */
export function clampConfidence(value: number): number {
  return Math.min(1, Math.max(0, value));
}

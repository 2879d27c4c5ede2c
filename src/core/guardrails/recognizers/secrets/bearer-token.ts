import type { Finding, Recognizer } from "../../types.ts";
import { characterClasses, classCount, digitClass, hasVendorPrefix, isAlphanumeric, placeholderKind, shannonEntropy } from "./shared.ts";

/** RFC 6750 b64token characters: alphanumerics and - . _ ~ + / (then "=" padding). */
function isTokenCode(code: number): boolean {
  return isAlphanumeric(code) || code === 45 || code === 46 || code === 95 || code === 126 || code === 43 || code === 47;
}

/**
 * The spellings clients send. A lower-case "bearer" is not searched for: a search led by a
 * lower-case letter costs more than everything else this recognizer does, and the lower-case
 * scheme is rare in pasted headers (the JWT and vendor recognizers still see such tokens).
 */
const spellings = ["Bearer", "BEARER"] as const;
const authorizationBefore = /authorization["']?\s*[:=]\s*["']?$/i;

/** End of the token after the scheme word ending at `wordEnd`, or -1. */
function tokenEnd(text: string, wordEnd: number): number {
  let start = wordEnd;
  while (start < text.length && start < wordEnd + 3 && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  if (start === wordEnd) return -1;
  let end = start;
  const limit = Math.min(text.length, start + 4097);
  while (end < limit && isTokenCode(text.charCodeAt(end))) end++;
  // A final "." ends the sentence, not the token.
  while (end > start && text.charCodeAt(end - 1) === 46) end--;
  while (end < text.length && end - start < 4096 && text.charCodeAt(end) === 61) end++;
  if (end - start < 16 || end - start > 4096 || (end < text.length && isAlphanumeric(text.charCodeAt(end)))) return -1;
  return end;
}

/**
 * Bearer tokens: "Authorization: Bearer <token>" or a bare "Bearer <token>" with a token of at
 * least 16 characters that looks random (digits or three character classes; "Bearer of bad news"
 * does not qualify). Tokens of a known vendor shape (JWTs, GitHub, OpenAI...) are left to their
 * own recognizers, which name them more precisely.
 */
export const bearerTokenRecognizer: Recognizer = {
  id: "bearer-token",
  category: "secret",
  types: ["bearer_token"],
  scan(text: string, out: Finding[]): void {
    for (const spelling of spellings) {
      let index = text.indexOf(spelling);
      while (index !== -1) {
        let next = index + 6;
        const end = index > 0 && isAlphanumeric(text.charCodeAt(index - 1)) ? -1 : tokenEnd(text, index + 6);
        if (end !== -1) {
          const start = index + 6 + countSpaces(text, index + 6);
          const classes = characterClasses(text, start, end);
          const random = ((classes & digitClass) !== 0 || classCount(classes) >= 3) && shannonEntropy(text, start, end) >= 3;
          if (random && !hasVendorPrefix(text, start) && placeholderKind(text, start, end) === undefined) {
            const header = authorizationBefore.test(text.slice(Math.max(0, index - 40), index));
            const confidence = header ? 0.95 : 0.85;
            out.push({ type: "bearer_token", category: "secret", start, end, confidence, recognizer: "bearer-token" });
            next = end;
          }
        }
        index = text.indexOf(spelling, next);
      }
    }
  },
};

function countSpaces(text: string, from: number): number {
  let index = from;
  while (text.charCodeAt(index) === 32 || text.charCodeAt(index) === 9) index++;
  return index - from;
}

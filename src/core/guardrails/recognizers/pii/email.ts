import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isAlphanumericCode, isAsciiLetterCode } from "./characters.ts";
import { report } from "./findings.ts";

const id = "email";
const longestLocalPart = 64;
const longestDomain = 253;
/** "logo@2x.png" is an image, not a mailbox. */
const fileExtensions = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "css", "js", "mjs", "ts", "json", "map", "woff", "woff2"]);

/** a-z A-Z 0-9 and the punctuation people really use in mailbox names: . _ % + - */
function isLocalCode(code: number): boolean {
  return isAlphanumericCode(code) || code === 46 || code === 95 || code === 37 || code === 43 || code === 45;
}

function isDomainCode(code: number): boolean {
  return isAlphanumericCode(code) || code === 46 || code === 45;
}

/**
 * True when the character before a local part lets it start there. Anything else glued on ("*",
 * "!", "~" …) means the "@" belongs to something longer, typically a password in a URL.
 */
function opensLocalPart(code: number): boolean {
  return code === -1 || code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || '<([{"\'`,;>=:/|'.includes(String.fromCharCode(code));
}

/**
 * True when the local part starting at `start` is the password (or user) of a URL's credentials,
 * "scheme://user:password@host": "://" earlier in the same run of non-blank characters.
 */
function inUrlCredentials(text: string, start: number): boolean {
  const from = Math.max(0, start - 256);
  for (let index = start - 1; index >= from + 2; index--) {
    const code = codeAt(text, index);
    if (code === 32 || (code >= 9 && code <= 13) || code === 34 || code === 39) return false;
    if (code === 47 && codeAt(text, index - 1) === 47 && codeAt(text, index - 2) === 58) return true;
  }
  return false;
}

/** Start of the local part ending just before `at`, or -1 when there is none, it is too long or malformed. */
function localStart(text: string, at: number): number {
  const limit = Math.max(0, at - longestLocalPart - 1);
  let start = at;
  while (start > limit && isLocalCode(codeAt(text, start - 1))) start--;
  if (at - start > longestLocalPart) return -1;
  while (start < at && codeAt(text, start) === 46) start++;
  if (start === at || codeAt(text, at - 1) === 46 || !opensLocalPart(codeAt(text, start - 1))) return -1;
  if ((codeAt(text, start - 1) === 58 || codeAt(text, start - 1) === 47) && inUrlCredentials(text, start)) return -1;
  for (let index = start + 1; index < at; index++) {
    if (codeAt(text, index) === 46 && codeAt(text, index - 1) === 46) return -1;
  }
  return start;
}

/** End of a well-formed domain starting at `from`, or -1. */
function domainEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + longestDomain + 1);
  let end = from;
  while (end < limit && isDomainCode(codeAt(text, end))) end++;
  if (end - from > longestDomain) return -1;
  while (end > from && (codeAt(text, end - 1) === 46 || codeAt(text, end - 1) === 45)) end--;
  if (codeAt(text, end) === 64) return -1;
  let labels = 0;
  let labelStart = from;
  for (let index = from; index <= end; index++) {
    if (index < end && codeAt(text, index) !== 46) continue;
    const labelLength = index - labelStart;
    if (labelLength === 0 || labelLength > 63) return -1;
    if (codeAt(text, labelStart) === 45 || codeAt(text, index - 1) === 45) return -1;
    labels++;
    if (index === end) {
      const topLevel = text.slice(labelStart, end);
      if (!topLevel.startsWith("xn--")) {
        if (labelLength < 2) return -1;
        for (let position = labelStart; position < end; position++) if (!isAsciiLetterCode(codeAt(text, position))) return -1;
        if (fileExtensions.has(topLevel.toLowerCase())) return -1;
      }
    }
    labelStart = index + 1;
  }
  return labels >= 2 ? end : -1;
}

/**
 * E-mail addresses: local part @ domain with at least two labels and an alphabetic top-level
 * domain. Only positions holding "@" are examined, and each look-around is bounded by the longest
 * legal local part and domain, so a text of "a@a@a@…" costs one short step per "@".
 */
export const emailRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["email"],
  scan(text: string, out: Finding[]): void {
    let at = text.indexOf("@");
    while (at !== -1) {
      const start = localStart(text, at);
      const end = start === -1 ? -1 : domainEnd(text, at + 1);
      if (end !== -1) report(out, id, "email", start, end, 0.9);
      at = text.indexOf("@", end === -1 ? at + 1 : end);
    }
  },
};

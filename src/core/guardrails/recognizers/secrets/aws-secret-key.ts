import type { Finding, Recognizer } from "../../types.ts";
import { assignmentsIn, keyBefore } from "./assignments.ts";
import { awsAccessKeyEnd } from "./aws-access-key.ts";
import { phrasesIn } from "./phrases.ts";
import { characterClasses, endsToken, isBase64Code, isPlaceholderBody, lowerClass, shannonEntropy, upperClass } from "./shared.ts";

function isSecretTail(code: number): boolean {
  return isBase64Code(code) || code === 61;
}

/**
 * 40 base64 characters with upper, lower and digit-or-symbol, as random as AWS makes them, and not
 * a stand-in such as AWS's documented "…EXAMPLEKEY" secret.
 */
function looksRandom(text: string, start: number, end: number): boolean {
  const classes = characterClasses(text, start, end);
  if ((classes & lowerClass) === 0 || (classes & upperClass) === 0) return false;
  if ((classes & ~(lowerClass | upperClass)) === 0) return false;
  return shannonEntropy(text, start, end) >= 4 && !isPlaceholderBody(text, start, end);
}

/** True when an AWS access key id appears in the 256 characters before `index`. */
function accessKeyBefore(text: string, index: number): boolean {
  const from = Math.max(0, index - 256);
  let candidate = text.indexOf("A", from);
  while (candidate !== -1 && candidate < index) {
    if (awsAccessKeyEnd(text, candidate) !== -1) return true;
    candidate = text.indexOf("A", candidate + 1);
  }
  return false;
}

/** Characters allowed between a key id and its secret in CSV exports and "id secret" pairs. */
function isPairSeparator(code: number): boolean {
  return code === 44 || code === 59 || code === 124 || code === 58 || code === 61 || code === 32 || code === 9 || code === 34 || code === 39 || code === 10 || code === 13;
}

/** "access key" / "access_key" / "access-key" between "secret" and its value. */
const accessKeyWords = /access[ _-]?key/i;

/**
 * AWS secret access keys: 40 random base64 characters, which alone look like any other blob, so
 * a candidate needs context: a key such as aws_secret_access_key / SecretAccessKey / secret before
 * its ":" or "=", an access key id shortly before it (credential CSV files, "id/secret" pairs), or
 * prose naming it ("the AWS secret access key is …", "der Secret Access Key ist …").
 */
export const awsSecretKeyRecognizer: Recognizer = {
  id: "aws-secret-key",
  category: "secret",
  types: ["aws_secret_key"],
  scan(text: string, out: Finding[]): void {
    const reported = new Set<number>();
    for (const { separator, valueStart, valueEnd: runEnd } of assignmentsIn(text)) {
      // The value's first 40 characters must be base64 and end the token (a "." may follow).
      const valueEnd = valueStart + 40;
      if (runEnd < valueEnd || !isBase64Code(text.charCodeAt(valueStart + 39)) || !endsToken(text, valueEnd, isSecretTail)) continue;
      let base64 = true;
      for (let index = valueStart; index < valueEnd && base64; index++) base64 = isBase64Code(text.charCodeAt(index));
      if (!base64 || !looksRandom(text, valueStart, valueEnd)) continue;
      const key = keyBefore(text, separator);
      const named = key.includes("secret");
      const aws = key.includes("aws") || key.includes("access");
      let confidence = named && aws ? 0.95 : 0;
      if (confidence === 0 && accessKeyBefore(text, valueStart)) confidence = named ? 0.95 : 0.85;
      if (confidence === 0 && named) confidence = 0.75;
      if (confidence > 0) {
        out.push({ type: "aws_secret_key", category: "secret", start: valueStart, end: valueEnd, confidence, recognizer: "aws-secret-key" });
        reported.add(valueStart);
      }
    }
    // Prose: "secret access key is …"; more confident than the generic reading of the same value.
    for (const { keyword, keywordEnd, valueStart, valueEnd } of phrasesIn(text)) {
      if (keyword !== "secret" || valueEnd - valueStart !== 40 || reported.has(valueStart)) continue;
      if (!accessKeyWords.test(text.slice(keywordEnd, valueStart))) continue;
      let base64 = true;
      for (let index = valueStart; index < valueEnd && base64; index++) base64 = isBase64Code(text.charCodeAt(index));
      if (base64 && looksRandom(text, valueStart, valueEnd)) {
        out.push({ type: "aws_secret_key", category: "secret", start: valueStart, end: valueEnd, confidence: 0.9, recognizer: "aws-secret-key" });
        reported.add(valueStart);
      }
    }
    // Pairs without an assignment: "AKIA…,wJalr…" in a credentials CSV.
    let index = text.indexOf("A");
    while (index !== -1) {
      const keyEnd = awsAccessKeyEnd(text, index);
      if (keyEnd === -1) {
        index = text.indexOf("A", index + 1);
        continue;
      }
      let start = keyEnd;
      while (start < text.length && start < keyEnd + 8 && isPairSeparator(text.charCodeAt(start))) start++;
      const end = start + 40;
      if (start > keyEnd && !reported.has(start) && end <= text.length) {
        let valid = true;
        for (let position = start; position < end && valid; position++) valid = isBase64Code(text.charCodeAt(position));
        if (valid && endsToken(text, end, isSecretTail) && looksRandom(text, start, end)) {
          out.push({ type: "aws_secret_key", category: "secret", start, end, confidence: 0.85, recognizer: "aws-secret-key" });
        }
      }
      index = text.indexOf("A", keyEnd);
    }
  },
};

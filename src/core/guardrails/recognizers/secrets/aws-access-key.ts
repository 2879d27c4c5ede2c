import type { Finding, Recognizer } from "../../types.ts";
import { isAlphanumeric, isPlaceholderBody, startsToken } from "./shared.ts";

const prefixes = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"] as const;

function isUpperOrDigit(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
}

function isBase32(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 50 && code <= 55);
}

/**
 * End of the AWS access key id starting at `index` (one of the eight IAM prefixes, then 16
 * upper-case letters or digits, standing alone), or -1. Exported for the secret-key recognizer,
 * which uses a nearby key id as context.
 */
export function awsAccessKeyEnd(text: string, index: number): number {
  if (text.charCodeAt(index + 3) !== 65 || !startsToken(text, index)) return -1;
  if (!prefixes.some((prefix) => text.startsWith(prefix, index))) return -1;
  const end = index + 20;
  if (end > text.length) return -1;
  for (let position = index + 4; position < end; position++) {
    if (!isUpperOrDigit(text.charCodeAt(position))) return -1;
  }
  return end < text.length && isAlphanumeric(text.charCodeAt(end)) ? -1 : end;
}

/**
 * AWS access key ids (AKIA… long-term, ASIA… temporary, and the AGPA/AIDA/AROA/AIPA/ANPA/ANVA ids
 * of groups, users, roles and profiles). Ids in the base32 alphabet AWS issues score higher than
 * ones with 0, 1, 8 or 9. Placeholders ("AKIAXXXXXXXXXXXXXXXX") and AWS's documented example ids
 * (ending in "EXAMPLE", which no issued id contains) are not reported: they grant nothing.
 */
export const awsAccessKeyRecognizer: Recognizer = {
  id: "aws-access-key",
  category: "secret",
  types: ["aws_access_key"],
  scan(text: string, out: Finding[]): void {
    let index = text.indexOf("A");
    while (index !== -1) {
      const end = awsAccessKeyEnd(text, index);
      if (end === -1) {
        index = text.indexOf("A", index + 1);
        continue;
      }
      if (!isPlaceholderBody(text, index + 4, end)) {
        let base32 = true;
        for (let position = index + 4; position < end && base32; position++) base32 = isBase32(text.charCodeAt(position));
        out.push({ type: "aws_access_key", category: "secret", start: index, end, confidence: base32 ? 0.95 : 0.8, recognizer: "aws-access-key" });
      }
      index = text.indexOf("A", end);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { endsToken, isAlphanumeric, isBase64UrlCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

/** base64 of "OpenAI": OpenAI embeds it in the middle of its keys. */
const marker = "T3BlbkFJ";
const scopedPrefixes = ["proj-", "svcacct-", "admin-"] as const;

function hasMarker(text: string, start: number, end: number): boolean {
  return text.slice(start, end).includes(marker);
}

/**
 * OpenAI API keys: project, service-account and admin keys (sk-proj-, sk-svcacct-, sk-admin-) and
 * legacy user keys (sk- and 48 alphanumerics). Keys that carry the "T3BlbkFJ" marker are near
 * certain; a bare legacy shape is weaker (other vendors copied the "sk-" prefix). Anchored on "-".
 * Placeholders ("sk-proj-XXXX…", "sk-000…") are skipped.
 */
export const openaiKeyRecognizer: Recognizer = {
  id: "openai-key",
  category: "secret",
  types: ["openai_key"],
  scan(text: string, out: Finding[]): void {
    let hyphen = text.indexOf("-");
    while (hyphen !== -1) {
      let next = hyphen + 1;
      const start = hyphen - 2;
      if (
        start >= 0 &&
        text.charCodeAt(start) === 115 &&
        text.charCodeAt(start + 1) === 107 &&
        startsToken(text, start, isBase64UrlCode) &&
        !text.startsWith("ant-", hyphen + 1)
      ) {
        const bodyStart = hyphen + 1;
        const scoped = scopedPrefixes.find((prefix) => text.startsWith(prefix, bodyStart));
        const randomStart = bodyStart + (scoped?.length ?? 0);
        let end = -1;
        let confidence = 0;
        if (scoped !== undefined) {
          const length = runLength(text, bodyStart + scoped.length, isBase64UrlCode, 401);
          if (length >= 40 && length <= 400) {
            end = bodyStart + scoped.length + length;
            confidence = hasMarker(text, bodyStart, end) ? 0.99 : 0.9;
          }
        } else {
          const length = runLength(text, bodyStart, isBase64UrlCode, 401);
          if (length >= 40 && length <= 400 && hasMarker(text, bodyStart, bodyStart + length)) {
            end = bodyStart + length;
            confidence = 0.99;
          } else if (length === 48 && runLength(text, bodyStart, isAlphanumeric, 49) === 48) {
            end = bodyStart + 48;
            confidence = 0.75;
          }
        }
        if (end !== -1 && endsToken(text, end, isBase64UrlCode)) {
          if (!isPlaceholderBody(text, randomStart, end)) out.push({ type: "openai_key", category: "secret", start, end, confidence, recognizer: "openai-key" });
          next = end;
        }
      }
      hyphen = text.indexOf("-", next);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { isBase64UrlCode, isDigitCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

function isLowerLetter(code: number): boolean {
  return code >= 97 && code <= 122;
}

/**
 * Anthropic keys: "sk-ant-", a kind with a two-digit version (api03, admin01...), "-", then the
 * secret. API keys are 95 characters after the kind and end in "AA"; a key with the prefix but
 * another length still counts, with less confidence; placeholders ("sk-ant-api03-xxxx…") do not.
 * Anchored on "-".
 */
export const anthropicKeyRecognizer: Recognizer = {
  id: "anthropic-key",
  category: "secret",
  types: ["anthropic_key"],
  scan(text: string, out: Finding[]): void {
    let hyphen = text.indexOf("-");
    while (hyphen !== -1) {
      let next = hyphen + 1;
      const start = hyphen - 2;
      if (text.charCodeAt(hyphen - 1) === 107 && start >= 0 && text.startsWith("sk-ant-", start) && startsToken(text, start, isBase64UrlCode)) {
        const kindStart = hyphen + 5;
        const letters = runLength(text, kindStart, isLowerLetter, 12);
        const versionEnd = kindStart + letters + 2;
        if (
          letters >= 3 &&
          letters <= 10 &&
          runLength(text, kindStart + letters, isDigitCode, 3) === 2 &&
          text.charCodeAt(versionEnd) === 45
        ) {
          const length = runLength(text, versionEnd + 1, isBase64UrlCode, 301);
          const end = versionEnd + 1 + length;
          if (length >= 32 && length <= 300) {
            const confidence = length >= 80 && text.startsWith("AA", end - 2) ? 0.99 : 0.9;
            if (!isPlaceholderBody(text, versionEnd + 1, end)) out.push({ type: "anthropic_key", category: "secret", start, end, confidence, recognizer: "anthropic-key" });
            next = end;
          }
        }
      }
      hyphen = text.indexOf("-", next);
    }
  },
};

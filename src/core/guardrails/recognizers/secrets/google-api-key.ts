import type { Finding, Recognizer } from "../../types.ts";
import { endsToken, isBase64UrlCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

/**
 * Google API keys: "AIza" and 35 base64url characters (39 in all). The prefix is the literal the
 * scan looks for, so text without it costs one indexOf pass. Placeholders ("AIzaXXXX…") are skipped.
 */
export const googleApiKeyRecognizer: Recognizer = {
  id: "google-api-key",
  category: "secret",
  types: ["google_api_key"],
  scan(text: string, out: Finding[]): void {
    let index = text.indexOf("AIza");
    while (index !== -1) {
      let next = index + 4;
      if (startsToken(text, index, isBase64UrlCode) && runLength(text, index + 4, isBase64UrlCode, 36) === 35 && endsToken(text, index + 39, isBase64UrlCode)) {
        next = index + 39;
        if (!isPlaceholderBody(text, index + 4, next)) out.push({ type: "google_api_key", category: "secret", start: index, end: next, confidence: 0.95, recognizer: "google-api-key" });
      }
      index = text.indexOf("AIza", next);
    }
  },
};

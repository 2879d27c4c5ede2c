import type { Finding, Recognizer } from "../../types.ts";
import { base62, crc32, endsToken, isAlphanumeric, isBase64UrlCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

/**
 * True when a classic token body (30 random characters, then 6) carries GitHub's checksum: the
 * last six characters are the CRC-32 of the first thirty, in base62, left-padded with zeros.
 */
export function hasGitHubChecksum(body: string): boolean {
  return body.length === 36 && base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

function isClassicKind(code: number): boolean {
  // p (personal), o (OAuth), u (user-to-server), s (server-to-server), r (refresh)
  return code === 112 || code === 111 || code === 117 || code === 115 || code === 114;
}

/**
 * What a classic token whose checksum fails is worth: GitHub issues none (a typo, a truncated copy
 * or a made-up example), so it is a weak hint for a strict policy, below the detector's default
 * threshold of 0.5.
 */
export const failedChecksumConfidence = 0.3;

/**
 * GitHub tokens: classic ones (ghp_/gho_/ghu_/ghs_/ghr_ and 36 base62 characters, the last six a
 * CRC-32 checksum, so a verified one is near certain and a failed one is not a token; see
 * failedChecksumConfidence) and fine-grained personal access tokens (github_pat_, 22 characters,
 * "_", 59 characters; no checksum we can verify). Placeholders ("ghp_xxxx…") are not reported.
 * Anchored on "_", which is rare in prose.
 */
export const githubTokenRecognizer: Recognizer = {
  id: "github-token",
  category: "secret",
  types: ["github_token"],
  scan(text: string, out: Finding[]): void {
    let underscore = text.indexOf("_");
    while (underscore !== -1) {
      let next = underscore + 1;
      const start = underscore - 3;
      if (
        start >= 0 &&
        text.charCodeAt(start) === 103 &&
        text.charCodeAt(start + 1) === 104 &&
        isClassicKind(text.charCodeAt(start + 2)) &&
        startsToken(text, start)
      ) {
        const bodyStart = underscore + 1;
        if (runLength(text, bodyStart, isAlphanumeric, 37) === 36 && endsToken(text, bodyStart + 36, isBase64UrlCode)) {
          const end = bodyStart + 36;
          if (!isPlaceholderBody(text, bodyStart, end)) {
            const confidence = hasGitHubChecksum(text.slice(bodyStart, end)) ? 0.99 : failedChecksumConfidence;
            out.push({ type: "github_token", category: "secret", start, end, confidence, recognizer: "github-token" });
          }
          next = end;
        }
      } else if (underscore >= 6 && text.startsWith("github_pat_", underscore - 6) && startsToken(text, underscore - 6)) {
        const bodyStart = underscore + 5;
        if (
          runLength(text, bodyStart, isAlphanumeric, 23) === 22 &&
          text.charCodeAt(bodyStart + 22) === 95 &&
          runLength(text, bodyStart + 23, isAlphanumeric, 60) === 59 &&
          endsToken(text, bodyStart + 82, isBase64UrlCode)
        ) {
          if (!isPlaceholderBody(text, bodyStart, bodyStart + 82)) {
            out.push({ type: "github_token", category: "secret", start: underscore - 6, end: bodyStart + 82, confidence: 0.95, recognizer: "github-token" });
          }
          next = bodyStart + 82;
        }
      }
      underscore = text.indexOf("_", next);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { isBase64UrlCode, isHexCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

interface GitLabKind {
  prefix: string;
  minimum: number;
  confidence: number;
}

// Personal/project/group access tokens, deploy tokens, runner authentication tokens and pipeline
// trigger tokens (40 hex characters).
const kinds: readonly GitLabKind[] = [
  { prefix: "glpat", minimum: 20, confidence: 0.97 },
  { prefix: "gldt", minimum: 20, confidence: 0.95 },
  { prefix: "glrt", minimum: 20, confidence: 0.95 },
  { prefix: "glptt", minimum: 40, confidence: 0.95 },
];

function isBodyCode(code: number): boolean {
  // Newer tokens carry a ".<version>.<checksum>" tail.
  return isBase64UrlCode(code) || code === 46;
}

/**
 * GitLab tokens (glpat-, gldt-, glrt-, glptt-). Anchored on "-": for each hyphen the few letters
 * before it are compared with the prefixes, so ordinary text costs one indexOf pass. Placeholders
 * ("glpat-xxxxxxxx…") are skipped.
 */
export const gitlabTokenRecognizer: Recognizer = {
  id: "gitlab-token",
  category: "secret",
  types: ["gitlab_token"],
  scan(text: string, out: Finding[]): void {
    let hyphen = text.indexOf("-");
    while (hyphen !== -1) {
      let next = hyphen + 1;
      // Every prefix ends in "t": most hyphens are dismissed by one comparison.
      if (text.charCodeAt(hyphen - 1) !== 116) {
        hyphen = text.indexOf("-", next);
        continue;
      }
      for (const kind of kinds) {
        const start = hyphen - kind.prefix.length;
        if (start < 0 || text.charCodeAt(start) !== 103 || !text.startsWith(kind.prefix, start) || !startsToken(text, start)) continue;
        let length = runLength(text, hyphen + 1, isBodyCode, 257);
        // A trailing "." ends the sentence, not the token; "-" and "_" are body characters (a
        // random body ends in one of them one time in sixteen).
        while (length > 0 && text.charCodeAt(hyphen + length) === 46) length--;
        if (length < kind.minimum || length > 256) break;
        if (kind.prefix === "glptt" && (length !== 40 || runLength(text, hyphen + 1, isHexCode, 41) !== 40)) break;
        const end = hyphen + 1 + length;
        if (!isPlaceholderBody(text, hyphen + 1, end)) out.push({ type: "gitlab_token", category: "secret", start, end, confidence: kind.confidence, recognizer: "gitlab-token" });
        next = end;
        break;
      }
      hyphen = text.indexOf("-", next);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { isAlphanumeric, isBase64UrlCode, isHexCode, runLength, startsToken } from "./shared.ts";

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
 * before it are compared with the prefixes, so ordinary text costs one indexOf pass.
 */
export const gitlabTokenRecognizer: Recognizer = {
  id: "gitlab-token",
  category: "secret",
  types: ["gitlab_token"],
  scan(text: string, out: Finding[]): void {
    let hyphen = text.indexOf("-");
    while (hyphen !== -1) {
      let next = hyphen + 1;
      for (const kind of kinds) {
        const start = hyphen - kind.prefix.length;
        if (start < 0 || text.charCodeAt(start) !== 103 || !text.startsWith(kind.prefix, start) || !startsToken(text, start)) continue;
        let length = runLength(text, hyphen + 1, isBodyCode, 257);
        // A trailing "." or "-" is punctuation after the token, not part of it.
        while (length > 0 && !isAlphanumeric(text.charCodeAt(hyphen + length))) length--;
        if (length < kind.minimum || length > 256) break;
        if (kind.prefix === "glptt" && (length !== 40 || runLength(text, hyphen + 1, isHexCode, 41) !== 40)) break;
        const end = hyphen + 1 + length;
        out.push({ type: "gitlab_token", category: "secret", start, end, confidence: kind.confidence, recognizer: "gitlab-token" });
        next = end;
        break;
      }
      hyphen = text.indexOf("-", next);
    }
  },
};

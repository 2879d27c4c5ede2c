import type { Finding, Recognizer } from "../../types.ts";
import { isAlphanumeric, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

function isTokenCode(code: number): boolean {
  return isAlphanumeric(code) || code === 45;
}

function isWebhookCode(code: number): boolean {
  return isAlphanumeric(code) || code === 47;
}

// The documented shapes of each kind; a token with a known prefix but another shape still counts,
// with less confidence (Slack has changed lengths before).
const exactShapes: Record<string, RegExp> = {
  xoxb: /^\d{8,14}-\d{8,14}-[A-Za-z0-9]{24,34}$/,
  xoxp: /^\d{8,14}-\d{8,14}-\d{8,14}-[a-f0-9]{32}$/,
  xoxa: /^2-\d{8,14}-\d{8,14}-\d{8,14}-[a-f0-9]{32,64}$/,
  xoxr: /^\d{8,14}-\d{8,14}-[A-Za-z0-9]{24,64}$/,
  xoxs: /^\d{8,14}-\d{8,14}-\d{8,14}-[a-f0-9]{32,64}$/,
  xapp: /^\d-[A-Z0-9]{8,14}-\d{10,16}-[a-f0-9]{32,64}$/,
};
/** Longer than any documented shape (xapp- tokens, the longest, have about 95 characters). */
const longestBody = 160;
const looseShape = /^(?:\d+-){1,4}[A-Za-z0-9]{16,}$/;
const webhookShape = /^services\/T[A-Z0-9]{8,12}\/B[A-Z0-9]{8,12}\/[A-Za-z0-9]{20,32}$/;

/**
 * Slack tokens (xoxb- bot, xoxp- user, xoxa-/xoxr- app and refresh, xoxs- session, xapp- app-level)
 * and incoming-webhook URLs (hooks.slack.com/services/T…/B…/…, which are credentials on their own).
 * Placeholders ("xoxb-…-xxxxxxxx…") are skipped.
 */
export const slackTokenRecognizer: Recognizer = {
  id: "slack-token",
  category: "secret",
  types: ["slack_token"],
  scan(text: string, out: Finding[]): void {
    let hyphen = text.indexOf("-");
    while (hyphen !== -1) {
      let next = hyphen + 1;
      const start = hyphen - 4;
      const first = start >= 0 ? text.charCodeAt(start) : 0;
      // A "-" before the prefix glues it to a longer token ("…-xoxb-…" is not where a token starts).
      if (first === 120 && (text.startsWith("xox", start) || text.startsWith("xapp", start)) && startsToken(text, start, isTokenCode)) {
        const kind = text.slice(start, hyphen);
        const shape = exactShapes[kind];
        let length = runLength(text, hyphen + 1, isTokenCode, longestBody + 1);
        while (length > 0 && text.charCodeAt(hyphen + length) === 45) length--;
        if (shape !== undefined && length <= longestBody) {
          const body = text.slice(hyphen + 1, hyphen + 1 + length);
          const confidence = shape.test(body) ? 0.97 : looseShape.test(body) ? 0.85 : 0;
          // The digit groups are workspace and user ids; only the last group is random.
          if (confidence > 0 && !isPlaceholderBody(body, body.lastIndexOf("-") + 1, body.length)) {
            next = hyphen + 1 + length;
            out.push({ type: "slack_token", category: "secret", start, end: next, confidence, recognizer: "slack-token" });
          }
        }
      }
      hyphen = text.indexOf("-", next);
    }

    let hook = text.indexOf("hooks.slack.com/services/");
    while (hook !== -1) {
      const pathStart = hook + 16;
      const length = runLength(text, pathStart, isWebhookCode, 80);
      let end = pathStart + length;
      if (webhookShape.test(text.slice(pathStart, end)) && !isAlphanumeric(text.charCodeAt(end))) {
        const start = text.startsWith("https://", hook - 8) ? hook - 8 : text.startsWith("http://", hook - 7) ? hook - 7 : hook;
        out.push({ type: "slack_token", category: "secret", start, end, confidence: 0.97, recognizer: "slack-token" });
      } else {
        end = hook + 1;
      }
      hook = text.indexOf("hooks.slack.com/services/", end);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { endsToken, isAlphanumeric, isBase64UrlCode, isPlaceholderBody, runLength, startsToken } from "./shared.ts";

interface StripeKind {
  /** The text before the anchoring "_", e.g. "sk" in "sk_live_". */
  head: string;
  /** The text after it, e.g. "live_". */
  tail: string;
  minimum: number;
  confidence: number;
}

// Secret and restricted keys in live and test mode, live publishable keys (public by design but a
// strong sign the text holds account configuration) and webhook signing secrets.
const kinds: readonly StripeKind[] = [
  { head: "sk", tail: "live_", minimum: 24, confidence: 0.97 },
  { head: "rk", tail: "live_", minimum: 24, confidence: 0.97 },
  { head: "sk", tail: "test_", minimum: 24, confidence: 0.9 },
  { head: "rk", tail: "test_", minimum: 24, confidence: 0.9 },
  { head: "pk", tail: "live_", minimum: 24, confidence: 0.8 },
  { head: "whsec", tail: "", minimum: 32, confidence: 0.9 },
];

/**
 * Stripe API keys (sk_/rk_ live and test, pk_live_) and webhook secrets (whsec_). Anchored on "_".
 * Placeholders from documentation ("sk_live_xxxxxxxx…", "sk_test_YOUR_KEY") are skipped.
 */
export const stripeKeyRecognizer: Recognizer = {
  id: "stripe-key",
  category: "secret",
  types: ["stripe_key"],
  scan(text: string, out: Finding[]): void {
    let underscore = text.indexOf("_");
    while (underscore !== -1) {
      let next = underscore + 1;
      // Every head ends in "k" (sk, rk, pk) or "c" (whsec): most "_" are dismissed by one comparison.
      const before = text.charCodeAt(underscore - 1);
      if (before !== 107 && before !== 99) {
        underscore = text.indexOf("_", next);
        continue;
      }
      for (const kind of kinds) {
        const start = underscore - kind.head.length;
        if (start < 0 || !text.startsWith(kind.head, start) || !text.startsWith(kind.tail, underscore + 1) || !startsToken(text, start)) continue;
        const bodyStart = underscore + 1 + kind.tail.length;
        const length = runLength(text, bodyStart, isAlphanumeric, 256);
        if (length >= kind.minimum && length < 256 && endsToken(text, bodyStart + length, isBase64UrlCode)) {
          next = bodyStart + length;
          if (!isPlaceholderBody(text, bodyStart, next)) out.push({ type: "stripe_key", category: "secret", start, end: next, confidence: kind.confidence, recognizer: "stripe-key" });
        }
        break;
      }
      underscore = text.indexOf("_", next);
    }
  },
};

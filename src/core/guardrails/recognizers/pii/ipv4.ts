import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isAsciiLetterCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens, runEndOf, runStartOf, separatorAfter, type NumericTokens } from "./numeric-tokens.ts";

const id = "ipv4";

const versionContext = quickContextWords({
  en: ["version", "ver", "release", "build", "firmware", "v", "update", "upgrade", "package"],
  de: ["version", "ausgabe", "build", "firmware", "aktualisierung"],
  fr: ["version", "mise à jour", "build", "micrologiciel"],
});

/** Value of a 1-3 digit octet run without a leading zero, or -1. */
function octet(tokens: NumericTokens, run: number): number {
  const text = tokens.text;
  const start = runStartOf(tokens, run);
  const length = runEndOf(tokens, run) - start;
  if (length > 3 || (length > 1 && codeAt(text, start) === 48)) return -1;
  let value = 0;
  for (let index = start; index < start + length; index++) value = value * 10 + codeAt(text, index) - 48;
  return value <= 255 ? value : -1;
}

/**
 * IPv4 addresses: four dotted octets 0-255 without leading zeros, not part of a longer dotted
 * sequence (OIDs, "1.2.3.4.5") or glued to a word ("v1.2.3.4"). Private and loopback ranges are
 * reported like any other: in a log line they still tie a request to a person. An address after
 * a version word, or after "name/" as in a user agent, is likely a version number and scores low.
 */
export const ipv4Recognizer: Recognizer = {
  id,
  category: "pii",
  types: ["ipv4"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    for (const list of [tokens.long, tokens.multi]) {
      for (let item = 0; item < list.count; item++) {
        const token = list.items[item] as number;
        const runs = tokens.runCount[token] as number;
        if (runs < 4) continue;
        const firstRun = tokens.firstRun[token] as number;
        const lastRun = firstRun + runs - 1;
        for (let run = firstRun; run + 3 <= lastRun; run++) {
          if (run > firstRun && separatorAfter(tokens, run - 1) === 46) continue;
          if (run + 3 < lastRun && separatorAfter(tokens, run + 3) === 46) continue;
          let dotted = true;
          for (let inner = run; inner < run + 3 && dotted; inner++) dotted = separatorAfter(tokens, inner) === 46;
          if (!dotted) continue;
          if (octet(tokens, run) < 0 || octet(tokens, run + 1) < 0 || octet(tokens, run + 2) < 0 || octet(tokens, run + 3) < 0) continue;
          const start = runStartOf(tokens, run);
          const end = runEndOf(tokens, run + 3);
          if (run === firstRun && isWordCode(codeAt(text, start - 1))) continue;
          if (run + 3 === lastRun && isWordCode(codeAt(text, end))) continue;
          // Version numbers keep their parts small; only then is a version word worth looking for.
          const small = octet(tokens, run) < 100 && octet(tokens, run + 1) < 100 && octet(tokens, run + 2) < 100 && octet(tokens, run + 3) < 100;
          const before = codeAt(text, start - 1);
          const versionLike = (before === 47 && isAsciiLetterCode(codeAt(text, start - 2))) || (small && versionContext.near(text, start, end, 24, 0));
          report(out, id, "ipv4", start, end, versionLike ? 0.4 : 0.85);
        }
      }
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { isBlankCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { copyDigits, forEachWindow, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone } from "./numeric-tokens.ts";

const id = "nl-bsn";

/** The Dutch words are used as-is in every language, so each list carries them. */
const dutchWords = ["bsn", "burgerservicenummer", "sofinummer", "sofi-nummer", "bsn-nummer"];
const bsnContext = quickContextWords({
  en: [...dutchWords, "citizen service number", "dutch social security number", "dutch tax number"],
  de: [...dutchWords, "bürgerservicenummer", "niederländische sozialversicherungsnummer"],
  fr: [...dutchWords, "numéro de service citoyen", "numéro de sécurité sociale néerlandais"],
});

/** The "elfproef": 9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11 (and not all zeros). */
export function passesElevenTest(digits: ArrayLike<number>): boolean {
  let sum = 0;
  let any = 0;
  for (let index = 0; index < 8; index++) {
    sum += (digits[index] as number) * (9 - index);
    any |= digits[index] as number;
  }
  sum -= digits[8] as number;
  return any !== 0 && sum % 11 === 0;
}

const digitBuffer = new Uint8Array(9);

/**
 * Dutch citizen service numbers (BSN): nine digits passing the eleven test, bare or written
 * 1234.56.789 / 123 456 789. One random nine-digit number in eleven passes, so a BSN is reported
 * only with a context word such as "BSN" or "burgerservicenummer" nearby.
 */
export const nlBsnRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["nl_bsn"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, _digits: number, separator: number): void => {
      const runs = lastRun - firstRun + 1;
      if (runs === 3) {
        const first = runLength(tokens, firstRun);
        const dotted = separator === 46 && first === 4 && runLength(tokens, firstRun + 1) === 2;
        const triples = (separator === 46 || isBlankCode(separator)) && first === 3 && runLength(tokens, firstRun + 1) === 3;
        if (!dotted && !triples) return;
      } else if (runs !== 1) return;
      if (!windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      copyDigits(tokens, firstRun, lastRun, digitBuffer);
      if (!passesElevenTest(digitBuffer)) return;
      const start = runStartOf(tokens, firstRun);
      const end = runEndOf(tokens, lastRun);
      if (!bsnContext.near(text, start, end)) return;
      report(out, id, "nl_bsn", start, end, 0.8);
    };
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.digits[token] as number) < 9) continue;
      forEachWindow(tokens, token, 9, 9, visit);
    }
  },
};

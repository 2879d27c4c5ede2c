import type { Finding, Recognizer } from "../../types.ts";
import { isBlankCode } from "./characters.ts";
import { quickContextWords, referenceContext, report } from "./findings.ts";
import { copyDigits, forEachWindow, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone } from "./numeric-tokens.ts";

const id = "us-ssn";

const ssnContext = quickContextWords({
  en: ["ssn", "ss#", "ssn#", "social security", "social security number", "social security no", "social sec", "itin", "taxpayer", "taxpayer id", "taxpayer identification number", "tax id", "tin"],
  de: ["sozialversicherungsnummer", "us-sozialversicherungsnummer", "steueridentifikationsnummer", "steuernummer"],
  fr: ["numéro de sécurité sociale", "sécurité sociale", "numéro fiscal", "numéro d'identification fiscale"],
});

/** What a nine-digit area/group/serial number is, by the SSA and IRS numbering rules. */
export function classifyUsNumber(digits: ArrayLike<number>): "us_ssn" | "us_itin" | undefined {
  const d = (index: number): number => digits[index] as number;
  const area = d(0) * 100 + d(1) * 10 + d(2);
  const group = d(3) * 10 + d(4);
  const serial = d(5) * 1000 + d(6) * 100 + d(7) * 10 + d(8);
  if (serial === 0) return undefined;
  if (area >= 900) {
    const itinGroup = (group >= 50 && group <= 65) || (group >= 70 && group <= 88) || (group >= 90 && group <= 92) || (group >= 94 && group <= 99);
    return itinGroup ? "us_itin" : undefined;
  }
  if (area === 0 || area === 666 || group === 0) return undefined;
  return "us_ssn";
}

const digitBuffer = new Uint8Array(9);

/**
 * US social security numbers and individual taxpayer identification numbers: 3-2-4 digits with
 * dashes or blanks, or nine bare digits. SSNs never have area 000, 666 or 9xx, group 00 or serial
 * 0000; ITINs have area 9xx and a group in 50-65, 70-88, 90-92 or 94-99. Dashes are the format's
 * own signature; blanks score lower, and nine bare digits are reported only with a context word.
 */
export const usSsnRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["us_ssn", "us_itin"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, _digits: number, separator: number): void => {
      const runs = lastRun - firstRun + 1;
      if (runs === 3) {
        if (separator !== 45 && !isBlankCode(separator)) return;
        if (runLength(tokens, firstRun) !== 3 || runLength(tokens, firstRun + 1) !== 2) return;
      } else if (runs !== 1) return;
      if (!windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      copyDigits(tokens, firstRun, lastRun, digitBuffer);
      const type = classifyUsNumber(digitBuffer);
      if (type === undefined) return;
      const start = runStartOf(tokens, firstRun);
      const end = runEndOf(tokens, lastRun);
      const context = ssnContext.near(text, start, end);
      if (runs === 1 && !context) return;
      let confidence = runs === 1 ? 0.65 : separator === 45 ? 0.7 : 0.45;
      if (context && runs !== 1) confidence += 0.25;
      if (!context && referenceContext.near(text, start, end, 32, 0)) confidence -= 0.3;
      report(out, id, type, start, end, confidence);
    };
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      forEachWindow(tokens, token, 9, 9, visit);
    }
  },
};

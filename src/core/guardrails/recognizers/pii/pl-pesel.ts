import type { Finding, Recognizer } from "../../types.ts";
import { weightedSum } from "./checksums.ts";
import { quickContextWords, referenceContext, report } from "./findings.ts";
import { copyDigits, numericTokens, windowStandsAlone } from "./numeric-tokens.ts";

const id = "pl-pesel";

const peselContext = quickContextWords({
  en: ["pesel", "polish id", "polish national id", "national identification number", "personal identity number"],
  de: ["pesel", "polnische identifikationsnummer", "polnische personennummer", "personenkennzahl"],
  fr: ["pesel", "numéro pesel", "numéro d'identification polonais", "numéro national d'identification"],
});

const weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The PESEL rules: digits 1-6 are a real birth date YYMMDD, the month carrying the century (+80
 * for the 1800s, +0, +20, +40, +60 for the 1900s to the 2200s), and the last digit is
 * (10 − weighted sum mod 10) mod 10 with weights 1 3 7 9 1 3 7 9 1 3.
 */
export function isPesel(digits: ArrayLike<number>): boolean {
  const d = (index: number): number => digits[index] as number;
  if ((10 - (weightedSum(digits, weights) % 10)) % 10 !== d(10)) return false;
  const coded = d(2) * 10 + d(3);
  const century = coded > 80 ? 1800 : 1900 + Math.floor(coded / 20) * 100;
  const month = coded % 20;
  if (coded > 92 || month < 1 || month > 12) return false;
  const year = century + d(0) * 10 + d(1);
  const day = d(4) * 10 + d(5);
  return day >= 1 && day <= daysInMonth(year, month);
}

const digitBuffer = new Uint8Array(11);

/**
 * Polish PESEL numbers: eleven bare digits with a valid birth date and check digit. About one
 * random 11-digit number in fifty passes both, so without a context word ("PESEL") the finding
 * stays below the default threshold.
 */
export const plPeselRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["pl_pesel"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.digits[token] as number) < 11) continue;
      const first = tokens.firstRun[token] as number;
      const last = first + (tokens.runCount[token] as number) - 1;
      for (let run = first; run <= last; run++) {
        const start = tokens.runStart[run] as number;
        const end = tokens.runEnd[run] as number;
        if (end - start !== 11 || !windowStandsAlone(tokens, token, run, run)) continue;
        copyDigits(tokens, run, run, digitBuffer);
        if (!isPesel(digitBuffer)) continue;
        let confidence = 0.45;
        if (peselContext.near(text, start, end)) confidence += 0.45;
        else if (referenceContext.near(text, start, end, 32, 0)) continue;
        report(out, id, "pl_pesel", start, end, confidence);
      }
    }
  },
};

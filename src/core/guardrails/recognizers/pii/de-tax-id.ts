import type { Finding, Recognizer } from "../../types.ts";
import { isBlankCode } from "./characters.ts";
import { iso7064Mod11Radix10 } from "./checksums.ts";
import { quickContextWords, referenceContext, report } from "./findings.ts";
import { copyDigits, forEachWindow, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone } from "./numeric-tokens.ts";

const id = "de-tax-id";

const taxIdContext = quickContextWords({
  en: ["tax id", "tax identification number", "german tax id", "tin", "taxpayer id"],
  de: ["steuer-id", "steuerid", "steuer-idnr", "steuer-id-nr", "steuer id", "steuer-identifikationsnummer", "steueridentifikationsnummer", "identifikationsnummer", "idnr", "id-nr", "steuerliche identifikationsnummer", "steuernummer"],
  fr: ["numéro fiscal", "identifiant fiscal", "numéro d'identification fiscale", "numéro fiscal allemand"],
});

/**
 * The Steuer-IdNr rules: 11 digits, no leading 0; among the first ten exactly one digit occurs
 * twice or three times (three times not all in a row) and every other digit at most once; the last
 * digit is the ISO 7064 MOD 11,10 check digit of the first ten.
 */
export function isGermanTaxId(digits: ArrayLike<number>): boolean {
  if (digits[0] === 0) return false;
  const counts = new Uint8Array(10);
  for (let index = 0; index < 10; index++) counts[digits[index] as number]! += 1;
  let repeated = -1;
  for (let digit = 0; digit < 10; digit++) {
    const count = counts[digit] as number;
    if (count <= 1) continue;
    if (repeated !== -1 || count > 3) return false;
    repeated = digit;
  }
  if (repeated === -1) return false;
  if (counts[repeated] === 3) {
    for (let index = 0; index + 2 < 10; index++) {
      if (digits[index] === repeated && digits[index + 1] === repeated && digits[index + 2] === repeated) return false;
    }
  }
  return iso7064Mod11Radix10(digits, 10) === digits[10];
}

const digitBuffer = new Uint8Array(11);

/**
 * German tax identification numbers (Steuerliche Identifikationsnummer), bare or grouped 2-3-3-3
 * as tax letters print them. The check digit and the digit-repetition rule together let about
 * one random 11-digit number in 250 through, so a context word still adds confidence.
 */
export const deTaxIdRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["de_tax_id"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, _digits: number, separator: number): void => {
      const runs = lastRun - firstRun + 1;
      if (runs === 4) {
        if (!isBlankCode(separator) || runLength(tokens, firstRun) !== 2) return;
      } else if (runs !== 1) return;
      if (!windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      copyDigits(tokens, firstRun, lastRun, digitBuffer);
      if (!isGermanTaxId(digitBuffer)) return;
      const start = runStartOf(tokens, firstRun);
      const end = runEndOf(tokens, lastRun);
      let confidence = 0.7;
      if (taxIdContext.near(text, start, end)) confidence += 0.25;
      else if (referenceContext.near(text, start, end, 32, 0)) confidence -= 0.3;
      report(out, id, "de_tax_id", start, end, confidence);
    };
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.digits[token] as number) < 11) continue;
      forEachWindow(tokens, token, 11, 11, visit);
    }
  },
};

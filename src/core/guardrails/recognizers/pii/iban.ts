import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isAlphanumericCode, isBlankCode, isDigitCode, isUpperCode, isWordCode } from "./characters.ts";
import { alphanumericModulo97 } from "./checksums.ts";
import { report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "iban";

/** IBAN length per country (ISO 13616 registry): every SEPA country and the other issuers. */
export const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * End of the IBAN whose country code starts at `start`, written compactly or in groups of four
 * separated by single blanks, or -1. The compact form goes into `compact`.
 */
function ibanEnd(text: string, start: number, length: number, compact: string[]): number {
  compact.length = 0;
  let index = start;
  while (compact.length < length) {
    const code = codeAt(text, index);
    if (isUpperCode(code) || isDigitCode(code)) {
      compact.push(text[index] as string);
      index++;
      continue;
    }
    if (!isBlankCode(code) || compact.length % 4 !== 0 || !isAlphanumericCode(codeAt(text, index + 1))) return -1;
    index++;
  }
  return isAlphanumericCode(codeAt(text, index)) ? -1 : index;
}

/**
 * IBANs: a country code with its registered length, two check digits and the account part, bare
 * or in groups of four; the ISO 7064 mod-97 check must give 1. Candidates come from the shared
 * numeric pass: the check digits are a digit run right after two capital letters.
 */
export const ibanRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["iban"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const capital = tokens.capital;
    const compact: string[] = [];
    for (let item = 0; item < capital.count; item++) {
      const token = capital.items[item] as number;
      const digitsStart = tokens.start[token] as number;
      if ((tokens.runEnd[tokens.firstRun[token] as number] as number) - digitsStart < 2) continue;
      const start = digitsStart - 2;
      if (!isUpperCode(codeAt(text, start)) || !isUpperCode(codeAt(text, start + 1)) || isWordCode(codeAt(text, start - 1))) continue;
      const length = ibanLengths[text.slice(start, digitsStart)];
      if (length === undefined) continue;
      const end = ibanEnd(text, start, length, compact);
      if (end === -1) continue;
      const rearranged = compact.slice(4).join("") + compact.slice(0, 4).join("");
      if (alphanumericModulo97(rearranged) === 1) report(out, id, "iban", start, end, 0.98);
    }
  },
};

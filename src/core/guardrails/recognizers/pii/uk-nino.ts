import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isBlankCode, isUpperCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens, runLength } from "./numeric-tokens.ts";

const id = "uk-nino";

const ninoContext = quickContextWords({
  en: ["national insurance", "national insurance number", "ni number", "ni no", "nino", "nin", "insurance number"],
  de: ["sozialversicherungsnummer", "britische sozialversicherungsnummer", "national insurance", "versicherungsnummer"],
  fr: ["numéro d'assurance nationale", "assurance nationale", "numéro de sécurité sociale britannique", "national insurance"],
});

/** Letters HMRC never uses first (D F I Q U V) or second (D F I O Q U V), and reserved pairs. */
const badFirst = new Set("DFIQUV");
const badSecond = new Set("DFIOQUV");
const reservedPrefixes = new Set(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]);

/** True when two letters are an allocatable National Insurance number prefix. */
export function isNinoPrefix(prefix: string): boolean {
  return !badFirst.has(prefix[0] as string) && !badSecond.has(prefix[1] as string) && !reservedPrefixes.has(prefix);
}

/**
 * UK National Insurance numbers: two prefix letters (not the reserved ones), six digits and a
 * suffix A-D, written "QQ123456C" or "QQ 12 34 56 C". Without the suffix the number is only
 * reported next to a context word.
 */
export const ukNinoRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["uk_nino"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.digits[token] as number) !== 6) continue;
      const runs = tokens.runCount[token] as number;
      const firstRun = tokens.firstRun[token] as number;
      const digitsStart = tokens.start[token] as number;
      const digitsEnd = tokens.end[token] as number;
      if (runs === 3) {
        if (runLength(tokens, firstRun) !== 2 || runLength(tokens, firstRun + 1) !== 2 || !isBlankCode(codeAt(text, digitsStart + 2)) || !isBlankCode(codeAt(text, digitsStart + 5))) continue;
      } else if (runs !== 1) continue;
      let prefixEnd = digitsStart;
      if (isBlankCode(codeAt(text, prefixEnd - 1))) prefixEnd--;
      const start = prefixEnd - 2;
      if (!isUpperCode(codeAt(text, start)) || !isUpperCode(codeAt(text, start + 1)) || isWordCode(codeAt(text, start - 1))) continue;
      if (!isNinoPrefix(text.slice(start, prefixEnd))) continue;
      let suffixAt = digitsEnd;
      if (isBlankCode(codeAt(text, suffixAt))) suffixAt++;
      const suffix = codeAt(text, suffixAt);
      const hasSuffix = suffix >= 65 && suffix <= 68 && !isWordCode(codeAt(text, suffixAt + 1));
      if (!hasSuffix && isWordCode(codeAt(text, digitsEnd))) continue;
      const end = hasSuffix ? suffixAt + 1 : digitsEnd;
      const context = ninoContext.near(text, start, end);
      if (!hasSuffix && !context) continue;
      report(out, id, "uk_nino", start, end, hasSuffix ? (context ? 0.95 : 0.85) : 0.7);
    }
  },
};

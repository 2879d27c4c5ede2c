import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isUpperCode, isWordCode } from "./characters.ts";
import { documentKeywords } from "./document-keywords.ts";
import { documentNumberAfter } from "./document-number.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "driving-licence";

const licenceContext = quickContextWords({
  en: ["driving licence", "driving license", "driver's license", "drivers license", "driver license", "driver's licence", "licence number", "license number", "licence no", "license no", "dl", "dl no"],
  de: ["führerschein", "führerscheinnummer", "führerschein-nr", "fuehrerschein"],
  fr: ["permis de conduire", "numéro de permis", "n° de permis", "permis"],
});

/** Words just before "licence"/"license" that make it a driving licence. */
const drivingQualifiers = /(?:driving|driver'?s?|drivers'|dl)[\s_-]*$/iu;
/** "licence number", "license_no": a licence number asked for by name, most often a driving licence in personal records. */
const numberQualifier = /^[\s_-]*(?:number|no\b|nr\b|#)/iu;
/** "permis" counts only as "permis de conduire" or "numéro de permis"/"permis n°". */
const permisQualified = /^permis(?:[\s_-]*(?:de[\s_-]+)?conduire|[\s_-]*(?:n°|no|numéro|num\.?))/iu;
/** "numéro de permis", "n° permis". */
const permisNumbered = /(?:numéro|n°|no)\s+(?:de\s+)?$/iu;

/**
 * The UK licence number layout: 5 surname characters (9-padded), decade digit, birth month (+50
 * for women), day, year digit, 2 initials (9-padded), a digit and 2 check characters.
 */
const ukLayout = /^[A-Z9]{5}\d(?:[05][1-9]|[16][0-2])(?:0[1-9]|[12]\d|3[01])\d[A-Z9]{2}\d[A-Z0-9]{2}$/;

/** True for a 16-character UK driving licence number. */
export function isUkDrivingLicence(value: string): boolean {
  return value.length === 16 && ukLayout.test(value);
}

/**
 * Driving licence numbers: after a strong licence phrase ("driving licence", "driver's license",
 * "Führerschein", "permis de conduire"), the next number of 5-16 capitals and digits; and, with no
 * phrase needed, the UK's 16-character layout, which is specific enough on its own.
 */
export const drivingLicenceRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["driving_licence"],
  scan(text: string, out: Finding[]): void {
    const reported = new Set<number>();
    let lastEnd = -1;
    for (const hit of documentKeywords(text)) {
      if (hit.keyword === "pass" || hit.start < lastEnd) continue;
      let after = hit.end;
      let confidence = 0.75;
      if (hit.keyword === "licence") {
        if (!drivingQualifiers.test(text.slice(Math.max(0, hit.start - 12), hit.start))) {
          if (isWordCode(codeAt(text, hit.start - 1)) || !numberQualifier.test(text.slice(hit.end, hit.end + 10))) continue;
          confidence = 0.6;
        }
      } else if (hit.keyword === "permis") {
        const qualified = permisQualified.exec(text.slice(hit.start, hit.start + 30));
        const numbered = permisNumbered.test(text.slice(Math.max(0, hit.start - 14), hit.start));
        if (qualified === null && !numbered) continue;
        if (qualified !== null) after = hit.start + qualified[0].length;
      } else {
        while (isWordCode(codeAt(text, after)) || (codeAt(text, after) === 45 && isWordCode(codeAt(text, after + 1)))) after++;
      }
      const number = documentNumberAfter(text, after, 5, 16);
      if (number === undefined || reported.has(number.start)) continue;
      reported.add(number.start);
      report(out, id, "driving_licence", number.start, number.end, isUkDrivingLicence(text.slice(number.start, number.end)) ? 0.95 : confidence);
      lastEnd = number.end;
    }
    // The UK layout without a phrase: a 16-character capitals-and-digits word around a digit run.
    const tokens = numericTokens(text);
    const capital = tokens.capital;
    let lastStart = -1;
    for (let item = 0; item < capital.count; item++) {
      const token = capital.items[item] as number;
      const digitsStart = tokens.start[token] as number;
      let start = digitsStart;
      while (start > digitsStart - 6 && isUpperCode(codeAt(text, start - 1))) start--;
      if (start === digitsStart || start === lastStart || isWordCode(codeAt(text, start - 1))) continue;
      lastStart = start;
      const end = start + 16;
      if (end > text.length || isWordCode(codeAt(text, end)) || reported.has(start)) continue;
      const value = text.slice(start, end);
      if (!isUkDrivingLicence(value)) continue;
      reported.add(start);
      report(out, id, "driving_licence", start, end, licenceContext.near(text, start, end) ? 0.9 : 0.7);
    }
  },
};

import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isWordCode } from "./characters.ts";
import { documentKeywords } from "./document-keywords.ts";
import { documentNumberAfter } from "./document-number.ts";
import { quickContextWords, report } from "./findings.ts";

const id = "passport";

/**
 * A word (lower case, "_" and "-" dropped: passport_number, Reisepass-Nr, passportNo) names a
 * passport when it contains passport, passeport or reisepass, or is pass with a number marker
 * (Passnummer, Pass-Nr); "pass" alone is too common ("boarding pass", "password") to count.
 */
function namesPassport(word: string): boolean {
  const compact = word.replace(/[_-]/g, "");
  return compact.includes("passport") || compact.includes("passeport") || compact.includes("reisepass") || /^pass(?:nummer|nr|no|number)$/.test(compact);
}
/** "password", "passwd", "passage", "passive"...: the commonest "pass" words that are no passport. */
const notPassport = /^(?:w|age|iv|ed|es|ing|ion|thr)/i;
const bareWithMarker = /^pass(?:[-_]|\s)?(?:nr|no|nummer|number)\.?/iu;

const passportContext = quickContextWords({
  en: ["passport", "passport no", "passport number", "passport #"],
  de: ["reisepass", "reisepassnummer", "passnummer", "pass-nr", "passnr"],
  fr: ["passeport", "numéro de passeport", "n° de passeport"],
});

/**
 * Passport numbers, only next to a passport word ("passport no", "Reisepass", "Passnummer",
 * "passeport"): numbers have no common shape or checksum across countries, so the word is the
 * evidence. The scan starts from the shared keyword pass (document-keywords.ts) and reads the next
 * few words for a 6-9 character number of capitals and digits.
 */
export const passportRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["passport"],
  scan(text: string, out: Finding[]): void {
    let lastEnd = -1;
    for (const hit of documentKeywords(text)) {
      if (hit.keyword !== "pass" || hit.start < lastEnd || notPassport.test(text.slice(hit.end, hit.end + 4))) continue;
      let wordStart = hit.start;
      while (wordStart > hit.start - 16 && isWordCode(codeAt(text, wordStart - 1))) wordStart--;
      if (isWordCode(codeAt(text, wordStart - 1))) continue;
      let wordEnd = hit.end;
      while (wordEnd < hit.start + 24 && (isWordCode(codeAt(text, wordEnd)) || (codeAt(text, wordEnd) === 45 && isWordCode(codeAt(text, wordEnd + 1))))) wordEnd++;
      const word = text.slice(wordStart, wordEnd).toLowerCase();
      let after = wordEnd;
      if (!namesPassport(word)) {
        const marker = word === "pass" ? bareWithMarker.exec(text.slice(wordStart, wordStart + 16)) : null;
        if (marker === null) continue;
        after = wordStart + marker[0].length;
      }
      const number = documentNumberAfter(text, after, 6, 9);
      if (number === undefined) continue;
      report(out, id, "passport", number.start, number.end, passportContext.near(text, number.start, number.end, 48, 0) ? 0.8 : 0.7);
      lastEnd = number.end;
    }
  },
};

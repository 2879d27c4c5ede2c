import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isBlankCode, isDigitCode, isWordCode } from "./characters.ts";
import { decimalModulo } from "./checksums.ts";
import { quickContextWords, report } from "./findings.ts";
import { copyDigits, forEachWindow, nextWord, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone, type NumericTokens } from "./numeric-tokens.ts";

const id = "fr-nir";

const nirContext = quickContextWords({
  en: ["social security number", "french social security", "nir", "insee number", "insee"],
  de: ["sozialversicherungsnummer", "französische sozialversicherungsnummer", "nir"],
  fr: ["numéro de sécurité sociale", "sécurité sociale", "numéro de sécu", "n° de sécu", "sécu", "nir", "numéro insee", "insee", "carte vitale", "numéro d'inscription au répertoire"],
});

/** The printed grouping: sex, year, month, department, commune, order, key. */
const printedGroups = [1, 2, 2, 2, 3, 3, 2];
/** The groups before a Corsican department's letter: sex, year, month ("1 85 05 2A …"). */
const corsicanLeadingGroups = [1, 2, 2];

/**
 * True when 15 digits (Corsica already rewritten: department 2A as 19, 2B as 18) form a valid
 * NIR: sex 1-4, 7 or 8; month 01-12, 20 or 30-42 (unknown or provisional), or 50-99; an order
 * number above 000; and the key 97 − (first 13 digits mod 97).
 */
export function isNir(digits: ArrayLike<number>): boolean {
  const d = (index: number): number => digits[index] as number;
  const sex = d(0);
  if (!(sex >= 1 && sex <= 4) && sex !== 7 && sex !== 8) return false;
  const month = d(3) * 10 + d(4);
  if (!((month >= 1 && month <= 12) || month === 20 || (month >= 30 && month <= 42) || month >= 50)) return false;
  if (d(10) === 0 && d(11) === 0 && d(12) === 0) return false;
  const key = d(13) * 10 + d(14);
  return key === 97 - decimalModulo(digits, 0, 13, 97);
}

/** True when runs [firstRun, lastRun] have exactly the lengths `groups`. */
function groupsMatch(tokens: NumericTokens, firstRun: number, lastRun: number, groups: readonly number[]): boolean {
  if (lastRun - firstRun + 1 !== groups.length) return false;
  for (let run = firstRun; run <= lastRun; run++) if (runLength(tokens, run) !== groups[run - firstRun]) return false;
  return true;
}

const digitBuffer = new Uint8Array(15);

/**
 * French social security numbers (NIR / numéro INSEE): 15 digits, bare, grouped 1 2 2 2 3 3 2 or
 * with the key set apart; Corsican departments 2A and 2B are handled (2A counts as 19, 2B as 18
 * in the key). The mod-97 key lets one random number in 97 through, the field checks fewer.
 */
export const frNirRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["fr_nir"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, _digits: number, separator: number): void => {
      const runs = lastRun - firstRun + 1;
      const shaped = runs === 1 || (isBlankCode(separator) && (groupsMatch(tokens, firstRun, lastRun, printedGroups) || (runs === 2 && runLength(tokens, firstRun) === 13)));
      if (!shaped || !windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      copyDigits(tokens, firstRun, lastRun, digitBuffer);
      if (!isNir(digitBuffer)) return;
      const start = runStartOf(tokens, firstRun);
      const end = runEndOf(tokens, lastRun);
      report(out, id, "fr_nir", start, end, confidenceAt(start, end));
    };
    const long = tokens.long;
    const confidenceAt = (start: number, end: number): number => (nirContext.near(text, start, end) ? 0.98 : 0.9);
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      const firstRunOfToken = tokens.firstRun[token] as number;
      const lastRunOfToken = firstRunOfToken + (tokens.runCount[token] as number) - 1;
      if ((tokens.digits[token] as number) >= 15) {
        forEachWindow(tokens, token, 15, 15, visit);
      }
      // Corsica: the department's letter splits the number into "1 85 05 2" + "A" + "00608436".
      if (((tokens.flags[token] as number) & nextWord) === 0) continue;
      const letterAt = tokens.end[token] as number;
      const letter = codeAt(text, letterAt);
      if (letter !== 65 && letter !== 66) continue;
      const lastLength = runLength(tokens, lastRunOfToken);
      let firstRun = -1;
      if (lastLength === 6) firstRun = lastRunOfToken;
      else if (lastLength === 1 && lastRunOfToken - 3 >= firstRunOfToken && groupsMatch(tokens, lastRunOfToken - 3, lastRunOfToken - 1, corsicanLeadingGroups)) firstRun = lastRunOfToken - 3;
      if (firstRun === -1 || codeAt(text, runEndOf(tokens, lastRunOfToken) - 1) !== 50) continue;
      if (firstRun > firstRunOfToken ? !isBlankCode(codeAt(text, runStartOf(tokens, firstRun) - 1)) : isWordCode(codeAt(text, runStartOf(tokens, firstRun) - 1))) continue;
      const spaced = firstRun !== lastRunOfToken;
      const count = copyDigits(tokens, firstRun, lastRunOfToken, digitBuffer);
      if (count !== 6) continue;
      digitBuffer[5] = 1;
      digitBuffer[6] = letter === 65 ? 9 : 8;
      let index = letterAt + 1;
      let filled = 7;
      const rest = spaced ? [3, 3, 2] : [8];
      let valid = true;
      for (const group of rest) {
        if (spaced) {
          if (!isBlankCode(codeAt(text, index))) valid = false;
          index++;
        }
        for (let position = 0; position < group && valid; position++, index++) {
          const code = codeAt(text, index);
          if (!isDigitCode(code)) valid = false;
          else digitBuffer[filled++] = code - 48;
        }
        if (!valid) break;
      }
      if (!valid || isWordCode(codeAt(text, index)) || isDigitCode(codeAt(text, index))) continue;
      if (!isNir(digitBuffer)) continue;
      const start = runStartOf(tokens, firstRun);
      report(out, id, "fr_nir", start, index, confidenceAt(start, index));
    }
  },
};

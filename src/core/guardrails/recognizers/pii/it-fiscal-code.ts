import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isDigitCode, isUpperCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "it-fiscal-code";

const fiscalCodeContext = quickContextWords({
  en: ["fiscal code", "italian tax code", "tax code", "codice fiscale", "cf"],
  de: ["steuernummer", "italienische steuernummer", "codice fiscale", "steuer-id"],
  fr: ["code fiscal", "code fiscal italien", "codice fiscale", "numéro fiscal"],
});

/** Values of characters in odd positions (1st, 3rd, …), for 0-9 then A-Z; even positions count 0-9 and A-Z as 0-25. */
const oddValues = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
/** Letters that replace digits in "omocodia" codes (L = 0 … V = 9), issued when two people collide. */
const omocodeLetters = "LMNPQRSTUV";
const monthLetters = "ABCDEHLMPRST";
/** Positions that normally hold digits (year, day, municipality number). */
const digitPositions = [6, 7, 9, 10, 12, 13, 14];

function characterValue(code: number, odd: boolean): number {
  if (isDigitCode(code)) return odd ? (oddValues[code - 48] as number) : code - 48;
  return odd ? (oddValues[code - 65] as number) : code - 65;
}

/** The check character of the first 15 characters of a codice fiscale. */
export function fiscalCodeCheck(code: string): string {
  let sum = 0;
  for (let index = 0; index < 15; index++) sum += characterValue(code.charCodeAt(index), index % 2 === 0);
  return String.fromCharCode(65 + (sum % 26));
}

/** True when 16 upper-case characters have the codice fiscale layout and check character. */
export function isFiscalCode(code: string): boolean {
  if (code.length !== 16) return false;
  for (let index = 0; index < 16; index++) {
    const character = code.charCodeAt(index);
    const isDigitSlot = digitPositions.includes(index);
    if (isDigitSlot ? !isDigitCode(character) && !omocodeLetters.includes(code[index] as string) : !isUpperCode(character)) return false;
  }
  if (!monthLetters.includes(code[8] as string)) return false;
  const digitAt = (index: number): number => {
    const character = code[index] as string;
    return isDigitCode(character.charCodeAt(0)) ? Number(character) : omocodeLetters.indexOf(character);
  };
  const day = digitAt(9) * 10 + digitAt(10);
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;
  return fiscalCodeCheck(code) === code[15];
}

/**
 * Italian fiscal codes (codice fiscale): 6 letters for surname and name, birth year, month letter,
 * day (+40 for women), municipality code and a check letter computed from all the others — the
 * "omocodia" variants with letters in digit positions included. Candidates are upper-case words of
 * exactly 16 characters around a digit run the shared numeric pass found.
 */
export const itFiscalCodeRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["it_fiscal_code"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const capital = tokens.capital;
    let lastStart = -1;
    for (let item = 0; item < capital.count; item++) {
      const token = capital.items[item] as number;
      const digitsStart = tokens.start[token] as number;
      let start = digitsStart - 1;
      const earliest = Math.max(0, digitsStart - 15);
      while (start > earliest && (isUpperCode(codeAt(text, start - 1)) || isDigitCode(codeAt(text, start - 1)))) start--;
      if (start === lastStart || isWordCode(codeAt(text, start - 1)) || isDigitCode(codeAt(text, start - 1))) continue;
      lastStart = start;
      const end = start + 16;
      if (end > text.length || isWordCode(codeAt(text, end)) || isDigitCode(codeAt(text, end))) continue;
      const candidate = text.slice(start, end);
      if (!isFiscalCode(candidate)) continue;
      report(out, id, "it_fiscal_code", start, end, fiscalCodeContext.near(text, start, end) ? 0.98 : 0.95);
    }
  },
};

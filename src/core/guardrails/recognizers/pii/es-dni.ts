import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isBlankCode, isUpperCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { copyDigits, nextWord, numericTokens, previousWord, runLength } from "./numeric-tokens.ts";

const id = "es-dni";

const dniContext = quickContextWords({
  en: ["dni", "nie", "nif", "spanish id", "national identity document", "identity card", "id card", "foreigner identity number"],
  de: ["dni", "nie", "nif", "spanischer personalausweis", "personalausweis", "ausweisnummer"],
  fr: ["dni", "nie", "nif", "carte d'identité", "pièce d'identité", "document national d'identité"],
});

/** The check letter for a DNI number (or a NIE with X/Y/Z already read as 0/1/2). */
export const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

const digitBuffer = new Uint8Array(8);

/** Offset just after the check letter that follows `end` ("12345678Z", "12345678-Z", "12345678 Z"), or -1. */
function letterEnd(text: string, end: number, expected: string): number {
  let index = end;
  const code = codeAt(text, index);
  if (code === 45 || isBlankCode(code)) index++;
  if (text[index] !== expected || isWordCode(codeAt(text, index + 1))) return -1;
  return index + 1;
}

/**
 * Spanish DNI (8 digits and a check letter, also written 12.345.678-Z) and NIE (X, Y or Z, 7
 * digits, check letter): the letter is the number mod 23 looked up in "TRWAGMYFPDXBNJZSQVHLCKE",
 * so a wrong letter is rejected and a random match is a 1-in-23 chance.
 */
export const esDniRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["es_dni"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      const digits = tokens.digits[token] as number;
      if (digits !== 8 && digits !== 7) continue;
      const flags = tokens.flags[token] as number;
      const firstRun = tokens.firstRun[token] as number;
      const runs = tokens.runCount[token] as number;
      let start = tokens.start[token] as number;
      let number = 0;
      if (digits === 8) {
        if ((flags & previousWord) !== 0) continue;
        const dotted = runs === 3 && runLength(tokens, firstRun) === 2 && runLength(tokens, firstRun + 1) === 3 && codeAt(text, start + 2) === 46 && codeAt(text, start + 6) === 46;
        if (runs !== 1 && !dotted) continue;
      } else {
        const prefix = codeAt(text, start - 1);
        const dashed = prefix === 45 && isUpperCode(codeAt(text, start - 2));
        const letter = dashed ? codeAt(text, start - 2) : prefix;
        if (runs !== 1 || (!dashed && (flags & previousWord) === 0) || letter < 88 || letter > 90) continue;
        start -= dashed ? 2 : 1;
        if (isWordCode(codeAt(text, start - 1))) continue;
        number = letter - 88;
      }
      if ((flags & nextWord) === 0 && codeAt(text, tokens.end[token] as number) !== 45 && !isBlankCode(codeAt(text, tokens.end[token] as number))) continue;
      const count = copyDigits(tokens, firstRun, firstRun + runs - 1, digitBuffer);
      for (let index = 0; index < count; index++) number = number * 10 + (digitBuffer[index] as number);
      const end = letterEnd(text, tokens.end[token] as number, dniLetters[number % 23] as string);
      if (end === -1) continue;
      report(out, id, "es_dni", start, end, dniContext.near(text, start, end) ? 0.95 : 0.85);
    }
  },
};

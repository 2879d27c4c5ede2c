import { codeAt, isDigitCode, isUpperCode, isWordCode } from "./characters.ts";

/**
 * Shared by the passport and driving-licence recognizers, which work from a keyword ("passport",
 * "Führerschein"...) forward: finds the document number among the next few words ("Passport No.:
 * C01X00T47", "Reisepass-Nr. 123456789", "numéro de passeport : 12AB34567").
 */
export interface DocumentNumber {
  start: number;
  end: number;
}

const wordPattern = /[\p{L}\p{N}]+/uy;
const gapPattern = /[^\p{L}\p{N}\n]{0,6}/uy;

/**
 * The first word after `from` (within `span` characters and `maxWords` words, one line) that holds
 * digits. It is returned when it is `minimum`-`maximum` upper-case letters and digits; a word with
 * digits of any other shape ends the search (it is some other number).
 */
export function documentNumberAfter(text: string, from: number, minimum: number, maximum: number, span = 40, maxWords = 5): DocumentNumber | undefined {
  let index = from;
  const limit = Math.min(text.length, from + span);
  for (let words = 0; words <= maxWords && index < limit; words++) {
    gapPattern.lastIndex = index;
    gapPattern.exec(text);
    index = gapPattern.lastIndex;
    wordPattern.lastIndex = index;
    const match = wordPattern.exec(text);
    if (match === null) return undefined;
    const value = match[0];
    let digits = 0;
    let shaped = value.length >= minimum && value.length <= maximum;
    for (let position = 0; position < value.length; position++) {
      const code = value.charCodeAt(position);
      if (isDigitCode(code)) digits++;
      else if (!isUpperCode(code)) shaped = false;
    }
    if (digits > 0) {
      const end = index + value.length;
      return shaped && !isWordCode(codeAt(text, end)) ? { start: index, end } : undefined;
    }
    index += value.length;
  }
  return undefined;
}

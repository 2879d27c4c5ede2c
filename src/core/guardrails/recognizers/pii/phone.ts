import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isBlankCode, isDigitCode, isWordCode } from "./characters.ts";
import { quickContextWords, referenceContext, report } from "./findings.ts";
import { forEachWindow, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone, type NumericTokens } from "./numeric-tokens.ts";

const id = "phone";

const phoneContext = quickContextWords({
  en: ["phone", "phone number", "tel", "telephone", "mobile", "mobile number", "mob", "cell", "cellphone", "call", "call me", "fax", "whatsapp", "contact", "landline", "ph", "reach me", "reach us", "reached at", "reachable", "dial", "hotline", "text me", "sms"],
  de: ["telefon", "telefonnummer", "tel", "handy", "handynummer", "mobil", "mobilnummer", "rufnummer", "ruf", "ruf mich", "rufen", "anrufen", "fax", "festnetz", "erreichbar", "erreichen", "durchwahl", "telefonisch"],
  fr: ["téléphone", "tél", "tel", "portable", "mobile", "numéro de téléphone", "numéro de portable", "appeler", "appelez", "appelle", "fax", "joindre", "joignable", "rappeler"],
});

/** Two-digit country calling codes in use; any other code has one digit (1, 7) or three. */
const twoDigitCodes = new Set([20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98]);
/** First two digits of the three-digit country codes (zones 2-9 outside the two-digit codes). */
const threeDigitPrefixes = new Set([21, 22, 23, 24, 25, 26, 29, 35, 37, 38, 42, 50, 59, 67, 68, 69, 80, 85, 87, 88, 96, 97, 99]);

/** True when the digits after "+" begin with an assigned country calling code. */
export function startsWithCountryCode(first: number, second: number): boolean {
  if (first === 1 || first === 7) return true;
  const two = first * 10 + second;
  return twoDigitCodes.has(two) || threeDigitPrefixes.has(two);
}

/**
 * End of an international number starting at the "+" at `plus` ("+49 30 1234567", "+1 (555)
 * 123-4567", "+44 (0)20 7946 0958"), or -1. Digits may be grouped by single blanks, "-", "." or
 * "/", and one group may be parenthesised; "(0)" (the national trunk prefix) is not counted.
 */
function internationalEnd(text: string, plus: number): number {
  let index = plus + 1;
  let digits = 0;
  let end = -1;
  let parenthesis: "none" | "open" | "closed" = "none";
  let first = -1;
  let second = -1;
  const limit = Math.min(text.length, plus + 32);
  while (index < limit) {
    const code = codeAt(text, index);
    if (isDigitCode(code)) {
      if (digits === 0) first = code - 48;
      else if (digits === 1) second = code - 48;
      digits++;
      index++;
      end = index;
      continue;
    }
    const previous = codeAt(text, index - 1);
    const next = codeAt(text, index + 1);
    if (code === 40 && parenthesis === "none" && isDigitCode(next) && digits > 0) {
      if (next === 48 && codeAt(text, index + 2) === 41) {
        index += 3;
        parenthesis = "closed";
        continue;
      }
      parenthesis = "open";
      index++;
      continue;
    }
    if (code === 41 && parenthesis === "open" && isDigitCode(previous)) {
      parenthesis = "closed";
      index++;
      end = index;
      continue;
    }
    const separator = isBlankCode(code) || code === 45 || code === 46 || code === 47;
    if (separator && (isDigitCode(previous) || previous === 41) && (isDigitCode(next) || next === 40)) {
      index++;
      continue;
    }
    break;
  }
  if (parenthesis === "open" || digits < 7 || digits > 15 || !startsWithCountryCode(first, second)) return -1;
  if (isDigitCode(codeAt(text, index)) || isWordCode(codeAt(text, end))) return -1;
  return codeAt(text, end - 1) === 41 ? -1 : end;
}

/** Start of "(NNN) " or "(0NN…) " written just before `start`, or -1. */
function parenthesisedAreaStart(text: string, start: number): number {
  let index = start - 1;
  if (isBlankCode(codeAt(text, index))) index--;
  if (codeAt(text, index) !== 41) return -1;
  let open = index - 1;
  while (open > index - 7 && isDigitCode(codeAt(text, open))) open--;
  const digits = index - 1 - open;
  if (codeAt(text, open) !== 40 || digits < 2 || digits > 5 || isWordCode(codeAt(text, open - 1))) return -1;
  return open;
}

/** True for N in 2-9, the first digit of a North American area code or exchange. */
function isNorthAmericanLead(code: number): boolean {
  return code >= 50 && code <= 57;
}

interface NationalShape {
  start: number;
  confidence: number;
}

/**
 * National formats: North America ("(555) 123-4567", "555-123-4567", "1-555-123-4567"), and the
 * trunk-prefix "0" numbers of the UK, Germany and France ("020 7946 0958", "030/1234567",
 * "(030) 1234567", "06 12 34 56 78"). The shapes alone stay below the default threshold, because
 * dates, amounts and ids share them; a phone word nearby lifts them over it.
 */
function nationalShape(tokens: NumericTokens, firstRun: number, lastRun: number, digits: number, separator: number): NationalShape | undefined {
  const text = tokens.text;
  const start = runStartOf(tokens, firstRun);
  const runs = lastRun - firstRun + 1;
  const lead = codeAt(text, start);
  const length = (run: number): number => runLength(tokens, firstRun + run);
  const grouped = separator === 45 || separator === 46 || isBlankCode(separator);
  const open = parenthesisedAreaStart(text, start);
  if (open !== -1) {
    const close = text.indexOf(")", open);
    const areaDigits = close - open - 1;
    const areaLead = codeAt(text, open + 1);
    const northAmerican = areaDigits === 3 && isNorthAmericanLead(areaLead) && isNorthAmericanLead(lead) && digits === 7;
    if (northAmerican && (runs === 1 || (runs === 2 && length(0) === 3 && grouped))) return { start: open, confidence: 0.45 };
    if (areaLead === 48 && areaDigits + digits >= 6 && areaDigits + digits <= 12 && (runs === 1 || grouped)) return { start: open, confidence: 0.4 };
    return undefined;
  }
  if (runs === 3 && digits === 10 && length(0) === 3 && length(1) === 3 && grouped && isNorthAmericanLead(lead) && isNorthAmericanLead(codeAt(text, runStartOf(tokens, firstRun + 1)))) {
    return { start, confidence: 0.4 };
  }
  if (runs === 4 && digits === 11 && lead === 49 && length(0) === 1 && length(1) === 3 && length(2) === 3 && grouped) return { start, confidence: 0.4 };
  if (lead === 48 && runs >= 2 && codeAt(text, start + 1) !== 48 && digits >= 9 && length(0) >= 2 && length(0) <= 5 && (grouped || separator === 47)) {
    return { start, confidence: 0.4 };
  }
  return undefined;
}

/** Bare national numbers: ten or eleven digits after a trunk "0", or NXX NXX XXXX. */
function isBareNational(text: string, start: number, digits: number): boolean {
  const lead = codeAt(text, start);
  if (lead === 48) return (digits === 10 || digits === 11) && codeAt(text, start + 1) !== 48;
  return digits === 10 && isNorthAmericanLead(lead) && isNorthAmericanLead(codeAt(text, start + 3));
}

/**
 * Phone numbers. International numbers ("+" and a real country calling code, 7-15 digits) are
 * confident on their own; national formats need a phone word nearby ("Tel.", "Handy", "portable"...)
 * to pass the default threshold, and words like "order" or "Rechnungsnummer" push them down.
 */
export const phoneRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["phone"],
  scan(text: string, out: Finding[]): void {
    let plus = text.indexOf("+");
    while (plus !== -1) {
      const end = isWordCode(codeAt(text, plus - 1)) || isDigitCode(codeAt(text, plus - 1)) ? -1 : internationalEnd(text, plus);
      if (end !== -1) {
        let confidence = 0.75;
        if (phoneContext.near(text, plus, end)) confidence += 0.15;
        else if (referenceContext.near(text, plus, end, 32, 0)) confidence -= 0.3;
        report(out, id, "phone", plus, end, confidence);
      }
      plus = text.indexOf("+", end === -1 ? plus + 1 : end);
    }
    const tokens = numericTokens(text);
    let reportedEnd = -1;
    const visit = (token: number, firstRun: number, lastRun: number, digits: number, separator: number): void => {
      const start = runStartOf(tokens, firstRun);
      // Cheap shape gate first: a trunk "0", a leading "1-", a North American lead or "(area) ".
      const lead = codeAt(text, start);
      const runs = lastRun - firstRun + 1;
      if (lead !== 48 && !(runs >= 3 && isNorthAmericanLead(lead)) && !(runs === 4 && lead === 49) && codeAt(text, start - 2) !== 41 && codeAt(text, start - 1) !== 41) {
        if (runs !== 1 || digits !== 10 || !isNorthAmericanLead(lead)) return;
      }
      if (start < reportedEnd || !windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      const end = runEndOf(tokens, lastRun);
      let shape = nationalShape(tokens, firstRun, lastRun, digits, separator);
      let needsContext = false;
      if (shape === undefined) {
        if (firstRun !== lastRun || !isBareNational(text, start, digits)) return;
        shape = { start, confidence: 0.3 };
        needsContext = true;
      }
      let confidence = shape.confidence;
      if (phoneContext.near(text, shape.start, end)) confidence += 0.3;
      else if (needsContext) return;
      else if (referenceContext.near(text, shape.start, end, 32, 0)) confidence -= 0.3;
      report(out, id, "phone", shape.start, end, confidence);
      reportedEnd = end;
    };
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      const tokenStart = tokens.start[token] as number;
      const before = codeAt(text, tokenStart - 1);
      if (before === 43 || (before === 40 && codeAt(text, tokenStart - 2) === 43)) continue;
      reportedEnd = -1;
      forEachWindow(tokens, token, 6, 12, visit);
    }
  },
};

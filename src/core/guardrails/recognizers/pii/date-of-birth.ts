import type { Finding, Recognizer } from "../../types.ts";
import { quickContextWords, report } from "./findings.ts";
import { forEachWindow, nextWord, numericTokens, runEndOf, runLength, runStartOf, windowStandsAlone, type NumericTokens } from "./numeric-tokens.ts";
import { codeAt } from "./characters.ts";

const id = "date-of-birth";

const birthContext = quickContextWords({
  en: ["born", "born on", "date of birth", "birth date", "birthdate", "dob", "d.o.b", "d.o.b.", "birthday"],
  de: ["geboren", "geboren am", "geb.", "geb", "geburtsdatum", "geburtstag", "geb.-datum"],
  fr: ["né", "née", "né le", "née le", "date de naissance", "date naissance", "naissance", "anniversaire", "né(e) le"],
});

/** Month names and abbreviations in en/de/fr, lower case, mapped to 1-12. */
const months = new Map<string, number>();
const monthNames: ReadonlyArray<readonly string[]> = [
  ["january", "jan", "januar", "jänner", "janvier", "janv"],
  ["february", "feb", "februar", "feber", "février", "fevrier", "févr", "fév"],
  ["march", "mar", "märz", "maerz", "mars"],
  ["april", "apr", "avril", "avr"],
  ["may", "mai"],
  ["june", "jun", "juni", "juin"],
  ["july", "jul", "juli", "juillet", "juil"],
  ["august", "aug", "août", "aout"],
  ["september", "sep", "sept", "septembre"],
  ["october", "oct", "oktober", "okt", "octobre"],
  ["november", "nov", "novembre"],
  ["december", "dec", "dezember", "dez", "décembre", "decembre", "déc"],
];
monthNames.forEach((names, index) => {
  for (const name of names) months.set(name, index + 1);
});

function validDay(day: number, month: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 ? 29 : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
}

function numberAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let index = start; index < end; index++) value = value * 10 + codeAt(text, index) - 48;
  return value;
}

/** True for a plausible birth year: four digits 1900-2099, or any two digits. */
function validYear(length: number, value: number): boolean {
  return length === 2 || (length === 4 && value >= 1900 && value <= 2099);
}

/** Numeric dates: D.M.Y, D/M/Y, M/D/Y, D-M-Y with 2- or 4-digit years, and ISO Y-M-D. */
function isNumericDate(tokens: NumericTokens, firstRun: number, separator: number): boolean {
  const text = tokens.text;
  const lengths = [runLength(tokens, firstRun), runLength(tokens, firstRun + 1), runLength(tokens, firstRun + 2)];
  const values = [0, 1, 2].map((offset) => numberAt(text, runStartOf(tokens, firstRun + offset), runEndOf(tokens, firstRun + offset)));
  const [first, second, third] = values as [number, number, number];
  if (lengths[0] === 4) return lengths[1]! <= 2 && lengths[2]! <= 2 && validYear(4, first) && validDay(third, second);
  if (lengths[0]! > 2 || lengths[1]! > 2 || !validYear(lengths[2]!, third)) return false;
  // "1.2.34" is far more often a version than a date: short dotted dates need two-digit parts.
  if (lengths[2] === 2 && separator === 46 && (lengths[0] !== 2 || lengths[1] !== 2)) return false;
  return validDay(first, second) || validDay(second, first);
}

/** "12 March ", "12. März ", "1er mars " right before a year (the slice ends where the year starts). */
const dayThenMonth = /(?:^|[^\p{L}\p{N}])((\d{1,2})(?:\.|er)? (\p{L}+)\.? )$/u;
/** "March 12, " and "Mar. 3rd " right before a year. */
const monthThenDay = /(?:^|[^\p{L}\p{N}])((\p{L}+)\.? (\d{1,2})(?:st|nd|rd|th)?,? )$/u;

/** Start of a day and month name written just before the year at `yearStart`, or -1. */
function monthNameDateStart(text: string, yearStart: number): number {
  const from = Math.max(0, yearStart - 24);
  const before = text.slice(from, yearStart);
  const dayFirst = dayThenMonth.exec(before);
  const match = dayFirst ?? monthThenDay.exec(before);
  if (match === null) return -1;
  const date = match[1] ?? "";
  const dayText = (dayFirst === null ? match[3] : match[2]) ?? "";
  const monthText = (dayFirst === null ? match[2] : match[3]) ?? "";
  const month = months.get(monthText.toLowerCase());
  if (month === undefined || !validDay(Number(dayText), month)) return -1;
  return from + match.index + match[0].length - date.length;
}

/**
 * Dates of birth: a date — numeric (12.03.1985, 03/12/1985, 1985-03-12) or with an en/de/fr
 * month name (12 March 1985, March 12, 1985, 12. März 1985, 12 mars 1985) — reported only when a
 * birth word ("born", "DOB", "geboren", "Geburtsdatum", "né le", "date de naissance") is near.
 * Every other date (invoices, deliveries, timestamps) is left alone.
 */
export const dateOfBirthRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["date_of_birth"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, _digits: number, separator: number): void => {
      if (lastRun - firstRun !== 2 || (separator !== 46 && separator !== 47 && separator !== 45)) return;
      if (!windowStandsAlone(tokens, token, firstRun, lastRun) || !isNumericDate(tokens, firstRun, separator)) return;
      found(runStartOf(tokens, firstRun), runEndOf(tokens, lastRun));
    };
    const found = (start: number, end: number): void => {
      // "born on 3 May 1990", but also "am 03.09.1953 geboren".
      if (birthContext.near(text, start, end, 48, 24)) report(out, id, "date_of_birth", start, end, 0.8);
    };
    for (const list of [tokens.long, tokens.multi]) {
      for (let item = 0; item < list.count; item++) {
        const token = list.items[item] as number;
        const runs = tokens.runCount[token] as number;
        if (runs < 3) continue;
        if (((tokens.flags[token] as number) & nextWord) !== 0 && codeAt(text, tokens.end[token] as number) === 84) continue;
        forEachWindow(tokens, token, 4, 8, visit);
      }
    }
    const worded = tokens.worded;
    for (let item = 0; item < worded.count; item++) {
      const token = worded.items[item] as number;
      if ((tokens.digits[token] as number) !== 4) continue;
      const yearStart = tokens.start[token] as number;
      const yearEnd = tokens.end[token] as number;
      if (!validYear(4, numberAt(text, yearStart, yearEnd))) continue;
      const start = monthNameDateStart(text, yearStart);
      if (start !== -1) found(start, yearEnd);
    }
  },
};

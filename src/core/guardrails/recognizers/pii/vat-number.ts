import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isBlankCode, isDigitCode, isUpperCode, isWordCode } from "./characters.ts";
import { alphanumericModulo97, decimalModulo, iso7064Mod11Radix10, luhnValid, weightedSum } from "./checksums.ts";
import { dniLetters } from "./es-dni.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens, previousSpacedWord, previousWord } from "./numeric-tokens.ts";

const id = "vat-number";

const vatContext = quickContextWords({
  en: ["vat", "vat no", "vat number", "vat id", "vat reg", "vat registration", "tax number", "eu vat"],
  de: ["ust-idnr", "ust-id", "ustidnr", "ust.-idnr", "umsatzsteuer-id", "umsatzsteuer-identifikationsnummer", "umsatzsteuer", "uid", "uid-nummer", "mwst", "mwst-nummer"],
  fr: ["tva", "numéro de tva", "n° tva", "tva intracommunautaire", "numéro de tva intracommunautaire", "identifiant tva"],
});

interface VatRule {
  /** Lengths of the part after the country prefix, without separators. */
  lengths: readonly number[];
  format: RegExp;
  /** The country's published check, where there is a standard one. */
  check?: (body: string) => boolean;
  /** False for the forms the check does not cover (French letter keys, UK GD/HA numbers). */
  checkCovers?: (body: string) => boolean;
}

function digitsOf(body: string, from = 0, to = body.length): number[] {
  const digits: number[] = [];
  for (let index = from; index < to; index++) digits.push(body.charCodeAt(index) - 48);
  return digits;
}

/** Spanish CIF control: the seven middle digits, odd places doubled (digit sums), as a digit or letter. */
function spanishCifControl(body: string): number {
  const digits = digitsOf(body, 1, 8);
  let sum = 0;
  for (let index = 0; index < 7; index++) {
    const value = digits[index] as number;
    if (index % 2 === 0) {
      const doubled = value * 2;
      sum += Math.floor(doubled / 10) + (doubled % 10);
    } else sum += value;
  }
  return (10 - (sum % 10)) % 10;
}

function spanishCheck(body: string): boolean {
  const first = body[0] as string;
  const last = body[8] as string;
  if (isDigitCode(first.charCodeAt(0))) return dniLetters[Number(body.slice(0, 8)) % 23] === last;
  if ("XYZ".includes(first)) return dniLetters[Number(String("XYZ".indexOf(first)) + body.slice(1, 8)) % 23] === last;
  if ("KLM".includes(first)) return dniLetters[Number(body.slice(1, 8)) % 23] === last;
  const control = spanishCifControl(body);
  return last === String(control) || last === "JABCDEFGHI"[control];
}

/**
 * UK (and Northern Ireland) check: 8 7 6 5 4 3 2 times the first seven digits plus the two check
 * digits is a multiple of 97 (or, for the series issued since 2009, 55 more is). Government and
 * health authority numbers (GD, HA) have no check digits.
 */
function britishCheck(body: string): boolean {
  if (body.startsWith("GD") || body.startsWith("HA")) return true;
  const digits = digitsOf(body, 0, 9);
  const total = weightedSum(digits, [8, 7, 6, 5, 4, 3, 2]) + Number(body.slice(7, 9));
  return total % 97 === 0 || (total + 55) % 97 === 0;
}

/** VAT identifiers by country prefix: the EU states (Greece as EL), GB, and XI for Northern Ireland. */
const rules: Readonly<Record<string, VatRule>> = {
  AT: {
    lengths: [9],
    format: /^U\d{8}$/,
    check(body) {
      const digits = digitsOf(body, 1);
      let sum = 0;
      for (let index = 0; index < 7; index++) {
        const value = (digits[index] as number) * (index % 2 === 0 ? 1 : 2);
        sum += value > 9 ? value - 9 : value;
      }
      return (10 - ((sum + 4) % 10)) % 10 === digits[7];
    },
  },
  BE: { lengths: [10], format: /^[01]\d{9}$/, check: (body) => 97 - decimalModulo(digitsOf(body), 0, 8, 97) === Number(body.slice(8)) },
  BG: { lengths: [9, 10], format: /^\d{9,10}$/ },
  CY: { lengths: [9], format: /^\d{8}[A-Z]$/ },
  CZ: { lengths: [8, 9, 10], format: /^\d{8,10}$/ },
  DE: { lengths: [9], format: /^[1-9]\d{8}$/, check: (body) => iso7064Mod11Radix10(digitsOf(body), 8) === body.charCodeAt(8) - 48 },
  DK: { lengths: [8], format: /^[1-9]\d{7}$/, check: (body) => weightedSum(digitsOf(body), [2, 7, 6, 5, 4, 3, 2, 1]) % 11 === 0 },
  EE: { lengths: [9], format: /^10\d{7}$/, check: (body) => (10 - (weightedSum(digitsOf(body), [3, 7, 1, 3, 7, 1, 3, 7]) % 10)) % 10 === body.charCodeAt(8) - 48 },
  EL: {
    lengths: [9],
    format: /^\d{9}$/,
    check(body) {
      const digits = digitsOf(body);
      let sum = 0;
      for (let index = 0; index < 8; index++) sum += (digits[index] as number) * 2 ** (8 - index);
      return (sum % 11) % 10 === digits[8];
    },
  },
  ES: { lengths: [9], format: /^[A-Z0-9]\d{7}[A-Z0-9]$/, check: spanishCheck },
  FI: {
    lengths: [8],
    format: /^\d{8}$/,
    check(body) {
      const remainder = weightedSum(digitsOf(body), [7, 9, 10, 5, 8, 4, 2]) % 11;
      if (remainder === 1) return false;
      return (remainder === 0 ? 0 : 11 - remainder) === body.charCodeAt(7) - 48;
    },
  },
  FR: {
    lengths: [11],
    format: /^[0-9A-HJ-NP-Z]{2}\d{9}$/,
    checkCovers: (body) => /^\d\d/.test(body),
    check(body) {
      if (!/^\d\d/.test(body)) return true;
      const siren = digitsOf(body, 2);
      return luhnValid(siren, 9) && (12 + 3 * decimalModulo(siren, 0, 9, 97)) % 97 === Number(body.slice(0, 2));
    },
  },
  HR: { lengths: [11], format: /^\d{11}$/, check: (body) => iso7064Mod11Radix10(digitsOf(body), 10) === body.charCodeAt(10) - 48 },
  HU: { lengths: [8], format: /^\d{8}$/, check: (body) => (10 - (weightedSum(digitsOf(body), [9, 7, 3, 1, 9, 7, 3]) % 10)) % 10 === body.charCodeAt(7) - 48 },
  IE: { lengths: [8, 9], format: /^(?:\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/ },
  IT: { lengths: [11], format: /^\d{11}$/, check: (body) => luhnValid(digitsOf(body), 11) },
  LT: { lengths: [9, 12], format: /^\d{9}(?:\d{3})?$/ },
  LU: { lengths: [8], format: /^\d{8}$/, check: (body) => decimalModulo(digitsOf(body), 0, 6, 89) === Number(body.slice(6)) },
  LV: { lengths: [11], format: /^\d{11}$/ },
  MT: { lengths: [8], format: /^[1-9]\d{7}$/ },
  NL: {
    lengths: [12],
    format: /^\d{9}B\d{2}$/,
    check(body) {
      const digits = digitsOf(body, 0, 9);
      const remainder = weightedSum(digits, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
      if (remainder !== 10 && remainder === digits[8]) return true;
      // Since 2020 sole traders get numbers checked like an IBAN: "NL" + the number, mod 97 = 1.
      return alphanumericModulo97(`NL${body}`) === 1;
    },
  },
  PL: {
    lengths: [10],
    format: /^\d{10}$/,
    check(body) {
      const remainder = weightedSum(digitsOf(body), [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
      return remainder !== 10 && remainder === body.charCodeAt(9) - 48;
    },
  },
  PT: {
    lengths: [9],
    format: /^[1-9]\d{8}$/,
    check(body) {
      const check = 11 - (weightedSum(digitsOf(body), [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
      return (check >= 10 ? 0 : check) === body.charCodeAt(8) - 48;
    },
  },
  RO: { lengths: [2, 3, 4, 5, 6, 7, 8, 9, 10], format: /^[1-9]\d{1,9}$/ },
  SE: { lengths: [12], format: /^\d{10}01$/, check: (body) => luhnValid(digitsOf(body), 10) },
  SI: { lengths: [8], format: /^[1-9]\d{7}$/ },
  SK: { lengths: [10], format: /^[1-9]\d{9}$/, check: (body) => decimalModulo(digitsOf(body), 0, 10, 11) === 0 },
  GB: { lengths: [5, 9, 12], format: /^(?:\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})$/, check: britishCheck, checkCovers: (body) => /^\d/.test(body) },
  XI: { lengths: [5, 9, 12], format: /^(?:\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})$/, check: britishCheck, checkCovers: (body) => /^\d/.test(body) },
};

const longestBody = 12;

/**
 * Reads the identifier after the prefix at `from` (one optional blank first): upper-case letters
 * and digits, with single blanks, dots or dashes allowed between digits ("DE 123 456 789",
 * "BE 0123.456.789"). Returns the longest allowed body ending at a boundary, or undefined.
 */
function readBody(text: string, from: number, rule: VatRule): { body: string; end: number } | undefined {
  let index = from;
  if (isBlankCode(codeAt(text, index))) index++;
  let body = "";
  let best: { body: string; end: number } | undefined;
  while (body.length <= longestBody) {
    const code = codeAt(text, index);
    if (isUpperCode(code) || isDigitCode(code)) {
      body += text[index] as string;
      index++;
      const next = codeAt(text, index);
      if (!isUpperCode(next) && !isDigitCode(next) && !isWordCode(next) && rule.lengths.includes(body.length)) best = { body, end: index };
      continue;
    }
    const separator = isBlankCode(code) || code === 46 || code === 45;
    if (separator && isDigitCode(codeAt(text, index - 1)) && isDigitCode(codeAt(text, index + 1)) && body.length > 0) {
      index++;
      continue;
    }
    break;
  }
  return best;
}

/**
 * EU VAT identification numbers: a country prefix and that country's format. Where the member
 * state publishes a standard check (AT, BE, DE, DK, EE, EL, ES, FI, FR, HR, HU, IT, LU, NL, PL,
 * PT, SE, SK, and the UK's GB/XI) it must pass and the finding is confident; the other countries
 * (BG, CY, CZ, IE, LT, LV, MT, RO, SI) are format-only and need a VAT word nearby ("USt-IdNr",
 * "TVA", "VAT") to pass the default threshold. A French number with a letter key has no numeric
 * check either and is taken on its format.
 */
export const vatNumberRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["vat_number"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    let lastStart = -1;
    const consider = (token: number): void => {
      const flags = tokens.flags[token] as number;
      const digitsStart = tokens.start[token] as number;
      let prefixEnd: number;
      if ((flags & previousSpacedWord) !== 0) prefixEnd = digitsStart - 1;
      else if ((flags & previousWord) !== 0) {
        // "DE123…", "ATU123…", "ESX123…", "FRXX123…": the prefix is the first two of 2-4 capitals.
        let letters = 0;
        while (letters < 4 && isUpperCode(codeAt(text, digitsStart - letters - 1))) letters++;
        if (letters < 2) return;
        prefixEnd = digitsStart - letters + 2;
      } else return;
      const start = prefixEnd - 2;
      if (start === lastStart || !isUpperCode(codeAt(text, start)) || !isUpperCode(codeAt(text, start + 1)) || isWordCode(codeAt(text, start - 1))) return;
      const rule = rules[text.slice(start, prefixEnd)];
      if (rule === undefined) return;
      const read = readBody(text, prefixEnd, rule);
      if (read === undefined || !rule.format.test(read.body)) return;
      if (rule.check !== undefined && !rule.check(read.body)) return;
      lastStart = start;
      const context = vatContext.near(text, start, read.end);
      const verified = rule.check !== undefined && (rule.checkCovers?.(read.body) ?? true);
      const confidence = verified ? (context ? 0.98 : 0.95) : context ? 0.75 : 0.45;
      report(out, id, "vat_number", start, read.end, confidence);
    };
    const capital = tokens.capital;
    for (let item = 0; item < capital.count; item++) consider(capital.items[item] as number);
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if (((tokens.flags[token] as number) & previousSpacedWord) !== 0) consider(token);
    }
  },
};

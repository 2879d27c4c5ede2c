import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isLetterCode, isUpperCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { nextSpacedWord, nextWord, numericTokens, previousSpacedWord, type TokenList } from "./numeric-tokens.ts";

const id = "postal-address";

const addressContext = quickContextWords({
  en: ["address", "home address", "postal address", "mailing address", "lives at", "live at", "ship to", "deliver to", "residence", "located at"],
  de: ["adresse", "anschrift", "wohnhaft", "wohnort", "wohne", "wohnt", "lieferadresse", "postanschrift", "wohnanschrift"],
  fr: ["adresse", "domicile", "domicilié", "domiciliée", "habite", "demeurant", "adresse postale", "adresse de livraison"],
});

/** German-style street words that end the name before the number ("Hauptstraße 5", "Lindenweg 7"). */
const germanSuffixes = ["straße", "strasse", "str.", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "steig", "pfad", "markt", "gässchen", "hof"];
/** French street types that follow the number ("12 rue de la Paix"). */
const frenchTypes = new Set(["rue", "avenue", "av.", "av", "boulevard", "bd", "bd.", "place", "chemin", "allée", "impasse", "quai", "route", "cours", "square", "passage", "faubourg"]);
/** English street types that end the name after the number ("221B Baker Street"). */
const englishTypes = new Set(["street", "st", "st.", "road", "rd", "rd.", "avenue", "ave", "ave.", "lane", "ln", "drive", "dr", "dr.", "boulevard", "blvd", "blvd.", "way", "court", "ct", "place", "pl", "square", "sq", "terrace", "close", "crescent", "parkway", "pkwy", "highway", "hwy", "row", "mews", "gardens", "grove", "hill", "walk"]);

const word = /\p{L}[\p{L}'’-]*\.?/uy;
/** ", 10115 Berlin", " 75002 Paris", ", 1010 Wien": a 4-5 digit postcode and a capitalised town. */
const postcodeTown = /,? (?:[A-Z]{1,2}-)?\d{4,5} \p{Lu}[\p{L}'’-]*(?: (?:am|an der|a\.|sur|sous|de|upon|on) ?\p{Lu}?[\p{L}'’-]*)?/uy;
/** ", Springfield, IL 62704" and ", London SW1A 2AA". */
const townPostcode = /,? \p{Lu}[\p{L}'’-]*(?: \p{Lu}[\p{L}'’-]*)?(?:, [A-Z]{2} \d{5}(?:-\d{4})?| [A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})/uy;

/** Last letters of the German street words, lower case: a cheap test before the real one. */
const germanEndings = new Set(germanSuffixes.map((suffix) => suffix.charCodeAt(suffix.length - 2) * 65536 + suffix.charCodeAt(suffix.length - 1)));

/** ASCII capitals lowered; everything else as it is. */
function lowered(code: number): number {
  return code >= 65 && code <= 90 ? code | 32 : code;
}

/** True when the word ending just before the blank at `blank` ends like a German street word. */
function endsLikeStreetWord(text: string, blank: number): boolean {
  return germanEndings.has(lowered(codeAt(text, blank - 2)) * 65536 + lowered(codeAt(text, blank - 1)));
}

/** French street types by their first letter. */
const frenchTypesByLetter = new Map<number, string[]>();
for (const type of frenchTypes) {
  const first = type.charCodeAt(0);
  frenchTypesByLetter.set(first, [...(frenchTypesByLetter.get(first) ?? []), type]);
}

/** The French street type starting at `index` in lower case ("rue", "avenue"...), or undefined. */
function frenchTypeAt(text: string, index: number): string | undefined {
  for (const type of frenchTypesByLetter.get(codeAt(text, index)) ?? []) {
    if (text.startsWith(type, index) && !isWordCode(codeAt(text, index + type.length))) return type;
  }
  return undefined;
}

/** First letters of French street types, and any capital (English street names are capitalised). */
function mayStartStreetName(code: number): boolean {
  if (isUpperCode(code)) return true;
  return code === 114 || code === 97 || code === 98 || code === 112 || code === 99 || code === 105 || code === 113 || code === 115 || code === 102 || (code >= 0xc0 && isLetterCode(code));
}

function wordAt(text: string, index: number): string | undefined {
  word.lastIndex = index;
  return word.exec(text)?.[0];
}

/** End of a postcode and town right after `end`, or `end`. */
function townEnd(text: string, end: number): number {
  for (const pattern of [postcodeTown, townPostcode]) {
    pattern.lastIndex = end;
    const match = pattern.exec(text);
    if (match !== null && !isWordCode(codeAt(text, end + match[0].length))) return end + match[0].length;
  }
  return end;
}

/** Start of a capitalised street name ending with a German street word just before the blank at `blank`, or -1. */
function germanStreetStart(text: string, blank: number): number {
  let start = blank;
  while (start > blank - 40 && (isLetterCode(codeAt(text, start - 1)) || codeAt(text, start - 1) === 45 || codeAt(text, start - 1) === 46)) start--;
  if (start === blank || (!isUpperCode(codeAt(text, start)) && !/\p{Lu}/u.test(text[start] ?? ""))) return -1;
  const name = text.slice(start, blank).toLowerCase();
  if (!germanSuffixes.some((suffix) => name.endsWith(suffix))) return -1;
  // "Berliner Straße", "Am Alten Markt": take in one capitalised word before.
  if (codeAt(text, start - 1) === 32 && (name === "straße" || name === "strasse" || name === "str." || name === "allee" || name === "platz" || name === "weg" || name === "ring")) {
    let previous = start - 1;
    while (previous > start - 30 && isLetterCode(codeAt(text, previous - 1))) previous--;
    if (previous < start - 1 && /\p{Lu}/u.test(text[previous] ?? "")) start = previous;
  }
  return start;
}

/** End of a French or English street name starting with the word at `index`, or -1. */
function streetAfterNumber(text: string, index: number): number {
  // Lower case can only be a French type; English street names are capitalised.
  if (!isUpperCode(codeAt(text, index)) && codeAt(text, index) < 0xc0 && frenchTypeAt(text, index) === undefined) return -1;
  const first = wordAt(text, index);
  if (first === undefined) return -1;
  if (frenchTypes.has(first.toLowerCase())) {
    // "rue de la Paix", "avenue des Champs-Élysées": the type, then one to five name words.
    const typeEnd = index + first.length;
    let end = typeEnd;
    for (let words = 0; words < 5 && codeAt(text, end) === 32; words++) {
      const next = wordAt(text, end + 1);
      if (next === undefined) break;
      end += 1 + next.length;
      if (/\p{Lu}/u.test(next[0] ?? "")) {
        const after = wordAt(text, end + 1);
        if (codeAt(text, end) !== 32 || after === undefined || !/\p{Lu}/u.test(after[0] ?? "")) break;
      }
    }
    return end > typeEnd ? end : -1;
  }
  // "Baker Street", "Pennsylvania Avenue NW": capitalised words until a street type.
  let end = index;
  let current: string | undefined = first;
  for (let words = 0; words < 4 && current !== undefined && /\p{Lu}/u.test(current[0] ?? ""); words++) {
    end += current.length;
    if (words > 0 && englishTypes.has(current.toLowerCase())) {
      const direction = / (?:NE|NW|SE|SW|N|S|E|W)\b/y;
      direction.lastIndex = end;
      return direction.test(text) ? direction.lastIndex : end;
    }
    if (codeAt(text, end) !== 32) return -1;
    end++;
    current = wordAt(text, end);
  }
  return -1;
}

/**
 * Postal addresses, heuristically: a house number next to a street word in en/de/fr — "Hauptstraße
 * 5", "Bahnhofstr. 12a", "12 rue de la Paix", "221B Baker Street" — extended over a following
 * postcode and town when there is one. Street words are common in ordinary prose, so the
 * confidence is modest, and rises with a postcode or an address word nearby.
 */
export const postalAddressRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["postal_address"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    let lastEnd = -1;
    const visit = (list: TokenList): void => {
      for (let item = 0; item < list.count; item++) {
        const token = list.items[item] as number;
        const flags = tokens.flags[token] as number;
        const numberStart = tokens.start[token] as number;
        if (numberStart < lastEnd || (tokens.runCount[token] as number) !== 1 || (tokens.digits[token] as number) > 4) continue;
        let numberEnd = tokens.end[token] as number;
        if ((flags & nextWord) !== 0) {
          // A house-number letter ("12a", "221B"), then a blank or punctuation.
          if (!isLetterCode(codeAt(text, numberEnd)) || isWordCode(codeAt(text, numberEnd + 1))) continue;
          numberEnd++;
        }
        let start = -1;
        let end = -1;
        if ((flags & previousSpacedWord) !== 0 && endsLikeStreetWord(text, numberStart - 1)) {
          start = germanStreetStart(text, numberStart - 1);
          if (start !== -1) end = numberEnd;
        }
        if (start === -1 && codeAt(text, numberEnd) === 32 && mayStartStreetName(codeAt(text, numberEnd + 1)) && !isWordCode(codeAt(text, numberStart - 1))) {
          let nameStart = numberEnd + 1;
          if ((text.startsWith("bis", nameStart) || text.startsWith("ter", nameStart)) && codeAt(text, nameStart + 3) === 32) nameStart += 4;
          const streetEnd = streetAfterNumber(text, nameStart);
          if (streetEnd !== -1) {
            start = numberStart;
            end = streetEnd;
          }
        }
        if (start === -1) continue;
        const withTown = townEnd(text, end);
        let confidence = withTown > end ? 0.7 : 0.55;
        if (addressContext.near(text, start, withTown)) confidence += 0.15;
        report(out, id, "postal_address", start, withTown, confidence);
        lastEnd = withTown;
      }
    };
    visit(tokens.worded);
    lastEnd = -1;
    visit(tokens.wordStart);
  },
};

import { clampConfidence, contextWords, type ContextMatcher, type ContextWordList } from "../../context.ts";
import type { DataType } from "../../data-types.ts";
import type { Finding } from "../../types.ts";
import { codeAt, isWordCode } from "./characters.ts";

/** Appends one PII finding, its confidence clamped to 0..1 and rounded to two places. */
export function report(out: Finding[], recognizer: string, type: DataType, start: number, end: number, confidence: number): void {
  out.push({ type, category: "pii", start, end, confidence: Math.round(clampConfidence(confidence) * 100) / 100, recognizer });
}

/**
 * A phrase as it also appears as a key in logs, JSON and code: "date of birth" as date_of_birth,
 * date-of-birth and dateOfBirth (matching ignores case), next to the phrase itself.
 */
export function keyForms(phrase: string): string[] {
  if (!/[ -]/.test(phrase)) return [phrase];
  return [...new Set([phrase, phrase.replace(/[ -]+/g, "_"), phrase.replace(/[ -]+/g, "-"), phrase.replace(/[ -]+/g, "")])];
}

/**
 * contextWords() with key forms of every phrase (see keyForms) and a quick rejection in front. The shared matcher lower-cases the window and
 * searches it once per word, about 1.5-2 µs per question on the machine we measured; most
 * candidates have none of the words nearby, and one case-insensitive regex over the same window
 * says so in a fraction of that. Only when it finds a word does the exact matcher decide, so the
 * answers are the same (the regex's matches are a superset: it ignores word boundaries).
 */
export function quickContextWords(list: ContextWordList): ContextMatcher {
  const expanded: ContextWordList = {};
  for (const [language, words] of Object.entries(list) as Array<[keyof ContextWordList, readonly string[]]>) expanded[language] = words.flatMap(keyForms);
  const exact = contextWords(expanded);
  const words = [...new Set(Object.values(expanded).flat().map((word) => word.toLowerCase()))].filter((word) => word.length > 0);
  if (words.length === 0) return exact;
  const escaped = words.sort((left, right) => right.length - left.length).map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  const anyWord = new RegExp(escaped.join("|"), "i");
  return {
    near(text, start, end, before = 48, after = 16) {
      // Windows are widened to whole words: cut at a fixed width, "Abrechnung" would end in a
      // window as "rechnung" and count as the word "Rechnung".
      let from = Math.max(0, start - before);
      while (from > 0 && from > start - before - 24 && isWordCode(codeAt(text, from - 1)) && isWordCode(codeAt(text, from))) from--;
      let to = Math.min(text.length, end + after);
      while (to < text.length && to < end + after + 24 && isWordCode(codeAt(text, to - 1)) && isWordCode(codeAt(text, to))) to++;
      const hit = (before > 0 && anyWord.test(text.slice(from, start))) || (after > 0 && anyWord.test(text.slice(end, to)));
      return hit && exact.near(text, start, end, before > 0 ? start - from : 0, after > 0 ? to - end : 0);
    },
  };
}

/**
 * Words that make a number something other than personal data: "order 4111…", "Rechnungsnummer
 * 123456789", "numéro de commande …". Recognizers without a strong checksum lower their confidence
 * when one of these stands just before a candidate.
 */
export const referenceContext = quickContextWords({
  en: ["order", "order no", "order number", "invoice", "invoice no", "invoice number", "tracking", "tracking number", "shipment", "parcel", "reference", "ref", "ticket", "transaction", "receipt", "sku", "serial", "serial number", "part number", "customer number", "account number"],
  de: ["bestellung", "bestellnummer", "bestell-nr", "auftrag", "auftragsnummer", "rechnung", "rechnungsnummer", "rechnungs-nr", "sendungsnummer", "sendung", "paket", "referenz", "vorgang", "vorgangsnummer", "kundennummer", "artikelnummer", "seriennummer", "ticket"],
  fr: ["commande", "numéro de commande", "n° de commande", "facture", "numéro de facture", "suivi", "numéro de suivi", "colis", "référence", "réf", "dossier", "ticket", "numéro de série"],
});

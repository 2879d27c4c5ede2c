/**
 * One shared scan for the words that introduce identity documents: "pass" (passport, Reisepass,
 * Passnummer, passeport), "licence"/"license", "Führerschein" and "permis". The passport and
 * driving-licence recognizers both start from these words; one case-insensitive regex finds them
 * all in a single native pass (measured at about half the cost of two separate passes), and the
 * result is kept for the last text scanned, like the numeric tokens, until the detector releases it.
 */

export type DocumentKeyword = "pass" | "licence" | "fuehrerschein" | "permis";

export interface DocumentKeywordHit {
  keyword: DocumentKeyword;
  start: number;
  end: number;
}

const keywordPattern = /pass|licen[cs]e|f(?:ü|ue)hrerschein|permis/gi;

let lastText: string | undefined;
let lastHits: DocumentKeywordHit[] = [];

function classify(match: string): DocumentKeyword {
  const first = match.charCodeAt(0) | 32;
  if (first === 112) return match.length === 4 ? "pass" : "permis";
  if (first === 108) return "licence";
  return "fuehrerschein";
}

/** Every keyword occurrence in `text`, in order (computed once per text). */
export function documentKeywords(text: string): readonly DocumentKeywordHit[] {
  if (text === lastText) return lastHits;
  const hits: DocumentKeywordHit[] = [];
  keywordPattern.lastIndex = 0;
  for (let match = keywordPattern.exec(text); match !== null; match = keywordPattern.exec(text)) {
    hits.push({ keyword: classify(match[0]), start: match.index, end: match.index + match[0].length });
  }
  lastText = text;
  lastHits = hits;
  return hits;
}

/** Forgets the last text and its hits (the detector calls this after every scan, see releaseNumericTokens). */
export function releaseDocumentKeywords(): void {
  lastText = undefined;
  lastHits = [];
}

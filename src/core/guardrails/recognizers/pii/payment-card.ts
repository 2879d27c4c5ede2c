import type { Finding, Recognizer } from "../../types.ts";
import { isBlankCode } from "./characters.ts";
import { luhnValid } from "./checksums.ts";
import { quickContextWords, referenceContext, report } from "./findings.ts";
import { copyDigits, forEachWindow, numericTokens, runEndOf, runLength, runStartOf, separatorAfter, windowStandsAlone, type NumericTokens } from "./numeric-tokens.ts";

const id = "payment-card";

const cardContext = quickContextWords({
  en: ["card", "card number", "card no", "credit card", "debit card", "cc", "pan", "visa", "mastercard", "amex", "american express", "discover", "jcb", "diners", "unionpay", "maestro"],
  de: ["karte", "kartennummer", "karten-nr", "kreditkarte", "kreditkartennummer", "debitkarte", "ec-karte", "girocard"],
  fr: ["carte", "numéro de carte", "carte bancaire", "carte de crédit", "carte bleue", "cb"],
});

/**
 * True when the leading digits (issuer identification number) and the length fit a card network:
 * Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay or Maestro.
 */
export function cardNetworkMatches(digits: ArrayLike<number>, length: number): boolean {
  const d = (index: number): number => digits[index] as number;
  const two = d(0) * 10 + d(1);
  const three = two * 10 + d(2);
  const four = three * 10 + d(3);
  const six = four * 100 + d(4) * 10 + d(5);
  if (d(0) === 4) return length === 13 || length === 16 || length === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return length === 16;
  if (two === 34 || two === 37) return length === 15;
  const longForm = length >= 16 && length <= 19;
  if (four === 6011 || (three >= 644 && three <= 649) || two === 65 || (six >= 622126 && six <= 622925)) return longForm;
  if (four >= 3528 && four <= 3589) return longForm;
  if ((three >= 300 && three <= 305) || four === 3095 || two === 36 || two === 38 || two === 39) return length >= 14 && length <= 19;
  if (two === 62 || two === 81) return longForm;
  if (two === 50 || (two >= 56 && two <= 58) || four === 6304 || four === 6759 || (four >= 6761 && four <= 6763)) return length >= 13 && length <= 19;
  return false;
}

/** Groups as cards are printed: fours with a shorter last group, or Amex/Diners 4-6-5 and 4-6-4. */
function groupingFits(tokens: NumericTokens, firstRun: number, lastRun: number): boolean {
  const groups = lastRun - firstRun + 1;
  if (groups === 3 && runLength(tokens, firstRun) === 4 && runLength(tokens, firstRun + 1) === 6) {
    const last = runLength(tokens, lastRun);
    return last === 5 || last === 4;
  }
  for (let run = firstRun; run < lastRun; run++) if (runLength(tokens, run) !== 4) return false;
  return runLength(tokens, lastRun) <= 4;
}

/**
 * True when a four-digit group joins the window on either side with the same separator: the window
 * is then a slice of a longer grouped number ("9400 2682 4166 0603 9138 34", a parcel id).
 */
function continuesGroups(tokens: NumericTokens, token: number, firstRun: number, lastRun: number, separator: number): boolean {
  const tokenFirst = tokens.firstRun[token] as number;
  const tokenLast = tokenFirst + (tokens.runCount[token] as number) - 1;
  if (firstRun > tokenFirst && separatorAfter(tokens, firstRun - 1) === separator && runLength(tokens, firstRun - 1) >= 4) return true;
  return lastRun < tokenLast && separatorAfter(tokens, lastRun) === separator && runLength(tokens, lastRun + 1) >= 4;
}

const digitBuffer = new Uint8Array(19);

/**
 * Payment card numbers: 13-19 digits, bare or grouped with spaces or dashes as cards print them,
 * whose leading digits match a card network and whose Luhn check digit is right. A grouped number
 * scores higher than a bare run (a random 16-digit id passes Luhn one time in ten); card words
 * nearby raise it, order/invoice/tracking words lower it.
 */
export const paymentCardRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["payment_card"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const visit = (token: number, firstRun: number, lastRun: number, digits: number, separator: number): void => {
      if (separator !== 0 && separator !== 45 && !isBlankCode(separator)) return;
      if (separator !== 0 && (!groupingFits(tokens, firstRun, lastRun) || continuesGroups(tokens, token, firstRun, lastRun, separator))) return;
      if (!windowStandsAlone(tokens, token, firstRun, lastRun)) return;
      copyDigits(tokens, firstRun, lastRun, digitBuffer);
      if (!cardNetworkMatches(digitBuffer, digits) || !luhnValid(digitBuffer, digits)) return;
      const start = runStartOf(tokens, firstRun);
      const end = runEndOf(tokens, lastRun);
      let confidence = separator === 0 ? 0.8 : 0.95;
      if (cardContext.near(text, start, end)) confidence += 0.1;
      else if (referenceContext.near(text, start, end, 32, 0)) confidence -= 0.35;
      report(out, id, "payment_card", start, end, confidence);
    };
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.digits[token] as number) < 13) continue;
      forEachWindow(tokens, token, 13, 19, visit);
    }
  },
};

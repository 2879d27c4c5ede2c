import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, isHexCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "mac-address";

const macContext = quickContextWords({
  en: ["mac", "mac address", "hwaddr", "hardware address", "ether", "bssid", "physical address", "device"],
  de: ["mac-adresse", "mac adresse", "hardware-adresse", "geräteadresse", "gerät"],
  fr: ["adresse mac", "adresse matérielle", "adresse physique", "appareil"],
});

function isMacCode(code: number): boolean {
  return isHexCode(code) || code === 58 || code === 45 || code === 46;
}

/** True for 00:1A:2B:3C:4D:5E, 00-1A-2B-3C-4D-5E (one separator throughout) or 001A.2B3C.4D5E. */
export function isMacAddress(value: string): boolean {
  const isHexAt = (index: number): boolean => isHexCode(value.charCodeAt(index));
  if (value.length === 17) {
    const separator = value[2];
    if (separator !== ":" && separator !== "-") return false;
    for (let index = 0; index < 17; index++) {
      if (index % 3 === 2 ? value[index] !== separator : !isHexAt(index)) return false;
    }
    return true;
  }
  if (value.length === 14) {
    for (let index = 0; index < 14; index++) {
      if (index % 5 === 4 ? value[index] !== "." : !isHexAt(index)) return false;
    }
    return true;
  }
  return false;
}

/**
 * The MAC address around the separator at `at` (":" or "-" every third character, or "." every
 * fifth in the Cisco form), as [start, end], or undefined. Only separators at the right stride are
 * counted, so a timestamp ("10:11:12") or a UUID stops the check after a character or two.
 */
function macAround(text: string, at: number, explored: { until: number }): [number, number] | undefined {
  const separator = codeAt(text, at);
  const stride = separator === 46 ? 5 : 3;
  const needed = separator === 46 ? 2 : 5;
  let first = at;
  while (first - stride >= 0 && codeAt(text, first - stride) === separator && first > at - stride * needed) first -= stride;
  let last = at;
  while (codeAt(text, last + stride) === separator && last < at + stride * needed) last += stride;
  explored.until = Math.max(explored.until, last + stride);
  if ((last - first) / stride + 1 !== needed) return undefined;
  const start = first - (stride - 1);
  const end = last + stride;
  if (start < 0 || end > text.length) return undefined;
  if (isWordCode(codeAt(text, start - 1)) || isWordCode(codeAt(text, end)) || isMacSeparator(codeAt(text, start - 1)) || (isMacSeparator(codeAt(text, end)) && isHexCode(codeAt(text, end + 1)))) return undefined;
  return isMacAddress(text.slice(start, end)) ? [start, end] : undefined;
}

function isMacSeparator(code: number): boolean {
  return code === 58 || code === 45 || code === 46;
}

/**
 * MAC addresses in the colon, dash and Cisco dot forms. All-zero and broadcast addresses name no
 * device and are skipped. Candidates are separators next to numeric tokens (from the colon,
 * punctuated and word-start lists, and digit groups joined by "-" or "."); the separator must
 * recur at the address's stride, and the whole span must be exactly one address, so timestamps,
 * UUIDs and IPv6 addresses do not yield MAC-shaped pieces.
 */
export const macAddressRecognizer: Recognizer = {
  id,
  category: "pii",
  types: ["mac_address"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const found = new Set<number>();
    const explored = { until: -1 };
    const tryAt = (at: number): void => {
      const span = macAround(text, at, explored);
      if (span === undefined || found.has(span[0])) return;
      const [start, end] = span;
      found.add(start);
      const digits = text.slice(start, end).replace(/[^0-9a-fA-F]/g, "").toLowerCase();
      if (digits === "000000000000" || digits === "ffffffffffff") return;
      report(out, id, "mac_address", start, end, macContext.near(text, start, end, 32, 0) ? 0.95 : 0.8);
    };
    /** Looks at a separator only when the same one recurs a group further on either side. */
    const probe = (at: number): void => {
      const separator = codeAt(text, at);
      if (!isMacSeparator(separator)) return;
      const stride = separator === 46 ? 5 : 3;
      if (codeAt(text, at + stride) === separator || codeAt(text, at - stride) === separator) tryAt(at);
    };
    // Tokens touching a separator probe that separator; a token starting a word probes the
    // separator closing its group ("0a:bc:…", "001a.2b3c.…"); digit-only addresses are one token.
    for (const list of [tokens.colon, tokens.punctuated]) {
      explored.until = -1;
      for (let item = 0; item < list.count; item++) {
        const token = list.items[item] as number;
        const start = tokens.start[token] as number;
        if (start < explored.until || (tokens.digits[token] as number) > 4) continue;
        const end = tokens.end[token] as number;
        probe(end);
        if (start >= explored.until) probe(start - 1);
      }
    }
    explored.until = -1;
    const wordStart = tokens.wordStart;
    for (let item = 0; item < wordStart.count; item++) {
      const token = wordStart.items[item] as number;
      const start = tokens.start[token] as number;
      const digits = tokens.digits[token] as number;
      if (start < explored.until || digits > 3 || !isHexCode(codeAt(text, tokens.end[token] as number))) continue;
      probe(start + (digits < 2 ? 2 : 4));
    }
    explored.until = -1;
    const long = tokens.long;
    for (let item = 0; item < long.count; item++) {
      const token = long.items[item] as number;
      if ((tokens.runCount[token] as number) >= 3) probe(tokens.runEnd[tokens.firstRun[token] as number] as number);
    }
  },
};

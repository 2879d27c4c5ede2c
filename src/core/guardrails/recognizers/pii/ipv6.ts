import type { Finding, Recognizer } from "../../types.ts";
import { codeAt, hexValue, isDigitCode, isHexCode, isWordCode } from "./characters.ts";
import { quickContextWords, report } from "./findings.ts";
import { numericTokens } from "./numeric-tokens.ts";

const id = "ipv6";

const addressContext = quickContextWords({
  en: ["ip", "ip address", "ipv6", "host", "server", "client", "remote", "src", "dst", "source", "destination", "from", "peer"],
  de: ["ip-adresse", "ipv6-adresse", "adresse", "server", "quelle", "ziel"],
  fr: ["adresse ip", "adresse ipv6", "adresse", "serveur", "hôte", "source", "destination"],
});

function isAddressCode(code: number): boolean {
  return isHexCode(code) || code === 58 || code === 46;
}

/** Dotted-quad tail of an IPv6 address ("::ffff:192.0.2.1"). */
function isDottedQuad(value: string): boolean {
  const parts = value.split(".");
  if (parts.length !== 4) return false;
  return parts.every((part) => part.length >= 1 && part.length <= 3 && [...part].every((character) => isDigitCode(character.charCodeAt(0))) && Number(part) <= 255 && (part.length === 1 || part[0] !== "0"));
}

/**
 * Parses `value` as an IPv6 address (full, "::"-compressed, or with an IPv4 tail) and returns how
 * many groups are written out, or -1. A tail counts as two groups.
 */
export function ipv6Groups(value: string): number {
  let colons = 0;
  for (let index = value.indexOf(":"); index !== -1; index = value.indexOf(":", index + 1)) colons++;
  const compressed = value.includes("::");
  if (colons < 2 || colons > 7 || (!compressed && colons !== 7 && !(colons === 6 && value.includes(".")))) return -1;
  const halves = value.split("::");
  if (halves.length > 2) return -1;
  const groups: string[] = [];
  for (const half of halves) if (half !== "") groups.push(...half.split(":"));
  let written = 0;
  for (let index = 0; index < groups.length; index++) {
    const group = groups[index] as string;
    if (index === groups.length - 1 && group.includes(".")) {
      if (!isDottedQuad(group)) return -1;
      written += 2;
      continue;
    }
    if (group.length < 1 || group.length > 4) return -1;
    for (let position = 0; position < group.length; position++) if (hexValue(group.charCodeAt(position)) < 0) return -1;
    written++;
  }
  if (halves.length === 2) return written <= 7 ? written : -1;
  return written === 8 ? written : -1;
}

function isDigitAt(text: string, index: number): boolean {
  return isDigitCode(codeAt(text, index));
}

/**
 * End of a time of day "HH:MM" or "HH:MM:SS" starting at the two-digit token [start, end), or -1.
 * Log lines carry one each; recognising them directly spares widening and parsing them.
 */
function timeOfDayEnd(text: string, start: number, end: number): number {
  if (end - start !== 2 || codeAt(text, end) !== 58 || !isDigitAt(text, end + 1) || !isDigitAt(text, end + 2)) return -1;
  let last = end + 3;
  if (codeAt(text, last) === 58 && isDigitAt(text, last + 1) && isDigitAt(text, last + 2)) last += 3;
  const after = codeAt(text, last);
  return after === 58 || isHexCode(after) ? -1 : last;
}

/**
 * IPv6 addresses, full or compressed, validated by parsing. Compressed forms need three written
 * groups, or two with a four-digit first group ("fe80::1", "2001:db8::"), so Python slices like
 * "a[1::2]" and C++ scopes stay out; "::1" (loopback) is not personal and is not reported.
 * Candidates are numeric tokens touching ":" (or starting a hex group that ends in ":"), widened
 * over hex digits, colons and dots.
 */
export const ipv6Recognizer: Recognizer = {
  id,
  category: "pii",
  types: ["ipv6"],
  scan(text: string, out: Finding[]): void {
    const tokens = numericTokens(text);
    const found = new Set<number>();
    /** Widens the token into a candidate address; returns where the widened span ends. */
    const consider = (token: number): number => {
      let start = tokens.start[token] as number;
      let end = tokens.end[token] as number;
      const lowest = Math.max(0, start - 45);
      const highest = Math.min(text.length, end + 45);
      while (start > lowest && isAddressCode(text.charCodeAt(start - 1))) start--;
      while (end < highest && isAddressCode(text.charCodeAt(end))) end++;
      const spanEnd = end;
      // Two colons at least, and either "::" or seven: a time of day ("10:11:12") stops here.
      let colons = 0;
      let double = false;
      for (let index = start; index < end; index++) {
        if (text.charCodeAt(index) !== 58) continue;
        colons++;
        if (text.charCodeAt(index + 1) === 58) double = true;
      }
      if (colons < 2 || (!double && colons < 6)) return spanEnd;
      while (end > start && (codeAt(text, end - 1) === 46 || (codeAt(text, end - 1) === 58 && codeAt(text, end - 2) !== 58))) end--;
      if (end - start < 6 || found.has(start) || isWordCode(codeAt(text, start - 1)) || isWordCode(codeAt(text, end))) return spanEnd;
      const value = text.slice(start, end);
      const written = ipv6Groups(value);
      if (written < 0) return spanEnd;
      const compressed = value.includes("::");
      if (compressed && written < 3 && !(written === 2 && /^[0-9a-fA-F]{4}:/.test(value))) return spanEnd;
      found.add(start);
      let confidence = compressed ? 0.8 : 0.85;
      if (addressContext.near(text, start, end, 32, 0)) confidence += 0.1;
      report(out, id, "ipv6", start, end, confidence);
      return spanEnd;
    };
    const colon = tokens.colon;
    let lastEnd = -1;
    for (let item = 0; item < colon.count; item++) {
      const token = colon.items[item] as number;
      const start = tokens.start[token] as number;
      if (start < lastEnd) continue;
      const time = timeOfDayEnd(text, start, tokens.end[token] as number);
      lastEnd = time !== -1 ? time : consider(token);
    }
    // Addresses whose digits all sit between hex letters ("2c0f:bcea:efbb::") start a word instead.
    const wordStart = tokens.wordStart;
    lastEnd = -1;
    for (let item = 0; item < wordStart.count; item++) {
      const token = wordStart.items[item] as number;
      const end = tokens.end[token] as number;
      if ((tokens.start[token] as number) < lastEnd) continue;
      let colonAt = end + 1;
      while (colonAt <= end + 4 && isHexCode(codeAt(text, colonAt))) colonAt++;
      if (codeAt(text, colonAt) === 58) lastEnd = consider(token);
    }
  },
};

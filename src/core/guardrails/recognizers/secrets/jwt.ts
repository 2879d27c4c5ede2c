import type { Finding, Recognizer } from "../../types.ts";
import { isBase64UrlCode, runLength } from "./shared.ts";

/** Longest header segment worth decoding; real headers are well under 1 kB. */
const maximumHeaderLength = 2048;
const maximumSegmentLength = 65536;

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON web tokens (JWS, three base64url segments; JWE, five). A candidate counts only when its
 * header really decodes to a JSON object with an "alg", so "eyJ…" lookalikes do not; a payload
 * that also decodes to a JSON object raises the confidence. Anchored on the header's "eyJ" (base64
 * of '{"'); a failed candidate skips its whole run, so the scan stays linear on adversarial input.
 */
export const jwtRecognizer: Recognizer = {
  id: "jwt",
  category: "secret",
  types: ["jwt"],
  scan(text: string, out: Finding[]): void {
    // "J" is far rarer than "e", so the scan looks for it and checks the "ey" before.
    let anchor = text.indexOf("J", 2);
    while (anchor !== -1) {
      const start = anchor - 2;
      if (text.charCodeAt(start) !== 101 || text.charCodeAt(start + 1) !== 121) {
        anchor = text.indexOf("J", anchor + 1);
        continue;
      }
      const headerLength = runLength(text, start, isBase64UrlCode, maximumSegmentLength);
      let next = start + Math.max(headerLength, 3);
      if ((start === 0 || !isBase64UrlCode(text.charCodeAt(start - 1))) && headerLength >= 10 && headerLength <= maximumHeaderLength && text.charCodeAt(start + headerLength) === 46) {
        const header = decodeJsonObject(text.slice(start, start + headerLength));
        if (header !== undefined && typeof header["alg"] === "string") {
          const segmentCount = header["enc"] === undefined ? 3 : 5;
          const segmentStarts = [start];
          let position = start + headerLength;
          // Each further segment starts after a "."; the last may be empty (alg "none").
          while (segmentStarts.length < segmentCount && text.charCodeAt(position) === 46) {
            segmentStarts.push(position + 1);
            position += 1 + runLength(text, position + 1, isBase64UrlCode, maximumSegmentLength);
          }
          const payloadStart = segmentStarts[1];
          const payloadEnd = segmentStarts[2];
          // A JWS needs a payload; a JWE's second segment (the encrypted key) is empty for "dir".
          const complete = segmentStarts.length === segmentCount && payloadStart !== undefined && payloadEnd !== undefined && (segmentCount === 5 || payloadEnd - 1 > payloadStart);
          if (complete) {
            const payloadIsJson = segmentCount === 5 || decodeJsonObject(text.slice(payloadStart, payloadEnd - 1)) !== undefined;
            out.push({ type: "jwt", category: "secret", start, end: position, confidence: payloadIsJson ? 0.95 : 0.85, recognizer: "jwt" });
            next = position;
          }
        }
      }
      anchor = text.indexOf("J", next + 2);
    }
  },
};

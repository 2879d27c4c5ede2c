import { releaseDocumentKeywords } from "./recognizers/pii/document-keywords.ts";
import { releaseNumericTokens } from "./recognizers/pii/numeric-tokens.ts";
import type { Finding, Recognizer, ScanOptions } from "./types.ts";

/**
 * Runs a set of recognizers over a text and turns their raw findings into one clean list: weak
 * findings dropped, overlaps resolved, ordered by position. Policy works on this list, so two
 * recognizers claiming the same characters (an IPv4 address inside an IPv6 one, a VAT number that
 * is also a tax id) must come out as one finding, the one the evidence supports best.
 */
export interface Detector {
  readonly recognizers: readonly Recognizer[];
  /** Findings in `text`, sorted by start, non-overlapping, each at or above the minimum confidence. */
  scan(text: string): Finding[];
}

export const defaultMinimumConfidence = 0.5;

/**
 * True when `candidate` should win over `other` for overlapping characters: the more confident
 * one; on equal confidence the longer span; then the earlier start, then the recognizer listed
 * first (`order`), so the outcome never depends on sort stability.
 */
function outranks(candidate: Finding, candidateOrder: number, other: Finding, otherOrder: number): boolean {
  if (candidate.confidence !== other.confidence) return candidate.confidence > other.confidence;
  const candidateLength = candidate.end - candidate.start;
  const otherLength = other.end - other.start;
  if (candidateLength !== otherLength) return candidateLength > otherLength;
  if (candidate.start !== other.start) return candidate.start < other.start;
  return candidateOrder < otherOrder;
}

/**
 * Keeps, within one group of mutually overlapping findings, those that no better overlapping
 * finding displaces: best first, each accepted when it overlaps nothing already accepted. A
 * finding inside another of higher or equal confidence therefore loses (equal confidence goes to
 * the longer span), and a more confident finding inside a weaker one wins.
 */
function resolveCluster(cluster: Finding[], order: Map<Finding, number>, into: Finding[]): void {
  const ranked = [...cluster].sort((left, right) => (outranks(left, order.get(left) ?? 0, right, order.get(right) ?? 0) ? -1 : 1));
  // Accepted findings never overlap, so kept sorted by start one neighbour decides each overlap.
  const accepted: Finding[] = [];
  for (const finding of ranked) {
    let low = 0;
    let high = accepted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((accepted[middle] as Finding).start < finding.end) low = middle + 1;
      else high = middle;
    }
    const before = accepted[low - 1];
    if (before !== undefined && before.end > finding.start) continue;
    accepted.splice(low, 0, finding);
  }
  into.push(...accepted);
}

/** Drops empty and weak findings and resolves overlaps; `findings` is in recognizer order. */
export function resolveFindings(findings: readonly Finding[], minimumConfidence: number): Finding[] {
  const order = new Map<Finding, number>();
  const candidates: Finding[] = [];
  findings.forEach((finding, index) => {
    if (finding.end <= finding.start || !(finding.confidence >= minimumConfidence)) return;
    order.set(finding, index);
    candidates.push(finding);
  });
  candidates.sort((left, right) => left.start - right.start || right.end - left.end);
  const resolved: Finding[] = [];
  let cluster: Finding[] = [];
  let clusterEnd = -1;
  for (const finding of candidates) {
    if (finding.start >= clusterEnd && cluster.length > 0) {
      if (cluster.length === 1) resolved.push(cluster[0] as Finding);
      else resolveCluster(cluster, order, resolved);
      cluster = [];
    }
    cluster.push(finding);
    clusterEnd = Math.max(clusterEnd, finding.end);
  }
  if (cluster.length === 1) resolved.push(cluster[0] as Finding);
  else if (cluster.length > 1) resolveCluster(cluster, order, resolved);
  return resolved;
}

/**
 * A detector over `recognizers`. Every recognizer scans every text (each one rejects cheaply, see
 * Recognizer.scan); findings below `minimumConfidence` (default 0.5) are dropped before overlaps
 * are resolved, so a weak guess never displaces a confident finding next to it. After each scan the
 * passes that recognizers share for one text are released, so no text outlives its scan.
 */
export function createDetector(recognizers: readonly Recognizer[], options: ScanOptions = {}): Detector {
  const minimumConfidence = options.minimumConfidence ?? defaultMinimumConfidence;
  const list = Object.freeze([...recognizers]);
  return {
    recognizers: list,
    scan(text) {
      const findings: Finding[] = [];
      try {
        for (const recognizer of list) recognizer.scan(text, findings);
      } finally {
        // The PII passes shared between recognizers remember the text; a gateway must not keep it.
        releaseNumericTokens();
        releaseDocumentKeywords();
      }
      return resolveFindings(findings, minimumConfidence);
    },
  };
}

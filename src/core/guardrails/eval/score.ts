import { dataTypes, type DataTypeInfo } from "../data-types.ts";
import type { DocumentFormat, LabelledDocument } from "./documents.ts";
import { generatedTypes, type GeneratedType } from "./generators.ts";

/**
 * Scoring of detector findings against the labelled evaluation set. Pure functions.
 *
 * Matching rule. A finding matches a labelled span when the types are equal and the two overlap by
 * at least half of the LABELLED span's length. Measuring against the labelled span (not the
 * union) lets a recognizer report a little more than the value — "user:pass@" for a password, a
 * card number with a trailing space — without being punished, while a finding that covers only a
 * fragment of the value does not count. Each labelled span is matched at most once, and each
 * finding matches at most one span: pairs are assigned greedily by overlap, largest first.
 *
 * What a finding that does not match counts as:
 * - another finding of the same type on an already-matched span ("duplicate"): neither a true nor a
 *   false positive — it flags real data twice; the count is reported so the detector's merging can
 *   be checked;
 * - anything else: a false positive for ITS type. That includes a finding of another type on a
 *   labelled span (a generic-secret finding over an OpenAI key is a generic_secret false positive).
 * Findings of types the set does not label (person_name, organization, anything outside
 * data-types.ts) are not scored; they are counted per type as "ignored".
 *
 * F2 weighs recall four times as much as precision (β = 2): for a guardrail, a leaked value costs
 * more than a false alarm. Computed from counts, 5·TP / (5·TP + 4·FN + FP), so it is 0 (not
 * undefined) when nothing was found.
 */

/** The targets for the "checksum" group (checksummed identifiers and vendor-prefixed secrets). */
export const checksumTargets = { recall: 0.98, precision: 0.95 } as const;

export type Validation = DataTypeInfo["validation"];

/** A finding reduced to what scoring needs (a Finding fits). */
export interface PredictedSpan {
  type: string;
  start: number;
  end: number;
}

export type Outcome = "true-positive" | "false-positive" | "false-negative" | "duplicate";

/** One scored event: a labelled span (true positive / false negative) or a finding (false positive / duplicate). */
export interface ScoredSpan {
  documentId: string;
  format: DocumentFormat;
  type: GeneratedType;
  outcome: Outcome;
  start: number;
  end: number;
}

export interface Counts {
  /** Labelled spans. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  duplicates: number;
}

export interface Rates {
  /** NaN when nothing was predicted. */
  precision: number;
  /** NaN when nothing is labelled. */
  recall: number;
  /** NaN only when there is neither a labelled span nor a prediction. */
  f2: number;
}

export interface TypeScore extends Counts, Rates {
  type: GeneratedType;
  validation: Validation;
  /** For "checksum" types: recall and precision targets met; undefined: no labelled span (not judged) or not a judged type. */
  pass: boolean | undefined;
}

export interface GroupScore extends Counts, Rates {
  group: string;
}

export interface EvalScore {
  types: TypeScore[];
  /** Micro-averaged over the types of each validation group. */
  validations: GroupScore[];
  /** Micro-averaged over all types, per document format. */
  formats: GroupScore[];
  overall: Counts & Rates;
  /** Findings of types the set does not label, per type. */
  ignored: Record<string, number>;
  records: ScoredSpan[];
}

const evaluated = new Set<string>(generatedTypes);

export function isEvaluatedType(type: string): type is GeneratedType {
  return evaluated.has(type);
}

/** Length of the overlap of two half-open ranges. */
export function overlapLength(left: { start: number; end: number }, right: { start: number; end: number }): number {
  return Math.max(0, Math.min(left.end, right.end) - Math.max(left.start, right.start));
}

/** True when `predicted` covers at least half of `gold` (the matching rule, types aside). */
export function coversHalf(gold: { start: number; end: number }, predicted: { start: number; end: number }): boolean {
  const length = gold.end - gold.start;
  return length > 0 && overlapLength(gold, predicted) * 2 >= length;
}

/**
 * Scores one document's findings. Findings of unevaluated types must be filtered out before (see
 * {@link scoreEvalSet}); here every finding type is assumed evaluated.
 */
export function scoreDocument(document: LabelledDocument, findings: readonly PredictedSpan[]): ScoredSpan[] {
  const pairs: Array<{ gold: number; finding: number; overlap: number }> = [];
  document.spans.forEach((gold, goldIndex) => {
    findings.forEach((finding, findingIndex) => {
      if (finding.type === gold.type && coversHalf(gold, finding)) pairs.push({ gold: goldIndex, finding: findingIndex, overlap: overlapLength(gold, finding) });
    });
  });
  pairs.sort((left, right) => right.overlap - left.overlap || left.gold - right.gold || left.finding - right.finding);
  const goldMatched = new Set<number>();
  const findingMatched = new Set<number>();
  for (const pair of pairs) {
    if (goldMatched.has(pair.gold) || findingMatched.has(pair.finding)) continue;
    goldMatched.add(pair.gold);
    findingMatched.add(pair.finding);
  }
  const base = { documentId: document.id, format: document.format };
  const records: ScoredSpan[] = document.spans.map((gold, index) => ({
    ...base,
    type: gold.type,
    outcome: goldMatched.has(index) ? "true-positive" : "false-negative",
    start: gold.start,
    end: gold.end,
  }));
  findings.forEach((finding, index) => {
    if (findingMatched.has(index) || !isEvaluatedType(finding.type)) return;
    const duplicate = pairs.some((pair) => pair.finding === index);
    records.push({ ...base, type: finding.type, outcome: duplicate ? "duplicate" : "false-positive", start: finding.start, end: finding.end });
  });
  return records;
}

function emptyCounts(): Counts {
  return { support: 0, truePositives: 0, falsePositives: 0, falseNegatives: 0, duplicates: 0 };
}

/** Adds one record to counts. */
function count(counts: Counts, record: ScoredSpan): void {
  if (record.outcome === "true-positive") {
    counts.support += 1;
    counts.truePositives += 1;
  } else if (record.outcome === "false-negative") {
    counts.support += 1;
    counts.falseNegatives += 1;
  } else if (record.outcome === "false-positive") counts.falsePositives += 1;
  else counts.duplicates += 1;
}

/** Counts per key (records whose key is undefined are left out). */
export function tally(records: readonly ScoredSpan[], keyOf: (record: ScoredSpan) => string | undefined): Map<string, Counts> {
  const result = new Map<string, Counts>();
  for (const record of records) {
    const key = keyOf(record);
    if (key === undefined) continue;
    let counts = result.get(key);
    if (counts === undefined) {
      counts = emptyCounts();
      result.set(key, counts);
    }
    count(counts, record);
  }
  return result;
}

export function rates(counts: Counts): Rates {
  const predicted = counts.truePositives + counts.falsePositives;
  const f2Denominator = 5 * counts.truePositives + 4 * counts.falseNegatives + counts.falsePositives;
  return {
    precision: predicted === 0 ? Number.NaN : counts.truePositives / predicted,
    recall: counts.support === 0 ? Number.NaN : counts.truePositives / counts.support,
    f2: f2Denominator === 0 ? Number.NaN : (5 * counts.truePositives) / f2Denominator,
  };
}

/**
 * The verdict for a "checksum" type: recall ≥ 0.98 and precision ≥ 0.95. No labelled span: not
 * judged (undefined). Labelled spans but no prediction: precision is undefined and recall 0, a miss.
 */
export function meetsChecksumTargets(counts: Counts): boolean | undefined {
  if (counts.support === 0) return undefined;
  const { precision, recall } = rates(counts);
  return recall >= checksumTargets.recall && (Number.isNaN(precision) ? false : precision >= checksumTargets.precision);
}

/**
 * Scores a whole set. `findingsByDocument` maps document ids to the detector's findings (a missing
 * id means no finding). Types are listed in data-types.ts order.
 */
export function scoreEvalSet(documents: readonly LabelledDocument[], findingsByDocument: ReadonlyMap<string, readonly PredictedSpan[]>): EvalScore {
  const ignored: Record<string, number> = {};
  const records: ScoredSpan[] = [];
  for (const document of documents) {
    const findings: PredictedSpan[] = [];
    for (const finding of findingsByDocument.get(document.id) ?? []) {
      if (isEvaluatedType(finding.type)) findings.push(finding);
      else ignored[finding.type] = (ignored[finding.type] ?? 0) + 1;
    }
    records.push(...scoreDocument(document, findings));
  }
  const byType = tally(records, (record) => record.type);
  const types: TypeScore[] = generatedTypes.map((type) => {
    const counts = byType.get(type) ?? emptyCounts();
    const validation = dataTypes[type].validation;
    return { type, validation, ...counts, ...rates(counts), pass: validation === "checksum" ? meetsChecksumTargets(counts) : undefined };
  });
  const group = (name: string, counts: Counts | undefined): GroupScore => {
    const present = counts ?? emptyCounts();
    return { group: name, ...present, ...rates(present) };
  };
  const byValidation = tally(records, (record) => dataTypes[record.type].validation);
  const byFormat = tally(records, (record) => record.format);
  const formats = [...new Set(documents.map((document) => document.format))];
  const overall = tally(records, () => "all").get("all") ?? emptyCounts();
  return {
    types,
    validations: (["checksum", "format", "context"] as const).map((name) => group(name, byValidation.get(name))),
    formats: formats.map((name) => group(name, byFormat.get(name))),
    overall: { ...overall, ...rates(overall) },
    ignored,
    records,
  };
}

/**
 * The numbers bench:gateway is judged by (issue "providers/routes", performance): each a measured
 * value, a target and PASS / MISS — or n/a when it could not be measured (e.g. Portkey missing).
 */

/** Nearest-rank percentile (`fraction` in 0..1) of the finite values; NaN when there are none. */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = values.filter(Number.isFinite).toSorted((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface Verdict {
  /** What is judged, e.g. "Hearth ÷ Portkey req/s (JSON)". */
  name: string;
  value: number;
  /** How the value prints, e.g. "12.40×", "+0.150 ms", "96.2 MB". */
  formatted: string;
  /** "≥ 10×", "≤ 0.2 ms". */
  target: string;
  /** undefined: not measured. */
  pass: boolean | undefined;
}

export type Comparison = "at-least" | "at-most";

/** Judges `value` against `limit`; a value that is not finite is "not measured". */
export function judge(name: string, value: number, comparison: Comparison, limit: number, format: (value: number) => string): Verdict {
  const measured = Number.isFinite(value);
  return {
    name,
    value,
    formatted: measured ? format(value) : "n/a",
    target: `${comparison === "at-least" ? "≥" : "≤"} ${format(limit)}`,
    pass: measured ? (comparison === "at-least" ? value >= limit : value <= limit) : undefined,
  };
}

export function verdictLabel(verdict: Verdict): "PASS" | "MISS" | "n/a" {
  return verdict.pass === undefined ? "n/a" : verdict.pass ? "PASS" : "MISS";
}

/** "12.40×". */
export function formatTimes(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 2)}×`;
}

/** "+0.153 ms" / "−0.020 ms": added latency, with microsecond resolution. */
export function formatAddedMilliseconds(value: number): string {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(3)} ms`;
}

/** "150 MB" for limits, "96.2 MB" for values: MB are 10⁶ bytes. */
export function formatMegabytesValue(megabytes: number): string {
  return Number.isInteger(megabytes) ? `${megabytes} MB` : `${megabytes.toFixed(1)} MB`;
}

/** "0.200 ms" for targets expressed as a plain duration. */
export function formatMilliseconds(value: number): string {
  return `${value.toFixed(3)} ms`;
}

import type { BudgetPeriod } from "./types.ts";

/** The UTC calendar day or month that `now` (epoch milliseconds) falls in. */
export function periodOf(kind: BudgetPeriod["kind"], now: number): BudgetPeriod {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const monthId = `${String(year).padStart(4, "0")}-${String(month + 1).padStart(2, "0")}`;
  if (kind === "month") return { kind, id: monthId, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  const day = date.getUTCDate();
  return { kind, id: `${monthId}-${String(day).padStart(2, "0")}`, start: Date.UTC(year, month, day), end: Date.UTC(year, month, day + 1) };
}

/** Start of the bucket holding `time`. */
export function bucketOf(time: number, bucketMs: number): number {
  return time - (((time % bucketMs) + bucketMs) % bucketMs);
}

/** The oldest bucket a sliding window still counts at `now`: the one overlapping `now - windowMs`. */
export function oldestCountedBucket(now: number, windowMs: number, bucketMs: number): number {
  return bucketOf(now - windowMs, bucketMs);
}

/** When bucket `bucket` stops being counted: once `now - windowMs` has passed its end. */
export function bucketLeavesWindowAt(bucket: number, windowMs: number, bucketMs: number): number {
  return bucket + bucketMs + windowMs;
}

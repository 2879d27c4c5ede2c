/** The median of the finite values, or NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).toSorted((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `numerator / denominator`, NaN when either is missing or the denominator is not positive. */
export function ratio(numerator: number | undefined, denominator: number | undefined): number {
  if (numerator === undefined || denominator === undefined || !(denominator > 0)) return Number.NaN;
  return numerator / denominator;
}

/** The geometric mean of the finite positive values (the mean of ratios), or NaN when there are none. */
export function geometricMean(values: readonly number[]): number {
  const usable = values.filter((value) => Number.isFinite(value) && value > 0);
  if (usable.length === 0) return Number.NaN;
  return Math.exp(usable.reduce((sum, value) => sum + Math.log(value), 0) / usable.length);
}

/**
 * A percentile bootstrap interval of `statistic` over `values`: the statistic of `resamples`
 * resamples drawn with replacement, cut at the tails. Seeded, so one set of rounds always prints
 * the same interval. [NaN, NaN] for fewer than two values.
 */
export function bootstrapInterval(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number,
  options: { confidence?: number; resamples?: number; seed?: number } = {},
): [number, number] {
  const usable = values.filter(Number.isFinite);
  if (usable.length < 2) return [Number.NaN, Number.NaN];
  const resamples = options.resamples ?? 5_000;
  const tail = (1 - (options.confidence ?? 0.95)) / 2;
  const random = seededRandom(options.seed ?? 1);
  const sample = new Array<number>(usable.length);
  const statistics: number[] = [];
  for (let draw = 0; draw < resamples; draw++) {
    for (let index = 0; index < usable.length; index++) sample[index] = usable[Math.floor(random() * usable.length)] as number;
    statistics.push(statistic(sample));
  }
  statistics.sort((left, right) => left - right);
  const at = (share: number) => statistics[Math.min(statistics.length - 1, Math.max(0, Math.round(share * (statistics.length - 1))))] as number;
  return [at(tail), at(1 - tail)];
}

/** mulberry32: a small deterministic generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

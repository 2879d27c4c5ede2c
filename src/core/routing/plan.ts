/**
 * Orders a route's targets for one request. `fallback` keeps the configured order;
 * `loadbalance` puts the least busy target first relative to its weight (ties broken by weighted
 * chance) and keeps the others, in the same order of preference, as fallbacks.
 */
export interface PlannedTarget {
  key: string;
  weight: number;
}

export function planOrder<Target extends PlannedTarget>(
  strategy: "fallback" | "loadbalance",
  targets: readonly Target[],
  inFlight: (key: string) => number,
  random: () => number = Math.random,
): Target[] {
  if (strategy === "fallback" || targets.length < 2) return [...targets];
  const scored = targets.map((target) => ({ target, score: inFlight(target.key) / target.weight, draw: weightedDraw(target.weight, random) }));
  scored.sort((a, b) => a.score - b.score || a.draw - b.draw);
  return scored.map((entry) => entry.target);
}

/** A random key where heavier weights tend to sort first (Efraimidis–Spirakis: -ln(u)/w). */
function weightedDraw(weight: number, random: () => number): number {
  const u = Math.max(Number.EPSILON, random());
  return -Math.log(u) / weight;
}

/** Exponential backoff with full jitter, honouring a Retry-After when the upstream sent one. */
export function backoffMs(
  attempt: number,
  settings: { initialDelayMs: number; maxDelayMs: number },
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** attempt);
  const jittered = ceiling / 2 + (random() * ceiling) / 2;
  if (retryAfterSeconds === undefined) return Math.round(jittered);
  return Math.round(Math.max(retryAfterSeconds * 1000, jittered));
}

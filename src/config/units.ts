/** Parses human-friendly sizes and durations used in hearth.yaml and HEARTH_* variables. */

const byteUnits: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "8GB", "512 MiB", "1048576" or a number → bytes; undefined when the text is not a size. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? "").toLowerCase() || "b";
  const factor = byteUnits[unit];
  if (factor === undefined) return undefined;
  return Math.floor(Number(match[1]) * factor);
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5m", "30s", "250ms", "1h" or a number of milliseconds → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!match) return undefined;
  const factor = durationUnits[(match[2] ?? "ms").toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

/** Number formats and the table rows `hearth tco` prints and puts in its HTML page. */
import { formatCount, type TcoOptionResult, type TcoResult } from "../../core/usage/tco.ts";

/** USD with cents and thousands separators; three significant digits below a cent. */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value !== 0 && Math.abs(value) < 0.01) return `$${Number(value.toPrecision(3))}`;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Token counts the way people say them: 500M, 2B, 1.5T (three significant digits). */
export function formatTokens(value: number): string {
  return Number.isFinite(value) ? formatCount(value) : "n/a";
}

/** A price per 1M tokens: as many decimals as it has, up to four ($1.25, $0.125, $0.0375, $10). */
export function formatPrice(value: number): string {
  return `$${Number(value.toFixed(4)).toLocaleString("en-US", { minimumFractionDigits: Number.isInteger(value) ? 0 : 2, maximumFractionDigits: 4 })}`;
}

export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(value < 0.1 ? 1 : 0)}%`;
}

function detail(option: TcoOptionResult): string {
  if (option.kind === "self-hosted") {
    const machines = `${option.machines} machine${option.machines === 1 ? "" : "s"}`;
    return `${machines}, ${formatPercent(option.utilisation)} busy`;
  }
  const cached = option.price.cachedInput === undefined ? "" : ` (${formatPrice(option.price.cachedInput)} cached)`;
  return `${formatPrice(option.price.input)} in${cached} / ${formatPrice(option.price.output)} out per 1M`;
}

export const summaryHeader = ["option", "kind", "per month", "per 1M tokens", "detail"] as const;

/** One row per option at the user's volume. */
export function summaryRows(result: TcoResult): string[][] {
  return result.options.map((option) => [
    option.name,
    option.kind === "closed" ? "closed API" : "self-hosted",
    formatUsd(option.costPerMonth),
    formatUsd(option.costPerMillionTokens),
    detail(option),
  ]);
}

export const breakEvenHeader = ["self-hosted", "vs closed API", "break-even (tokens/month)", "cheaper at every volume from"] as const;

/** One row per (self-hosted option, closed API) pair. */
export function breakEvenRows(result: TcoResult): string[][] {
  const volume = (value: number | undefined, never: string) => (value === undefined ? never : value === 0 ? "any volume" : formatTokens(value));
  return result.breakEvens.map((entry) => [
    entry.selfHosted,
    entry.closed,
    volume(entry.volume, "never"),
    volume(entry.cheaperFromVolume, entry.volume === undefined ? "never" : "not at every volume"),
  ]);
}

/**
 * Prices of closed models: the bundled, dated table (price-table.ts) under a layer of overrides,
 * so a request to any closed API can be costed in USD next to a local one (local-cost.ts).
 */
import { HearthError } from "../../spec/errors.ts";
import { priceTable as bundledTable, type ModelPrice, type PriceTable, type Vendor } from "./price-table.ts";

export type { LongContextPrice, ModelPrice, PriceEntry, PriceTable, Vendor, VendorPrices } from "./price-table.ts";

/**
 * A price set by the operator (negotiated rates, a vendor change newer than the bundled table, a
 * model the table lacks, a self-hosted server priced per token). `model` is a model name, or a
 * prefix ending in `*` (`claude-*`, `*` for everything). USD per 1M tokens.
 */
export interface PriceOverride {
  model: string;
  input: number;
  output: number;
  cachedInput?: number | undefined;
  cacheWrite?: number | undefined;
}

/** How a name was matched: as given, after removing a snapshot date/vendor prefix, or by an override's `*` prefix. */
export type PriceMatch = "exact" | "normalised" | "prefix";

/** The price that applies to one model name, and where it came from (for audit and for `hearth tco`'s assumptions). */
export interface ResolvedPrice extends ModelPrice {
  /** The name asked about. */
  requested: string;
  /** The table entry or override pattern that matched. */
  matched: string;
  origin: "override" | "table";
  match: PriceMatch;
  /** Table prices only: the vendor, the date the price was known and the page to check it on. */
  vendor?: Vendor | undefined;
  asOf?: string | undefined;
  source?: string | undefined;
}

/**
 * Token counts of one request, as the provider reported them. `inputTokens` counts every prompt
 * token, cached ones included (as spec `Usage` does); `cachedInputTokens` (cache reads) and
 * `cacheWriteTokens` are the parts of it billed at the cache prices.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
}

export interface PriceBook {
  /** The date of the bundled table (its oldest vendor date). */
  readonly asOf: string;
  readonly table: PriceTable;
  readonly overrides: readonly PriceOverride[];
  /** The price for a model name; undefined when neither an override nor the table knows it. */
  priceOf(model: string): ResolvedPrice | undefined;
  /**
   * USD for one request, rounded to 1e-9; undefined when the model has no price (never a guess).
   * Cache reads/writes without a cache price in the table are billed at the input price (an upper
   * bound). A request whose input exceeds a long-context threshold is billed wholly at that tier,
   * as the vendors do.
   */
  costOf(model: string, usage: TokenUsage): number | undefined;
}

export interface PriceBookOptions {
  overrides?: readonly PriceOverride[] | undefined;
  /** Replaces the bundled table (tests, or a table loaded from elsewhere). */
  table?: PriceTable | undefined;
}

/** USD rounded to a billionth of a dollar: enough for one token of the cheapest model, stable in sums and tests. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

const tokensPerPriceUnit = 1_000_000;

/** Snapshot and deployment suffixes removed (one at a time, re-checking after each) to find the table entry. */
const snapshotSuffixes: readonly RegExp[] = [
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI: gpt-4o-2024-08-06
  /-\d{8}$/, // Anthropic: claude-3-5-sonnet-20241022
  /@\d{8}$/, // Vertex AI: claude-3-5-sonnet-v2@20241022
  /-v\d+:\d+$/, // Bedrock: anthropic.claude-3-5-sonnet-20240620-v1:0
  /-latest$/, // claude-3-5-sonnet-latest
  /-\d{3}$/, // Gemini: gemini-1.5-pro-002
];

/** Routing prefixes that do not change the model: `openai/gpt-4o`, `models/gemini-2.5-pro`, `us.anthropic.claude-…`. */
function withoutVendorPrefix(name: string): string {
  return name.replace(/^(?:[^/]+\/)+/, "").replace(/^(?:[a-z]{2,4}\.)?anthropic\./, "");
}

/**
 * The names to look up, most specific first: the name as given (lower-cased), without a routing
 * prefix, then with one snapshot suffix after another removed.
 */
export function candidateNames(model: string): string[] {
  const raw = model.trim().toLowerCase();
  const names = [raw];
  let current = withoutVendorPrefix(raw);
  if (current !== raw) names.push(current);
  for (;;) {
    const suffix = snapshotSuffixes.find((pattern) => pattern.test(current));
    if (suffix === undefined) break;
    const next = current.replace(suffix, "");
    if (next === "" || next === current) break;
    names.push(next);
    current = next;
  }
  return names;
}

function checkPrice(value: unknown, param: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new HearthError("invalid_request", `${param} must be a non-negative number of USD per 1M tokens (got ${String(value)}).`, { param });
  }
}

/** Throws an `invalid_request` HearthError naming the first bad override field. */
export function validatePriceOverrides(overrides: readonly PriceOverride[]): void {
  overrides.forEach((override, index) => {
    const at = `overrides[${index}]`;
    const model = override.model;
    if (typeof model !== "string" || model.trim() === "") {
      throw new HearthError("invalid_request", `${at}.model must be a model name or a prefix ending in *.`, { param: `${at}.model` });
    }
    if (model.indexOf("*") !== -1 && model.indexOf("*") !== model.length - 1) {
      throw new HearthError("invalid_request", `${at}.model: '*' is only allowed at the end (a prefix), got ${JSON.stringify(model)}.`, { param: `${at}.model` });
    }
    checkPrice(override.input, `${at}.input`, true);
    checkPrice(override.output, `${at}.output`, true);
    checkPrice(override.cachedInput, `${at}.cachedInput`, false);
    checkPrice(override.cacheWrite, `${at}.cacheWrite`, false);
  });
}

function priceFields(price: ModelPrice): ModelPrice {
  const fields: ModelPrice = { input: price.input, output: price.output };
  if (price.cachedInput !== undefined) fields.cachedInput = price.cachedInput;
  if (price.cacheWrite !== undefined) fields.cacheWrite = price.cacheWrite;
  if (price.longContext !== undefined) fields.longContext = price.longContext;
  return fields;
}

function checkCount(value: number | undefined, name: string): number {
  const count = value ?? 0;
  if (!Number.isFinite(count) || count < 0) throw new RangeError(`${name} must be a non-negative number (got ${String(value)}).`);
  return count;
}

/** USD for `usage` at `price`, unrounded. Shared with the TCO computation. */
export function costAtPrice(price: ModelPrice, usage: TokenUsage): number {
  const input = checkCount(usage.inputTokens, "inputTokens");
  const output = checkCount(usage.outputTokens, "outputTokens");
  const cached = checkCount(usage.cachedInputTokens, "cachedInputTokens");
  const written = checkCount(usage.cacheWriteTokens, "cacheWriteTokens");
  if (cached + written > input) {
    throw new RangeError(`cached and cache-write tokens (${cached} + ${written}) are part of inputTokens (${input}) and cannot exceed it.`);
  }
  const tier = price.longContext !== undefined && input > price.longContext.thresholdInputTokens ? price.longContext : price;
  const uncached = input - cached - written;
  return (
    (uncached * tier.input + cached * (tier.cachedInput ?? tier.input) + written * (tier.cacheWrite ?? tier.input) + output * tier.output) /
    tokensPerPriceUnit
  );
}

interface TableRow {
  price: ModelPrice;
  matched: string;
  vendor: Vendor;
  asOf: string;
  source: string;
}

/**
 * Builds the price book. Overrides win over the table whenever they match (exact name, then the
 * name without snapshot date or vendor prefix, then the longest `*` prefix); the table is then
 * searched by exact name or alias, then by the same normalised names. Throws an `invalid_request`
 * HearthError for a malformed override.
 */
export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const table = options.table ?? bundledTable;
  const overrides = [...(options.overrides ?? [])];
  validatePriceOverrides(overrides);

  const exactOverrides = new Map<string, PriceOverride>();
  const prefixOverrides: Array<{ prefix: string; override: PriceOverride }> = [];
  for (const override of overrides) {
    const pattern = override.model.trim().toLowerCase();
    // A later override for the same name wins, as later config entries do.
    if (pattern.endsWith("*")) prefixOverrides.push({ prefix: pattern.slice(0, -1), override });
    else exactOverrides.set(pattern, override);
  }
  prefixOverrides.sort((a, b) => b.prefix.length - a.prefix.length);

  const rows = new Map<string, TableRow>();
  for (const vendor of table.vendors) {
    for (const entry of vendor.models) {
      const row: TableRow = { price: priceFields(entry), matched: entry.model, vendor: vendor.vendor, asOf: vendor.asOf, source: vendor.source };
      for (const name of [entry.model, ...(entry.aliases ?? [])]) rows.set(name.toLowerCase(), row);
    }
  }

  const priceOf = (model: string): ResolvedPrice | undefined => {
    const names = candidateNames(model);
    const fromOverride = (override: PriceOverride, match: PriceMatch): ResolvedPrice => ({
      ...priceFields(override),
      requested: model,
      matched: override.model,
      origin: "override",
      match,
    });
    for (const [index, name] of names.entries()) {
      const override = exactOverrides.get(name);
      if (override !== undefined) return fromOverride(override, index === 0 ? "exact" : "normalised");
    }
    const prefixTargets = names.slice(0, 2);
    for (const { prefix, override } of prefixOverrides) {
      if (prefixTargets.some((name) => name.startsWith(prefix))) return fromOverride(override, "prefix");
    }
    for (const [index, name] of names.entries()) {
      const row = rows.get(name);
      if (row !== undefined) {
        return {
          ...row.price,
          requested: model,
          matched: row.matched,
          origin: "table",
          match: index === 0 ? "exact" : "normalised",
          vendor: row.vendor,
          asOf: row.asOf,
          source: row.source,
        };
      }
    }
    return undefined;
  };

  return {
    asOf: table.asOf,
    table,
    overrides,
    priceOf,
    costOf(model, usage) {
      const price = priceOf(model);
      return price === undefined ? undefined : roundUsd(costAtPrice(price, usage));
    },
  };
}

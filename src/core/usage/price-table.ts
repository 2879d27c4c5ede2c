/**
 * The bundled price table for closed APIs: USD per 1M tokens, standard (non-batch, non-priority)
 * tier, text tokens.
 *
 * These prices were written down from the author's knowledge of the vendors' public price pages
 * around each vendor's `asOf` date; they were NOT fetched from the vendors and vendors change
 * prices without notice. Check them against the `source` pages before relying on them, and
 * override what differs (config `prices:` or `hearth tco --price model=input:output[:cached]`);
 * an override always wins over this table. A model missing here has no price: Hearth never
 * guesses one.
 */

/** A vendor whose prices the table carries. */
export type Vendor = "openai" | "anthropic" | "google";

/**
 * Prices for prompts above a size threshold. Anthropic (1M-context Sonnet) and Google (Pro models)
 * bill the whole request at a higher rate once its prompt is larger than the threshold.
 */
export interface LongContextPrice {
  /** The tier applies when a request's input tokens exceed this. */
  thresholdInputTokens: number;
  input: number;
  output: number;
  cachedInput?: number | undefined;
  cacheWrite?: number | undefined;
}

/** What one model costs, USD per 1M tokens. */
export interface ModelPrice {
  /** Uncached input (prompt) tokens. */
  input: number;
  /** Output tokens, reasoning tokens included (every vendor here bills them as output). */
  output: number;
  /** Input tokens read from the vendor's prompt cache; absent where the table has no such price. */
  cachedInput?: number | undefined;
  /** Input tokens written to the prompt cache (Anthropic: 5-minute cache writes). */
  cacheWrite?: number | undefined;
  longContext?: LongContextPrice | undefined;
}

/** One row of the table: a model, its other official names, its price. */
export interface PriceEntry extends ModelPrice {
  /** The vendor's model name without a snapshot date (`gpt-4o`, `claude-sonnet-4-5`). */
  model: string;
  /** Other names the vendor uses for exactly this model and price (`claude-sonnet-4-0`). */
  aliases?: readonly string[] | undefined;
  note?: string | undefined;
}

/** All of one vendor's prices, with the date they were known and where to check them. */
export interface VendorPrices {
  vendor: Vendor;
  /** ISO date (YYYY-MM-DD) the prices below were known to be current. */
  asOf: string;
  /** The vendor's price page. */
  source: string;
  models: readonly PriceEntry[];
}

/** The whole table; `asOf` is the oldest vendor date, so nothing in it is newer than claimed. */
export interface PriceTable {
  asOf: string;
  notice: string;
  vendors: readonly VendorPrices[];
}

const openai: VendorPrices = {
  vendor: "openai",
  asOf: "2025-11-30",
  source: "https://platform.openai.com/docs/pricing",
  models: [
    { model: "gpt-5.1", input: 1.25, cachedInput: 0.125, output: 10 },
    { model: "gpt-5", aliases: ["gpt-5-chat-latest", "gpt-5-codex"], input: 1.25, cachedInput: 0.125, output: 10 },
    { model: "gpt-5-mini", input: 0.25, cachedInput: 0.025, output: 2 },
    { model: "gpt-5-nano", input: 0.05, cachedInput: 0.005, output: 0.4 },
    { model: "gpt-5-pro", input: 15, output: 120 },
    { model: "gpt-4.1", input: 2, cachedInput: 0.5, output: 8 },
    { model: "gpt-4.1-mini", input: 0.4, cachedInput: 0.1, output: 1.6 },
    { model: "gpt-4.1-nano", input: 0.1, cachedInput: 0.025, output: 0.4 },
    { model: "gpt-4o", input: 2.5, cachedInput: 1.25, output: 10 },
    { model: "gpt-4o-2024-05-13", input: 5, output: 15, note: "the first gpt-4o snapshot kept its launch price" },
    { model: "chatgpt-4o-latest", input: 5, output: 15 },
    { model: "gpt-4o-mini", input: 0.15, cachedInput: 0.075, output: 0.6 },
    { model: "o3", input: 2, cachedInput: 0.5, output: 8, note: "after the June 2025 price cut" },
    { model: "o3-pro", input: 20, output: 80 },
    { model: "o4-mini", input: 1.1, cachedInput: 0.275, output: 4.4 },
    { model: "o3-mini", input: 1.1, cachedInput: 0.55, output: 4.4 },
    { model: "o1", input: 15, cachedInput: 7.5, output: 60 },
    { model: "o1-mini", input: 1.1, cachedInput: 0.55, output: 4.4 },
    { model: "gpt-4-turbo", input: 10, output: 30 },
    { model: "gpt-3.5-turbo", input: 0.5, output: 1.5 },
  ],
};

/** Sonnet 4 / 4.5 with the 1M-token context: prompts over 200K tokens are billed at this rate. */
const sonnetLongContext: LongContextPrice = { thresholdInputTokens: 200_000, input: 6, output: 22.5, cachedInput: 0.6, cacheWrite: 7.5 };

const anthropic: VendorPrices = {
  vendor: "anthropic",
  asOf: "2025-11-30",
  source: "https://docs.anthropic.com/en/docs/about-claude/pricing",
  models: [
    { model: "claude-opus-4-5", input: 5, cacheWrite: 6.25, cachedInput: 0.5, output: 25 },
    { model: "claude-opus-4-1", input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
    { model: "claude-opus-4", aliases: ["claude-opus-4-0"], input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
    { model: "claude-sonnet-4-5", input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15, longContext: sonnetLongContext },
    { model: "claude-sonnet-4", aliases: ["claude-sonnet-4-0"], input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15, longContext: sonnetLongContext },
    { model: "claude-3-7-sonnet", input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
    { model: "claude-3-5-sonnet", aliases: ["claude-3-5-sonnet-v2"], input: 3, cacheWrite: 3.75, cachedInput: 0.3, output: 15 },
    { model: "claude-haiku-4-5", input: 1, cacheWrite: 1.25, cachedInput: 0.1, output: 5 },
    { model: "claude-3-5-haiku", input: 0.8, cacheWrite: 1, cachedInput: 0.08, output: 4 },
    { model: "claude-3-haiku", input: 0.25, cacheWrite: 0.3, cachedInput: 0.03, output: 1.25 },
    { model: "claude-3-opus", input: 15, cacheWrite: 18.75, cachedInput: 1.5, output: 75 },
  ],
};

const google: VendorPrices = {
  vendor: "google",
  asOf: "2025-11-30",
  source: "https://ai.google.dev/gemini-api/docs/pricing",
  models: [
    {
      model: "gemini-3-pro-preview",
      input: 2,
      output: 12,
      longContext: { thresholdInputTokens: 200_000, input: 4, output: 18 },
      note: "context caching not bundled (also billed per hour of storage): override if you use it",
    },
    {
      model: "gemini-2.5-pro",
      input: 1.25,
      output: 10,
      longContext: { thresholdInputTokens: 200_000, input: 2.5, output: 15 },
      note: "context caching not bundled (its price changed during 2025 and storage is billed per hour): override if you use it",
    },
    { model: "gemini-2.5-flash", input: 0.3, output: 2.5, note: "text/image/video input; audio input costs more; caching not bundled" },
    { model: "gemini-2.5-flash-lite", input: 0.1, output: 0.4, note: "text/image/video input; caching not bundled" },
    { model: "gemini-2.0-flash", input: 0.1, cachedInput: 0.025, output: 0.4, note: "text/image/video input" },
    { model: "gemini-2.0-flash-lite", input: 0.075, output: 0.3 },
    {
      model: "gemini-1.5-pro",
      input: 1.25,
      cachedInput: 0.3125,
      output: 5,
      longContext: { thresholdInputTokens: 128_000, input: 2.5, cachedInput: 0.625, output: 10 },
    },
    {
      model: "gemini-1.5-flash",
      input: 0.075,
      cachedInput: 0.01875,
      output: 0.3,
      longContext: { thresholdInputTokens: 128_000, input: 0.15, cachedInput: 0.0375, output: 0.6 },
    },
    {
      model: "gemini-1.5-flash-8b",
      input: 0.0375,
      cachedInput: 0.01,
      output: 0.15,
      longContext: { thresholdInputTokens: 128_000, input: 0.075, cachedInput: 0.02, output: 0.3 },
    },
  ],
};

export const priceTable: PriceTable = {
  asOf: [openai, anthropic, google].map((vendor) => vendor.asOf).sort()[0] as string,
  notice:
    "Bundled prices (USD per 1M tokens, standard tier) as known to Hearth's authors on the asOf date, not fetched from the vendors: " +
    "check them against each vendor's price page and override what differs.",
  vendors: [openai, anthropic, google],
};

/**
 * The closed models `hearth tco` compares against when none are named: one large and one small
 * current model per vendor.
 */
export const defaultComparisonModels: readonly string[] = [
  "gpt-5",
  "gpt-5-mini",
  "claude-sonnet-4-5",
  "claude-haiku-4-5",
  "gemini-2.5-pro",
  "gemini-2.5-flash",
];

import { readFile, stat, writeFile } from "node:fs/promises";
import { z } from "zod";
import { HearthError } from "../../spec/errors.ts";
import { createPriceBook, type PriceBook, type PriceOverride } from "../../core/usage/prices.ts";
import type { MachineCost, Throughput } from "../../core/usage/local-cost.ts";
import { computeTco, localBenchFile, type Assumption, type SelfHostedOption, type TcoResult } from "../../core/usage/tco.ts";
import { renderTcoHtml } from "./tco-html.ts";
import { formatTable } from "../table.ts";
import { breakEvenHeader, breakEvenRows, formatTokens, formatUsd, summaryHeader, summaryRows } from "./tco-format.ts";

/**
 * `hearth tco`: what the user's monthly token volume costs on each closed API and self-hosted,
 * and from which volume self-hosting pays. Numeric flags arrive as the strings commander gives
 * (or numbers); this module parses and checks them so every message names the flag.
 */
export interface TcoCommandOptions {
  /** `--tokens-per-month`: 5e8, 500M, 2B, 1.5T, 500_000_000. */
  tokensPerMonth: string | number;
  /** `--input-share`: 0.75 or 75% (default 0.75). */
  inputShare?: string | number | undefined;
  /** `--cached-share`: share of input read from the vendor's prompt cache (default 0). */
  cachedShare?: string | number | undefined;
  /** `--models`: closed models to compare, comma-separated or repeated (default: a representative set). */
  models?: string | readonly string[] | undefined;
  /** `--name`: label of the self-hosted option. */
  name?: string | undefined;
  /** `--gpu-hourly`: USD per hour of a rented machine. */
  gpuHourly?: string | number | undefined;
  /** `--hardware-cost`: USD purchase price of the machine. */
  hardwareCost?: string | number | undefined;
  /** `--amortisation-months` (default 36). */
  amortisationMonths?: string | number | undefined;
  /** `--power-watts`: draw while generating (default 300 W owned, 0 rented). */
  powerWatts?: string | number | undefined;
  /** `--idle-watts`: draw while idle (default: not counted). */
  idleWatts?: string | number | undefined;
  /** `--electricity-price`: USD per kWh (default 0.15). */
  electricityPrice?: string | number | undefined;
  /** `--utilisation`: the highest share of the month a machine is kept busy before adding one (default 0.5). */
  utilisation?: string | number | undefined;
  /** `--overhead`: other fixed USD per machine per month. */
  overheadPerMonth?: string | number | undefined;
  /** `--prompt-tps` / `--decode-tps`: throughput per machine; win over the bench file. */
  promptTps?: string | number | undefined;
  decodeTps?: string | number | undefined;
  /** `--bench-file`: a `bench:local` result; default `<dataDir>/bench/local-latest.json` when dataDir is given. */
  benchFile?: string | undefined;
  dataDir?: string | undefined;
  /** `--price model=input:output[:cached]` (USD per 1M tokens; `model` may end in `*`), repeatable. */
  prices?: readonly string[] | undefined;
  /** Price overrides from the config file; the `--price` flags come after them and so win. */
  priceOverrides?: readonly PriceOverride[] | undefined;
  /** `--html <file>`: also write the self-contained HTML page there. */
  html?: string | undefined;
  /** `--json`: print the result as JSON instead of tables. */
  json?: boolean | undefined;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
  /** For tests: the clock for the page footer. */
  now?: (() => Date) | undefined;
}

/** Placeholder figures when neither a bench file nor flags give any; always labelled as such. */
export const tcoDefaults = {
  hardwareCost: 2000,
  amortisationMonths: 36,
  powerWatts: 300,
  electricityPerKwh: 0.15,
  promptTokensPerSecond: 500,
  decodeTokensPerSecond: 50,
} as const;

class UsageError extends Error {}

const multipliers: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/** Parses a token volume: `5e8`, `500M`, `2B`, `1.5T`, `750k`, `500_000_000`, `1,000,000`; undefined when it is not one. */
export function parseTokenVolume(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d[\d_,]*(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kmbgt])?\s*$/i.exec(value);
  if (match === null) return undefined;
  const number = Number((match[1] as string).replace(/[_,]/g, ""));
  const parsed = number * (match[2] === undefined ? 1 : (multipliers[match[2].toLowerCase()] ?? Number.NaN));
  return Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
}

function numberFlag(value: string | number | undefined, flag: string, check: { min?: number; max?: number; positive?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === "number" ? value : value.trim() === "" ? Number.NaN : Number(value.trim());
  const tooLow = check.positive === true ? !(parsed > 0) : parsed < (check.min ?? 0);
  if (!Number.isFinite(parsed) || tooLow || (check.max !== undefined && parsed > check.max)) {
    const range = check.max !== undefined ? `between ${check.positive === true ? "0 (excluded)" : (check.min ?? 0)} and ${check.max}` : check.positive === true ? "a positive number" : "a non-negative number";
    throw new UsageError(`${flag} must be ${range} (got ${JSON.stringify(String(value))}).`);
  }
  return parsed;
}

/** A share as 0.75 or 75%. */
function shareFlag(value: string | number | undefined, flag: string, positive = false): number | undefined {
  if (typeof value === "string" && value.trim().endsWith("%")) {
    const percent = numberFlag(value.trim().slice(0, -1), flag, { min: 0, max: 100, positive });
    return percent === undefined ? undefined : percent / 100;
  }
  return numberFlag(value, flag, { min: 0, max: 1, positive });
}

/** `--price model=input:output[:cached]`. */
export function parsePriceFlag(text: string): PriceOverride {
  const match = /^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+)(?::([^:]+))?\s*$/.exec(text);
  if (match === null) throw new UsageError(`--price ${JSON.stringify(text)}: expected model=input:output[:cached] in USD per 1M tokens, e.g. gpt-4o=2.5:10:1.25.`);
  const price = (part: string | undefined, what: string): number | undefined => {
    if (part === undefined) return undefined;
    const value = Number(part.trim());
    if (part.trim() === "" || !Number.isFinite(value) || value < 0) throw new UsageError(`--price ${JSON.stringify(text)}: the ${what} price must be a non-negative number.`);
    return value;
  };
  const override: PriceOverride = { model: match[1] as string, input: price(match[2], "input") as number, output: price(match[3], "output") as number };
  const cached = price(match[4], "cached-input");
  if (cached !== undefined) override.cachedInput = cached;
  return override;
}

function modelList(models: string | readonly string[] | undefined): string[] | undefined {
  if (models === undefined) return undefined;
  const list = (typeof models === "string" ? [models] : [...models])
    .flatMap((entry) => entry.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (list.length === 0) throw new UsageError("--models needs at least one model name.");
  return list;
}

const rate = z.number().nullish();
const pathSummarySchema = z.looseObject({ promptTokensPerSecond: rate, decodeTokensPerSecond: rate });
/** The parts of a `bench:local` result `hearth tco` uses; NaN was written as null. */
const benchFileSchema = z.looseObject({
  measuredAt: z.string().optional(),
  machine: z.looseObject({ cpuModel: z.string().optional(), cores: z.number().optional() }).optional(),
  settings: z.looseObject({ preset: z.string().nullish(), threads: z.number().optional() }).optional(),
  model: z.looseObject({ path: z.string().optional(), fileBytes: z.number().optional() }).optional(),
  direct: pathSummarySchema.nullish(),
  hearth: pathSummarySchema.nullish(),
  concurrency: z.array(z.looseObject({ streams: z.number(), aggregateDecodeTokensPerSecond: rate })).optional(),
});

/** Throughput read from a bench file, with what to say about where it came from. */
export interface BenchThroughput {
  file: string;
  measuredAt: string;
  promptTokensPerSecond: number | undefined;
  decodeTokensPerSecond: number | undefined;
  /** One sentence each: the path measured, the model, the machine, caveats. */
  notes: string[];
}

function usable(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

/** Reads a `bench:local` result; throws Error with a readable message when the file is not one. */
export async function readBenchFile(file: string): Promise<BenchThroughput> {
  const text = await readFile(file, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = benchFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: not a bench:local result (${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? ""})`);
  const bench = parsed.data;
  const measuredAt = bench.measuredAt ?? `${(await stat(file)).mtime.toISOString()} (file time)`;
  const notes: string[] = [];

  const path = usable(bench.hearth?.promptTokensPerSecond) ? "hearth" : "direct";
  const summary = path === "hearth" ? bench.hearth : bench.direct;
  const promptTokensPerSecond = usable(summary?.promptTokensPerSecond) ? summary?.promptTokensPerSecond ?? undefined : undefined;
  const single = usable(summary?.decodeTokensPerSecond) ? (summary?.decodeTokensPerSecond as number) : undefined;
  const best = (bench.concurrency ?? []).filter((entry) => usable(entry.aggregateDecodeTokensPerSecond)).sort(
    (a, b) => (b.aggregateDecodeTokensPerSecond as number) - (a.aggregateDecodeTokensPerSecond as number),
  )[0];
  let decodeTokensPerSecond = single;
  if (best !== undefined && (single === undefined || (best.aggregateDecodeTokensPerSecond as number) > single)) {
    decodeTokensPerSecond = best.aggregateDecodeTokensPerSecond as number;
    notes.push(`generated tok/s is the aggregate over ${best.streams} concurrent streams (the best the run measured)`);
  } else if (single !== undefined) {
    notes.push("generated tok/s is one stream's rate");
  }
  notes.unshift(path === "hearth" ? "measured through Hearth's HTTP API" : "measured on node-llama-cpp directly (a --direct-only run)");

  const preset = bench.settings?.preset ?? undefined;
  const bytes = bench.model?.fileBytes;
  const size = bytes === undefined ? "" : bytes >= 1e9 ? `, ${(bytes / 1e9).toFixed(2)} GB` : `, ${(bytes / 1e6).toFixed(1)} MB`;
  if (preset === "tiny") notes.push(`model: the tiny generated model of a --quick smoke run${size}: NOT representative of any real model`);
  else if (preset !== undefined) notes.push(`model: a generated ${preset}-shaped model with random weights${size}: the speed of that size of model, not necessarily of yours`);
  else if (bench.model?.path !== undefined) notes.push(`model: ${bench.model.path}${size}`);
  const machine = bench.machine;
  if (machine !== undefined) {
    notes.push(
      `machine: ${machine.cpuModel ?? "unknown CPU"}${machine.cores === undefined ? "" : `, ${machine.cores} cores`}` +
        `${bench.settings?.threads === undefined ? "" : `, ${bench.settings.threads} thread${bench.settings.threads === 1 ? "" : "s"}`}, CPU only (bench:local does not use a GPU)`,
    );
  }
  return { file, measuredAt, promptTokensPerSecond, decodeTokensPerSecond, notes };
}

function fileMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}

interface Prepared {
  tokensPerMonth: number;
  inputShare: number | undefined;
  cachedShare: number | undefined;
  models: string[] | undefined;
  option: SelfHostedOption;
  priceBook: PriceBook;
  assumptions: Assumption[];
  bench: BenchThroughput | undefined;
}

async function prepare(options: TcoCommandOptions): Promise<Prepared> {
  const tokensPerMonth = parseTokenVolume(options.tokensPerMonth);
  if (tokensPerMonth === undefined) {
    throw new UsageError(`--tokens-per-month must be a positive token count such as 5e8, 500M or 2B (got ${JSON.stringify(String(options.tokensPerMonth))}).`);
  }
  const inputShare = shareFlag(options.inputShare, "--input-share");
  const cachedShare = shareFlag(options.cachedShare, "--cached-share");
  const models = modelList(options.models);
  const gpuHourly = numberFlag(options.gpuHourly, "--gpu-hourly");
  const hardwareCostFlag = numberFlag(options.hardwareCost, "--hardware-cost");
  const amortisationFlag = numberFlag(options.amortisationMonths, "--amortisation-months", { positive: true });
  const powerFlag = numberFlag(options.powerWatts, "--power-watts");
  const idleWatts = numberFlag(options.idleWatts, "--idle-watts");
  const electricityFlag = numberFlag(options.electricityPrice, "--electricity-price");
  const maxUtilisation = shareFlag(options.utilisation, "--utilisation", true);
  const overheadPerMonth = numberFlag(options.overheadPerMonth, "--overhead");
  const promptFlag = numberFlag(options.promptTps, "--prompt-tps", { positive: true });
  const decodeFlag = numberFlag(options.decodeTps, "--decode-tps", { positive: true });
  const flagOverrides = (options.prices ?? []).map(parsePriceFlag);
  const priceBook = createPriceBook({ overrides: [...(options.priceOverrides ?? []), ...flagOverrides] });

  const assumptions: Assumption[] = [];
  const defaultsUsed: string[] = [];
  const rented = gpuHourly !== undefined;
  let hardwareCost = hardwareCostFlag;
  let amortisationMonths = amortisationFlag;
  if (!rented && hardwareCost === undefined) {
    hardwareCost = tcoDefaults.hardwareCost;
    defaultsUsed.push(`hardware cost ${formatUsd(hardwareCost)} (--hardware-cost, or --gpu-hourly for a rented machine)`);
  }
  if (hardwareCost !== undefined && hardwareCost > 0 && amortisationMonths === undefined) {
    amortisationMonths = tcoDefaults.amortisationMonths;
    defaultsUsed.push(`written off over ${amortisationMonths} months (--amortisation-months)`);
  }
  let powerWatts = powerFlag;
  if (powerWatts === undefined) {
    powerWatts = rented && hardwareCost === undefined ? 0 : tcoDefaults.powerWatts;
    if (powerWatts > 0) defaultsUsed.push(`power ${powerWatts} W while generating (--power-watts)`);
    else assumptions.push({ subject: "power", text: "Electricity counted as included in the hourly rate (pass --power-watts if you pay it separately)." });
  }
  let electricityPerKwh = electricityFlag;
  if (electricityPerKwh === undefined) {
    electricityPerKwh = tcoDefaults.electricityPerKwh;
    if (powerWatts > 0 || (idleWatts ?? 0) > 0) defaultsUsed.push(`electricity ${formatUsd(electricityPerKwh)} per kWh (--electricity-price)`);
  }
  if (idleWatts !== undefined && idleWatts > powerWatts) throw new UsageError(`--idle-watts (${idleWatts}) cannot exceed --power-watts (${powerWatts}).`);

  let bench: BenchThroughput | undefined;
  const benchFile = options.benchFile ?? (options.dataDir === undefined ? undefined : localBenchFile(options.dataDir));
  if (benchFile !== undefined && (promptFlag === undefined || decodeFlag === undefined)) {
    try {
      bench = await readBenchFile(benchFile);
    } catch (error) {
      if (options.benchFile !== undefined) throw error;
      if (!fileMissing(error)) {
        options.errorOutput.write(`hearth tco: ignoring ${benchFile}: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }

  const sources: string[] = [];
  let usedBench = false;
  const pick = (flag: number | undefined, measured: number | undefined, fallback: number, what: string, flagName: string): number => {
    if (flag !== undefined) {
      sources.push(`${what} from ${flagName}`);
      return flag;
    }
    if (measured !== undefined && bench !== undefined) {
      usedBench = true;
      sources.push(`${what} from ${bench.file}, measured ${bench.measuredAt}`);
      return measured;
    }
    sources.push(`${what} a PLACEHOLDER default, not measured`);
    defaultsUsed.push(`${fallback} ${what} (run \`npm run bench:local\` or pass ${flagName})`);
    return fallback;
  };
  const throughput: Throughput = {
    promptTokensPerSecond: pick(promptFlag, bench?.promptTokensPerSecond, tcoDefaults.promptTokensPerSecond, "prompt tok/s", "--prompt-tps"),
    decodeTokensPerSecond: pick(decodeFlag, bench?.decodeTokensPerSecond, tcoDefaults.decodeTokensPerSecond, "generated tok/s", "--decode-tps"),
  };
  if (bench !== undefined && usedBench) {
    assumptions.push({ subject: "benchmark", text: `Throughput from ${bench.file} (npm run bench:local, measured ${bench.measuredAt}): ${bench.notes.join("; ")}.` });
  }
  if (defaultsUsed.length > 0) {
    assumptions.push({ subject: "defaults", text: `Not your figures, defaults: ${defaultsUsed.join("; ")}. Pass the flags named to use your own.` });
  }

  const machine: MachineCost = { powerWatts, electricityPerKwh };
  if (hardwareCost !== undefined) machine.hardwareCost = hardwareCost;
  if (amortisationMonths !== undefined) machine.amortisationMonths = amortisationMonths;
  if (gpuHourly !== undefined) machine.hourlyRate = gpuHourly;
  if (idleWatts !== undefined) machine.idlePowerWatts = idleWatts;
  if (overheadPerMonth !== undefined) machine.overheadPerMonth = overheadPerMonth;
  const name = options.name?.trim() || (rented ? "rented GPU" : "own hardware");
  return {
    tokensPerMonth,
    inputShare,
    cachedShare,
    models,
    option: { name, machine, throughput, throughputSource: describeSources(sources), maxUtilisation },
    priceBook,
    assumptions,
    bench,
  };
}

/** "prompt tok/s from X; generated tok/s from X" → "both from X". */
function describeSources(sources: readonly string[]): string {
  const [prompt, decode] = sources;
  const prefix = "prompt tok/s ";
  const decodePrefix = "generated tok/s ";
  if (prompt !== undefined && decode !== undefined && prompt.startsWith(prefix) && decode.startsWith(decodePrefix) && prompt.slice(prefix.length) === decode.slice(decodePrefix.length)) {
    return `both ${prompt.slice(prefix.length)}`;
  }
  return sources.join("; ");
}

/** The text report: the table at the volume, the break-evens, the assumptions. */
export function formatTcoReport(result: TcoResult): string {
  const lines = [
    `Total cost of ownership at ${formatTokens(result.tokensPerMonth)} tokens per month ` +
      `(${formatTokens(result.inputTokensPerMonth)} input, ${formatTokens(result.outputTokensPerMonth)} output)`,
    `Closed API prices: Hearth's bundled table dated ${result.priceTableAsOf} — check them; overrides win (see assumptions).`,
    "",
    formatTable(summaryHeader, summaryRows(result)),
  ];
  if (result.breakEvens.length > 0) {
    lines.push("", "Break-even: the monthly volume from which self-hosting costs no more than the API", formatTable(breakEvenHeader, breakEvenRows(result)));
  }
  lines.push("", "Assumptions:", ...result.assumptions.map((assumption) => `- ${assumption.subject}: ${assumption.text}`));
  return `${lines.join("\n")}\n`;
}

/** Runs `hearth tco`; returns the exit code: 0 done, 1 a file could not be read or written, 2 bad options. */
export async function runTco(options: TcoCommandOptions): Promise<number> {
  const fail = (message: string, code: number): number => {
    options.errorOutput.write(`hearth tco: ${message}\n`);
    return code;
  };
  let prepared: Prepared;
  try {
    prepared = await prepare(options);
  } catch (error) {
    if (error instanceof UsageError || HearthError.isInstance(error)) return fail(error.message, 2);
    return fail(error instanceof Error ? error.message : String(error), 1);
  }

  let result: TcoResult;
  try {
    result = computeTco({
      tokensPerMonth: prepared.tokensPerMonth,
      inputShare: prepared.inputShare,
      cachedInputShare: prepared.cachedShare,
      priceBook: prepared.priceBook,
      closedModels: prepared.models,
      selfHosted: [prepared.option],
    });
  } catch (error) {
    if (HearthError.isInstance(error)) return fail(error.message, 2);
    throw error;
  }
  if (prepared.models !== undefined && result.unpriced.length > 0) {
    return fail(
      `no price known for ${result.unpriced.join(", ")} (not in the bundled table dated ${result.priceTableAsOf}); ` +
        `add one with --price ${result.unpriced[0]}=<input>:<output> (USD per 1M tokens).`,
      2,
    );
  }
  result.assumptions.push(...prepared.assumptions);

  if (options.html !== undefined) {
    try {
      await writeFile(options.html, renderTcoHtml(result, { generatedAt: (options.now ?? (() => new Date()))() }));
    } catch (error) {
      return fail(`cannot write ${options.html}: ${error instanceof Error ? error.message : String(error)}`, 1);
    }
  }
  if (options.json === true) {
    options.output.write(`${JSON.stringify({ ...result, benchFile: prepared.bench === undefined ? null : { file: prepared.bench.file, measuredAt: prepared.bench.measuredAt } }, null, 2)}\n`);
  } else {
    options.output.write(formatTcoReport(result));
    if (options.html !== undefined) options.output.write(`\nHTML page written to ${options.html}\n`);
  }
  return 0;
}

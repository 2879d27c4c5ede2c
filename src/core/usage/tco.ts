/**
 * Total cost of ownership: at a monthly token volume, what does each closed API cost and what does
 * self-hosting cost, where do they cross, and on which assumptions. Pure computation; the CLI
 * (`hearth tco`) gathers the inputs and renders the result.
 *
 * Model: a closed API costs k × V (k = USD per token at the input/output mix). A self-hosted
 * option needs n(V) = max(1, ⌈V ÷ T⌉) machines, T = tokens one machine serves per month at the
 * maximum utilisation, and costs n(V) × F + e × V: F = one machine's fixed monthly cost (hardware
 * amortisation or rent, overhead, idle power for the whole month), e = the extra energy per token
 * while generating. Busy time per token = inputShare ÷ prompt tok/s + (1 − inputShare) ÷ decode tok/s.
 */
import path from "node:path";
import { HearthError } from "../../spec/errors.ts";
import { defaultComparisonModels } from "./price-table.ts";
import { costAtPrice, type PriceBook, type ResolvedPrice } from "./prices.ts";
import {
  energyCostPerHour,
  hoursPerMonth,
  machineFixedCosts,
  validateMachineCost,
  validateThroughput,
  type MachineCost,
  type Throughput,
} from "./local-cost.ts";

/**
 * Default share of tokens that are input. Chat with history, RAG and agents send far more context
 * than they generate (prompts of thousands of tokens, answers of hundreds): 3:1 to 10:1 is usual.
 * 3:1 is the low end of that, so the default does not flatter the cheap input prices of closed APIs,
 * and (as output dominates self-hosted time per token) it does not flatter self-hosting either.
 */
export const defaultInputShare = 0.75;

/**
 * Default highest share of a month one machine is kept busy. Traffic comes in office hours and
 * peaks; a machine sized so requests rarely queue ends up busy about half the time on average.
 */
export const defaultMaxUtilisation = 0.5;

/** Where `npm run bench:local` leaves its latest result and `hearth tco` looks for it. */
export function localBenchFile(dataDir: string): string {
  return path.join(dataDir, "bench", "local-latest.json");
}

/** One way to self-host: a machine, the speed of the model on it, and how busy it may be. */
export interface SelfHostedOption {
  name: string;
  machine: MachineCost;
  throughput: Throughput;
  /** Where the throughput figures come from (a bench file, flags, defaults): stated in the assumptions. */
  throughputSource?: string | undefined;
  /** Highest share of hours a machine is busy before another is added, in (0, 1] (default 0.5). */
  maxUtilisation?: number | undefined;
}

export interface TcoInput {
  /** Total tokens (input + output) per month. */
  tokensPerMonth: number;
  /** Share of those tokens that are input (prompt), in [0, 1] (default 0.75, see defaultInputShare). */
  inputShare?: number | undefined;
  /** Share of input tokens read from a vendor's prompt cache, in [0, 1] (default 0). */
  cachedInputShare?: number | undefined;
  priceBook: PriceBook;
  /** Closed models to compare (default: defaultComparisonModels); models without a price are listed in `unpriced`. */
  closedModels?: readonly string[] | undefined;
  selfHosted: readonly SelfHostedOption[];
  /** Chart resolution (default 16 points per factor of ten). */
  pointsPerDecade?: number | undefined;
}

/** A fact the result rests on, printed with it: `subject` says what it concerns. */
export interface Assumption {
  subject: string;
  text: string;
}

export interface ClosedOptionResult {
  kind: "closed";
  name: string;
  price: ResolvedPrice;
  /** USD per token at the input/output/cache mix. */
  costPerToken: number;
  costPerMonth: number;
  costPerMillionTokens: number;
}

export interface SelfHostedOptionResult {
  kind: "self-hosted";
  name: string;
  machines: number;
  /** Average busy share of the machines at the volume. */
  utilisation: number;
  busyHoursPerMonth: number;
  /** T: tokens one machine serves per month at the maximum utilisation. */
  tokensPerMachinePerMonth: number;
  /** F: one machine's fixed USD per month (idle power for the whole month included). */
  fixedCostPerMachinePerMonth: number;
  /** e: extra USD of energy per token generated or processed. */
  energyCostPerToken: number;
  costPerMonth: number;
  costPerMillionTokens: number;
  breakdown: { hardware: number; rental: number; overhead: number; energy: number };
  throughput: Throughput;
  maxUtilisation: number;
}

export type TcoOptionResult = ClosedOptionResult | SelfHostedOptionResult;

/** Where a self-hosted option and a closed API cost the same. */
export interface BreakEven {
  selfHosted: string;
  closed: string;
  /** Lowest tokens/month at which self-hosting costs no more than the API; undefined when it never does. */
  volume: number | undefined;
  /** Cost per month of either at `volume`. */
  costPerMonth: number | undefined;
  /**
   * Tokens/month from which self-hosting is cheaper at every higher volume. Can be above `volume`:
   * just past a machine's capacity the next machine makes self-hosting dearer again for a while.
   */
  cheaperFromVolume: number | undefined;
}

export interface CostPoint {
  tokensPerMonth: number;
  costPerMonth: number;
}

export interface CostSeries {
  name: string;
  kind: "closed" | "self-hosted";
  points: CostPoint[];
}

export interface TcoResult {
  tokensPerMonth: number;
  inputShare: number;
  cachedInputShare: number;
  inputTokensPerMonth: number;
  outputTokensPerMonth: number;
  priceTableAsOf: string;
  /** Self-hosted options first, then closed APIs, each in the order given. */
  options: TcoOptionResult[];
  breakEvens: BreakEven[];
  /** Cost per month over a log-spaced range of volumes, one series per option, for the chart. */
  series: CostSeries[];
  volumeRange: { min: number; max: number };
  /** Closed models asked for that have no price (left out rather than guessed). */
  unpriced: string[];
  assumptions: Assumption[];
}

function invalid(param: string, message: string): never {
  throw new HearthError("invalid_request", `${param} ${message}`, { param });
}

function share(value: number | undefined, fallback: number, param: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0 || chosen > 1) invalid(param, `must be between 0 and 1 (got ${String(value)}).`);
  return chosen;
}

/** The fixed and per-token parameters of one self-hosted option, as in the module comment. */
interface SelfHostedModel {
  option: SelfHostedOption;
  maxUtilisation: number;
  secondsPerToken: number;
  tokensPerMachine: number;
  fixedPerMachine: number;
  energyPerToken: number;
  fixed: ReturnType<typeof machineFixedCosts>;
  idleEnergyPerMachine: number;
}

function selfHostedModel(option: SelfHostedOption, inputShare: number, index: number): SelfHostedModel {
  if (option.name.trim() === "") invalid(`selfHosted[${index}].name`, "must not be empty.");
  validateMachineCost(option.machine);
  validateThroughput(option.throughput);
  const maxUtilisation = option.maxUtilisation ?? defaultMaxUtilisation;
  if (!Number.isFinite(maxUtilisation) || maxUtilisation <= 0 || maxUtilisation > 1) {
    invalid(`selfHosted[${index}].maxUtilisation`, `must be in (0, 1] (got ${String(option.maxUtilisation)}).`);
  }
  const { machine, throughput } = option;
  const secondsPerToken = inputShare / throughput.promptTokensPerSecond + (1 - inputShare) / throughput.decodeTokensPerSecond;
  const fixed = machineFixedCosts(machine);
  const idleWatts = machine.idlePowerWatts ?? 0;
  const idleEnergyPerMachine = hoursPerMonth * energyCostPerHour(idleWatts, machine.electricityPerKwh);
  return {
    option,
    maxUtilisation,
    secondsPerToken,
    tokensPerMachine: (hoursPerMonth * 3600 * maxUtilisation) / secondsPerToken,
    fixedPerMachine: fixed.hardwarePerMonth + fixed.rentalPerMonth + fixed.overheadPerMonth + idleEnergyPerMachine,
    energyPerToken: (secondsPerToken / 3600) * energyCostPerHour(machine.powerWatts - idleWatts, machine.electricityPerKwh),
    fixed,
    idleEnergyPerMachine,
  };
}

/** Machines needed for a volume: at least one, then one more per T tokens (tolerating float noise at exact multiples). */
function machinesFor(model: SelfHostedModel, tokensPerMonth: number): number {
  return Math.max(1, Math.ceil(tokensPerMonth / model.tokensPerMachine - 1e-9));
}

function selfHostedCost(model: SelfHostedModel, tokensPerMonth: number, machines = machinesFor(model, tokensPerMonth)): number {
  return machines * model.fixedPerMachine + model.energyPerToken * tokensPerMonth;
}

/**
 * Break-even of cost n(V)·F + e·V against k·V. On the n-th machine's interval ((n−1)T, nT] self-
 * hosting is no dearer from V = n·b, b = F ÷ (k − e); that lies inside the interval for every n
 * exactly when b ≤ T. From the first n with n·b ≤ (n−1)·T, i.e. n ≥ T ÷ (T − b), whole intervals are
 * cheaper, so self-hosting stays cheaper from (n − 1)·b on.
 */
export function breakEvenVolumes(
  fixedPerMachine: number,
  energyPerToken: number,
  tokensPerMachine: number,
  closedCostPerToken: number,
): { volume: number | undefined; cheaperFromVolume: number | undefined } {
  const margin = closedCostPerToken - energyPerToken;
  if (fixedPerMachine === 0) return margin >= 0 ? { volume: 0, cheaperFromVolume: 0 } : { volume: undefined, cheaperFromVolume: undefined };
  if (margin <= 0) return { volume: undefined, cheaperFromVolume: undefined };
  const b = fixedPerMachine / margin;
  if (b > tokensPerMachine) return { volume: undefined, cheaperFromVolume: undefined };
  if (b === tokensPerMachine) return { volume: b, cheaperFromVolume: undefined };
  const firstWholeInterval = Math.max(2, Math.ceil(tokensPerMachine / (tokensPerMachine - b) - 1e-9));
  return { volume: b, cheaperFromVolume: (firstWholeInterval - 1) * b };
}

/** Token counts the way people say them: 500M, 2B, 1.5T (three significant digits). */
export function formatCount(value: number): string {
  const units: Array<[number, string]> = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, suffix] of units) {
    if (Math.abs(value) >= size * 0.9995) return `${Number((value / size).toPrecision(3))}${suffix}`;
  }
  return `${Number(value.toPrecision(3))}`;
}

function usd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${Number(value.toPrecision(3))}`;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** USD with the decimals it has, up to four ($0.125 per 1M tokens, not $0.13). */
function preciseUsd(value: number): string {
  return `$${Number(value.toFixed(4)).toLocaleString("en-US", { minimumFractionDigits: Number.isInteger(value) ? 0 : 2, maximumFractionDigits: 4 })}`;
}

function describePrice(price: ResolvedPrice): string {
  const parts = [`${preciseUsd(price.input)} input`, `${preciseUsd(price.output)} output`];
  if (price.cachedInput !== undefined) parts.push(`${preciseUsd(price.cachedInput)} cached input`);
  const origin =
    price.origin === "override"
      ? `override ${JSON.stringify(price.matched)}`
      : `bundled table: ${price.vendor ?? "?"} ${JSON.stringify(price.matched)}, as of ${price.asOf ?? "?"}, ${price.source ?? ""}`;
  return `${parts.join(", ")} per 1M tokens (${origin})`;
}

/** A tokens/s figure without false precision: 57996, 1575, 12.5. */
function rate(value: number): string {
  return value >= 1000 ? value.toFixed(0) : `${Number(value.toPrecision(3))}`;
}

function logSpace(min: number, max: number, perDecade: number): number[] {
  const low = Math.log10(min);
  const high = Math.log10(max);
  const steps = Math.max(1, Math.round((high - low) * perDecade));
  return Array.from({ length: steps + 1 }, (_, index) => 10 ** (low + ((high - low) * index) / steps));
}

/** Computes the comparison; throws an `invalid_request` HearthError naming a bad input. */
export function computeTco(input: TcoInput): TcoResult {
  const tokensPerMonth = input.tokensPerMonth;
  if (!Number.isFinite(tokensPerMonth) || tokensPerMonth <= 0) invalid("tokensPerMonth", `must be a positive number (got ${String(tokensPerMonth)}).`);
  const inputShare = share(input.inputShare, defaultInputShare, "inputShare");
  const cachedInputShare = share(input.cachedInputShare, 0, "cachedInputShare");
  const pointsPerDecade = input.pointsPerDecade ?? 16;
  if (!Number.isInteger(pointsPerDecade) || pointsPerDecade < 1) invalid("pointsPerDecade", "must be a positive integer.");
  const names = new Set<string>();
  for (const [index, option] of input.selfHosted.entries()) {
    if (names.has(option.name)) invalid(`selfHosted[${index}].name`, `${JSON.stringify(option.name)} is used twice.`);
    names.add(option.name);
  }

  const inputTokensPerMonth = tokensPerMonth * inputShare;
  const outputTokensPerMonth = tokensPerMonth - inputTokensPerMonth;

  const closed: ClosedOptionResult[] = [];
  const unpriced: string[] = [];
  for (const name of input.closedModels ?? defaultComparisonModels) {
    if (closed.some((option) => option.name === name)) continue;
    const price = input.priceBook.priceOf(name);
    if (price === undefined) {
      unpriced.push(name);
      continue;
    }
    // Per token at the mix: the same arithmetic as a single request of one million tokens.
    const perMillion = costAtPrice(price, {
      inputTokens: 1e6 * inputShare,
      cachedInputTokens: 1e6 * inputShare * cachedInputShare,
      outputTokens: 1e6 * (1 - inputShare),
    });
    const costPerToken = perMillion / 1e6;
    closed.push({
      kind: "closed",
      name,
      price,
      costPerToken,
      costPerMonth: costPerToken * tokensPerMonth,
      costPerMillionTokens: perMillion,
    });
  }

  const models = input.selfHosted.map((option, index) => selfHostedModel(option, inputShare, index));
  const selfHosted: SelfHostedOptionResult[] = models.map((model) => {
    const machines = machinesFor(model, tokensPerMonth);
    const busyHours = (tokensPerMonth * model.secondsPerToken) / 3600;
    const costPerMonth = selfHostedCost(model, tokensPerMonth, machines);
    return {
      kind: "self-hosted",
      name: model.option.name,
      machines,
      utilisation: busyHours / (machines * hoursPerMonth),
      busyHoursPerMonth: busyHours,
      tokensPerMachinePerMonth: model.tokensPerMachine,
      fixedCostPerMachinePerMonth: model.fixedPerMachine,
      energyCostPerToken: model.energyPerToken,
      costPerMonth,
      costPerMillionTokens: (costPerMonth / tokensPerMonth) * 1e6,
      breakdown: {
        hardware: machines * model.fixed.hardwarePerMonth,
        rental: machines * model.fixed.rentalPerMonth,
        overhead: machines * model.fixed.overheadPerMonth,
        energy: machines * model.idleEnergyPerMachine + model.energyPerToken * tokensPerMonth,
      },
      throughput: { ...model.option.throughput },
      maxUtilisation: model.maxUtilisation,
    };
  });

  const breakEvens: BreakEven[] = [];
  for (const model of models) {
    for (const option of closed) {
      const { volume, cheaperFromVolume } = breakEvenVolumes(model.fixedPerMachine, model.energyPerToken, model.tokensPerMachine, option.costPerToken);
      breakEvens.push({
        selfHosted: model.option.name,
        closed: option.name,
        volume,
        costPerMonth: volume === undefined ? undefined : option.costPerToken * volume,
        cheaperFromVolume,
      });
    }
  }

  // Chart range: one decade below the lowest volume of interest to one above the highest.
  const interesting = [tokensPerMonth, ...breakEvens.flatMap((entry) => [entry.volume, entry.cheaperFromVolume])].filter(
    (value): value is number => value !== undefined && value > 0,
  );
  const min = Math.max(1, 10 ** (Math.floor(Math.log10(Math.min(...interesting))) - 1));
  const max = Math.min(1e16, 10 ** (Math.ceil(Math.log10(Math.max(...interesting))) + 1));
  const grid = logSpace(min, max, pointsPerDecade);
  const series: CostSeries[] = [
    ...models.map((model): CostSeries => {
      const volumes = [...grid];
      // The steps where a machine is added, drawn as steps rather than slopes when there are not too many.
      const firstStep = Math.ceil(min / model.tokensPerMachine);
      const lastStep = Math.floor(max / model.tokensPerMachine);
      if (lastStep - firstStep <= 400) {
        for (let step = Math.max(1, firstStep); step <= lastStep; step++) {
          const edge = step * model.tokensPerMachine;
          if (edge > min && edge < max) volumes.push(edge, edge * (1 + 1e-6));
        }
      }
      volumes.sort((a, b) => a - b);
      return {
        name: model.option.name,
        kind: "self-hosted",
        points: volumes.map((volume) => ({ tokensPerMonth: volume, costPerMonth: selfHostedCost(model, volume) })),
      };
    }),
    ...closed.map((option): CostSeries => ({
      name: option.name,
      kind: "closed",
      points: grid.map((volume) => ({ tokensPerMonth: volume, costPerMonth: option.costPerToken * volume })),
    })),
  ];

  const assumptions: Assumption[] = [
    {
      subject: "volume",
      text:
        `${formatCount(tokensPerMonth)} tokens per month: ${formatCount(inputTokensPerMonth)} input (${(inputShare * 100).toFixed(1)}%), ` +
        `${formatCount(outputTokensPerMonth)} output.` +
        (input.inputShare === undefined
          ? ` Input share is the default ${defaultInputShare}: chat with history, RAG and agents send far more context than they generate (3:1 to 10:1 is usual); 3:1 is the low end.`
          : ""),
    },
    {
      subject: "month",
      text: `A month is ${hoursPerMonth} hours (365 × 24 ÷ 12); all costs are USD per month, excluding taxes.`,
    },
    {
      subject: "prices",
      text:
        `Closed API prices from Hearth's bundled price table dated ${input.priceBook.asOf} (standard tier, text tokens), written down from the vendors' ` +
        `price pages, not fetched: check them, and override what differs.` +
        (input.priceBook.overrides.length > 0 ? ` ${input.priceBook.overrides.length} price override(s) given; overrides win over the table.` : ""),
    },
    ...closed.map((option): Assumption => ({ subject: `price: ${option.name}`, text: describePrice(option.price) })),
    {
      subject: "prompt caching",
      text:
        cachedInputShare === 0
          ? "No prompt caching: every input token is billed at the full input price."
          : `${(cachedInputShare * 100).toFixed(1)}% of input tokens are read from the vendor's prompt cache, billed at the cached-input price where the table has one (the full input price otherwise); cache writes are not counted.`,
    },
    {
      subject: "closed APIs",
      text: "Every request is below the long-context threshold (no long-context surcharge); no batch discount, free tier, priority tier or volume discount.",
    },
  ];
  if (unpriced.length > 0) {
    assumptions.push({ subject: "left out", text: `No price known for ${unpriced.join(", ")}: left out rather than guessed (add a price override to include it).` });
  }
  for (const model of models) {
    const { option } = model;
    const machine = option.machine;
    const subject = `self-hosted: ${option.name}`;
    const cost: string[] = [];
    if ((machine.hardwareCost ?? 0) > 0) {
      cost.push(`hardware ${usd(machine.hardwareCost ?? 0)} per machine, written off over ${machine.amortisationMonths} months = ${usd(model.fixed.hardwarePerMonth)} per month`);
    }
    if ((machine.hourlyRate ?? 0) > 0) {
      cost.push(`rented at ${usd(machine.hourlyRate ?? 0)} per hour for all ${hoursPerMonth} hours of the month (always on) = ${usd(model.fixed.rentalPerMonth)} per month`);
    }
    if (cost.length === 0) cost.push("no hardware or rental cost (hardware already paid for)");
    if ((machine.overheadPerMonth ?? 0) > 0) cost.push(`overhead ${usd(machine.overheadPerMonth ?? 0)} per month`);
    assumptions.push(
      { subject, text: `Cost per machine: ${cost.join("; ")}.` },
      {
        subject,
        text:
          machine.powerWatts === 0 && (machine.idlePowerWatts ?? 0) === 0
            ? "No electricity cost counted (power draw 0 W)."
            : `Power ${machine.powerWatts} W while generating, ${machine.idlePowerWatts ?? 0} W idle${machine.idlePowerWatts === undefined ? " (idle draw not counted)" : ""}, ` +
              `electricity ${preciseUsd(machine.electricityPerKwh)} per kWh.`,
      },
      {
        subject,
        text:
          `Throughput ${rate(option.throughput.promptTokensPerSecond)} prompt tokens/s and ${rate(option.throughput.decodeTokensPerSecond)} generated tokens/s per machine` +
          `${option.throughputSource === undefined ? "" : ` (${option.throughputSource})`}; prompt processing and generation take turns, ` +
          `so busy time = input ÷ prompt tok/s + output ÷ generated tok/s = ${(model.secondsPerToken * 1e6 / 3600).toPrecision(3)} busy hours per 1M tokens.`,
      },
      {
        subject,
        text:
          `Machines: at least one, and enough that none is busy more than ${(model.maxUtilisation * 100).toFixed(0)}% of the month` +
          `${option.maxUtilisation === undefined ? " (default: traffic has peaks, a machine sized for them is busy about half the time)" : ""}; ` +
          `one machine serves up to ${formatCount(model.tokensPerMachine)} tokens per month.`,
      },
    );
  }
  if (models.length > 0) {
    assumptions.push({
      subject: "self-hosting",
      text: "Cost only: the local model is assumed good enough for the work; staff time, networking and storage are not counted unless included in the overhead.",
    });
  }

  return {
    tokensPerMonth,
    inputShare,
    cachedInputShare,
    inputTokensPerMonth,
    outputTokensPerMonth,
    priceTableAsOf: input.priceBook.asOf,
    options: [...selfHosted, ...closed],
    breakEvens,
    series,
    volumeRange: { min, max },
    unpriced,
    assumptions,
  };
}

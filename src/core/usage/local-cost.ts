/**
 * What a request to a local model costs, in the same USD as a closed API's price (prices.ts):
 * the machine's fixed monthly cost spread over the hours it does useful work, plus the
 * electricity those hours draw.
 *
 * Formula (H = 730 hours per month = 365 × 24 ÷ 12, u = utilisation):
 *
 *   fixed per month   F = hardwareCost ÷ amortisationMonths + hourlyRate × H + overheadPerMonth
 *                         + H × (1 − u) × idlePowerWatts ÷ 1000 × electricityPerKwh
 *   busy hours        B = H × u
 *   cost per busy hour C = F ÷ B + powerWatts ÷ 1000 × electricityPerKwh
 *   cost of a request    = C × busySeconds ÷ 3600 ÷ concurrentRequests
 *   busy seconds for tokens = inputTokens ÷ promptTokensPerSecond + outputTokens ÷ decodeTokensPerSecond
 *
 * A rented machine (`hourlyRate`) is paid for every hour it is held, busy or not, so its rate is
 * divided by u like a purchase price is; electricity is usually included in a rental (leave
 * `powerWatts` at 0 then). docs/usage.md, "Cost of local models", explains the same.
 */
import { HearthError } from "../../spec/errors.ts";
import { roundUsd } from "./prices.ts";

/** 365 × 24 ÷ 12: the month every monthly figure in Hearth's cost model uses. */
export const hoursPerMonth = 730;

/**
 * What running one machine costs, independent of how busy it is. Either bought (hardwareCost
 * spread over amortisationMonths), rented (hourlyRate), or both (own hardware in a rented rack);
 * with neither the hardware counts as already paid for and only power and overhead remain.
 */
export interface MachineCost {
  /** Purchase price in USD. */
  hardwareCost?: number | undefined;
  /** Months over which the purchase is written off; required with hardwareCost. */
  amortisationMonths?: number | undefined;
  /** USD per hour for a rented machine, paid for every hour of the month. */
  hourlyRate?: number | undefined;
  /** Draw while generating, watts (the whole machine, not just the GPU). */
  powerWatts: number;
  /** Draw while idle, watts (default 0: the machine is off or does other work when idle). */
  idlePowerWatts?: number | undefined;
  /** USD per kWh. */
  electricityPerKwh: number;
  /** Other fixed USD per month: hosting, maintenance, a share of an admin's time. */
  overheadPerMonth?: number | undefined;
}

/** A machine plus how busy it is: what the per-request cost needs. */
export interface LocalCostSettings extends MachineCost {
  /** Share of the month's hours the machine spends generating, in (0, 1]. */
  utilisation: number;
}

/** Prompt processing and decoding speed of one model on one machine. */
export interface Throughput {
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** The parts of the cost per busy hour, for display and audit. */
export interface LocalCostBreakdown {
  hardwarePerMonth: number;
  rentalPerMonth: number;
  overheadPerMonth: number;
  idleEnergyPerMonth: number;
  fixedPerMonth: number;
  busyHoursPerMonth: number;
  energyPerBusyHour: number;
  costPerBusyHour: number;
}

export interface LocalCostModel {
  readonly settings: LocalCostSettings;
  /** USD per hour of generation, fixed costs included. */
  readonly costPerBusyHour: number;
  readonly breakdown: LocalCostBreakdown;
  /**
   * USD for one request that kept the engine busy `busySeconds` (its measured latency on the
   * engine). When the engine batches requests, pass how many ran at once: they share the time.
   * Rounded to 1e-9.
   */
  costOfRequest(request: { busySeconds: number; concurrentRequests?: number | undefined }): number;
  /** USD for tokens at a known throughput (busy time estimated from the speeds). Rounded to 1e-9. */
  costOfTokens(usage: { inputTokens: number; outputTokens: number }, throughput: Throughput): number;
}

function invalid(param: string, message: string): never {
  throw new HearthError("invalid_request", `${param} ${message}`, { param });
}

function nonNegative(value: number | undefined, param: string): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0) invalid(param, `must be a non-negative number (got ${String(value)}).`);
  return value;
}

function positive(value: number, param: string): number {
  if (!Number.isFinite(value) || value <= 0) invalid(param, `must be a positive number (got ${String(value)}).`);
  return value;
}

/** Validates a machine; throws an `invalid_request` HearthError naming the bad field. */
export function validateMachineCost(machine: MachineCost): void {
  nonNegative(machine.hardwareCost, "hardwareCost");
  if (machine.hardwareCost !== undefined && machine.hardwareCost > 0) {
    if (machine.amortisationMonths === undefined) invalid("amortisationMonths", "is required with hardwareCost.");
    positive(machine.amortisationMonths, "amortisationMonths");
  } else if (machine.amortisationMonths !== undefined) {
    positive(machine.amortisationMonths, "amortisationMonths");
  }
  nonNegative(machine.hourlyRate, "hourlyRate");
  nonNegative(machine.powerWatts, "powerWatts");
  nonNegative(machine.idlePowerWatts, "idlePowerWatts");
  if ((machine.idlePowerWatts ?? 0) > machine.powerWatts) invalid("idlePowerWatts", `(${machine.idlePowerWatts}) cannot exceed powerWatts (${machine.powerWatts}).`);
  nonNegative(machine.electricityPerKwh, "electricityPerKwh");
  nonNegative(machine.overheadPerMonth, "overheadPerMonth");
}

/** Validates a throughput; throws an `invalid_request` HearthError naming the bad field. */
export function validateThroughput(throughput: Throughput): void {
  positive(throughput.promptTokensPerSecond, "promptTokensPerSecond");
  positive(throughput.decodeTokensPerSecond, "decodeTokensPerSecond");
}

/** USD per month a machine costs whatever its load, idle power for the whole month excluded. */
export function machineFixedCosts(machine: MachineCost): { hardwarePerMonth: number; rentalPerMonth: number; overheadPerMonth: number } {
  const hardwareCost = machine.hardwareCost ?? 0;
  return {
    hardwarePerMonth: hardwareCost === 0 ? 0 : hardwareCost / (machine.amortisationMonths ?? 1),
    rentalPerMonth: (machine.hourlyRate ?? 0) * hoursPerMonth,
    overheadPerMonth: machine.overheadPerMonth ?? 0,
  };
}

/** USD of electricity per hour at a given draw. */
export function energyCostPerHour(watts: number, electricityPerKwh: number): number {
  return (watts / 1000) * electricityPerKwh;
}

/** Seconds of engine time to process `inputTokens` and generate `outputTokens`, one after the other. */
export function busySecondsFor(usage: { inputTokens: number; outputTokens: number }, throughput: Throughput): number {
  return usage.inputTokens / throughput.promptTokensPerSecond + usage.outputTokens / throughput.decodeTokensPerSecond;
}

/** Builds the cost model; throws an `invalid_request` HearthError for a bad setting. */
export function createLocalCostModel(settings: LocalCostSettings): LocalCostModel {
  validateMachineCost(settings);
  if (!Number.isFinite(settings.utilisation) || settings.utilisation <= 0 || settings.utilisation > 1) {
    invalid("utilisation", `must be in (0, 1], the share of hours the machine generates (got ${String(settings.utilisation)}).`);
  }
  const fixed = machineFixedCosts(settings);
  const busyHoursPerMonth = hoursPerMonth * settings.utilisation;
  const idleEnergyPerMonth = hoursPerMonth * (1 - settings.utilisation) * energyCostPerHour(settings.idlePowerWatts ?? 0, settings.electricityPerKwh);
  const fixedPerMonth = fixed.hardwarePerMonth + fixed.rentalPerMonth + fixed.overheadPerMonth + idleEnergyPerMonth;
  const energyPerBusyHour = energyCostPerHour(settings.powerWatts, settings.electricityPerKwh);
  const costPerBusyHour = fixedPerMonth / busyHoursPerMonth + energyPerBusyHour;

  const costOfBusySeconds = (seconds: number): number => (costPerBusyHour * seconds) / 3600;
  return {
    settings: { ...settings },
    costPerBusyHour,
    breakdown: { ...fixed, idleEnergyPerMonth, fixedPerMonth, busyHoursPerMonth, energyPerBusyHour, costPerBusyHour },
    costOfRequest({ busySeconds, concurrentRequests }) {
      if (!Number.isFinite(busySeconds) || busySeconds < 0) throw new RangeError(`busySeconds must be a non-negative number (got ${String(busySeconds)}).`);
      const sharing = concurrentRequests ?? 1;
      if (!Number.isFinite(sharing) || sharing < 1) throw new RangeError(`concurrentRequests must be at least 1 (got ${String(concurrentRequests)}).`);
      return roundUsd(costOfBusySeconds(busySeconds / sharing));
    },
    costOfTokens(usage, throughput) {
      validateThroughput(throughput);
      if (!(usage.inputTokens >= 0) || !(usage.outputTokens >= 0)) throw new RangeError("token counts must be non-negative numbers.");
      return roundUsd(costOfBusySeconds(busySecondsFor(usage, throughput)));
    },
  };
}

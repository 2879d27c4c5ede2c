/**
 * Types of the limits engine: what a request is charged to (subjects), what the gateway gets
 * back (an admission or a refusal), and the `CounterStore` contract that the in-memory and the
 * Redis adapters implement. See docs/decisions/0010-limits-and-shared-state.md.
 */

/** Whose counters a charge lands on. A request is charged to its key and to the key's team. */
export type SubjectKind = "key" | "team";

/** Spending caps in US dollars, per UTC calendar day and per UTC calendar month. */
export interface BudgetLimits {
  day?: number | undefined;
  month?: number | undefined;
}

/**
 * One set of counters a request is charged to, with its limits. A limit left out is not
 * enforced (and costs no counter); a limit of 0 refuses everything.
 */
export interface LimitSubject {
  kind: SubjectKind;
  /** Stable, non-secret identifier (the key's id or name, the team's id); it names the counters. */
  id: string;
  /** How refusal messages name the subject (default: `id`). Never the key's secret. */
  name?: string | undefined;
  /** Requests per minute, enforced over a sliding 60-second window. */
  rpm?: number | undefined;
  /** Tokens (input + output) per minute, enforced over a sliding 60-second window. */
  tpm?: number | undefined;
  budget?: BudgetLimits | undefined;
}

/** A subject without its limits: what callbacks and refusals name. */
export interface SubjectRef {
  kind: SubjectKind;
  id: string;
  name: string;
}

export type LimitKind = "rpm" | "tpm" | "budget_day" | "budget_month";

/** A UTC calendar day or month, the unit a budget is counted in. */
export interface BudgetPeriod {
  kind: "day" | "month";
  /** "2025-06-01" for a day, "2025-06" for a month. */
  id: string;
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive: the next period's start. */
  end: number;
}

/**
 * How much a subject had spent in a period before its counter existed, in US dollars, read from
 * the durable usage store (the source of truth; counters are a cache of it). Called when a budget
 * counter is missing: first use, after a restart of an in-memory store, after Redis lost its data.
 * It should sum the cost of finished requests whose admission time falls in [start, end).
 */
export type SpentSoFar = (subject: SubjectRef, period: BudgetPeriod) => Promise<number>;

export interface AdmitRequest {
  /** Usually the key and its team; every limit of every subject must have room. */
  subjects: readonly LimitSubject[];
  /** Input tokens plus the most output tokens the request may produce; reserved against TPM. */
  estimatedTokens: number;
  /** Cost of `estimatedTokens` at the target's prices, in US dollars; reserved against budgets. */
  estimatedCostUsd: number;
}

/**
 * A refusal, ready to become a `HearthError(code, message, { retryAfterSeconds })`: `rate_limited`
 * (429) when a limit is reached, `overloaded` (503) when the counters cannot be reached and the
 * limit kind is configured to fail closed (`limit: "unavailable"`).
 */
export interface LimitRefusal {
  ok: false;
  code: "rate_limited" | "overloaded";
  limit: LimitKind | "unavailable";
  subject: SubjectRef;
  /** Whole seconds, at least 1: when the request could next be admitted. */
  retryAfterSeconds: number;
  /** Client-facing text naming the limit and the subject; carries no secret. */
  message: string;
}

/** A window counter charged at admission. */
export interface WindowHold {
  key: string;
  kind: "rpm" | "tpm";
  /** Start of the bucket the amount went into (epoch milliseconds). */
  bucket: number;
  amount: number;
}

/** A budget counter charged at admission. */
export interface BudgetHold {
  key: string;
  kind: "day" | "month";
  /** Generation of the counter when charged; a counter rebuilt since then no longer holds the amount. */
  generation: string;
  amountMicros: number;
}

/**
 * What an admission holds on the counters; hand it back to `settle` or `release` exactly once
 * (a second call is ignored). Plain data, so it may cross an async boundary or be logged.
 */
export interface Reservation {
  admittedAt: number;
  estimatedTokens: number;
  estimatedCostUsd: number;
  /**
   * True when the counters could not be reached and the request was let through because its
   * limits fail open; nothing was charged, so settle and release do nothing.
   */
  degraded: boolean;
  windows: readonly WindowHold[];
  budgets: readonly BudgetHold[];
}

export type AdmitResult = { ok: true; reservation: Reservation } | LimitRefusal;

export interface SettleRequest {
  /** Tokens the request really used (input + output). */
  actualTokens: number;
  /** What the request really cost, in US dollars. */
  actualCostUsd: number;
}

/** What a subject has used now, reservations in flight included; for headers and the console. */
export interface SubjectUsage {
  /** Requests in the sliding minute (undefined when the subject has no RPM limit). */
  requests: number | undefined;
  /** Tokens in the sliding minute (undefined when the subject has no TPM limit). */
  tokens: number | undefined;
  /** Undefined when the subject has no such budget or its counter does not exist yet. */
  spentTodayUsd: number | undefined;
  spentThisMonthUsd: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// The counter store contract. The limiter decides what to charge; a store only has to apply a
// whole command atomically. Money is integer micro-dollars; times are epoch milliseconds taken
// from the limiter's clock (stores never read a clock of their own, so tests can move time).
// ---------------------------------------------------------------------------------------------

/**
 * Sliding windows are `windowMs` long and kept in buckets of `bucketMs`. A window counts every
 * bucket that overlaps [now - windowMs, now], so no `windowMs`-long interval ever holds more than
 * the limit (at the price of holding a request up to one bucket longer than strictly needed).
 */
export interface WindowSpec {
  windowMs: number;
  bucketMs: number;
}

export interface WindowCharge {
  key: string;
  limit: number;
  amount: number;
}

export interface BudgetCharge {
  key: string;
  capMicros: number;
  amountMicros: number;
}

/**
 * Check every counter and, only if all have room, add every amount: all or nothing. A counter has
 * room when `used < limit` and `used + amount <= limit`. Budget counters must exist (see `seed`);
 * when any is missing nothing is checked or written and the outcome is `missing`.
 */
export interface ReserveCommand {
  now: number;
  window: WindowSpec;
  windows: readonly WindowCharge[];
  budgets: readonly BudgetCharge[];
}

export type ReserveOutcome =
  /** `bucket` is where window amounts went; `generations[i]` is the generation of `budgets[i]`. */
  | { status: "reserved"; bucket: number; generations: readonly string[] }
  /** Indexes into `budgets` of counters that do not exist. */
  | { status: "missing"; budgets: readonly number[] }
  /**
   * Every counter without room: window indexes with the milliseconds until enough of the window
   * has slid out for the amount to fit (or, if it never can, until the window is empty), and
   * budget indexes.
   */
  | { status: "refused"; windows: readonly { index: number; retryAfterMs: number }[]; budgets: readonly number[] };

/** Create a budget counter unless it already exists (another replica may have won the race). */
export interface SeedCommand {
  now: number;
  key: string;
  spentMicros: number;
  generation: string;
  /** When the counter may be forgotten (epoch milliseconds); stores turn it into a TTL from `now`. */
  expiresAt: number;
}

/**
 * Raise an existing budget counter to at least `atLeastMicros` (the durable spend of its period):
 * reconciliation after a settle was lost. Never lowers a counter (it may hold reservations of
 * requests in flight, which durable usage does not know yet), keeps its generation (those
 * reservations stay valid), and leaves a missing counter missing (the next admission seeds it).
 */
export interface RaiseCommand {
  now: number;
  key: string;
  atLeastMicros: number;
}

/** Undo or correct part of a reservation. */
export interface WindowAdjustment {
  key: string;
  /** The bucket the reservation went into; `remove` comes off it if it is still in the window. */
  bucket: number;
  remove: number;
  /** Added to the bucket of `now` (usage is counted when it is known). */
  add: number;
}

export interface BudgetAdjustment {
  key: string;
  generation: string;
  /** Comes off only if the counter still has `generation` (it then holds the reserved amount). */
  removeMicros: number;
  /** Added if the counter exists; a missing counter is left missing (the next seed counts it). */
  addMicros: number;
}

export interface AdjustCommand {
  now: number;
  window: WindowSpec;
  windows: readonly WindowAdjustment[];
  budgets: readonly BudgetAdjustment[];
}

export interface ReadCommand {
  now: number;
  window: WindowSpec;
  windows: readonly string[];
  budgets: readonly string[];
}

export interface ReadResult {
  /** Sum over the sliding window, per key of `windows`. */
  windows: readonly number[];
  /** Spent (reservations included) per key of `budgets`; undefined when the counter is missing. */
  budgets: readonly (number | undefined)[];
}

/**
 * Where counters live: one process (memory) or every replica (Redis). Each method is one atomic
 * step; a method rejects only when the store cannot be reached or answers nonsense.
 */
export interface CounterStore {
  reserve(command: ReserveCommand): Promise<ReserveOutcome>;
  seed(commands: readonly SeedCommand[]): Promise<void>;
  adjust(command: AdjustCommand): Promise<void>;
  read(command: ReadCommand): Promise<ReadResult>;
  /** Per command, how many micro-dollars the counter was raised by (0: already there, or missing). */
  raise(commands: readonly RaiseCommand[]): Promise<number[]>;
}

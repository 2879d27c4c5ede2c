import { silentLogger, type Logger } from "../logger.ts";
import { periodOf } from "./periods.ts";
import type {
  AdmitRequest,
  AdmitResult,
  BudgetAdjustment,
  BudgetCharge,
  BudgetHold,
  BudgetPeriod,
  CounterStore,
  LimitKind,
  LimitRefusal,
  LimitSubject,
  Reservation,
  SettleRequest,
  SpentSoFar,
  SubjectRef,
  SubjectUsage,
  WindowAdjustment,
  WindowCharge,
  WindowHold,
  WindowSpec,
} from "./types.ts";

/** What to do when the counter store cannot be reached: let requests through, or refuse them. */
export type FailMode = "open" | "closed";

export interface LimiterOptions {
  counters: CounterStore;
  /** Epoch milliseconds; injected so tests can cross minutes, days and months. */
  clock?: (() => number) | undefined;
  /** Seeds a missing budget counter from durable usage; without it a missing counter starts at 0. */
  spentSoFar?: SpentSoFar | undefined;
  /**
   * Per limit kind, when the store is unreachable (or slower than `timeoutMs`). Default: rate
   * limits fail open (a short burst over RPM/TPM costs nothing lasting), budgets fail closed
   * (a budget is a promise about money). Subjects without budgets keep working either way.
   */
  whenUnavailable?: { rate?: FailMode | undefined; budget?: FailMode | undefined } | undefined;
  /** How long one store call may take before it counts as unavailable (default 2000 ms). */
  timeoutMs?: number | undefined;
  /** Sliding-window bucket size (default 1000 ms; the window itself is 60 s). */
  bucketMs?: number | undefined;
  /** Store failures are reported here (settle/release never reject). */
  logger?: Logger | undefined;
}

/**
 * The gateway's limits: `admit` before dispatch, then exactly one of `settle` (the request reached
 * a model; pass what it really used) or `release` (it never did; refund everything).
 */
export interface Limiter {
  admit(request: AdmitRequest): Promise<AdmitResult>;
  settle(reservation: Reservation, actual: SettleRequest): Promise<void>;
  release(reservation: Reservation): Promise<void>;
  /** Current use of one subject (reservations in flight included). Rejects if the store is unreachable. */
  usage(subject: LimitSubject): Promise<SubjectUsage>;
  /**
   * Raises every existing budget counter of `subjects` (current day and month) that holds less
   * than durable usage says was spent: a settle lost to a store failure or a crash between usage
   * and settle. Never lowers a counter: it also holds reservations in flight, which usage does not
   * know yet. Needs `spentSoFar`; without it there is nothing to compare with. Rejects when the
   * usage store or the counter store fails (the caller reports it and tries again later).
   */
  reconcile(subjects: readonly LimitSubject[]): Promise<ReconcileResult>;
}

/** What one `reconcile` did. */
export interface ReconcileResult {
  /** Budget counters compared with durable usage (missing counters are not counted: nothing to fix). */
  checked: number;
  /** Counters that held less than durable usage, and by how much they were raised. */
  raised: Array<{ subject: SubjectRef; period: string; byUsd: number }>;
}

const windowMs = 60_000;
const microsPerUsd = 1_000_000;
/** Budget counters outlive their period by this much, so late settles still find them. */
const budgetGraceMs = 2 * 86_400_000;
const attemptsWhenMissing = 3;

function toMicros(usd: number): number {
  return Math.round(usd * microsPerUsd);
}

/** "$5.00", or every significant digit below a cent ("$0.000125"). */
function formatUsd(micros: number): string {
  const usd = micros / microsPerUsd;
  if (micros % 10_000 === 0) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(6).replace(/0+$/, "")}`;
}

function formatWait(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

function refOf(subject: LimitSubject): SubjectRef {
  return { kind: subject.kind, id: subject.id, name: subject.name ?? subject.id };
}

function describe(subject: SubjectRef): string {
  return `${subject.kind} "${subject.name}"`;
}

function baseKey(subject: LimitSubject): string {
  return `${subject.kind}:${encodeURIComponent(subject.id)}`;
}

function budgetKey(subject: LimitSubject, period: BudgetPeriod): string {
  return `${baseKey(subject)}:${period.kind}:${period.id}`;
}

/** The subject's budget counters at `now`: one per period kind it has a cap for. */
function budgetsOf(subject: LimitSubject, now: number): Array<{ period: BudgetPeriod; key: string; cap: number }> {
  return (["day", "month"] as const).flatMap((kind) => {
    const cap = subject.budget?.[kind];
    if (cap === undefined) return [];
    const period = periodOf(kind, now);
    return [{ period, key: budgetKey(subject, period), cap }];
  });
}

function checkLimit(value: number | undefined, what: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`${what} must be a finite number >= 0, got ${value}`);
}

function checkAmount(value: number, what: string): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${what} must be a finite number >= 0, got ${value}`);
}

class StoreTimeout extends Error {
  constructor(milliseconds: number) {
    super(`counter store did not answer within ${milliseconds} ms`);
    this.name = "StoreTimeout";
  }
}

interface PlannedWindow {
  charge: WindowCharge;
  kind: "rpm" | "tpm";
  subject: SubjectRef;
}

interface PlannedBudget {
  charge: BudgetCharge;
  period: BudgetPeriod;
  subject: SubjectRef;
}

interface Candidate {
  limit: LimitKind;
  subject: SubjectRef;
  retryAfterSeconds: number;
  message: string;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const store = options.counters;
  const clock = options.clock ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const logger = options.logger ?? silentLogger;
  const rateMode = options.whenUnavailable?.rate ?? "open";
  const budgetMode = options.whenUnavailable?.budget ?? "closed";
  const spec: WindowSpec = { windowMs, bucketMs: options.bucketMs ?? 1_000 };
  if (!(Number.isInteger(spec.bucketMs) && spec.bucketMs > 0 && windowMs % spec.bucketMs === 0)) {
    throw new RangeError(`bucketMs must be a positive integer dividing ${windowMs}, got ${spec.bucketMs}`);
  }
  /** Seeds under way in this process, so concurrent admissions ask the usage store once. */
  const seeding = new Map<string, Promise<void>>();
  /** Reservations already settled or released; a second call is a no-op, not a double charge. */
  const finished = new WeakSet<Reservation>();

  function withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeout(timeoutMs)), timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  function report(operation: string, error: unknown): void {
    logger.warn("limits: counter store failed", { operation, error: error instanceof Error ? error.message : String(error) });
  }

  function seed(planned: PlannedBudget): Promise<void> {
    const key = planned.charge.key;
    let pending = seeding.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const spentUsd = options.spentSoFar === undefined ? 0 : await options.spentSoFar(planned.subject, planned.period);
        if (!(Number.isFinite(spentUsd) && spentUsd >= 0)) throw new Error(`spentSoFar() returned ${spentUsd} for ${planned.charge.key}`);
        await withTimeout(
          store.seed([
            { now: clock(), key, spentMicros: toMicros(spentUsd), generation: crypto.randomUUID(), expiresAt: planned.period.end + budgetGraceMs },
          ]),
        );
      })().finally(() => seeding.delete(key));
      seeding.set(key, pending);
    }
    return pending;
  }

  function windowCandidate(planned: PlannedWindow, retryAfterMs: number): Candidate {
    const { charge, kind, subject } = planned;
    const unit = kind === "rpm" ? "requests" : "tokens";
    if (charge.amount > charge.limit) {
      return {
        limit: kind,
        subject,
        retryAfterSeconds: windowMs / 1000,
        message: `This request's estimated ${charge.amount} tokens exceed the limit of ${charge.limit} ${unit} per minute of ${describe(subject)}.`,
      };
    }
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return {
      limit: kind,
      subject,
      retryAfterSeconds: seconds,
      message: `Rate limit reached: ${describe(subject)} allows ${charge.limit} ${unit} per minute; retry in ${formatWait(seconds)}.`,
    };
  }

  function budgetCandidate(planned: PlannedBudget, now: number): Candidate {
    const { charge, period, subject } = planned;
    const seconds = Math.max(1, Math.ceil((period.end - now) / 1000));
    const name = period.kind === "day" ? "daily" : "monthly";
    const resets = period.kind === "day" ? "at 00:00 UTC" : "on the 1st at 00:00 UTC";
    const limit: LimitKind = period.kind === "day" ? "budget_day" : "budget_month";
    const message =
      charge.amountMicros > charge.capMicros
        ? `This request's estimated cost of ${formatUsd(charge.amountMicros)} exceeds the ${name} budget of ${formatUsd(charge.capMicros)} of ${describe(subject)}.`
        : `The ${name} budget of ${formatUsd(charge.capMicros)} of ${describe(subject)} is spent; it resets ${resets} (in ${formatWait(seconds)}).`;
    return { limit, subject, retryAfterSeconds: seconds, message };
  }

  function refusal(candidate: Candidate): LimitRefusal {
    return { ok: false, code: "rate_limited", ...candidate };
  }

  function unavailable(windows: readonly PlannedWindow[], budgets: readonly PlannedBudget[], now: number): AdmitResult {
    const closedBudget = budgetMode === "closed" ? budgets[0] : undefined;
    const closedWindow = rateMode === "closed" ? windows[0] : undefined;
    const subject = closedBudget?.subject ?? closedWindow?.subject;
    if (subject === undefined) {
      return { ok: true, reservation: { admittedAt: now, estimatedTokens: 0, estimatedCostUsd: 0, degraded: true, windows: [], budgets: [] } };
    }
    const what = closedBudget !== undefined ? "Spending limits" : "Rate limits";
    return {
      ok: false,
      code: "overloaded",
      limit: "unavailable",
      subject,
      retryAfterSeconds: 5,
      message: `${what} of ${describe(subject)} cannot be checked right now (limit counters unavailable); retry shortly.`,
    };
  }

  async function admit(request: AdmitRequest): Promise<AdmitResult> {
    checkAmount(request.estimatedTokens, "estimatedTokens");
    checkAmount(request.estimatedCostUsd, "estimatedCostUsd");
    const tokens = Math.ceil(request.estimatedTokens);
    const costMicros = toMicros(request.estimatedCostUsd);
    const windows: PlannedWindow[] = [];
    const budgets: PlannedBudget[] = [];
    let now = clock();
    for (const subject of request.subjects) {
      checkLimit(subject.rpm, `rpm of ${subject.kind} ${subject.id}`);
      checkLimit(subject.tpm, `tpm of ${subject.kind} ${subject.id}`);
      checkLimit(subject.budget?.day, `budget.day of ${subject.kind} ${subject.id}`);
      checkLimit(subject.budget?.month, `budget.month of ${subject.kind} ${subject.id}`);
      const ref = refOf(subject);
      if (subject.rpm !== undefined) windows.push({ kind: "rpm", subject: ref, charge: { key: `${baseKey(subject)}:rpm`, limit: Math.floor(subject.rpm), amount: 1 } });
      if (subject.tpm !== undefined) windows.push({ kind: "tpm", subject: ref, charge: { key: `${baseKey(subject)}:tpm`, limit: Math.floor(subject.tpm), amount: tokens } });
      for (const { period, key, cap } of budgetsOf(subject, now)) {
        budgets.push({ subject: ref, period, charge: { key, capMicros: toMicros(cap), amountMicros: costMicros } });
      }
    }
    const reservation = (bucket: number, generations: readonly string[]): Reservation => ({
      admittedAt: now,
      estimatedTokens: tokens,
      estimatedCostUsd: request.estimatedCostUsd,
      degraded: false,
      windows: windows.map((planned): WindowHold => ({ key: planned.charge.key, kind: planned.kind, bucket, amount: planned.charge.amount })),
      budgets: budgets.map((planned, index): BudgetHold => ({
        key: planned.charge.key,
        kind: planned.period.kind,
        generation: generations[index] ?? "",
        amountMicros: planned.charge.amountMicros,
      })),
    });
    if (windows.length === 0 && budgets.length === 0) return { ok: true, reservation: reservation(0, []) };

    try {
      for (let attempt = 1; ; attempt++) {
        const outcome = await withTimeout(
          store.reserve({ now, window: spec, windows: windows.map((planned) => planned.charge), budgets: budgets.map((planned) => planned.charge) }),
        );
        if (outcome.status === "reserved") return { ok: true, reservation: reservation(outcome.bucket, outcome.generations) };
        if (outcome.status === "refused") {
          const candidates = [
            ...outcome.windows.flatMap(({ index, retryAfterMs }) => {
              const planned = windows[index];
              return planned === undefined ? [] : [windowCandidate(planned, retryAfterMs)];
            }),
            ...outcome.budgets.flatMap((index) => {
              const planned = budgets[index];
              return planned === undefined ? [] : [budgetCandidate(planned, now)];
            }),
          ];
          // The longest wait is the one that decides when the request could pass.
          const decisive = candidates.reduce<Candidate | undefined>((best, candidate) => (best === undefined || candidate.retryAfterSeconds > best.retryAfterSeconds ? candidate : best), undefined);
          if (decisive === undefined) throw new Error(`counter store refused without naming a counter`);
          return refusal(decisive);
        }
        if (attempt >= attemptsWhenMissing) throw new Error(`budget counters kept disappearing (${attempt} attempts)`);
        await Promise.all(outcome.budgets.map((index) => {
          const planned = budgets[index];
          if (planned === undefined) throw new Error(`counter store named an unknown budget counter ${index}`);
          return seed(planned);
        }));
        now = clock();
      }
    } catch (error) {
      report("admit", error);
      return unavailable(windows, budgets, now);
    }
  }

  async function adjust(operation: string, reservation: Reservation, windowAdjustments: WindowAdjustment[], budgetAdjustments: BudgetAdjustment[]): Promise<void> {
    if (finished.has(reservation)) return;
    finished.add(reservation);
    if (reservation.degraded) return;
    const windowsToApply = windowAdjustments.filter((adjustment) => adjustment.remove !== 0 || adjustment.add !== 0);
    const budgetsToApply = budgetAdjustments.filter((adjustment) => adjustment.removeMicros !== 0 || adjustment.addMicros !== 0);
    if (windowsToApply.length === 0 && budgetsToApply.length === 0) return;
    try {
      await withTimeout(store.adjust({ now: clock(), window: spec, windows: windowsToApply, budgets: budgetsToApply }));
    } catch (error) {
      report(operation, error);
    }
  }

  async function reconcile(subjects: readonly LimitSubject[]): Promise<ReconcileResult> {
    const spentSoFar = options.spentSoFar;
    if (spentSoFar === undefined) return { checked: 0, raised: [] };
    const now = clock();
    const planned = subjects.flatMap((subject) => budgetsOf(subject, now).map(({ period, key }) => ({ subject: refOf(subject), period, key })));
    if (planned.length === 0) return { checked: 0, raised: [] };
    // Which counters exist: only those can have drifted (a missing one is seeded from usage anyway).
    const existing = await withTimeout(store.read({ now, window: spec, windows: [], budgets: planned.map((entry) => entry.key) }));
    const present = planned.filter((_, index) => existing.budgets[index] !== undefined);
    const spent = await Promise.all(present.map((entry) => spentSoFar(entry.subject, entry.period)));
    spent.forEach((usd, index) => {
      if (!(Number.isFinite(usd) && usd >= 0)) throw new Error(`spentSoFar() returned ${usd} for ${present[index]?.key}`);
    });
    const raisedMicros = await withTimeout(store.raise(present.map((entry, index) => ({ now: clock(), key: entry.key, atLeastMicros: toMicros(spent[index] ?? 0) }))));
    const raised = present.flatMap((entry, index) => {
      const micros = raisedMicros[index] ?? 0;
      return micros > 0 ? [{ subject: entry.subject, period: entry.period.id, byUsd: micros / microsPerUsd }] : [];
    });
    for (const entry of raised) {
      logger.warn("limits: a budget counter held less than durable usage; raised it", {
        subject: `${entry.subject.kind} ${entry.subject.name}`,
        period: entry.period,
        byUsd: entry.byUsd,
      });
    }
    return { checked: present.length, raised };
  }

  return {
    admit,
    reconcile,

    async settle(reservation, actual) {
      checkAmount(actual.actualTokens, "actualTokens");
      checkAmount(actual.actualCostUsd, "actualCostUsd");
      const actualTokens = Math.ceil(actual.actualTokens);
      const actualMicros = toMicros(actual.actualCostUsd);
      await adjust(
        "settle",
        reservation,
        reservation.windows.flatMap((hold) => (hold.kind === "tpm" ? [{ key: hold.key, bucket: hold.bucket, remove: hold.amount, add: actualTokens }] : [])),
        reservation.budgets.map((hold) => ({ key: hold.key, generation: hold.generation, removeMicros: hold.amountMicros, addMicros: actualMicros })),
      );
    },

    async release(reservation) {
      await adjust(
        "release",
        reservation,
        reservation.windows.map((hold) => ({ key: hold.key, bucket: hold.bucket, remove: hold.amount, add: 0 })),
        reservation.budgets.map((hold) => ({ key: hold.key, generation: hold.generation, removeMicros: hold.amountMicros, addMicros: 0 })),
      );
    },

    async usage(subject) {
      const now = clock();
      const base = baseKey(subject);
      const windowKeys = [subject.rpm === undefined ? undefined : `${base}:rpm`, subject.tpm === undefined ? undefined : `${base}:tpm`];
      const budgetKeys = (["day", "month"] as const).map((kind) => (subject.budget?.[kind] === undefined ? undefined : budgetKey(subject, periodOf(kind, now))));
      const result = await withTimeout(
        store.read({
          now,
          window: spec,
          windows: windowKeys.filter((key) => key !== undefined),
          budgets: budgetKeys.filter((key) => key !== undefined),
        }),
      );
      const windowValues = [...result.windows];
      const budgetValues = [...result.budgets];
      const [requests, tokens] = windowKeys.map((key) => (key === undefined ? undefined : windowValues.shift()));
      const [day, month] = budgetKeys.map((key) => (key === undefined ? undefined : budgetValues.shift()));
      return {
        requests,
        tokens,
        spentTodayUsd: day === undefined ? undefined : day / microsPerUsd,
        spentThisMonthUsd: month === undefined ? undefined : month / microsPerUsd,
      };
    },
  };
}

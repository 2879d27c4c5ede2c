import { HearthError, toHearthError } from "../../spec/errors.ts";
import { CircuitBreakers, type BreakerSettings } from "./breaker.ts";
import { backoffMs, planOrder, type PlannedTarget } from "./plan.ts";

/** How a route tries its targets; built from config `routes[]` (or a provider's defaults for a plain model). */
export interface RoutePolicy {
  strategy: "fallback" | "loadbalance";
  retries: { attempts: number; initialDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  breaker: BreakerSettings;
}

export interface RoutingState {
  breakers: CircuitBreakers;
  inFlight: Map<string, number>;
  sleep(milliseconds: number, signal: AbortSignal): Promise<void>;
  random(): number;
}

export function createRoutingState(now: () => number = Date.now): RoutingState {
  return {
    breakers: new CircuitBreakers(now),
    inFlight: new Map(),
    sleep: (milliseconds, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, milliseconds);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    random: Math.random,
  };
}

/** One attempt's outcome, for the log and the `x-hearth-attempts` header. */
export interface AttemptRecord {
  target: string;
  errorCode: string;
}

export interface Routed<Target, Result> {
  result: Result;
  target: Target;
  /** Failed attempts before the one that succeeded. */
  failures: AttemptRecord[];
  /** Call once when the work on the target is over: frees its load slot and tells its breaker. */
  settle(failure?: HearthError): void;
}

/** A failure that says nothing about the target: the client left. */
function isClientSide(error: HearthError): boolean {
  return error.code === "aborted";
}

/** Failures that another target may not have (its fault or its limits, not the request's). */
export function worthAnotherTarget(error: HearthError): boolean {
  return error.retryable || error.code === "context_length_exceeded" || error.code === "unsupported";
}

/** Failures where the same target may succeed on a second try. */
export function worthRetrying(error: HearthError): boolean {
  if (error.upstreamStatus === 401 || error.upstreamStatus === 403 || error.upstreamStatus === 404) return false;
  return error.code === "rate_limited" || error.code === "overloaded" || error.code === "upstream_error" || error.code === "timeout";
}

/**
 * Failures that count against a target's circuit. A full local queue (overloaded with no
 * upstream status) is momentary load, not a broken target.
 */
function countsAgainstTarget(error: HearthError): boolean {
  if (error.code === "overloaded" && error.upstreamStatus === undefined) return false;
  return error.retryable && error.code !== "aborted";
}

/**
 * Runs `attempt` on the route's targets until one succeeds: per target up to `retries.attempts`
 * extra tries with backoff (honouring Retry-After up to `maxRetryAfterMs`), skipping targets whose
 * circuit is open, then the next target. Non-retryable request errors stop at once. `attempt`
 * must resolve only when the target has proved itself (for a stream: its first part arrived) —
 * after that nothing is retried, because bytes may have reached the client.
 */
export async function runRouted<Target extends PlannedTarget, Result>(
  policy: RoutePolicy,
  targets: readonly Target[],
  state: RoutingState,
  signal: AbortSignal,
  attempt: (target: Target, failures: readonly AttemptRecord[]) => Promise<Result>,
  /** Receives a record of every failed attempt (caller-owned, so a thrown error still leaves the count). */
  failures: AttemptRecord[] = [],
): Promise<Routed<Target, Result>> {
  const ordered = planOrder(policy.strategy, targets, (key) => state.inFlight.get(key) ?? 0, state.random);
  let lastError: HearthError | undefined;
  let skipped = 0;

  for (const target of ordered) {
    for (let retry = 0; ; retry++) {
      if (signal.aborted) throw toHearthError(signal.reason ?? new HearthError("aborted", "The request was aborted."));
      // A plain model (infinite threshold) ignores circuits that a route sharing its target opened.
      if (Number.isFinite(policy.breaker.failureThreshold) && !state.breakers.tryAcquire(target.key, policy.breaker)) {
        skipped += 1;
        break;
      }
      state.inFlight.set(target.key, (state.inFlight.get(target.key) ?? 0) + 1);
      let settled = false;
      const settle = (failure?: HearthError): void => {
        if (settled) return;
        settled = true;
        state.inFlight.set(target.key, Math.max(0, (state.inFlight.get(target.key) ?? 1) - 1));
        if (failure === undefined) state.breakers.success(target.key);
        else if (countsAgainstTarget(failure)) state.breakers.failure(target.key, policy.breaker);
        else state.breakers.release(target.key);
      };
      try {
        const result = await attempt(target, failures);
        return { result, target, failures, settle };
      } catch (error) {
        const failure = toHearthError(error);
        settle(failure);
        if (isClientSide(failure) || signal.aborted) throw failure;
        failures.push({ target: target.key, errorCode: failure.code });
        lastError = failure;
        if (!worthAnotherTarget(failure)) throw failure;
        if (retry >= policy.retries.attempts || !worthRetrying(failure)) break;
        const retryAfterMs = failure.retryAfterSeconds === undefined ? undefined : failure.retryAfterSeconds * 1000;
        if (retryAfterMs !== undefined && retryAfterMs > policy.retries.maxRetryAfterMs) break;
        const delay = backoffMs(retry, policy.retries, failure.retryAfterSeconds, state.random);
        await state.sleep(delay, signal).catch((reason: unknown) => {
          throw toHearthError(reason);
        });
      }
    }
  }

  if (lastError !== undefined) throw lastError;
  // Every target was skipped by an open circuit.
  const waitMs = Math.min(...ordered.map((target) => state.breakers.remainingMs(target.key, policy.breaker)));
  throw new HearthError(
    "overloaded",
    `Every target of this model is cooling down after repeated failures (${skipped} skipped); retry in ${Math.ceil(waitMs / 1000)} s.`,
    { retryAfterSeconds: Math.max(1, waitMs / 1000) },
  );
}

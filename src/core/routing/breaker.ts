/**
 * A circuit breaker per target: after `failureThreshold` consecutive failures the target is
 * skipped for `cooldownMs`; then one trial request is let through (half-open) and its outcome
 * closes the circuit or opens it again. State is in memory; replicas share it by mirroring
 * transitions (`onTransition`, `applyRemote`) through Redis (src/storage/redis/breakers.ts).
 */
export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

export type BreakerState = "closed" | "open" | "half-open";

/**
 * A circuit opening or closing, as another replica needs to hear of it. `at` is the opening time
 * for "open" (the cooldown runs from it) and the closing time for "closed"; replicas keep the
 * latest by `at`, so their clocks should agree to well under a cooldown (NTP).
 */
export type BreakerTransition =
  | { key: string; state: "open"; at: number; cooldownMs: number }
  | { key: string; state: "closed"; at: number };

interface Circuit {
  failures: number;
  openedAt: number | undefined;
  trialInFlight: boolean;
  /** When the circuit last opened or closed, here or on another replica. */
  changedAt: number;
}

export class CircuitBreakers {
  readonly #circuits = new Map<string, Circuit>();
  readonly #now: () => number;
  readonly #listeners = new Set<(transition: BreakerTransition) => void>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #circuit(key: string): Circuit {
    let circuit = this.#circuits.get(key);
    if (circuit === undefined) {
      circuit = { failures: 0, openedAt: undefined, trialInFlight: false, changedAt: Number.NEGATIVE_INFINITY };
      this.#circuits.set(key, circuit);
    }
    return circuit;
  }

  state(key: string, settings: BreakerSettings): BreakerState {
    const circuit = this.#circuits.get(key);
    if (circuit?.openedAt === undefined) return "closed";
    return this.#now() - circuit.openedAt >= settings.cooldownMs ? "half-open" : "open";
  }

  /** Milliseconds until an open circuit lets a trial through (0 when not open). */
  remainingMs(key: string, settings: BreakerSettings): number {
    const circuit = this.#circuits.get(key);
    if (circuit?.openedAt === undefined) return 0;
    return Math.max(0, circuit.openedAt + settings.cooldownMs - this.#now());
  }

  /** Whether a request may go to the target now; a half-open circuit admits one trial at a time. */
  tryAcquire(key: string, settings: BreakerSettings): boolean {
    const state = this.state(key, settings);
    if (state === "closed") return true;
    if (state === "open") return false;
    const circuit = this.#circuit(key);
    if (circuit.trialInFlight) return false;
    circuit.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    const circuit = this.#circuits.get(key);
    if (circuit === undefined) return;
    const wasOpen = circuit.openedAt !== undefined;
    circuit.failures = 0;
    circuit.openedAt = undefined;
    circuit.trialInFlight = false;
    if (wasOpen) {
      // Never earlier than the opening it ends, even if that came from a replica with a faster clock.
      circuit.changedAt = Math.max(this.#now(), circuit.changedAt);
      this.#emit({ key, state: "closed", at: circuit.changedAt });
    }
  }

  failure(key: string, settings: BreakerSettings): void {
    const circuit = this.#circuit(key);
    circuit.failures += 1;
    const opens = circuit.trialInFlight || circuit.failures >= settings.failureThreshold;
    circuit.trialInFlight = false;
    if (opens) {
      circuit.openedAt = Math.max(this.#now(), circuit.changedAt);
      circuit.changedAt = circuit.openedAt;
      this.#emit({ key, state: "open", at: circuit.openedAt, cooldownMs: settings.cooldownMs });
    }
  }

  /** Ends a trial that neither succeeded nor failed (e.g. the client left). */
  release(key: string): void {
    const circuit = this.#circuits.get(key);
    if (circuit !== undefined) circuit.trialInFlight = false;
  }

  /**
   * Calls `listener` synchronously whenever a circuit opens or closes here (not for `applyRemote`).
   * It runs on the request path: it must not throw and must not block. Returns an unsubscribe.
   */
  onTransition(listener: (transition: BreakerTransition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Applies another replica's transition unless this circuit changed later (last writer wins by
   * `at`). An "open" starts the cooldown at the remote opening time; a trial already in flight here
   * still ends with its own success or failure. Returns whether anything changed.
   */
  applyRemote(transition: BreakerTransition): boolean {
    const circuit = this.#circuit(transition.key);
    if (transition.at < circuit.changedAt) return false;
    circuit.changedAt = transition.at;
    if (transition.state === "open") {
      circuit.openedAt = transition.at;
    } else {
      circuit.failures = 0;
      circuit.openedAt = undefined;
      circuit.trialInFlight = false;
    }
    return true;
  }

  #emit(transition: BreakerTransition): void {
    for (const listener of this.#listeners) listener(transition);
  }
}

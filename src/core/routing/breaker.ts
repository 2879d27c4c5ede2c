/**
 * A circuit breaker per target: after `failureThreshold` consecutive failures the target is
 * skipped for `cooldownMs`; then one trial request is let through (half-open) and its outcome
 * closes the circuit or opens it again. State is in memory; shared state across replicas comes
 * with the Redis adapter (issue 5).
 */
export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

export type BreakerState = "closed" | "open" | "half-open";

interface Circuit {
  failures: number;
  openedAt: number | undefined;
  trialInFlight: boolean;
}

export class CircuitBreakers {
  readonly #circuits = new Map<string, Circuit>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #circuit(key: string): Circuit {
    let circuit = this.#circuits.get(key);
    if (circuit === undefined) {
      circuit = { failures: 0, openedAt: undefined, trialInFlight: false };
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
    circuit.failures = 0;
    circuit.openedAt = undefined;
    circuit.trialInFlight = false;
  }

  failure(key: string, settings: BreakerSettings): void {
    const circuit = this.#circuit(key);
    circuit.failures += 1;
    if (circuit.trialInFlight || circuit.failures >= settings.failureThreshold) circuit.openedAt = this.#now();
    circuit.trialInFlight = false;
  }

  /** Ends a trial that neither succeeded nor failed (e.g. the client left). */
  release(key: string): void {
    const circuit = this.#circuits.get(key);
    if (circuit !== undefined) circuit.trialInFlight = false;
  }
}

import { HearthError } from "../../spec/errors.ts";
import type { ReviewDecideResult, ReviewDecision, ReviewInput, ReviewItem, ReviewQuery, ReviewStore } from "./types.ts";

/** How a wait ends: the reviewer's decision, or `expired` when none came in time. */
export type ReviewOutcome = ReviewDecision | "expired";

/**
 * What the policy hands over to hold something for review. The service stamps `createdAt` and
 * `expiresAt` (now + `ttlMs`, or the service default).
 */
export type ReviewSubmission = Omit<ReviewInput, "id" | "createdAt" | "expiresAt"> & {
  /** How long the item stays open for a decision. Default: the service's `ttlMs`. */
  ttlMs?: number | undefined;
};

export interface ReviewWaitOptions {
  /**
   * Longest this caller waits (e.g. what is left of the HTTP request's timeout). The wait also
   * ends when the item expires. Running out of time answers `expired` but leaves the item as it
   * is, so a later approval still serves an identical retry.
   */
  timeoutMs?: number | undefined;
  /** Aborting rejects the wait with the signal's reason (the client went away). */
  signal?: AbortSignal | undefined;
}

export interface ReviewServiceOptions {
  store: ReviewStore;
  /** Epoch milliseconds. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /**
   * How often waiters re-read the store, to see decisions made by another process on the same
   * database (the CLI, a second server). Decisions made through this service wake waiters at
   * once. Default 1,000 ms.
   */
  pollIntervalMs?: number | undefined;
  /** How long a new item stays open. Default 10 minutes; at most 7 days. */
  ttlMs?: number | undefined;
  /**
   * How long past its `expiresAt` an approval still serves an identical retry (a client whose
   * connection died in a restart sends the same request again). Default 10 minutes.
   */
  approvalGraceMs?: number | undefined;
  /** How often pending items past their expiry are written down as expired; 0 turns it off. Default 60,000 ms. */
  sweepIntervalMs?: number | undefined;
  /** Told about store failures in the background (poll, sweep). Default: `process.emitWarning`. */
  onError?: ((error: unknown) => void) | undefined;
}

/** The review queue as the gateway, the HTTP routes and tests use it. */
export interface ReviewService {
  /**
   * Queues an item, or returns the pending item already queued for the same fingerprint (`reused`),
   * so a retried request waits on the first review instead of opening a second one.
   */
  submit(submission: ReviewSubmission): Promise<{ id: string; reused: boolean }>;
  /** Resolves when the item is decided or expires; rejects with `not_found` for an unknown id. */
  wait(id: string, options?: ReviewWaitOptions): Promise<ReviewOutcome>;
  decide(id: string, decision: ReviewDecision, by: string, note?: string | null): Promise<ReviewDecideResult>;
  list(query?: ReviewQuery): Promise<ReviewItem[]>;
  get(id: string): Promise<ReviewItem | undefined>;
  /** The approval that still covers this fingerprint, if any: the retry is served without a new review. */
  approvedFor(fingerprint: string): Promise<ReviewItem | undefined>;
  /** Writes expired items down now; returns how many. */
  sweep(): Promise<number>;
  /** Stops the timers; waiters still waiting are refused with a retryable `overloaded` error. */
  close(): void;
}

export const defaultReviewTtlMs = 10 * 60_000;
export const defaultApprovalGraceMs = 10 * 60_000;
const maxTtlMs = 7 * 24 * 60 * 60_000;
const maxPreviewLength = 4_000;
const maxReasons = 32;
const maxLabelLength = 200;
const fingerprintPattern = /^[0-9a-f]{64}$/;

interface Waiter {
  settle(outcome: ReviewOutcome): void;
  fail(error: unknown): void;
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function duration(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds (got ${chosen}).`);
  return chosen;
}

export function createReviewService(options: ReviewServiceOptions): ReviewService {
  const { store } = options;
  const clock = options.clock ?? Date.now;
  const pollIntervalMs = Math.max(10, duration(options.pollIntervalMs, 1_000, "pollIntervalMs"));
  const ttlMs = duration(options.ttlMs, defaultReviewTtlMs, "ttlMs");
  const graceMs = duration(options.approvalGraceMs, defaultApprovalGraceMs, "approvalGraceMs");
  const sweepIntervalMs = duration(options.sweepIntervalMs, 60_000, "sweepIntervalMs");
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`Review queue: ${error instanceof Error ? error.message : String(error)}`));

  const waiters = new Map<string, Set<Waiter>>();
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let closed = false;

  const settleAll = (id: string, outcome: ReviewOutcome): void => {
    for (const waiter of [...(waiters.get(id) ?? [])]) waiter.settle(outcome);
  };

  const schedulePoll = (): void => {
    if (closed || polling || pollTimer !== undefined || waiters.size === 0) return;
    pollTimer = setTimeout(() => void poll(), pollIntervalMs);
    // Each waiter's own timeout keeps the process alive; the poll must not.
    pollTimer.unref();
  };

  const poll = async (): Promise<void> => {
    pollTimer = undefined;
    polling = true;
    try {
      const now = clock();
      for (const id of [...waiters.keys()]) {
        try {
          const item = await store.get(id, now);
          if (item !== undefined && item.status !== "pending") settleAll(id, item.status);
        } catch (error) {
          onError(error);
        }
      }
    } finally {
      polling = false;
      schedulePoll();
    }
  };

  const sweep = async (): Promise<number> => store.expire(clock());

  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  if (sweepIntervalMs > 0) {
    sweepTimer = setInterval(() => {
      sweep().catch(onError);
    }, sweepIntervalMs);
    sweepTimer.unref();
  }

  const submitting = new Map<string, Promise<{ id: string; reused: boolean }>>();

  const submitNew = async (submission: ReviewSubmission): Promise<{ id: string; reused: boolean }> => {
    const now = clock();
    const existing = await store.findPending(submission.fingerprint, now);
    if (existing !== undefined) return { id: existing.id, reused: true };
    const itemTtl = Math.min(duration(submission.ttlMs, ttlMs, "ttlMs"), maxTtlMs);
    const item = await store.create({
      createdAt: now,
      expiresAt: now + itemTtl,
      kind: submission.kind,
      fingerprint: submission.fingerprint,
      keyId: submission.keyId,
      model: clip(submission.model, maxLabelLength),
      route: submission.route === null ? null : clip(submission.route, maxLabelLength),
      rule: clip(submission.rule, maxLabelLength),
      reasons: submission.reasons.slice(0, maxReasons).map((reason) => clip(reason, maxLabelLength)),
      preview: clip(submission.preview, maxPreviewLength),
    });
    return { id: item.id, reused: false };
  };

  const closedError = (): HearthError =>
    new HearthError("overloaded", "The server is shutting down; send the same request again to pick up its review.", { retryAfterSeconds: 5 });

  return {
    submit(submission) {
      if (!fingerprintPattern.test(submission.fingerprint)) return Promise.reject(new TypeError("A review fingerprint must be a lowercase SHA-256 hex digest."));
      // Identical requests arriving together share one look-up-or-create, so they share one item.
      const inFlight = submitting.get(submission.fingerprint);
      if (inFlight !== undefined) return inFlight.then(({ id }) => ({ id, reused: true }));
      const submitted = submitNew(submission).finally(() => submitting.delete(submission.fingerprint));
      submitting.set(submission.fingerprint, submitted);
      return submitted;
    },

    wait(id, waitOptions = {}) {
      const { signal } = waitOptions;
      return new Promise<ReviewOutcome>((resolve, reject) => {
        if (closed) return reject(closedError());
        if (signal?.aborted === true) return reject(signal.reason);
        let settled = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => waiter.fail(signal?.reason);
        const finish = (): boolean => {
          if (settled) return false;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          const set = waiters.get(id);
          set?.delete(waiter);
          if (set?.size === 0) waiters.delete(id);
          return true;
        };
        const waiter: Waiter = {
          settle(outcome) {
            if (finish()) resolve(outcome);
          },
          fail(error) {
            if (finish()) reject(error);
          },
        };
        // Registered before the first read, so a decision landing in between still wakes it.
        let set = waiters.get(id);
        if (set === undefined) waiters.set(id, (set = new Set()));
        set.add(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
        store.get(id, clock()).then(
          (item) => {
            if (settled) return;
            if (item === undefined) return waiter.fail(new HearthError("not_found", `No review with id ${id}.`));
            if (item.status !== "pending") return waiter.settle(item.status);
            const remaining = Math.min(waitOptions.timeoutMs ?? Number.POSITIVE_INFINITY, item.expiresAt - clock());
            if (remaining <= 0) return waiter.settle("expired");
            timer = setTimeout(() => waiter.settle("expired"), Math.min(remaining, maxTtlMs));
            schedulePoll();
          },
          (error: unknown) => waiter.fail(error),
        );
      });
    },

    async decide(id, decision, by, note = null) {
      const result = await store.decide(id, decision, by, note, clock());
      if (result.outcome === "decided") settleAll(id, decision);
      else if (result.outcome === "conflict" && result.item.status !== "pending") settleAll(id, result.item.status);
      return result;
    },

    list(query = {}) {
      return store.list(query, clock());
    },

    get(id) {
      return store.get(id, clock());
    },

    approvedFor(fingerprint) {
      return store.findApproved(fingerprint, clock(), graceMs);
    },

    sweep,

    close() {
      if (closed) return;
      closed = true;
      clearTimeout(pollTimer);
      clearInterval(sweepTimer);
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.fail(closedError());
    },
  };
}

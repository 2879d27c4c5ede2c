import { combineVerdicts, type SafetyClassifier, type SafetyInput, type SafetyVerdict } from "./classifier.ts";

/**
 * Output checks on a streamed answer, incrementally, so time-to-first-token does not wait for the
 * whole answer.
 *
 * Semantics:
 * - The answer grows with every `push(delta)`. A check runs on the first delta and then every time
 *   `strideChars` new characters have arrived, on a window that ends at the current end of the
 *   answer and is `windowChars` long; consecutive windows overlap by `windowChars − strideChars`, so
 *   a marker that straddles a stride boundary is still seen whole.
 * - `push` waits for the check it started for at most `waitMs` (default 0: one turn of the event
 *   loop). A fast classifier — the heuristic layer resolves within that turn — therefore decides
 *   before the delta is released: `push` returns the unsafe verdict and the caller withholds that
 *   delta and stops. A slow classifier (a local model) does not hold the stream up: `push` returns
 *   `undefined` and the delta is released while the check goes on.
 * - Checks run concurrently, at most `maxConcurrentChecks` at a time. When the limit is reached the
 *   next check is deferred, and when it starts its window reaches back to where the last one
 *   ended, so no part of the answer goes unchecked.
 * - A verdict that arrives late stops the stream at that point: the next `push` (or `end`) returns
 *   it, text released before it stays released, and every check still running is aborted.
 *   `onVerdict` reports it the moment it arrives, for callers that want to cut the stream without
 *   waiting for the next delta.
 * - `end()` runs the final check — on the whole answer by default, so nothing longer than a window
 *   escapes — waits for every running check and returns all verdicts combined.
 *
 * A classifier that rejects for any reason other than the checker's own abort produces a failed
 * verdict that follows `failMode` (default "closed").
 */

export interface StreamOutputCheckerOptions {
  classifier: SafetyClassifier;
  /** The conversation before the answer (system, user, tool messages...). */
  context: SafetyInput["messages"];
  /** Length of the checked window in characters (default 1,024). */
  windowChars?: number;
  /** New characters between two checks (default 256; at most `windowChars`). */
  strideChars?: number;
  /** Checks allowed to run at once (default 2). */
  maxConcurrentChecks?: number;
  /** How long `push` waits for the check it started before releasing the delta (default 0 ms). */
  waitMs?: number;
  /** What `end` checks: the whole answer (default) or only the unchecked tail plus the overlap. */
  finalCheck?: "full" | "window";
  /** What a classifier rejection decides (default "closed"). */
  failMode?: "open" | "closed";
  /** Aborting it cancels the checker, as `cancel` does. */
  signal?: AbortSignal;
  /** Called once, as soon as an unsafe verdict arrives. */
  onVerdict?: (verdict: SafetyVerdict) => void;
}

export interface StreamCheckerState {
  stopped: boolean;
  /** Characters of the answer pushed so far. */
  answerCharacters: number;
  /** End of the last window handed to the classifier. */
  checkedThrough: number;
  runningChecks: number;
  /** The window whose verdict stopped the stream. */
  stopWindow?: { start: number; end: number };
}

export interface StreamOutputChecker {
  /**
   * Adds a delta. `undefined`: release it. A verdict: the stream is stopped — withhold this delta
   * and everything after it.
   */
  push(delta: string): Promise<SafetyVerdict | undefined>;
  /** Final check; resolves with every verdict of this stream combined. */
  end(): Promise<SafetyVerdict>;
  /** Aborts running checks (client gone); later pushes are answered with nothing. */
  cancel(reason?: unknown): void;
  state(): StreamCheckerState;
}

const defaultWindow = 1024;
const defaultStride = 256;

/** Creates a checker for one streamed answer (see the module comment for the semantics). */
export function createStreamOutputChecker(options: StreamOutputCheckerOptions): StreamOutputChecker {
  const windowChars = Math.max(1, options.windowChars ?? defaultWindow);
  const strideChars = Math.min(windowChars, Math.max(1, options.strideChars ?? defaultStride));
  const overlap = windowChars - strideChars;
  const maxConcurrent = Math.max(1, options.maxConcurrentChecks ?? 2);
  const waitMs = Math.max(0, options.waitMs ?? 0);
  const failClosed = (options.failMode ?? "closed") === "closed";
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  let answer = "";
  let scheduledThrough = 0;
  let checksStarted = 0;
  let deferred = false;
  let ended = false;
  let stop: { verdict: SafetyVerdict; window: { start: number; end: number } } | undefined;
  const verdicts: SafetyVerdict[] = [];
  const stopVerdict = (): SafetyVerdict | undefined => stop?.verdict;
  const running = new Set<Promise<void>>();

  const record = (verdict: SafetyVerdict, window: { start: number; end: number }) => {
    verdicts.push(verdict);
    if (verdict.safe || stop !== undefined) return;
    stop = { verdict, window };
    controller.abort(new Error("stream stopped by an unsafe verdict"));
    options.onVerdict?.(verdict);
  };

  const runCheck = (start: number, end: number): Promise<void> => {
    checksStarted += 1;
    const window = { start, end };
    const input: SafetyInput = { role: "output", messages: [...options.context, { role: "assistant", text: answer.slice(start, end) }] };
    const check = options.classifier
      .classify(input, controller.signal)
      .then(
        (verdict) => record(verdict, window),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          record(
            {
              safe: !failClosed,
              categories: [],
              score: failClosed ? 1 : 0,
              reasons: [`${options.classifier.id} failed on a stream window; failing ${failClosed ? "closed" : "open"}`],
              classifier: options.classifier.id,
              failure: error instanceof Error && error.name === "TimeoutError" ? "timeout" : "classifier_error",
            },
            window,
          );
        },
      )
      .finally(() => {
        running.delete(check);
        if (deferred && stop === undefined && !controller.signal.aborted) {
          deferred = false;
          schedule();
        }
      });
    running.add(check);
    return check;
  };

  /** Starts a check on the window ending now, or defers it when too many are running. */
  const schedule = (): Promise<void> | undefined => {
    if (running.size >= maxConcurrent) {
      deferred = true;
      return undefined;
    }
    const end = answer.length;
    const start = Math.max(0, Math.min(end - windowChars, scheduledThrough - overlap));
    scheduledThrough = end;
    return runCheck(start, end);
  };

  const waitBriefly = async (check: Promise<void>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pause = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([check, pause]);
    clearTimeout(timer);
  };

  return {
    async push(delta) {
      if (ended) throw new Error("push after end");
      if (stop !== undefined) return stop.verdict;
      if (controller.signal.aborted) return undefined;
      answer += delta;
      const due = checksStarted === 0 || answer.length - scheduledThrough >= strideChars;
      const check = due ? schedule() : undefined;
      if (check !== undefined) await waitBriefly(check);
      // Any check may have stopped the stream meanwhile, including one started by an earlier push.
      return stopVerdict();
    },

    async end() {
      if (!ended) {
        ended = true;
        deferred = false;
        if (stop === undefined && !controller.signal.aborted) {
          const full = (options.finalCheck ?? "full") === "full";
          if (full) runCheck(0, answer.length);
          else if (answer.length > scheduledThrough || checksStarted === 0) runCheck(Math.max(0, scheduledThrough - overlap), answer.length);
          scheduledThrough = answer.length;
        }
      }
      while (running.size > 0) await Promise.all([...running]);
      options.signal?.removeEventListener("abort", onAbort);
      return combineVerdicts(verdicts, options.classifier.id);
    },

    cancel(reason) {
      controller.abort(reason);
    },

    state() {
      const state: StreamCheckerState = {
        stopped: stop !== undefined,
        answerCharacters: answer.length,
        checkedThrough: scheduledThrough,
        runningChecks: running.size,
      };
      if (stop !== undefined) state.stopWindow = { ...stop.window };
      return state;
    },
  };
}

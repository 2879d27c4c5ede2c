import type { StreamPart } from "../../spec/model.ts";

/**
 * Bridges node-llama-cpp's synchronous per-token callbacks to an async iterator.
 *
 * - Work starts on the first `next()`, so a stream nobody reads never takes a model slot.
 * - Text that arrives while the consumer is busy is joined into one `text-delta`: a slow
 *   consumer costs one string concatenation per token, never a queue of promises or parts.
 *   (Generation cannot be paused from a callback; what is buffered is bounded by the request's
 *   own output, which the context size bounds.)
 * - `return()` (the consumer stopped early) aborts the work at once instead of waiting for the
 *   next token, which an async generator would do.
 * - Parts buffered before a failure are delivered first, then the error.
 */
export class PartStream implements AsyncIterableIterator<StreamPart> {
  #parts: StreamPart[] = [];
  #head = 0;
  #text = "";
  #waiter: { resolve(result: IteratorResult<StreamPart>): void; reject(error: unknown): void } | undefined;
  #state: "idle" | "running" | "done" | "failed" | "cancelled" = "idle";
  #error: unknown;
  readonly #controller = new AbortController();
  readonly #outerSignal: AbortSignal;
  readonly #work: (stream: PartStream, signal: AbortSignal) => Promise<void>;
  readonly #onOuterAbort = (): void => this.#controller.abort(this.#outerSignal.reason);

  constructor(outerSignal: AbortSignal, work: (stream: PartStream, signal: AbortSignal) => Promise<void>) {
    this.#outerSignal = outerSignal;
    this.#work = work;
  }

  /** Appends generated text (empty chunks are ignored). */
  pushText(text: string): void {
    if (text === "" || this.#state !== "running") return;
    this.#text += text;
    this.#wake();
  }

  push(part: StreamPart): void {
    if (this.#state !== "running") return;
    this.#flushText();
    this.#parts.push(part);
    this.#wake();
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.#state === "idle") this.#start();
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve({ done: false, value: ready });
    if (this.#state === "failed") {
      this.#state = "done";
      return Promise.reject(this.#error);
    }
    if (this.#state === "done" || this.#state === "cancelled") return Promise.resolve({ done: true, value: undefined });
    if (this.#waiter !== undefined) return Promise.reject(new Error("PartStream.next() called again before the previous call settled."));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<StreamPart>> {
    this.#cancel();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<StreamPart>> {
    this.#cancel(error);
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #start(): void {
    this.#state = "running";
    if (this.#outerSignal.aborted) this.#controller.abort(this.#outerSignal.reason);
    else this.#outerSignal.addEventListener("abort", this.#onOuterAbort, { once: true });
    let work: Promise<void>;
    try {
      work = this.#work(this, this.#controller.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      () => this.#settle("done", undefined),
      (error: unknown) => this.#settle("failed", error),
    );
  }

  #settle(state: "done" | "failed", error: unknown): void {
    this.#outerSignal.removeEventListener("abort", this.#onOuterAbort);
    if (this.#state !== "running") return; // cancelled: nobody is listening
    this.#state = state;
    this.#error = error;
    this.#flushText();
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    const ready = this.#take();
    if (ready !== undefined) waiter.resolve({ done: false, value: ready });
    else if (state === "failed") {
      this.#state = "done";
      waiter.reject(error);
    } else waiter.resolve({ done: true, value: undefined });
  }

  #cancel(reason?: unknown): void {
    if (this.#state === "done" || this.#state === "cancelled") return;
    const wasRunning = this.#state === "running";
    this.#state = "cancelled";
    this.#parts = [];
    this.#head = 0;
    this.#text = "";
    if (wasRunning) this.#controller.abort(reason ?? new DOMException("The consumer stopped reading the stream.", "AbortError"));
    this.#outerSignal.removeEventListener("abort", this.#onOuterAbort);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ done: true, value: undefined });
  }

  #flushText(): void {
    if (this.#text === "") return;
    this.#parts.push({ type: "text-delta", text: this.#text });
    this.#text = "";
  }

  #take(): StreamPart | undefined {
    if (this.#head < this.#parts.length) {
      const part = this.#parts[this.#head++] as StreamPart;
      if (this.#head === this.#parts.length) {
        this.#parts = [];
        this.#head = 0;
      }
      return part;
    }
    if (this.#text !== "") {
      const text = this.#text;
      this.#text = "";
      return { type: "text-delta", text };
    }
    return undefined;
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const ready = this.#take();
    if (ready === undefined) return;
    this.#waiter = undefined;
    waiter.resolve({ done: false, value: ready });
  }
}

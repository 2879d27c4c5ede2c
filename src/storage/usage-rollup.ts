import { utcDay, type UsageRecord } from "../core/usage/types.ts";

/** One roll-up bucket: a UTC day and the dimensions usage is grouped by ('' = none). */
export interface RollupRow {
  day: string;
  key: string;
  team: string;
  model: string;
  provider: string;
  locality: string;
  endpoint: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced: number;
}

/**
 * Usage records summed in memory until the adapter writes them (one upsert per bucket, not per
 * request): a burst of 10,000 requests from one key to one model is one row update. Shared by
 * the SQLite and PostgreSQL adapters.
 */
export class RollupBuffer {
  #rows = new Map<string, RollupRow>();
  /**
   * The row the previous record went to: under steady load most records have the same
   * dimensions as the one before (one client, one model), and comparing seven strings costs
   * less than building the map key and hashing it.
   */
  #last: RollupRow | undefined;

  get size(): number {
    return this.#rows.size;
  }

  add(record: UsageRecord): void {
    const day = utcDay(record.time);
    const key = record.key ?? "";
    const team = record.team ?? "";
    const locality = record.locality ?? "";
    let row = this.#last;
    if (
      row === undefined ||
      row.day !== day ||
      row.model !== record.model ||
      row.endpoint !== record.endpoint ||
      row.provider !== record.provider ||
      row.key !== key ||
      row.team !== team ||
      row.locality !== locality
    ) {
      const id = `${day}\u0000${key}\u0000${team}\u0000${record.model}\u0000${record.provider}\u0000${locality}\u0000${record.endpoint}`;
      row = this.#rows.get(id);
      if (row === undefined) {
        row = { day, key, team, model: record.model, provider: record.provider, locality, endpoint: record.endpoint, requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, unpriced: 0 };
        this.#rows.set(id, row);
      }
      this.#last = row;
    }
    row.requests += 1;
    if (record.error) row.errors += 1;
    row.input_tokens += record.inputTokens;
    row.output_tokens += record.outputTokens;
    row.cost_usd += record.costUsd;
    if (!record.priced) row.unpriced += 1;
  }

  /** Takes every pending row (the buffer is empty afterwards). */
  drain(): RollupRow[] {
    const rows = [...this.#rows.values()];
    this.#rows = new Map();
    this.#last = undefined;
    return rows;
  }

  /** Puts rows back after a failed write, merged with whatever arrived meanwhile. */
  restore(rows: readonly RollupRow[]): void {
    for (const row of rows) {
      const id = `${row.day}\u0000${row.key}\u0000${row.team}\u0000${row.model}\u0000${row.provider}\u0000${row.locality}\u0000${row.endpoint}`;
      const current = this.#rows.get(id);
      if (current === undefined) {
        this.#rows.set(id, { ...row });
        continue;
      }
      current.requests += row.requests;
      current.errors += row.errors;
      current.input_tokens += row.input_tokens;
      current.output_tokens += row.output_tokens;
      current.cost_usd += row.cost_usd;
      current.unpriced += row.unpriced;
    }
  }

  /** Pending USD of a key or team from `sinceDay` on. */
  pendingSpent(subject: { key?: string | undefined; team?: string | undefined }, sinceDay: string): number {
    let total = 0;
    for (const row of this.#rows.values()) {
      if (row.day < sinceDay) continue;
      if (subject.key !== undefined && row.key !== subject.key) continue;
      if (subject.team !== undefined && row.team !== subject.team) continue;
      total += row.cost_usd;
    }
    return total;
  }
}

/**
 * Runs `write` on a short timer while rows are pending, one write at a time; failed writes put
 * their rows back and retry with backoff. Timers are unref'd: owners call `close()`.
 */
export function createRollupWriter(buffer: RollupBuffer, write: (rows: RollupRow[]) => Promise<void>, options: { intervalMs?: number | undefined; onError?: ((error: unknown) => void) | undefined } = {}) {
  const intervalMs = options.intervalMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failures = 0;
  let closed = false;

  async function writeNow(): Promise<void> {
    const rows = buffer.drain();
    if (rows.length === 0) return;
    try {
      await write(rows);
      failures = 0;
    } catch (error) {
      buffer.restore(rows);
      failures += 1;
      throw error;
    }
  }

  function schedule(): void {
    if (timer !== undefined || closed) return;
    const delay = Math.min(5_000, intervalMs * 2 ** Math.min(failures, 6));
    timer = setTimeout(() => {
      timer = undefined;
      running = writeNow()
        .catch((error: unknown) => (options.onError ?? ((failure) => process.emitWarning(`usage write failed: ${String(failure)}`)))(error))
        .finally(() => {
          running = undefined;
          if (buffer.size > 0) schedule();
        });
    }, delay);
    timer.unref();
  }

  return {
    /** Call after adding to the buffer. */
    schedule,
    async flush(): Promise<void> {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      await running;
      await writeNow();
    },
    async close(): Promise<void> {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
      await writeNow();
    },
  };
}

/**
 * Usage and cost, one record per request on every endpoint (chat, completions, responses,
 * messages, embeddings, token counts, Gemini): one accounting path, so no endpoint can be used
 * to spend around a budget. Stores keep daily roll-ups, not rows per request: the audit log is
 * where single requests are proven; usage answers "who spent what".
 */
export interface UsageRecord {
  /** Epoch ms; the UTC day of this time is the roll-up bucket. */
  time: number;
  key: string | null;
  team: string | null;
  /** The public model or route name the client asked for. */
  model: string;
  /** The provider that served it ("" when none was reached). */
  provider: string;
  locality: string | null;
  endpoint: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** False when no price is known for the target (cost counted as 0 and reported as unpriced). */
  priced: boolean;
  /** True when the request failed (it still counts: a failed upstream call may have cost tokens). */
  error: boolean;
}

export type UsageDimension = "key" | "team" | "model" | "provider" | "locality" | "endpoint" | "day";
export const usageDimensions: readonly UsageDimension[] = ["key", "team", "model", "provider", "locality", "endpoint", "day"];

export interface UsageQuery {
  /** Inclusive, epoch ms (rounded down to its UTC day). */
  since?: number | undefined;
  /** Exclusive, epoch ms (rounded up to a UTC day boundary). */
  until?: number | undefined;
  /** What to group by (default: nothing — one total row). */
  groupBy?: readonly UsageDimension[] | undefined;
  /** Only this key's (name) usage. */
  key?: string | undefined;
  team?: string | undefined;
}

export interface UsageRow {
  /** The grouped dimensions' values ("" for a request without key/team/locality). */
  group: Partial<Record<UsageDimension, string>>;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Requests with no known price. */
  unpriced: number;
}

export interface UsageStore {
  /** Queues one record; never blocks the request path. */
  record(entry: UsageRecord): void;
  /** Writes everything queued. */
  flush(): Promise<void>;
  summary(query?: UsageQuery): Promise<UsageRow[]>;
  /** USD spent by a key (name) or team since `since` (a UTC day boundary), queued records included. */
  spent(subject: { key?: string | undefined; team?: string | undefined }, since: number): Promise<number>;
}

const dayMs = 86_400_000;
/** The last day formatted: almost every call on the request path falls in it (toISOString costs ~1 µs). */
let cachedDay = { start: 0, end: 0, text: "1970-01-01" };

/** "2026-11-22" for an epoch-ms time, in UTC. */
export function utcDay(time: number): string {
  if (time >= cachedDay.start && time < cachedDay.end) return cachedDay.text;
  const start = Math.floor(time / dayMs) * dayMs;
  const text = new Date(start).toISOString().slice(0, 10);
  cachedDay = { start, end: start + dayMs, text };
  return text;
}

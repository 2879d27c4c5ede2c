/**
 * One line of the request log: what was asked, of which model, and how it went. Storage
 * adapters persist it; the gateway is the only writer. Bodies are never part of it.
 */
export interface RequestLogEntry {
  id: string;
  /** Epoch milliseconds when the request arrived. */
  time: number;
  requestId: string;
  /** "chat.completions", "completions", "embeddings", ... */
  endpoint: string;
  /** The public model name the client asked for ("" when the body had none). */
  model: string;
  /** Which provider served it ("" when none was reached). */
  provider: string;
  stream: boolean;
  /** The HTTP status the client saw (499 when the client went away first). */
  status: number;
  /** Set on failure, including a stream that broke after its 200 header was sent. */
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  /** The route the client named, when `model` was a route (null for a plain model). */
  route: string | null;
  /** The target that served (or last failed): "<provider>/<upstream model>"; "" when none was reached. */
  target: string;
  /** Targets tried, retries included (1 when the first try answered). */
  attempts: number;
}

/**
 * Where the gateway sends log entries; must not block the request path. The store assigns the
 * id: its ids are time-ordered, so inserts append to the primary key instead of landing on a
 * random page of it (random UUIDs made each insert ~4× as expensive).
 */
export interface RequestLogSink {
  append(entry: Omit<RequestLogEntry, "id">): void;
}

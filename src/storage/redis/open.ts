import { createClient } from "redis";
import { StorageError } from "../errors.ts";

function newClient(url: string, timeoutMs: number) {
  return createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000) } });
}

type Client = ReturnType<typeof newClient>;

export interface RedisConnection {
  client: Client;
  /** A second connection in subscriber mode (pub/sub needs its own). */
  subscriber: Client;
  close(): Promise<void>;
}

/**
 * Connects to Redis for shared counters and breaker state. The first connection must succeed
 * within `timeoutMs` (a wrong URL is a start-up error naming it); later outages are retried in
 * the background and reported through `onError` at most once per 10 s, while the limits fall
 * back to their configured fail modes (ADR 0010). Commands fail at once while disconnected
 * (no offline queue), so a request never waits on a dead Redis.
 */
export async function connectRedis(url: string, options: { timeoutMs?: number | undefined; onError?: ((error: unknown) => void) | undefined } = {}): Promise<RedisConnection> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let lastReport = 0;
  const report = (error: unknown): void => {
    const now = Date.now();
    if (now - lastReport < 10_000) return;
    lastReport = now;
    options.onError?.(error);
  };
  const client = newClient(url, timeoutMs);
  client.on("error", report);
  const redacted = url.replace(/\/\/[^@/]*@/, "//***@");
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (error) {
    void client.destroy();
    throw new StorageError("storage_open_failed", `Cannot connect to Redis at ${redacted}: ${error instanceof Error ? error.message : String(error)}`, { location: redacted, cause: error });
  }
  const subscriber = newClient(url, timeoutMs);
  subscriber.on("error", report);
  await subscriber.connect();
  return {
    client,
    subscriber,
    async close() {
      await Promise.allSettled([subscriber.close(), client.close()]);
    },
  };
}

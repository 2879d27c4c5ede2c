import { randomUUID } from "node:crypto";
import { silentLogger, type Logger } from "../../core/logger.ts";
import type { BreakerTransition, CircuitBreakers } from "../../core/routing/breaker.ts";
import { luaScript, runScript, type RedisCommandClient } from "./scripts.ts";

/** The pub/sub side of a node-redis v6 client: a dedicated connection (`client.duplicate()`, connected). */
export interface RedisSubscriber {
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
}

export interface RedisBreakerSyncOptions {
  /** Writes the shared state and publishes transitions. */
  client: RedisCommandClient;
  /** Receives other replicas' transitions; used only for that channel. Neither client is closed by `stop`. */
  subscriber: RedisSubscriber;
  /** Namespace of the hash and the channel (default "hearth:"). */
  prefix?: string | undefined;
  /** Names this replica in messages so it can ignore its own (default: a random UUID). */
  replicaId?: string | undefined;
  /** Same clock as the breakers'; used to skip circuits whose cooldown ended before start-up. */
  now?: (() => number) | undefined;
  logger?: Logger | undefined;
}

/** A running mirror between one process's CircuitBreakers and Redis. */
export interface BreakerSync {
  readonly replicaId: string;
  /** Resolves once every transition mirrored so far has reached Redis (for tests and shutdown). */
  flushed(): Promise<void>;
  /** Stops mirroring in both directions; local breakers keep their current state. */
  stop(): Promise<void>;
}

interface Message {
  transition: BreakerTransition;
  origin: string;
}

/** Hash field <target key> → latest message, kept only if newer; then publish it. */
const publishScript = luaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.at) == 'number' and decoded.at > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1
`);

/** The shared hash outlives the last transition by a day; closed is every circuit's default anyway. */
const stateTtlMs = 86_400_000;

function encode(message: Message): string {
  const { transition, origin } = message;
  return JSON.stringify(transition.state === "open" ? { ...transition, origin } : { key: transition.key, state: transition.state, at: transition.at, origin });
}

function decode(text: string): Message | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { key, state, at, cooldownMs, origin } = record;
  if (typeof key !== "string" || typeof at !== "number" || typeof origin !== "string") return undefined;
  if (state === "closed") return { origin, transition: { key, state, at } };
  if (state === "open" && typeof cooldownMs === "number") return { origin, transition: { key, state, at, cooldownMs } };
  return undefined;
}

/**
 * Shares circuit state across replicas, eventually (within a Redis round trip). Local opens and
 * closes are written to the hash `<prefix>breakers` (latest per target, by time) and published on
 * `<prefix>breakers:events`; other replicas apply them with `applyRemote`. A replica starting up
 * loads the hash first. Failure counts stay per replica: a circuit opens everywhere as soon as one
 * replica sees `failureThreshold` consecutive failures. Redis being down never touches the request
 * path: transitions are then only local, and each failed write is logged.
 */
export async function startBreakerSync(breakers: CircuitBreakers, options: RedisBreakerSyncOptions): Promise<BreakerSync> {
  const prefix = options.prefix ?? "hearth:";
  const hash = `${prefix}breakers`;
  const channel = `${prefix}breakers:events`;
  const replicaId = options.replicaId ?? randomUUID();
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const pending = new Set<Promise<void>>();

  const onMessage = (text: string): void => {
    const message = decode(text);
    if (message === undefined) {
      logger.warn("breaker sync: ignored a malformed message", { channel });
      return;
    }
    if (message.origin !== replicaId) breakers.applyRemote(message.transition);
  };
  await options.subscriber.subscribe(channel, onMessage);

  // Subscribed first, so nothing published while loading is missed; applyRemote keeps the latest.
  const stored = await options.client.sendCommand(["HVALS", hash]);
  for (const text of Array.isArray(stored) ? (stored as unknown[]) : []) {
    const message = typeof text === "string" ? decode(text) : undefined;
    if (message === undefined || message.origin === replicaId) continue;
    const { transition } = message;
    if (transition.state === "open" && transition.at + transition.cooldownMs <= now()) continue;
    breakers.applyRemote(transition);
  }

  const unsubscribe = breakers.onTransition((transition) => {
    const work = runScript(options.client, publishScript, [hash], [transition.key, transition.at, encode({ transition, origin: replicaId }), channel, stateTtlMs])
      .then(() => undefined)
      .catch((error: unknown) => {
        logger.warn("breaker sync: could not share a circuit transition", {
          target: transition.key,
          state: transition.state,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => pending.delete(work));
    pending.add(work);
  });

  return {
    replicaId,
    async flushed() {
      await Promise.all([...pending]);
    },
    async stop() {
      unsubscribe();
      await Promise.all([...pending]);
      await options.subscriber.unsubscribe(channel, onMessage);
    },
  };
}

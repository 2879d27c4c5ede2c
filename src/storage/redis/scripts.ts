import { createHash } from "node:crypto";

/** The commands the Redis adapters send; a node-redis v6 client (`createClient()`) satisfies it. */
export interface RedisCommandClient {
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** A Lua script run with EVALSHA, loaded with EVAL the first time a server does not know it. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

export async function runScript(client: RedisCommandClient, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await client.sendCommand(["EVALSHA", script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await client.sendCommand(["EVAL", script.source, ...tail]);
  }
}

/** A Redis reply that did not have the shape a script promises: a bug or a foreign key, never retried. */
export class UnexpectedReply extends Error {
  constructor(what: string, reply: unknown) {
    super(`unexpected Redis reply for ${what}: ${JSON.stringify(reply)?.slice(0, 200)}`);
    this.name = "UnexpectedReply";
  }
}

export function asArray(reply: unknown, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new UnexpectedReply(what, reply);
  return reply;
}

export function asNumber(reply: unknown, what: string): number {
  const value = typeof reply === "number" ? reply : typeof reply === "string" ? Number(reply) : Number.NaN;
  if (!Number.isFinite(value)) throw new UnexpectedReply(what, reply);
  return value;
}

export function asString(reply: unknown, what: string): string {
  if (typeof reply !== "string") throw new UnexpectedReply(what, reply);
  return reply;
}

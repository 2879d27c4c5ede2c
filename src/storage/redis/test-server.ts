/** Helpers for tests that need the local Redis server (127.0.0.1:6379). */
import { tcpReachable } from "../reachable.ts";
import { randomUUID } from "node:crypto";
import { createClient } from "redis";

export const testRedisUrl = "redis://127.0.0.1:6379";

/** Why Redis tests cannot run here, or undefined when the server answers. */
export async function redisUnavailable(): Promise<string | undefined> {
  const reachable = await tcpReachable("127.0.0.1", 6379);
  return reachable ? undefined : "Redis is not reachable at 127.0.0.1:6379; start one to run these tests";
}

function newClient() {
  return createClient({ url: testRedisUrl, disableOfflineQueue: true });
}

export type TestRedisClient = ReturnType<typeof newClient>;

/** A connected client; errors surface on commands, not as unhandled 'error' events. */
export async function connectTestClient(): Promise<TestRedisClient> {
  const client = newClient();
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A key prefix no other test run uses. */
export function uniquePrefix(): string {
  return `hearth-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: TestRedisClient, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const reply = (await client.sendCommand(["SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [string, string[]];
    cursor = reply[0];
    if (reply[1].length > 0) await client.sendCommand(["DEL", ...reply[1]]);
  } while (cursor !== "0");
}

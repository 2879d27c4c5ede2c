import type {
  AdjustCommand,
  CounterStore,
  RaiseCommand,
  ReadCommand,
  ReadResult,
  ReserveCommand,
  ReserveOutcome,
  SeedCommand,
} from "../../core/limits/types.ts";
import { asArray, asNumber, asString, luaScript, runScript, UnexpectedReply, type RedisCommandClient } from "./scripts.ts";

export type { RedisCommandClient } from "./scripts.ts";

/**
 * Key layout (after the prefix, default "hearth:"):
 *   limits:<kind>:<id>:rpm | :tpm       hash  bucket start (epoch ms) → amount; TTL window + 2 buckets
 *   limits:<kind>:<id>:day:<yyyy-mm-dd>  hash  s → spent micro-dollars, g → generation; TTL period end + 2 days
 *   limits:<kind>:<id>:month:<yyyy-mm>   (same)
 * Money is integer micro-dollars (HINCRBY), so sums are exact. One command touches keys of several
 * subjects; on Redis Cluster put them in one slot with a hash-tag prefix such as "{hearth}:".
 */
export interface RedisCounterStoreOptions {
  client: RedisCommandClient;
  prefix?: string | undefined;
}

const header = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local bucketMs = tonumber(ARGV[3])
local nw = tonumber(ARGV[4])
local nb = tonumber(ARGV[5])
local current = now - (now % bucketMs)
local since = (now - windowMs) - ((now - windowMs) % bucketMs)
local ttlMs = windowMs + 2 * bucketMs
`;

/** KEYS: window keys, then budget keys. ARGV: header, then limit, amount per window, then cap, amount per budget. */
const reserveScript = luaScript(`${header}
local missing = {}
for j = 1, nb do
  if redis.call('EXISTS', KEYS[nw + j]) == 0 then missing[#missing + 1] = j - 1 end
end
if #missing > 0 then return {'missing', missing} end

local refusedWindows = {}
for i = 1, nw do
  local key = KEYS[i]
  local limit = tonumber(ARGV[4 + 2 * i])
  local amount = tonumber(ARGV[5 + 2 * i])
  local flat = redis.call('HGETALL', key)
  local used = 0
  local live = {}
  local stale = {}
  for f = 1, #flat, 2 do
    local bucket = tonumber(flat[f])
    local value = tonumber(flat[f + 1])
    if bucket < since then
      stale[#stale + 1] = flat[f]
    else
      used = used + value
      live[#live + 1] = {bucket, value}
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  if used >= limit or used + amount > limit then
    table.sort(live, function(a, b) return a[1] < b[1] end)
    local leavesAt = now
    for _, entry in ipairs(live) do
      used = used - entry[2]
      leavesAt = entry[1] + bucketMs + windowMs
      if used < limit and used + amount <= limit then break end
    end
    local wait = leavesAt - now
    if wait < 0 then wait = 0 end
    refusedWindows[#refusedWindows + 1] = i - 1
    refusedWindows[#refusedWindows + 1] = wait
  end
end

local base = 5 + 2 * nw
local refusedBudgets = {}
for j = 1, nb do
  local cap = tonumber(ARGV[base + 2 * j - 1])
  local amount = tonumber(ARGV[base + 2 * j])
  local spent = tonumber(redis.call('HGET', KEYS[nw + j], 's') or '0')
  if spent >= cap or spent + amount > cap then refusedBudgets[#refusedBudgets + 1] = j - 1 end
end
if #refusedWindows > 0 or #refusedBudgets > 0 then return {'refused', refusedWindows, refusedBudgets} end

local field = string.format('%d', current)
for i = 1, nw do
  if tonumber(ARGV[5 + 2 * i]) > 0 then
    redis.call('HINCRBY', KEYS[i], field, ARGV[5 + 2 * i])
    redis.call('PEXPIRE', KEYS[i], ttlMs)
  end
end
local generations = {}
for j = 1, nb do
  redis.call('HINCRBY', KEYS[nw + j], 's', ARGV[base + 2 * j])
  generations[j] = redis.call('HGET', KEYS[nw + j], 'g') or ''
end
return {'reserved', current, generations}
`);

/** KEYS: budget keys. ARGV: spent micros, generation, TTL ms per key. */
const seedScript = luaScript(`
for j = 1, #KEYS do
  if redis.call('EXISTS', KEYS[j]) == 0 then
    redis.call('HSET', KEYS[j], 's', ARGV[3 * j - 2], 'g', ARGV[3 * j - 1])
    redis.call('PEXPIRE', KEYS[j], math.max(1000, tonumber(ARGV[3 * j])))
  end
end
return 1
`);

/** KEYS: budget keys. ARGV: the least spent micros per key. Returns how much each counter was raised (0 when missing). */
const raiseScript = luaScript(`
local raised = {}
for j = 1, #KEYS do
  raised[j] = 0
  local held = redis.call('HGET', KEYS[j], 's')
  if held then
    local wanted = tonumber(ARGV[j])
    local spent = tonumber(held)
    if spent < wanted then
      redis.call('HSET', KEYS[j], 's', ARGV[j])
      raised[j] = wanted - spent
    end
  end
end
return raised
`);

/** KEYS: window keys, then budget keys. ARGV: header, then bucket, remove, add per window, then generation, remove, add per budget. */
const adjustScript = luaScript(`${header}
local field = string.format('%d', current)
for i = 1, nw do
  local key = KEYS[i]
  local bucket = ARGV[3 + 3 * i]
  local remove = tonumber(ARGV[4 + 3 * i])
  local add = tonumber(ARGV[5 + 3 * i])
  if remove > 0 and tonumber(bucket) >= since then
    local held = redis.call('HGET', key, bucket)
    if held then
      local left = tonumber(held) - remove
      if left > 0 then redis.call('HSET', key, bucket, string.format('%d', left)) else redis.call('HDEL', key, bucket) end
    end
  end
  if add > 0 then
    redis.call('HINCRBY', key, field, ARGV[5 + 3 * i])
    redis.call('PEXPIRE', key, ttlMs)
  end
end
local base = 5 + 3 * nw
for j = 1, nb do
  local key = KEYS[nw + j]
  local held = redis.call('HGET', key, 'g')
  if held then
    local delta = tonumber(ARGV[base + 3 * j])
    if held == ARGV[base + 3 * j - 2] then delta = delta - tonumber(ARGV[base + 3 * j - 1]) end
    if delta ~= 0 then redis.call('HINCRBY', key, 's', string.format('%d', delta)) end
  end
end
return 1
`);

/** KEYS: window keys, then budget keys. ARGV: header. Returns sums, and spent or '' per budget. */
const readScript = luaScript(`${header}
local sums = {}
for i = 1, nw do
  local flat = redis.call('HGETALL', KEYS[i])
  local used = 0
  for f = 1, #flat, 2 do
    if tonumber(flat[f]) >= since then used = used + tonumber(flat[f + 1]) end
  end
  sums[i] = used
end
local spent = {}
for j = 1, nb do
  spent[j] = redis.call('HGET', KEYS[nw + j], 's') or ''
end
return {sums, spent}
`);

function integer(value: number): string {
  return Math.round(value).toFixed(0);
}

/**
 * Counters in Redis, shared by every replica. Each method is one Lua script (EVALSHA), so a
 * check-and-reserve over the key's and the team's counters is one atomic step on the server.
 */
export function createRedisCounterStore(options: RedisCounterStoreOptions): CounterStore {
  const client = options.client;
  const prefix = `${options.prefix ?? "hearth:"}limits:`;
  const headerArgs = (command: { now: number; window: { windowMs: number; bucketMs: number } }, windows: number, budgets: number) => [
    integer(command.now),
    integer(command.window.windowMs),
    integer(command.window.bucketMs),
    String(windows),
    String(budgets),
  ];

  return {
    async reserve(command: ReserveCommand): Promise<ReserveOutcome> {
      const keys = [...command.windows.map((charge) => prefix + charge.key), ...command.budgets.map((charge) => prefix + charge.key)];
      const args = [
        ...headerArgs(command, command.windows.length, command.budgets.length),
        ...command.windows.flatMap((charge) => [integer(charge.limit), integer(charge.amount)]),
        ...command.budgets.flatMap((charge) => [integer(charge.capMicros), integer(charge.amountMicros)]),
      ];
      const reply = asArray(await runScript(client, reserveScript, keys, args), "reserve");
      const status = reply[0];
      if (status === "missing") return { status, budgets: asArray(reply[1], "reserve missing").map((index) => asNumber(index, "reserve missing")) };
      if (status === "refused") {
        const flat = asArray(reply[1], "reserve refused windows").map((value) => asNumber(value, "reserve refused windows"));
        const windows: { index: number; retryAfterMs: number }[] = [];
        for (let index = 0; index + 1 < flat.length; index += 2) windows.push({ index: flat[index] ?? 0, retryAfterMs: flat[index + 1] ?? 0 });
        const budgets = asArray(reply[2], "reserve refused budgets").map((value) => asNumber(value, "reserve refused budgets"));
        return { status, windows, budgets };
      }
      if (status === "reserved") {
        return {
          status,
          bucket: asNumber(reply[1], "reserve bucket"),
          generations: asArray(reply[2], "reserve generations").map((value) => asString(value, "reserve generation")),
        };
      }
      throw new UnexpectedReply("reserve", reply);
    },

    async seed(commands: readonly SeedCommand[]): Promise<void> {
      if (commands.length === 0) return;
      await runScript(
        client,
        seedScript,
        commands.map((command) => prefix + command.key),
        commands.flatMap((command) => [integer(command.spentMicros), command.generation, integer(command.expiresAt - command.now)]),
      );
    },

    async adjust(command: AdjustCommand): Promise<void> {
      if (command.windows.length === 0 && command.budgets.length === 0) return;
      await runScript(
        client,
        adjustScript,
        [...command.windows.map((adjustment) => prefix + adjustment.key), ...command.budgets.map((adjustment) => prefix + adjustment.key)],
        [
          ...headerArgs(command, command.windows.length, command.budgets.length),
          ...command.windows.flatMap((adjustment) => [integer(adjustment.bucket), integer(adjustment.remove), integer(adjustment.add)]),
          ...command.budgets.flatMap((adjustment) => [adjustment.generation, integer(adjustment.removeMicros), integer(adjustment.addMicros)]),
        ],
      );
    },

    async raise(commands: readonly RaiseCommand[]): Promise<number[]> {
      if (commands.length === 0) return [];
      const reply = asArray(
        await runScript(
          client,
          raiseScript,
          commands.map((command) => prefix + command.key),
          commands.map((command) => integer(command.atLeastMicros)),
        ),
        "raise",
      );
      return reply.map((value) => asNumber(value, "raise"));
    },

    async read(command: ReadCommand): Promise<ReadResult> {
      if (command.windows.length === 0 && command.budgets.length === 0) return { windows: [], budgets: [] };
      const reply = asArray(
        await runScript(
          client,
          readScript,
          [...command.windows.map((key) => prefix + key), ...command.budgets.map((key) => prefix + key)],
          headerArgs(command, command.windows.length, command.budgets.length),
        ),
        "read",
      );
      return {
        windows: asArray(reply[0], "read windows").map((value) => asNumber(value, "read window")),
        budgets: asArray(reply[1], "read budgets").map((value) => (value === "" ? undefined : asNumber(value, "read budget"))),
      };
    },
  };
}

import { getRandomValues } from "node:crypto";

const hex = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, "0"));

/** Random bytes fetched 4 KiB at a time: one getRandomValues call per id costs more than the rest of the id. */
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

function randomBytes16(): Uint8Array {
  if (poolOffset + 16 > pool.length) {
    getRandomValues(pool);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of epoch milliseconds, then random bits. Ids sort roughly by
 * creation time, which keeps B-tree inserts at the end of the index in SQLite and PostgreSQL,
 * and PostgreSQL can store them in its `uuid` type.
 */
export function createTimeOrderedId(time: number = Date.now()): string {
  const bytes = randomBytes16();
  let milliseconds = Math.max(0, Math.trunc(time));
  for (let index = 5; index >= 0; index -= 1) {
    bytes[index] = milliseconds % 256;
    milliseconds = Math.floor(milliseconds / 256);
  }
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  let text = "";
  for (let index = 0; index < 16; index += 1) {
    if (index === 4 || index === 6 || index === 8 || index === 10) text += "-";
    text += hex[bytes[index] ?? 0];
  }
  return text;
}

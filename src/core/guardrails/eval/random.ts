/**
 * A small seeded pseudo-random generator for the evaluation set and the throughput corpus. The
 * evaluation must be reproducible (the same seed gives byte-identical documents on every machine
 * and Node version), so nothing here touches Math.random or crypto randomness.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's small fast counter), seeded through splitmix32; it
 * is not cryptographic, which is fine: the values only have to look random and be checksum-valid.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** A uniform integer in [minimum, maximum], both inclusive. */
  integer(minimum: number, maximum: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with the given probability. */
  chance(probability: number): boolean;
  /** `length` characters drawn uniformly from `alphabet`. */
  string(alphabet: string, length: number): string;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent generator derived from this one (so a sub-task's draws do not shift the caller's). */
  fork(): Random;
}

export const digits = "0123456789";
export const upperLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const lowerLetters = "abcdefghijklmnopqrstuvwxyz";
export const alphanumeric = `${upperLetters}${lowerLetters}${digits}`;
export const hexLower = "0123456789abcdef";
/** RFC 4648 base64url alphabet. */
export const base64UrlAlphabet = `${alphanumeric}-_`;

function splitmix32(state: number): () => number {
  let value = state >>> 0;
  return () => {
    value = (value + 0x9e3779b9) >>> 0;
    let mixed = value;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
    mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
    return (mixed ^ (mixed >>> 16)) >>> 0;
  };
}

/** A generator for `seed` (any integer; only the low 32 bits matter). */
export function createRandom(seed: number): Random {
  const seeder = splitmix32(seed);
  let a = seeder();
  let b = seeder();
  let c = seeder();
  let counter = 1;
  const nextUint32 = (): number => {
    const result = (a + b + counter) >>> 0;
    counter = (counter + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + result) >>> 0;
    return result;
  };
  for (let round = 0; round < 12; round += 1) nextUint32();

  const random: Random = {
    next: () => nextUint32() / 4294967296,
    integer(minimum, maximum) {
      if (!Number.isInteger(minimum) || !Number.isInteger(maximum) || maximum < minimum) {
        throw new RangeError(`invalid integer range ${minimum}..${maximum}`);
      }
      return minimum + Math.floor(random.next() * (maximum - minimum + 1));
    },
    pick(items) {
      if (items.length === 0) throw new RangeError("cannot pick from an empty list");
      return items[Math.floor(random.next() * items.length)] as (typeof items)[number];
    },
    chance: (probability) => random.next() < probability,
    string(alphabet, length) {
      let result = "";
      for (let index = 0; index < length; index += 1) result += alphabet[Math.floor(random.next() * alphabet.length)];
      return result;
    },
    bytes(length) {
      const result = new Uint8Array(length);
      for (let index = 0; index < length; index += 1) result[index] = nextUint32() & 0xff;
      return result;
    },
    shuffle(items) {
      const copy = [...items];
      for (let index = copy.length - 1; index > 0; index -= 1) {
        const other = Math.floor(random.next() * (index + 1));
        [copy[index], copy[other]] = [copy[other] as (typeof copy)[number], copy[index] as (typeof copy)[number]];
      }
      return copy;
    },
    fork: () => createRandom(nextUint32()),
  };
  return random;
}

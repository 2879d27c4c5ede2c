/**
 * Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256): EIP-55 address
 * checksums are the case of each hex letter, decided by the Keccak-256 hash of the lower-case
 * address. node:crypto only offers SHA3, so the evaluation set carries its own. The round
 * constants and rotation offsets are derived from their definitions in FIPS 202 rather than typed
 * in. Speed is irrelevant here (a few thousand short hashes per evaluation run), so lanes are
 * BigInts.
 *
 * It lives in eval/ on purpose: the evaluation checks the recognizers, so it must not share their
 * checksum code (a bug in a shared Keccak would make generator and recognizer agree on wrong
 * addresses).
 */

const laneMask = (1n << 64n) - 1n;

function rotateLeft(lane: bigint, offset: number): bigint {
  if (offset === 0) return lane;
  const shift = BigInt(offset);
  return ((lane << shift) | (lane >> (64n - shift))) & laneMask;
}

/** Round constants from the degree-8 LFSR x⁸ + x⁶ + x⁵ + x⁴ + 1 (FIPS 202, algorithm 5). */
const roundConstants: readonly bigint[] = (() => {
  const constants: bigint[] = [];
  let register = 1;
  for (let round = 0; round < 24; round += 1) {
    let constant = 0n;
    for (let bit = 0; bit < 7; bit += 1) {
      if ((register & 1) === 1) constant |= 1n << BigInt((1 << bit) - 1);
      register = (register & 0x80) !== 0 ? ((register << 1) ^ 0x71) & 0xff : (register << 1) & 0xff;
    }
    constants.push(constant);
  }
  return constants;
})();

/** Rotation offsets ρ, indexed x + 5y (FIPS 202, algorithm 2). */
const rotationOffsets: readonly number[] = (() => {
  const offsets = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let step = 0; step < 24; step += 1) {
    offsets[x + 5 * y] = (((step + 1) * (step + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
})();

function permute(state: bigint[]): void {
  const columns = new Array<bigint>(5).fill(0n);
  const moved = new Array<bigint>(25).fill(0n);
  for (const constant of roundConstants) {
    for (let x = 0; x < 5; x += 1) {
      columns[x] = (state[x] as bigint) ^ (state[x + 5] as bigint) ^ (state[x + 10] as bigint) ^ (state[x + 15] as bigint) ^ (state[x + 20] as bigint);
    }
    for (let x = 0; x < 5; x += 1) {
      const effect = (columns[(x + 4) % 5] as bigint) ^ rotateLeft(columns[(x + 1) % 5] as bigint, 1);
      for (let y = 0; y < 25; y += 5) state[x + y] = (state[x + y] as bigint) ^ effect;
    }
    for (let x = 0; x < 5; x += 1) {
      for (let y = 0; y < 5; y += 1) {
        moved[y + 5 * ((2 * x + 3 * y) % 5)] = rotateLeft(state[x + 5 * y] as bigint, rotationOffsets[x + 5 * y] as number);
      }
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x += 1) {
        const lane = moved[x + y] as bigint;
        const next = moved[((x + 1) % 5) + y] as bigint;
        const afterNext = moved[((x + 2) % 5) + y] as bigint;
        state[x + y] = lane ^ (~next & laneMask & afterNext);
      }
    }
    state[0] = (state[0] as bigint) ^ constant;
  }
}

/**
 * A 256-bit Keccak sponge (rate 136 bytes). `domainByte` is 0x01 for Keccak-256 (Ethereum) and
 * 0x06 for SHA3-256 — exported so the test can check the permutation against node:crypto's SHA3.
 */
export function keccakSponge256(input: Uint8Array, domainByte: number): Uint8Array {
  const rate = 136;
  const blocks = Math.floor(input.length / rate) + 1;
  const padded = new Uint8Array(blocks * rate);
  padded.set(input);
  padded[input.length] = (padded[input.length] as number) ^ domainByte;
  padded[padded.length - 1] = (padded[padded.length - 1] as number) ^ 0x80;
  const state = new Array<bigint>(25).fill(0n);
  for (let offset = 0; offset < padded.length; offset += rate) {
    for (let lane = 0; lane < rate / 8; lane += 1) {
      let value = 0n;
      for (let byte = 7; byte >= 0; byte -= 1) value = (value << 8n) | BigInt(padded[offset + lane * 8 + byte] as number);
      state[lane] = (state[lane] as bigint) ^ value;
    }
    permute(state);
  }
  const output = new Uint8Array(32);
  for (let index = 0; index < 32; index += 1) {
    output[index] = Number(((state[Math.floor(index / 8)] as bigint) >> BigInt(8 * (index % 8))) & 0xffn);
  }
  return output;
}

/** Keccak-256 (Ethereum's hash) of `input`. */
export function keccak256(input: Uint8Array): Uint8Array {
  return keccakSponge256(input, 0x01);
}

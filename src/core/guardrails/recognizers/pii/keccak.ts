/**
 * Keccak-256, the hash Ethereum uses for EIP-55 address checksums. node:crypto offers "sha3-256",
 * which runs the same permutation but pads differently (domain byte 0x06 instead of Keccak's
 * original 0x01), so its digests differ; this file implements the sponge itself. Lanes are 64-bit
 * words held as two 32-bit halves (even index low, odd index high).
 */

/** Round constants, produced by the degree-8 LFSR of the Keccak reference (no typed-in table). */
const roundConstants = ((): Uint32Array => {
  const constants = new Uint32Array(48);
  let register = 1;
  const nextBit = (): number => {
    const bit = register & 1;
    register = register & 0x80 ? ((register << 1) ^ 0x71) & 0xff : (register << 1) & 0xff;
    return bit;
  };
  for (let round = 0; round < 24; round++) {
    for (let power = 0; power < 7; power++) {
      if (nextBit() === 0) continue;
      const position = (1 << power) - 1;
      if (position < 32) constants[round * 2] = (constants[round * 2] as number) | (1 << position);
      else constants[round * 2 + 1] = (constants[round * 2 + 1] as number) | (1 << (position - 32));
    }
  }
  return constants;
})();

/** Rotation offset of lane x + 5y, and where ρ∘π moves it, both from the reference's (x, y) walk. */
const rotations = new Uint8Array(25);
const destinations = new Uint8Array(25);
{
  let x = 1;
  let y = 0;
  for (let step = 0; step < 24; step++) {
    rotations[x + 5 * y] = (((step + 1) * (step + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  for (let lane = 0; lane < 25; lane++) {
    const laneX = lane % 5;
    const laneY = Math.floor(lane / 5);
    destinations[lane] = laneY + 5 * ((2 * laneX + 3 * laneY) % 5);
  }
}

const columns = new Uint32Array(10);
const moved = new Uint32Array(50);

function permute(state: Uint32Array): void {
  for (let round = 0; round < 24; round++) {
    // θ
    for (let x = 0; x < 5; x++) {
      columns[2 * x] = (state[2 * x] as number) ^ (state[2 * x + 10] as number) ^ (state[2 * x + 20] as number) ^ (state[2 * x + 30] as number) ^ (state[2 * x + 40] as number);
      columns[2 * x + 1] = (state[2 * x + 1] as number) ^ (state[2 * x + 11] as number) ^ (state[2 * x + 21] as number) ^ (state[2 * x + 31] as number) ^ (state[2 * x + 41] as number);
    }
    for (let x = 0; x < 5; x++) {
      const previous = (x + 4) % 5;
      const next = (x + 1) % 5;
      const nextLow = columns[2 * next] as number;
      const nextHigh = columns[2 * next + 1] as number;
      const low = (columns[2 * previous] as number) ^ ((nextLow << 1) | (nextHigh >>> 31));
      const high = (columns[2 * previous + 1] as number) ^ ((nextHigh << 1) | (nextLow >>> 31));
      for (let y = 0; y < 25; y += 5) {
        state[2 * (x + y)] = (state[2 * (x + y)] as number) ^ low;
        state[2 * (x + y) + 1] = (state[2 * (x + y) + 1] as number) ^ high;
      }
    }
    // ρ and π
    for (let lane = 0; lane < 25; lane++) {
      const low = state[2 * lane] as number;
      const high = state[2 * lane + 1] as number;
      const shift = rotations[lane] as number;
      const target = 2 * (destinations[lane] as number);
      if (shift === 0) {
        moved[target] = low;
        moved[target + 1] = high;
      } else if (shift < 32) {
        moved[target] = (low << shift) | (high >>> (32 - shift));
        moved[target + 1] = (high << shift) | (low >>> (32 - shift));
      } else if (shift === 32) {
        moved[target] = high;
        moved[target + 1] = low;
      } else {
        const rest = shift - 32;
        moved[target] = (high << rest) | (low >>> (32 - rest));
        moved[target + 1] = (low << rest) | (high >>> (32 - rest));
      }
    }
    // χ
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const here = 2 * (x + y);
        const one = 2 * (((x + 1) % 5) + y);
        const two = 2 * (((x + 2) % 5) + y);
        state[here] = (moved[here] as number) ^ (~(moved[one] as number) & (moved[two] as number));
        state[here + 1] = (moved[here + 1] as number) ^ (~(moved[one + 1] as number) & (moved[two + 1] as number));
      }
    }
    // ι
    state[0] = (state[0] as number) ^ (roundConstants[round * 2] as number);
    state[1] = (state[1] as number) ^ (roundConstants[round * 2 + 1] as number);
  }
}

/**
 * The Keccak sponge over `input`: `rateBytes` per block, `domain` as the first padding byte (0x01
 * for Keccak, 0x06 for SHA-3), `outputBytes` of output (at most one block).
 */
export function keccakSponge(input: Uint8Array, rateBytes: number, domain: number, outputBytes: number): Uint8Array {
  const state = new Uint32Array(50);
  const block = new Uint8Array(rateBytes);
  const absorb = (): void => {
    for (let index = 0; index < rateBytes; index++) {
      const word = index >> 2;
      state[word] = (state[word] as number) ^ ((block[index] as number) << ((index & 3) * 8));
    }
    permute(state);
  };
  let offset = 0;
  for (; offset + rateBytes <= input.length; offset += rateBytes) {
    block.set(input.subarray(offset, offset + rateBytes));
    absorb();
  }
  block.fill(0);
  block.set(input.subarray(offset));
  block[input.length - offset] = (block[input.length - offset] as number) ^ domain;
  block[rateBytes - 1] = (block[rateBytes - 1] as number) ^ 0x80;
  absorb();
  const output = new Uint8Array(outputBytes);
  for (let index = 0; index < outputBytes; index++) output[index] = ((state[index >> 2] as number) >>> ((index & 3) * 8)) & 0xff;
  return output;
}

/** Keccak-256 digest of `input` (the pre-standard padding Ethereum uses). */
export function keccak256(input: Uint8Array): Uint8Array {
  return keccakSponge(input, 136, 0x01, 32);
}

import { endianness } from "node:os";
import type { TensorFill, TensorType } from "./writer.ts";

/**
 * Deterministic tensor contents for generated models: a small seeded PRNG (xoshiro128**) and fills
 * for each tensor type. Same seed and stream → the same bytes on every machine, so generated
 * models are byte-identical and cacheable.
 */

if (endianness() !== "LE") throw new Error("GGUF generation assumes a little-endian machine");

/** A seeded 32-bit generator; `stream` separates independent sequences under one seed. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, stream = 0) {
    let state = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotateLeft(this.#d, 11);
    return result;
  }

  /** Fills `target` with random bytes (the same bytes as successive {@link uint32} calls, little-endian). */
  fillBytes(target: Uint8Array): void {
    const words = Math.floor(target.length / 4);
    if (target.byteOffset % 4 !== 0) {
      for (let index = 0; index < target.length; index += 4) {
        const word = this.uint32();
        for (let byte = 0; byte < 4 && index + byte < target.length; byte += 1) {
          target[index + byte] = (word >>> (byte * 8)) & 0xff;
        }
      }
      return;
    }
    const view = new Uint32Array(target.buffer, target.byteOffset, words);
    let a = this.#a;
    let b = this.#b;
    let c = this.#c;
    let d = this.#d;
    for (let index = 0; index < words; index += 1) {
      const product = Math.imul(b, 5);
      view[index] = Math.imul((product << 7) | (product >>> 25), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
    }
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
    if (words * 4 < target.length) {
      const word = this.uint32();
      for (let index = words * 4; index < target.length; index += 1) {
        target[index] = (word >>> ((index - words * 4) * 8)) & 0xff;
      }
    }
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

const conversionFloat = new Float32Array(1);
const conversionBits = new Uint32Array(conversionFloat.buffer);

/** IEEE 754 binary16 bits of `value`, rounded to nearest even. */
export function float16Bits(value: number): number {
  conversionFloat[0] = value;
  const bits = conversionBits[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

function float32View(target: Uint8Array): Float32Array {
  if (target.byteOffset % 4 !== 0) throw new Error("f32 chunk is not 4-byte aligned");
  return new Float32Array(target.buffer, target.byteOffset, target.length / 4);
}

function uint16View(target: Uint8Array): Uint16Array {
  if (target.byteOffset % 2 !== 0) throw new Error("f16 chunk is not 2-byte aligned");
  return new Uint16Array(target.buffer, target.byteOffset, target.length / 2);
}

/** A fill writing one value everywhere (norm weights are ones). Floating-point types only. */
export function constantFill(type: TensorType, value: number): TensorFill {
  switch (type) {
    case "f32":
      return (target) => float32View(target).fill(value);
    case "f16": {
      const bits = float16Bits(value);
      return (target) => uint16View(target).fill(bits);
    }
    default:
      throw new Error(`constant fill supports f32 and f16, not ${type}`);
  }
}

/**
 * A fill with random values of roughly the given standard deviation. Floats are uniform in
 * ±std·√3; quantized blocks get random quants with one fixed f16 scale chosen so the dequantized
 * values have about that deviation (no quantizer needed: the values are random anyway).
 */
export function randomFill(type: TensorType, random: Random, standardDeviation: number): TensorFill {
  const halfWidth = standardDeviation * Math.sqrt(3);
  switch (type) {
    case "f32":
      return (target) => {
        random.fillBytes(target);
        const values = float32View(target);
        const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
        for (let index = 0; index < values.length; index += 1) {
          values[index] = ((words[index] ?? 0) / 2147483648 - 1) * halfWidth;
        }
      };
    case "f16": {
      let scratch = new Uint32Array(0);
      return (target) => {
        const values = uint16View(target);
        if (scratch.length < values.length) scratch = new Uint32Array(values.length);
        const words = scratch.subarray(0, values.length);
        random.fillBytes(new Uint8Array(words.buffer, 0, words.length * 4));
        for (let index = 0; index < values.length; index += 1) {
          values[index] = float16Bits(((words[index] ?? 0) / 2147483648 - 1) * halfWidth);
        }
      };
    }
    case "q8_0": {
      // Uniform int8 has a standard deviation of about 73.9.
      const scale = float16Bits(standardDeviation / 73.9);
      return (target) => fillBlocks(target, 34, scale, random);
    }
    case "q4_0": {
      // Uniform nibbles minus 8 have a standard deviation of about 4.61.
      const scale = float16Bits(standardDeviation / 4.61);
      return (target) => fillBlocks(target, 18, scale, random);
    }
  }
}

function fillBlocks(target: Uint8Array, blockBytes: number, scaleBits: number, random: Random): void {
  random.fillBytes(target);
  // Blocks are an even number of bytes, so each block's scale is one aligned 16-bit word.
  const words = uint16View(target);
  const blockWords = blockBytes / 2;
  for (let block = 0; block < words.length; block += blockWords) words[block] = scaleBits;
}

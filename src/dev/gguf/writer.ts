import { open, rename, rm } from "node:fs/promises";

/**
 * A streaming GGUF v3 writer. Hearth cannot download model weights, so it writes its own test and
 * demo models; a Llama-3.2-1B-shaped file is ~700 MB, so tensor data is produced chunk by chunk
 * and never held in memory whole. Only the header (metadata and tensor infos) is built in memory.
 */

/** The ggml tensor types this writer can lay out. Values are ggml's own type ids. */
export const tensorTypes = {
  f32: 0,
  f16: 1,
  q4_0: 2,
  q8_0: 8,
} as const;

export type TensorType = keyof typeof tensorTypes;

/** How ggml packs one type: `blockElements` values take `blockBytes` bytes. */
export interface TensorLayout {
  blockElements: number;
  blockBytes: number;
}

export const tensorLayouts: Readonly<Record<TensorType, TensorLayout>> = {
  f32: { blockElements: 1, blockBytes: 4 },
  f16: { blockElements: 1, blockBytes: 2 },
  // f16 scale + 32 signed bytes
  q8_0: { blockElements: 32, blockBytes: 34 },
  // f16 scale + 32 packed nibbles
  q4_0: { blockElements: 32, blockBytes: 18 },
};

/**
 * One metadata value with its GGUF type spelled out: GGUF distinguishes uint32 from int32 and
 * float32, and llama.cpp rejects a key stored with the wrong type.
 */
export type MetadataValue =
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "uint64"; value: number | bigint }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "int32[]"; value: readonly number[] | Int32Array }
  | { type: "float32[]"; value: readonly number[] | Float32Array };

/** Shorthands for building {@link MetadataValue}s. */
export const metadata = {
  uint32: (value: number): MetadataValue => ({ type: "uint32", value }),
  int32: (value: number): MetadataValue => ({ type: "int32", value }),
  uint64: (value: number | bigint): MetadataValue => ({ type: "uint64", value }),
  float32: (value: number): MetadataValue => ({ type: "float32", value }),
  bool: (value: boolean): MetadataValue => ({ type: "bool", value }),
  string: (value: string): MetadataValue => ({ type: "string", value }),
  strings: (value: readonly string[]): MetadataValue => ({ type: "string[]", value }),
  int32s: (value: readonly number[] | Int32Array): MetadataValue => ({ type: "int32[]", value }),
  float32s: (value: readonly number[] | Float32Array): MetadataValue => ({ type: "float32[]", value }),
};

/**
 * Produces a tensor's bytes in order. Each call fills the whole `target`, whose length is always
 * a multiple of the type's block size; successive calls continue where the last one stopped.
 */
export type TensorFill = (target: Uint8Array) => void;

export interface TensorSpec {
  name: string;
  /** ggml order: `dimensions[0]` is the contiguous row length (ne0), then ne1, ... */
  dimensions: readonly number[];
  type: TensorType;
  fill: TensorFill;
}

/** Where a tensor landed, as a reader will see it. */
export interface TensorPlacement {
  name: string;
  dimensions: readonly number[];
  type: TensorType;
  elements: number;
  /** Offset from the start of the data section. */
  offset: number;
  bytes: number;
}

export interface GgufLayout {
  /** Header bytes including padding up to the data section. */
  headerBytes: number;
  tensors: TensorPlacement[];
  /** Total file size. */
  bytes: number;
}

export interface WriteGgufOptions {
  metadata: ReadonlyArray<readonly [string, MetadataValue]>;
  tensors: readonly TensorSpec[];
  /** Data alignment; written as `general.alignment` when not 32. */
  alignment?: number;
  /** Bytes generated per write; rounded down to whole groups of 4 blocks. */
  chunkBytes?: number;
}

const valueTypes = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
} as const;

const defaultAlignment = 32;
const defaultChunkBytes = 4 * 1024 * 1024;
const textEncoder = new TextEncoder();

/** A growable little-endian byte buffer for the header. */
class ByteBuilder {
  #buffer = new Uint8Array(1 << 16);
  #view = new DataView(this.#buffer.buffer);
  length = 0;

  #reserve(bytes: number): void {
    if (this.length + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  uint32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.length, value, true);
    this.length += 4;
  }

  int32(value: number): void {
    this.#reserve(4);
    this.#view.setInt32(this.length, value, true);
    this.length += 4;
  }

  uint64(value: number | bigint): void {
    this.#reserve(8);
    this.#view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }

  float32(value: number): void {
    this.#reserve(4);
    this.#view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  uint8(value: number): void {
    this.#reserve(1);
    this.#buffer[this.length] = value;
    this.length += 1;
  }

  string(value: string): void {
    const bytes = textEncoder.encode(value);
    this.uint64(bytes.length);
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.#reserve(padding);
    this.#buffer.fill(0, this.length, this.length + padding);
    this.length += padding;
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}

function writeValue(builder: ByteBuilder, value: MetadataValue): void {
  switch (value.type) {
    case "uint32":
      builder.uint32(valueTypes.uint32);
      builder.uint32(value.value);
      return;
    case "int32":
      builder.uint32(valueTypes.int32);
      builder.int32(value.value);
      return;
    case "uint64":
      builder.uint32(valueTypes.uint64);
      builder.uint64(value.value);
      return;
    case "float32":
      builder.uint32(valueTypes.float32);
      builder.float32(value.value);
      return;
    case "bool":
      builder.uint32(valueTypes.bool);
      builder.uint8(value.value ? 1 : 0);
      return;
    case "string":
      builder.uint32(valueTypes.string);
      builder.string(value.value);
      return;
    case "string[]":
      builder.uint32(valueTypes.array);
      builder.uint32(valueTypes.string);
      builder.uint64(value.value.length);
      for (const item of value.value) builder.string(item);
      return;
    case "int32[]":
      builder.uint32(valueTypes.array);
      builder.uint32(valueTypes.int32);
      builder.uint64(value.value.length);
      for (const item of value.value) builder.int32(item);
      return;
    case "float32[]":
      builder.uint32(valueTypes.array);
      builder.uint32(valueTypes.float32);
      builder.uint64(value.value.length);
      for (const item of value.value) builder.float32(item);
      return;
  }
}

function elementCount(dimensions: readonly number[]): number {
  let count = 1;
  for (const dimension of dimensions) count *= dimension;
  return count;
}

/** Bytes a tensor of this shape and type takes, before alignment padding. */
export function tensorBytes(dimensions: readonly number[], type: TensorType): number {
  const layout = tensorLayouts[type];
  const rowLength = dimensions[0] ?? 1;
  if (rowLength % layout.blockElements !== 0) {
    throw new RangeError(
      `tensor type ${type} needs a row length that is a multiple of ${layout.blockElements}, got ${rowLength}`,
    );
  }
  return (elementCount(dimensions) / layout.blockElements) * layout.blockBytes;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function buildHeader(options: WriteGgufOptions): { header: Uint8Array; layout: GgufLayout } {
  const alignment = options.alignment ?? defaultAlignment;
  const entries = [...options.metadata];
  if (alignment !== defaultAlignment && !entries.some(([key]) => key === "general.alignment")) {
    entries.push(["general.alignment", metadata.uint32(alignment)]);
  }
  const names = new Set<string>();
  for (const tensor of options.tensors) {
    if (names.has(tensor.name)) throw new Error(`duplicate tensor name ${tensor.name}`);
    names.add(tensor.name);
  }

  const builder = new ByteBuilder();
  builder.uint32(0x46554747); // "GGUF" read as little-endian
  builder.uint32(3);
  builder.uint64(options.tensors.length);
  builder.uint64(entries.length);
  for (const [key, value] of entries) {
    builder.string(key);
    writeValue(builder, value);
  }

  const placements: TensorPlacement[] = [];
  let offset = 0;
  for (const tensor of options.tensors) {
    const bytes = tensorBytes(tensor.dimensions, tensor.type);
    builder.string(tensor.name);
    builder.uint32(tensor.dimensions.length);
    for (const dimension of tensor.dimensions) builder.uint64(dimension);
    builder.uint32(tensorTypes[tensor.type]);
    builder.uint64(offset);
    placements.push({
      name: tensor.name,
      dimensions: tensor.dimensions,
      type: tensor.type,
      elements: elementCount(tensor.dimensions),
      offset,
      bytes,
    });
    offset = alignUp(offset + bytes, alignment);
  }
  builder.padTo(alignment);
  const header = builder.bytes();
  const last = placements.at(-1);
  const dataBytes = last === undefined ? 0 : last.offset + last.bytes;
  return {
    header,
    layout: { headerBytes: header.length, tensors: placements, bytes: header.length + dataBytes },
  };
}

/** Computes the file layout (sizes and offsets) without writing or generating anything. */
export function layoutGguf(options: WriteGgufOptions): GgufLayout {
  return buildHeader(options).layout;
}

let temporaryCounter = 0;

/**
 * Writes a GGUF v3 file. The file is written under a temporary name beside `path` and renamed
 * when complete, so a crash never leaves a half-written model at `path`.
 */
export async function writeGguf(path: string, options: WriteGgufOptions): Promise<GgufLayout> {
  const alignment = options.alignment ?? defaultAlignment;
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes;
  const { header, layout } = buildHeader(options);
  temporaryCounter += 1;
  const temporaryPath = `${path}.partial-${process.pid}-${temporaryCounter}`;
  const handle = await open(temporaryPath, "w");
  try {
    let position = 0;
    const writeAt = async (bytes: Uint8Array, at: number): Promise<void> => {
      let written = 0;
      while (written < bytes.length) {
        const result = await handle.write(bytes, written, bytes.length - written, at + written);
        written += result.bytesWritten;
      }
    };
    // One write may be in flight while the next chunk is generated into the other buffer.
    let inFlight: Promise<void> = Promise.resolve();
    const enqueue = async (bytes: Uint8Array): Promise<void> => {
      const previous = inFlight;
      inFlight = writeAt(bytes, position);
      inFlight.catch(() => undefined);
      position += bytes.length;
      await previous;
    };
    await enqueue(header);

    const zeros = new Uint8Array(alignment);
    const buffers = [new Uint8Array(0), new Uint8Array(0)];
    let current = 0;
    for (const [index, tensor] of options.tensors.entries()) {
      const placement = layout.tensors[index];
      if (placement === undefined) throw new Error("tensor layout out of step");
      // Whole groups of 4 blocks, so every chunk but the last is a whole number of 32-bit words
      // and a fill's output does not depend on the chunk size.
      const unit = tensorLayouts[tensor.type].blockBytes * 4;
      const chunkLength = Math.max(unit, Math.floor(chunkBytes / unit) * unit);
      let remaining = placement.bytes;
      while (remaining > 0) {
        const length = Math.min(chunkLength, remaining);
        let buffer = buffers[current] ?? new Uint8Array(0);
        if (buffer.length < length) {
          buffer = new Uint8Array(Math.max(length, chunkLength));
          buffers[current] = buffer;
        }
        const target = buffer.subarray(0, length);
        tensor.fill(target);
        await enqueue(target);
        current = 1 - current;
        remaining -= length;
      }
      const next = layout.tensors[index + 1];
      if (next !== undefined) {
        const padding = layout.headerBytes + next.offset - position;
        if (padding > 0) await enqueue(zeros.subarray(0, padding));
      }
    }
    await inFlight;
    if (position !== layout.bytes) throw new Error(`wrote ${position} bytes, expected ${layout.bytes}`);
    await handle.close();
    await rename(temporaryPath, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporaryPath, { force: true });
    throw error;
  }
  return layout;
}

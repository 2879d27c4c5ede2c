import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { Random, constantFill, float16Bits, randomFill } from "./tensor-data.ts";
import { layoutGguf, metadata, tensorBytes, tensorTypes, writeGguf, type TensorSpec } from "./writer.ts";

let directory = "";
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "hearth-gguf-writer-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

function sampleTensors(seed: number): TensorSpec[] {
  return [
    { name: "ones", dimensions: [7], type: "f32", fill: constantFill("f32", 1) },
    { name: "halves", dimensions: [5, 3], type: "f16", fill: constantFill("f16", 0.5) },
    { name: "random_f32", dimensions: [16, 4], type: "f32", fill: randomFill("f32", new Random(seed, 1), 0.02) },
    { name: "random_q8", dimensions: [64, 3], type: "q8_0", fill: randomFill("q8_0", new Random(seed, 2), 0.02) },
    { name: "random_q4", dimensions: [32, 5, 2], type: "q4_0", fill: randomFill("q4_0", new Random(seed, 3), 0.02) },
  ];
}

describe("writeGguf", () => {
  test("writes every metadata value type so a GGUF reader gets the same values and types back", async () => {
    const path = join(directory, "metadata.gguf");
    await writeGguf(path, {
      metadata: [
        ["test.uint32", metadata.uint32(4_000_000_000)],
        ["test.int32", metadata.int32(-12)],
        ["test.uint64", metadata.uint64(2n ** 40n)],
        ["test.float32", metadata.float32(0.25)],
        ["test.bool", metadata.bool(true)],
        ["test.string", metadata.string("héllo <|im_end|>")],
        ["test.strings", metadata.strings(["a", "Ġb", ""])],
        ["test.int32s", metadata.int32s([1, -2, 3])],
        ["test.float32s", metadata.float32s([0.5, -1.5])],
      ],
      tensors: [],
    });
    const parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    const typed = parsed.typedMetadata as Record<string, { value: unknown; type: number; subType?: number }>;
    assert.equal(parsed.metadata.version, 3);
    assert.equal(parsed.metadata.tensor_count, 0n);
    assert.deepEqual(typed["test.uint32"], { value: 4_000_000_000, type: 4 });
    assert.deepEqual(typed["test.int32"], { value: -12, type: 5 });
    assert.deepEqual(typed["test.uint64"], { value: 2n ** 40n, type: 10 });
    assert.deepEqual(typed["test.float32"], { value: 0.25, type: 6 });
    assert.deepEqual(typed["test.bool"], { value: true, type: 7 });
    assert.deepEqual(typed["test.string"], { value: "héllo <|im_end|>", type: 8 });
    assert.deepEqual(typed["test.strings"], { value: ["a", "Ġb", ""], type: 9, subType: 8 });
    assert.deepEqual(typed["test.int32s"], { value: [1, -2, 3], type: 9, subType: 5 });
    assert.deepEqual(typed["test.float32s"], { value: [0.5, -1.5], type: 9, subType: 6 });
  });

  test("lays tensors out at 32-byte aligned offsets with the sizes of their ggml types", async () => {
    const path = join(directory, "tensors.gguf");
    const layout = await writeGguf(path, { metadata: [["general.architecture", metadata.string("test")]], tensors: sampleTensors(1) });
    const parsed = await gguf(path, { allowLocalFile: true });
    assert.equal((await stat(path)).size, layout.bytes);
    assert.equal(Number(parsed.tensorDataOffset), layout.headerBytes);
    assert.equal(layout.headerBytes % 32, 0);
    const expected = sampleTensors(1);
    assert.equal(parsed.tensorInfos.length, expected.length);
    for (const [index, info] of parsed.tensorInfos.entries()) {
      const spec = expected[index];
      assert.ok(spec !== undefined);
      assert.equal(info.name, spec.name);
      assert.deepEqual(info.shape.map(Number), spec.dimensions);
      assert.equal(info.dtype, tensorTypes[spec.type]);
      assert.equal(Number(info.offset) % 32, 0);
      assert.equal(Number(info.offset), layout.tensors[index]?.offset);
      assert.equal(layout.tensors[index]?.bytes, tensorBytes(spec.dimensions, spec.type));
    }
    assert.equal(tensorBytes([64, 3], "q8_0"), 2 * 3 * 34);
    assert.equal(tensorBytes([32, 5, 2], "q4_0"), 10 * 18);
  });

  test("writes tensor data where the tensor infos point", async () => {
    const path = join(directory, "data.gguf");
    const layout = await writeGguf(path, { metadata: [], tensors: sampleTensors(1) });
    const file = await readFile(path);
    const at = (name: string): Buffer => {
      const placement = layout.tensors.find((tensor) => tensor.name === name);
      assert.ok(placement !== undefined);
      const start = layout.headerBytes + placement.offset;
      return file.subarray(start, start + placement.bytes);
    };
    const ones = at("ones");
    for (let index = 0; index < 7; index += 1) assert.equal(ones.readFloatLE(index * 4), 1);
    const halves = at("halves");
    for (let index = 0; index < 15; index += 1) assert.equal(halves.readUInt16LE(index * 2), float16Bits(0.5));
    const random = at("random_f32");
    for (let index = 0; index < 64; index += 1) {
      const value = random.readFloatLE(index * 4);
      assert.ok(Math.abs(value) <= 0.02 * Math.sqrt(3) + 1e-9, `value ${value} out of range`);
    }
    const q8 = at("random_q8");
    const q8Scale = q8.readUInt16LE(0);
    for (let block = 0; block < 6; block += 1) assert.equal(q8.readUInt16LE(block * 34), q8Scale);
  });

  test("produces identical bytes whatever the chunk size", async () => {
    const small = join(directory, "chunk-small.gguf");
    const large = join(directory, "chunk-large.gguf");
    await writeGguf(small, { metadata: [], tensors: sampleTensors(7), chunkBytes: 1 });
    await writeGguf(large, { metadata: [], tensors: sampleTensors(7) });
    assert.deepEqual(await readFile(small), await readFile(large));
  });

  test("rejects a quantized tensor whose rows are not whole blocks", () => {
    assert.throws(
      () => layoutGguf({ metadata: [], tensors: [{ name: "bad", dimensions: [48, 2], type: "q4_0", fill: () => undefined }] }),
      RangeError,
    );
  });

  test("rejects duplicate tensor names", () => {
    const tensor: TensorSpec = { name: "same", dimensions: [4], type: "f32", fill: constantFill("f32", 0) };
    assert.throws(() => layoutGguf({ metadata: [], tensors: [tensor, tensor] }), /duplicate/);
  });

  test("leaves no file behind when generation fails midway", async () => {
    const path = join(directory, "failing", "model.gguf");
    await rm(join(directory, "failing"), { recursive: true, force: true });
    await mkdir(join(directory, "failing"));
    let calls = 0;
    const failing: TensorSpec = {
      name: "failing",
      dimensions: [1024, 64],
      type: "f32",
      fill: (target) => {
        calls += 1;
        if (calls > 2) throw new Error("generator broke");
        target.fill(0);
      },
    };
    await assert.rejects(writeGguf(path, { metadata: [], tensors: [failing], chunkBytes: 4096 }), /generator broke/);
    assert.deepEqual(await readdir(join(directory, "failing")), []);
  });

  test("writes a custom alignment into general.alignment and honours it", async () => {
    const path = join(directory, "aligned.gguf");
    const layout = await writeGguf(path, { metadata: [], tensors: sampleTensors(1), alignment: 64 });
    const parsed = await gguf(path, { allowLocalFile: true });
    assert.equal((parsed.metadata as Record<string, unknown>)["general.alignment"], 64);
    assert.equal(layout.headerBytes % 64, 0);
    for (const info of parsed.tensorInfos) assert.equal(Number(info.offset) % 64, 0);
  });
});

describe("float16Bits", () => {
  test("encodes exact, overflowing, subnormal and special values as IEEE binary16", () => {
    assert.equal(float16Bits(0), 0x0000);
    assert.equal(float16Bits(-0), 0x8000);
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(-2), 0xc000);
    assert.equal(float16Bits(0.5), 0x3800);
    assert.equal(float16Bits(65504), 0x7bff);
    assert.equal(float16Bits(1e6), 0x7c00);
    assert.equal(float16Bits(2 ** -24), 0x0001);
    assert.equal(float16Bits(2 ** -14), 0x0400);
    assert.equal(float16Bits(1e-9), 0x0000);
    assert.equal(float16Bits(Infinity), 0x7c00);
    assert.equal(float16Bits(-Infinity), 0xfc00);
    assert.equal(float16Bits(Number.NaN) & 0x7c00, 0x7c00);
    assert.notEqual(float16Bits(Number.NaN) & 0x03ff, 0);
  });

  test("agrees with the runtime's Float16Array on random values", (context) => {
    type HalfArray = { [index: number]: number; buffer: ArrayBufferLike };
    const Float16 = (globalThis as Record<string, unknown>)["Float16Array"] as (new (length: number) => HalfArray) | undefined;
    if (Float16 === undefined) {
      context.skip("no Float16Array in this runtime");
      return;
    }
    const random = new Random(5);
    const halves = new Float16(1);
    const bits = new Uint16Array(halves.buffer);
    for (let index = 0; index < 20_000; index += 1) {
      const magnitude = 10 ** (random.float() * 12 - 8);
      const value = (random.float() < 0.5 ? -1 : 1) * magnitude * random.float();
      halves[0] = value;
      assert.equal(float16Bits(value), bits[0], `value ${value}`);
    }
  });
});

describe("Random", () => {
  test("repeats its sequence for the same seed and stream and differs otherwise", () => {
    const sequence = (seed: number, stream: number): number[] => {
      const random = new Random(seed, stream);
      return Array.from({ length: 8 }, () => random.uint32());
    };
    assert.deepEqual(sequence(1, 0), sequence(1, 0));
    assert.notDeepEqual(sequence(1, 0), sequence(2, 0));
    assert.notDeepEqual(sequence(1, 0), sequence(1, 1));
  });

  test("fillBytes yields the same bytes as successive uint32 calls, aligned or not", () => {
    const expected = new Uint8Array(40);
    const words = new Random(9);
    const view = new DataView(expected.buffer);
    for (let index = 0; index < 10; index += 1) view.setUint32(index * 4, words.uint32(), true);
    const aligned = new Uint8Array(38);
    new Random(9).fillBytes(aligned);
    assert.deepEqual(aligned, expected.subarray(0, 38));
    const misaligned = new Uint8Array(41).subarray(1);
    new Random(9).fillBytes(misaligned);
    assert.deepEqual(misaligned, expected);
  });

  test("random floats have roughly the requested standard deviation", () => {
    const target = new Uint8Array(4 * 10_000);
    randomFill("f32", new Random(3), 0.02)(target);
    const values = new Float32Array(target.buffer);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    assert.ok(Math.abs(mean) < 0.002, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(variance) - 0.02) < 0.002, `std ${Math.sqrt(variance)}`);
  });
});

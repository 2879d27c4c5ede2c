import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateLlamaModel, presets } from "../src/dev/gguf/index.ts";
import { describeModelFile } from "./model-file.ts";
import { processMemory } from "./server-process.ts";

describe("describeModelFile", () => {
  let directory = "";
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "hearth-bench-test-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test("with tied embeddings every tensor byte is read per token", async () => {
    const generated = await generateLlamaModel({ ...presets.tiny, path: join(directory, "tied.gguf"), seed: 1, tiedEmbeddings: true });
    const model = await describeModelFile(generated.path, "tiny");
    assert.equal(model.fileBytes, generated.bytes);
    assert.equal(model.tiedEmbeddings, true);
    assert.ok(model.tensorBytes > 0 && model.tensorBytes < model.fileBytes);
    assert.equal(model.bytesReadPerToken, model.tensorBytes);
    assert.equal(model.trainedContextLength, presets.tiny.contextLength);
  });

  test("with a separate output matrix the embedding table is not counted as read per token", async () => {
    const generated = await generateLlamaModel({ ...presets.tiny, path: join(directory, "untied.gguf"), seed: 1, tiedEmbeddings: false });
    const model = await describeModelFile(generated.path, "tiny");
    assert.equal(model.tiedEmbeddings, false);
    const embeddingBytes = presets.tiny.hiddenSize * generated.vocabSize * 4; // f32 token_embd
    assert.equal(model.tensorBytes - model.bytesReadPerToken, embeddingBytes);
  });
});

test("processMemory reads resident and peak memory of a live process", { skip: process.platform !== "linux" }, () => {
  const memory = processMemory(process.pid);
  assert.ok(memory !== undefined);
  assert.ok(memory.residentBytes > 0);
  assert.ok(memory.peakResidentBytes >= memory.residentBytes);
});

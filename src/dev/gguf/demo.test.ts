import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { demoModelFileName, demoModelOptions, ensureDemoModel } from "./demo.ts";
import { describeLlamaModel } from "./model.ts";

let directory = "";
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "hearth-gguf-demo-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("ensureDemoModel", () => {
  test("generates the demo model once into a missing cache directory and reuses it", async () => {
    const cache = join(directory, "reuse", "nested");
    const path = await ensureDemoModel(cache);
    assert.equal(path, join(cache, demoModelFileName));
    const first = await stat(path);
    assert.equal(first.size, describeLlamaModel({ ...demoModelOptions, path }).bytes);
    assert.equal(await ensureDemoModel(cache), path);
    const second = await stat(path);
    assert.equal(second.mtimeMs, first.mtimeMs);
    assert.equal(second.ino, first.ino);
  });

  test("replaces a file of the wrong size", async () => {
    const cache = join(directory, "truncated");
    const path = await ensureDemoModel(cache);
    const expected = (await stat(path)).size;
    await truncate(path, 1000);
    assert.equal(await ensureDemoModel(cache), path);
    assert.equal((await stat(path)).size, expected);
  });

  test("concurrent calls share one generation and leave no temporary files", async () => {
    const cache = join(directory, "concurrent");
    const paths = await Promise.all([ensureDemoModel(cache), ensureDemoModel(cache), ensureDemoModel(cache)]);
    assert.equal(new Set(paths).size, 1);
    assert.deepEqual(await readdir(cache), [demoModelFileName]);
  });

  test("the demo model loads in node-llama-cpp and generates on one thread", async (context) => {
    const path = await ensureDemoModel(join(directory, "load"));
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    try {
      const started = performance.now();
      const model = await llama.loadModel({ modelPath: path });
      context.diagnostic(`demo model (${(await stat(path)).size} bytes) loaded in ${Math.round(performance.now() - started)} ms`);
      try {
        assert.equal(model.fileInfo.metadata.general.name, demoModelOptions.name);
        const modelContext = await model.createContext({ threads: 1, contextSize: 512 });
        const sequence = modelContext.getSequence();
        const produced: number[] = [];
        const generating = performance.now();
        for await (const token of sequence.evaluate(model.tokenize("Hello", true))) {
          produced.push(token);
          if (produced.length === 16) break;
        }
        context.diagnostic(`16 tokens in ${Math.round(performance.now() - generating)} ms`);
        assert.equal(produced.length, 16);
        await modelContext.dispose();
      } finally {
        await model.dispose();
      }
    } finally {
      await llama.dispose();
    }
  });
});

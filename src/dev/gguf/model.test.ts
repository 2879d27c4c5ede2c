import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { ChatMLChatWrapper, getLlama, LlamaChatSession, LlamaCompletion, LlamaLogLevel, type Llama, type Token } from "node-llama-cpp";
import { chatMlTemplate, describeLlamaModel, generateLlamaModel, presets, type LlamaModelOptions } from "./model.ts";
import { BpeTokenizer, buildVocabulary } from "./tokenizer.ts";
import { tensorTypes, type TensorType } from "./writer.ts";

let directory = "";
let llama: Llama | undefined;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), "hearth-gguf-model-"));
});
after(async () => {
  await llama?.dispose();
  await rm(directory, { recursive: true, force: true });
});

async function getTestLlama(): Promise<Llama> {
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
  return llama;
}

let fileCounter = 0;
function tinyOptions(overrides: Partial<LlamaModelOptions> = {}): LlamaModelOptions {
  fileCounter += 1;
  return { ...presets.tiny, path: join(directory, `model-${fileCounter}.gguf`), seed: 1, ...overrides };
}

type Typed = Record<string, { value: unknown; type: number; subType?: number } | undefined>;

describe("generateLlamaModel", () => {
  test("writes the llama metadata llama.cpp needs, with the types it expects", async () => {
    const options = tinyOptions();
    const model = await generateLlamaModel(options);
    const parsed = await gguf(model.path, { allowLocalFile: true, typedMetadata: true });
    const typed = parsed.typedMetadata as Typed;
    const value = (key: string): unknown => typed[key]?.value;
    const uint32 = (key: string): unknown => {
      assert.equal(typed[key]?.type, 4, `${key} is uint32`);
      return typed[key]?.value;
    };
    assert.equal(value("general.architecture"), "llama");
    assert.equal(value("general.name"), "hearth-tiny");
    assert.equal(uint32("general.file_type"), 0);
    assert.equal(uint32("llama.context_length"), options.contextLength);
    assert.equal(uint32("llama.embedding_length"), options.hiddenSize);
    assert.equal(uint32("llama.block_count"), options.layers);
    assert.equal(uint32("llama.feed_forward_length"), options.ffnSize);
    assert.equal(uint32("llama.attention.head_count"), options.heads);
    assert.equal(uint32("llama.attention.head_count_kv"), options.kvHeads);
    assert.equal(uint32("llama.rope.dimension_count"), options.hiddenSize / options.heads);
    assert.equal(uint32("llama.vocab_size"), model.vocabSize);
    assert.equal(typed["llama.rope.freq_base"]?.type, 6);
    assert.equal(typed["llama.attention.layer_norm_rms_epsilon"]?.type, 6);
    assert.equal(value("tokenizer.ggml.model"), "gpt2");
    assert.equal(value("tokenizer.ggml.pre"), "llama-bpe");
    assert.equal(value("tokenizer.chat_template"), chatMlTemplate);
    assert.equal(value("tokenizer.ggml.add_bos_token"), true);

    const vocabulary = buildVocabulary();
    assert.deepEqual(value("tokenizer.ggml.tokens"), vocabulary.tokens);
    assert.deepEqual(value("tokenizer.ggml.token_type"), vocabulary.tokenTypes);
    assert.equal(typed["tokenizer.ggml.token_type"]?.subType, 5);
    assert.deepEqual(value("tokenizer.ggml.merges"), vocabulary.merges);
    assert.equal(uint32("tokenizer.ggml.bos_token_id"), model.specialTokens.beginOfText);
    assert.equal(uint32("tokenizer.ggml.eos_token_id"), model.specialTokens.endOfText);
    assert.equal(uint32("tokenizer.ggml.eot_token_id"), model.specialTokens.imEnd);
    assert.equal(model.vocabSize, vocabulary.tokens.length);
  });

  test("writes every llama tensor with its shape, f32 norms and the chosen type elsewhere", async () => {
    const options = tinyOptions({ tensorType: "q8_0", layers: 3, tiedEmbeddings: false });
    const model = await generateLlamaModel(options);
    const parsed = await gguf(model.path, { allowLocalFile: true });
    const hidden = options.hiddenSize;
    const kv = (hidden / options.heads) * options.kvHeads;
    const expected = new Map<string, [number[], TensorType]>([
      ["token_embd.weight", [[hidden, model.vocabSize], "q8_0"]],
      ["output_norm.weight", [[hidden], "f32"]],
      ["output.weight", [[hidden, model.vocabSize], "q8_0"]],
    ]);
    for (let layer = 0; layer < options.layers; layer += 1) {
      expected.set(`blk.${layer}.attn_norm.weight`, [[hidden], "f32"]);
      expected.set(`blk.${layer}.attn_q.weight`, [[hidden, hidden], "q8_0"]);
      expected.set(`blk.${layer}.attn_k.weight`, [[hidden, kv], "q8_0"]);
      expected.set(`blk.${layer}.attn_v.weight`, [[hidden, kv], "q8_0"]);
      expected.set(`blk.${layer}.attn_output.weight`, [[hidden, hidden], "q8_0"]);
      expected.set(`blk.${layer}.ffn_norm.weight`, [[hidden], "f32"]);
      expected.set(`blk.${layer}.ffn_gate.weight`, [[hidden, options.ffnSize], "q8_0"]);
      expected.set(`blk.${layer}.ffn_up.weight`, [[hidden, options.ffnSize], "q8_0"]);
      expected.set(`blk.${layer}.ffn_down.weight`, [[options.ffnSize, hidden], "q8_0"]);
    }
    assert.equal(parsed.tensorInfos.length, expected.size);
    let parameters = 0;
    for (const info of parsed.tensorInfos) {
      const entry = expected.get(info.name);
      assert.ok(entry !== undefined, `unexpected tensor ${info.name}`);
      assert.deepEqual(info.shape.map(Number), entry[0], info.name);
      assert.equal(info.dtype, tensorTypes[entry[1]], info.name);
      parameters += entry[0].reduce((product, dimension) => product * dimension, 1);
    }
    assert.equal(model.parameters, parameters);
    assert.equal((await stat(model.path)).size, model.bytes);
  });

  test("leaves out the output tensor when embeddings are tied (the default)", async () => {
    const model = await generateLlamaModel(tinyOptions());
    const parsed = await gguf(model.path, { allowLocalFile: true });
    assert.ok(!parsed.tensorInfos.some((info) => info.name === "output.weight"));
  });

  test("is byte-identical for the same seed and differs for another seed", async () => {
    const first = await generateLlamaModel(tinyOptions({ seed: 42, tensorType: "q4_0" }));
    const second = await generateLlamaModel(tinyOptions({ seed: 42, tensorType: "q4_0" }));
    const third = await generateLlamaModel(tinyOptions({ seed: 43, tensorType: "q4_0" }));
    const [a, b, c] = await Promise.all([first, second, third].map((model) => readFile(model.path)));
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.equal(a.length, c.length);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test("describeLlamaModel predicts size and parameters without writing", async () => {
    const options = tinyOptions({ tensorType: "f16", vocabSize: 1000 });
    const described = describeLlamaModel(options);
    await assert.rejects(stat(options.path));
    const model = await generateLlamaModel(options);
    assert.deepEqual(described, model);
  });

  test("the Llama 3.2 1B preset describes a ~700 MB Q4_0 model with a 128,256-token vocabulary", () => {
    const described = describeLlamaModel({ ...presets.llama32_1b, path: join(directory, "never-written.gguf"), seed: 1 });
    assert.equal(described.vocabSize, 128_256);
    assert.equal(described.tensorType, "q4_0");
    assert.ok(described.parameters > 1.2e9 && described.parameters < 1.3e9, `parameters ${described.parameters}`);
    assert.ok(described.bytes > 650e6 && described.bytes < 750e6, `bytes ${described.bytes}`);
  });

  test("a scaled-down 1B preset (large vocabulary, q4_0, rope base, tied) writes the same metadata path", async () => {
    const options: LlamaModelOptions = {
      ...presets.llama32_1b,
      path: join(directory, "small-1b-shape.gguf"),
      seed: 1,
      hiddenSize: 64,
      layers: 1,
      heads: 4,
      kvHeads: 1,
      ffnSize: 256,
      vocabSize: 4096,
    };
    const model = await generateLlamaModel(options);
    const parsed = await gguf(model.path, { allowLocalFile: true, typedMetadata: true });
    const typed = parsed.typedMetadata as Typed;
    assert.equal(typed["general.file_type"]?.value, 2);
    assert.equal(typed["llama.context_length"]?.value, 131_072);
    assert.equal(typed["llama.rope.freq_base"]?.value, 500_000);
    assert.equal(typed["llama.vocab_size"]?.value, 4096);
    assert.equal((typed["tokenizer.ggml.tokens"]?.value as unknown[]).length, 4096);
    assert.ok(!parsed.tensorInfos.some((info) => info.name === "output.weight"));
    const embedding = parsed.tensorInfos.find((info) => info.name === "token_embd.weight");
    assert.equal(embedding?.dtype, tensorTypes.q4_0);
    assert.deepEqual(embedding?.shape.map(Number), [64, 4096]);
  });

  test("zeroes the embedding rows of reserved tokens, as an untrained model has them", async () => {
    const options = tinyOptions({ vocabSize: 1000, tensorType: "f32" });
    const model = await generateLlamaModel(options);
    const parsed = await gguf(model.path, { allowLocalFile: true });
    const embedding = parsed.tensorInfos.find((info) => info.name === "token_embd.weight");
    assert.ok(embedding !== undefined);
    const file = await readFile(model.path);
    const start = Number(parsed.tensorDataOffset + embedding.offset);
    const row = (id: number): Float32Array =>
      new Float32Array(file.buffer.slice(file.byteOffset + start + id * 64 * 4, file.byteOffset + start + (id + 1) * 64 * 4));
    const reservedStart = buildVocabulary({ vocabSize: 1000 }).reservedStartId;
    assert.ok(row(reservedStart - 1).some((value) => value !== 0));
    assert.ok(row(reservedStart).every((value) => value === 0));
    assert.ok(row(999).every((value) => value === 0));
  });

  test("rejects shapes llama.cpp cannot run", () => {
    const path = join(directory, "never.gguf");
    assert.throws(() => describeLlamaModel({ ...presets.tiny, path, seed: 1, hiddenSize: 48, tensorType: "q4_0" }), RangeError);
    assert.throws(() => describeLlamaModel({ ...presets.tiny, path, seed: 1, heads: 5 }), RangeError);
    assert.throws(() => describeLlamaModel({ ...presets.tiny, path, seed: 1, kvHeads: 3 }), RangeError);
    assert.throws(() => describeLlamaModel({ ...presets.tiny, path, seed: 1, layers: 0 }), RangeError);
    assert.throws(() => describeLlamaModel({ ...presets.tiny, path, seed: 1.5 }), RangeError);
  });

  test("embeddingType sets the type of token_embd and output apart from the other matrices", async () => {
    const model = await generateLlamaModel(tinyOptions({ tensorType: "q4_0", embeddingType: "f16", tiedEmbeddings: false }));
    const parsed = await gguf(model.path, { allowLocalFile: true });
    const typeOf = (name: string): number | undefined => parsed.tensorInfos.find((info) => info.name === name)?.dtype;
    assert.equal(typeOf("token_embd.weight"), tensorTypes.f16);
    assert.equal(typeOf("output.weight"), tensorTypes.f16);
    assert.equal(typeOf("blk.0.ffn_up.weight"), tensorTypes.q4_0);
  });

  test("leaves only finished model files in the directory", async () => {
    const names = await readdir(directory);
    assert.ok(names.length > 0);
    for (const name of names) assert.match(name, /\.gguf$/);
  });
});

describe("generated models in node-llama-cpp", () => {
  for (const tensorType of ["f32", "f16", "q8_0", "q4_0"] as const) {
    test(`a tiny ${tensorType} model loads, generates, tokenizes and embeds`, async () => {
      const generated = await generateLlamaModel(tinyOptions({ tensorType, seed: 7 }));
      const instance = await getTestLlama();
      const model = await instance.loadModel({ modelPath: generated.path });
      try {
        assert.equal(model.fileInfo.metadata.general.architecture, "llama");
        assert.equal(model.trainContextSize, presets.tiny.contextLength);
        assert.equal(model.tokens.bos, generated.specialTokens.beginOfText);

        const text = "The hearth is warm. Hello, world! 42 naïve 🔥";
        const tokens = model.tokenize(text);
        assert.equal(model.detokenize(tokens), text);
        assert.deepEqual(Array.from(tokens), new BpeTokenizer(buildVocabulary()).encode(text));
        assert.deepEqual(Array.from(model.tokenize("<|im_start|>", true)), [generated.specialTokens.imStart]);

        const context = await model.createContext({ threads: 1, contextSize: 512 });
        try {
          const sequence = context.getSequence();
          const produced: number[] = [];
          for await (const token of sequence.evaluate(model.tokenize("The hearth", true))) {
            produced.push(token);
            if (produced.length === 16) break;
          }
          assert.equal(produced.length, 16);
          for (const token of produced) assert.ok(Number.isInteger(token) && token >= 0 && token < generated.vocabSize);

          sequence.clearHistory();
          const completion = new LlamaCompletion({ contextSequence: sequence });
          let completionTokens = 0;
          const completed = await completion.generateCompletionWithMeta("Once upon a time", {
            maxTokens: 16,
            onToken: (chunk) => {
              completionTokens += chunk.length;
            },
          });
          assert.equal(typeof completed.response, "string");
          assert.ok(completionTokens > 0 && completionTokens <= 16, `${completionTokens} tokens`);
          if (completed.metadata.stopReason === "maxTokens") assert.equal(completionTokens, 16);
          completion.dispose({ disposeSequence: false });

          sequence.clearHistory();
          const session = new LlamaChatSession({ contextSequence: sequence });
          assert.ok(session.chatWrapper instanceof ChatMLChatWrapper, session.chatWrapper.wrapperName);
          const answer = await session.promptWithMeta("Hello there", { maxTokens: 16 });
          assert.equal(typeof answer.responseText, "string");
          assert.ok(["maxTokens", "eogToken", "stopGenerationTrigger"].includes(answer.stopReason), answer.stopReason);
          session.dispose({ disposeSequence: false });
        } finally {
          await context.dispose();
        }

        const embeddingContext = await model.createEmbeddingContext({ threads: 1, contextSize: 512 });
        try {
          const embedding = await embeddingContext.getEmbeddingFor("hello world");
          assert.equal(embedding.vector.length, presets.tiny.hiddenSize);
          assert.ok(embedding.vector.every((value) => Number.isFinite(value)));
        } finally {
          await embeddingContext.dispose();
        }
      } finally {
        await model.dispose();
      }
    });
  }

  test("a 128k-token vocabulary round-trips through llama.cpp's tokenizer like ours", async () => {
    const generated = await generateLlamaModel(
      tinyOptions({ vocabSize: 128_256, tensorType: "q4_0", hiddenSize: 32, heads: 2, kvHeads: 1, ffnSize: 64, layers: 1 }),
    );
    const model = await (await getTestLlama()).loadModel({ modelPath: generated.path });
    try {
      const tokenizer = new BpeTokenizer(buildVocabulary({ vocabSize: 128_256 }));
      for (const text of ["The hearth is warm", " qzx abc  tabs\there", "I'll we're 1234567 日本語 🔥"]) {
        const tokens = model.tokenize(text);
        assert.deepEqual(Array.from(tokens), tokenizer.encode(text));
        assert.equal(model.detokenize(tokens), text);
      }
      assert.equal(model.detokenize([128_255 as Token], true), "<|reserved_special_token_251|>");
    } finally {
      await model.dispose();
    }
  });
});

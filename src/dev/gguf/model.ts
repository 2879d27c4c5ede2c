import { Random, constantFill, randomFill } from "./tensor-data.ts";
import { buildVocabulary, type Vocabulary } from "./tokenizer.ts";
import {
  layoutGguf,
  metadata,
  tensorLayouts,
  writeGguf,
  type MetadataValue,
  type TensorFill,
  type TensorSpec,
  type TensorType,
  type WriteGgufOptions,
} from "./writer.ts";

/**
 * Generates llama-architecture GGUF models with random weights and a real byte-level BPE
 * tokenizer, so engine, HTTP and benchmark code can run against real llama.cpp without
 * downloading weights. Same options (seed included) → a byte-identical file.
 */

export interface LlamaModelOptions {
  path: string;
  /** Integer; only its low 32 bits matter. Same seed and options → byte-identical file. */
  seed: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffnSize: number;
  /** Pads the tokenizer vocabulary to this size; by default it is as small as it can be (~580). */
  vocabSize?: number | undefined;
  /** Written to `llama.context_length`; contexts can be smaller. */
  contextLength: number;
  /** Type of the large matrices; norms are always f32. */
  tensorType: TensorType;
  /** Type of `token_embd` (and `output`); defaults to `tensorType`. */
  embeddingType?: TensorType | undefined;
  /** Without an `output` tensor llama.cpp reuses `token_embd` (as Llama 3.2 1B does). Default true. */
  tiedEmbeddings?: boolean | undefined;
  /** `llama.rope.freq_base`; default 10000. */
  ropeFreqBase?: number | undefined;
  /** Standard deviation of the random weights; default 0.02. */
  weightStd?: number | undefined;
  name?: string | undefined;
}

export interface GeneratedModel {
  path: string;
  /** File size. */
  bytes: number;
  /** Total number of weights (elements of every tensor). */
  parameters: number;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  contextLength: number;
  tensorType: TensorType;
  /** Ids of the special tokens, for callers that need to check stop behaviour. */
  specialTokens: { beginOfText: number; endOfText: number; imStart: number; imEnd: number };
}

/** Architecture presets; spread one and add `path` and `seed`. */
export const presets = {
  /** The smallest model that behaves like a real one: ~600 KB, loads in tens of milliseconds. */
  tiny: {
    hiddenSize: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffnSize: 128,
    contextLength: 2048,
    tensorType: "f32",
    name: "hearth-tiny",
  },
  /** Llama 3.2 1B's shape (~700 MB at Q4_0): for load, memory and speed benchmarks. */
  llama32_1b: {
    hiddenSize: 2048,
    layers: 16,
    heads: 32,
    kvHeads: 8,
    ffnSize: 8192,
    vocabSize: 128256,
    contextLength: 131072,
    tensorType: "q4_0",
    ropeFreqBase: 500000,
    tiedEmbeddings: true,
    name: "hearth-llama-3.2-1b-shape",
  },
} as const satisfies Record<string, Omit<LlamaModelOptions, "path" | "seed">>;

/** ChatML, so node-llama-cpp selects its ChatML chat wrapper from the template by itself. */
export const chatMlTemplate =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const fileTypes: Readonly<Record<TensorType, number>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };

function fits(type: TensorType, rowLength: number): boolean {
  return rowLength % tensorLayouts[type].blockElements === 0;
}

function validate(options: LlamaModelOptions): void {
  const positive = ["hiddenSize", "layers", "heads", "kvHeads", "ffnSize", "contextLength"] as const;
  for (const key of positive) {
    const value = options[key];
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${key} must be a positive integer`);
  }
  if (options.hiddenSize % options.heads !== 0) throw new RangeError("hiddenSize must be a multiple of heads");
  if (options.heads % options.kvHeads !== 0) throw new RangeError("heads must be a multiple of kvHeads");
  if (!Number.isInteger(options.seed)) throw new RangeError("seed must be an integer");
  const headSize = options.hiddenSize / options.heads;
  if (headSize % 2 !== 0) throw new RangeError("the head size (hiddenSize / heads) must be even for rope");
  const type = options.tensorType;
  if (!fits(type, options.hiddenSize) || !fits(type, options.ffnSize)) {
    throw new RangeError(
      `tensorType ${type} needs hiddenSize and ffnSize to be multiples of ${tensorLayouts[type].blockElements}`,
    );
  }
  if (options.embeddingType !== undefined && !fits(options.embeddingType, options.hiddenSize)) {
    throw new RangeError(`embeddingType ${options.embeddingType} does not fit hiddenSize ${options.hiddenSize}`);
  }
}

/** Wraps a fill so every byte from `offset` on is zero. */
function zeroFrom(fill: TensorFill, offset: number): TensorFill {
  let position = 0;
  return (target) => {
    fill(target);
    const start = Math.max(0, offset - position);
    if (start < target.length) target.fill(0, start);
    position += target.length;
  };
}

interface ModelPlan {
  write: WriteGgufOptions;
  vocabulary: Vocabulary;
}

function planModel(options: LlamaModelOptions): ModelPlan {
  validate(options);
  const vocabulary = buildVocabulary({ vocabSize: options.vocabSize });
  const vocabSize = vocabulary.tokens.length;
  const hidden = options.hiddenSize;
  const headSize = hidden / options.heads;
  const kvSize = headSize * options.kvHeads;
  const type = options.tensorType;
  const embeddingType = options.embeddingType ?? type;
  const tied = options.tiedEmbeddings ?? true;
  const std = options.weightStd ?? 0.02;

  const entries: Array<readonly [string, MetadataValue]> = [
    ["general.architecture", metadata.string("llama")],
    ["general.name", metadata.string(options.name ?? "hearth-generated")],
    ["general.file_type", metadata.uint32(fileTypes[type])],
    ["general.quantization_version", metadata.uint32(2)],
    ["llama.vocab_size", metadata.uint32(vocabSize)],
    ["llama.context_length", metadata.uint32(options.contextLength)],
    ["llama.embedding_length", metadata.uint32(hidden)],
    ["llama.block_count", metadata.uint32(options.layers)],
    ["llama.feed_forward_length", metadata.uint32(options.ffnSize)],
    ["llama.attention.head_count", metadata.uint32(options.heads)],
    ["llama.attention.head_count_kv", metadata.uint32(options.kvHeads)],
    ["llama.rope.dimension_count", metadata.uint32(headSize)],
    ["llama.rope.freq_base", metadata.float32(options.ropeFreqBase ?? 10000)],
    ["llama.attention.layer_norm_rms_epsilon", metadata.float32(1e-5)],
    ["tokenizer.ggml.model", metadata.string("gpt2")],
    ["tokenizer.ggml.pre", metadata.string("llama-bpe")],
    ["tokenizer.ggml.tokens", metadata.strings(vocabulary.tokens)],
    ["tokenizer.ggml.token_type", metadata.int32s(vocabulary.tokenTypes)],
    ["tokenizer.ggml.merges", metadata.strings(vocabulary.merges)],
    ["tokenizer.ggml.bos_token_id", metadata.uint32(vocabulary.beginOfTextId)],
    ["tokenizer.ggml.eos_token_id", metadata.uint32(vocabulary.endOfTextId)],
    ["tokenizer.ggml.eot_token_id", metadata.uint32(vocabulary.imEndId)],
    ["tokenizer.ggml.padding_token_id", metadata.uint32(vocabulary.endOfTextId)],
    ["tokenizer.ggml.add_bos_token", metadata.bool(true)],
    ["tokenizer.ggml.add_eos_token", metadata.bool(false)],
    ["tokenizer.chat_template", metadata.string(chatMlTemplate)],
  ];

  // Each tensor draws from its own stream, so its contents do not depend on write chunking.
  let stream = 0;
  const random = (name: string, dimensions: number[], tensorType: TensorType): TensorSpec => {
    stream += 1;
    return { name, dimensions, type: tensorType, fill: randomFill(tensorType, new Random(options.seed, stream), std) };
  };
  const ones = (name: string): TensorSpec => ({ name, dimensions: [hidden], type: "f32", fill: constantFill("f32", 1) });

  // Reserved tokens are never trained in a real model, so their rows are zeros (as in Llama 3):
  // otherwise a random model keeps choosing them and its output detokenizes to nothing.
  const embedding = (name: string): TensorSpec => {
    const spec = random(name, [hidden, vocabSize], embeddingType);
    const rowBytes = (hidden / tensorLayouts[embeddingType].blockElements) * tensorLayouts[embeddingType].blockBytes;
    return { ...spec, fill: zeroFrom(spec.fill, rowBytes * vocabulary.reservedStartId) };
  };
  const tensors: TensorSpec[] = [embedding("token_embd.weight")];
  for (let layer = 0; layer < options.layers; layer += 1) {
    const prefix = `blk.${layer}`;
    tensors.push(
      ones(`${prefix}.attn_norm.weight`),
      random(`${prefix}.attn_q.weight`, [hidden, hidden], type),
      random(`${prefix}.attn_k.weight`, [hidden, kvSize], type),
      random(`${prefix}.attn_v.weight`, [hidden, kvSize], type),
      random(`${prefix}.attn_output.weight`, [hidden, hidden], type),
      ones(`${prefix}.ffn_norm.weight`),
      random(`${prefix}.ffn_gate.weight`, [hidden, options.ffnSize], type),
      random(`${prefix}.ffn_up.weight`, [hidden, options.ffnSize], type),
      random(`${prefix}.ffn_down.weight`, [options.ffnSize, hidden], type),
    );
  }
  tensors.push(ones("output_norm.weight"));
  if (!tied) tensors.push(embedding("output.weight"));
  return { write: { metadata: entries, tensors }, vocabulary };
}

function summarize(options: LlamaModelOptions, plan: ModelPlan, bytes: number, parameters: number): GeneratedModel {
  return {
    path: options.path,
    bytes,
    parameters,
    vocabSize: plan.vocabulary.tokens.length,
    hiddenSize: options.hiddenSize,
    layers: options.layers,
    contextLength: options.contextLength,
    tensorType: options.tensorType,
    specialTokens: {
      beginOfText: plan.vocabulary.beginOfTextId,
      endOfText: plan.vocabulary.endOfTextId,
      imStart: plan.vocabulary.imStartId,
      imEnd: plan.vocabulary.imEndId,
    },
  };
}

/** What {@link generateLlamaModel} would produce (size included), without writing anything. */
export function describeLlamaModel(options: LlamaModelOptions): GeneratedModel {
  const plan = planModel(options);
  const layout = layoutGguf(plan.write);
  const parameters = layout.tensors.reduce((sum, tensor) => sum + tensor.elements, 0);
  return summarize(options, plan, layout.bytes, parameters);
}

/** Writes the model to `options.path` (via a temporary file and a rename) and describes it. */
export async function generateLlamaModel(options: LlamaModelOptions): Promise<GeneratedModel> {
  const plan = planModel(options);
  const layout = await writeGguf(options.path, plan.write);
  const parameters = layout.tensors.reduce((sum, tensor) => sum + tensor.elements, 0);
  return summarize(options, plan, layout.bytes, parameters);
}

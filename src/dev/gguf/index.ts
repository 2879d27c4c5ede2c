export {
  chatMlTemplate,
  describeLlamaModel,
  generateLlamaModel,
  presets,
  type GeneratedModel,
  type LlamaModelOptions,
} from "./model.ts";
export { demoModelFileName, demoModelOptions, demoModelVersion, ensureDemoModel } from "./demo.ts";
export {
  BpeTokenizer,
  buildVocabulary,
  learnMerges,
  minimumVocabSize,
  specialTokenTexts,
  tokenTypes,
  trainingText,
  type Vocabulary,
  type VocabularyOptions,
} from "./tokenizer.ts";
export {
  layoutGguf,
  metadata,
  tensorBytes,
  tensorLayouts,
  tensorTypes,
  writeGguf,
  type GgufLayout,
  type MetadataValue,
  type TensorFill,
  type TensorPlacement,
  type TensorSpec,
  type TensorType,
  type WriteGgufOptions,
} from "./writer.ts";
export { Random, constantFill, float16Bits, randomFill } from "./tensor-data.ts";

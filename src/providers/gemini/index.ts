export { createGeminiProvider, type GeminiProvider, type GeminiProviderOptions } from "./provider.ts";
export {
  createResponseConverter,
  finishReasonOf,
  mergePassthrough,
  toGenerateContentBody,
  usageOf,
  type GenerateContentBody,
  type GenerateContentResponse,
  type ResponseConverter,
} from "./convert.ts";

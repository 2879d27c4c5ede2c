export { createOpenAIProvider, type OpenAIProvider, type OpenAIProviderOptions } from "./provider.ts";
export { resolveQuirks, type OpenAIQuirks, type ResolvedQuirks } from "./convert.ts";

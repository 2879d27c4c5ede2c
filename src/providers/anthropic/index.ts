export {
  createAnthropicProvider,
  defaultApiVersion,
  defaultBaseUrl,
  type AnthropicProvider,
  type AnthropicProviderOptions,
} from "./provider.ts";
export { defaultMaxTokens, effortBudgets, jsonToolName } from "./convert.ts";

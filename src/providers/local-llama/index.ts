export {
  createLocalLlamaProvider,
  type LocalLlamaProvider,
  type LocalLlamaProviderOptions,
  type LocalModelOptions,
  type LocalModelStatus,
} from "./provider.ts";
export type { LocalModelState, ScheduledModelStatus } from "./scheduler.ts";
export type { GpuSetting } from "./engine.ts";
export { sanitizeJsonSchema, type SanitizedSchema, type SanitizeOptions } from "./convert.ts";

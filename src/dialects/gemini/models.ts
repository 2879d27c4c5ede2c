import type { ModelInfo } from "../../spec/model.ts";

/** Gemini names models "models/<name>"; the SDK sends either form. */
export function geminiModelName(name: string): string {
  return name.startsWith("models/") ? name.slice("models/".length) : name;
}

export interface GeminiModelListing extends ModelInfo {
  /** Whether the serving provider can count tokens (so `countTokens` is offered). */
  countsTokens: boolean;
}

/** One entry of `GET /v1beta/models`, in Gemini's `Model` shape. */
export function toGeminiModel(model: GeminiModelListing) {
  const methods: string[] = [];
  if (model.capabilities.chat) methods.push("generateContent", "streamGenerateContent");
  if (model.capabilities.chat && model.countsTokens) methods.push("countTokens");
  if (model.capabilities.embedding) methods.push("embedContent", "batchEmbedContents");
  return {
    name: `models/${model.name}`,
    baseModelId: model.name,
    version: "hearth",
    displayName: model.name,
    description: `Served by Hearth (provider ${model.provider}, ${model.locality}).`,
    ...(model.contextLength !== undefined ? { inputTokenLimit: model.contextLength } : {}),
    supportedGenerationMethods: methods,
  };
}

/**
 * `GET /v1beta/models`: `pageToken` is the offset of the page's first entry, as Hearth's catalogue
 * is small and ordered; clients treat the token as opaque.
 */
export function toGeminiModelList(models: readonly GeminiModelListing[], page: { pageSize?: number | undefined; pageToken?: string | undefined } = {}) {
  const start = page.pageToken === undefined || page.pageToken === "" ? 0 : Math.max(0, Number.parseInt(page.pageToken, 10) || 0);
  const size = page.pageSize === undefined || page.pageSize <= 0 ? models.length : page.pageSize;
  const end = Math.min(models.length, start + size);
  return {
    models: models.slice(start, end).map(toGeminiModel),
    ...(end < models.length ? { nextPageToken: String(end) } : {}),
  };
}

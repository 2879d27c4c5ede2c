import type { ModelInfo } from "../../spec/model.ts";

export interface ModelListing extends ModelInfo {
  /** Unix seconds when the model entered the catalogue. */
  created: number;
  state: string;
  /** Set when the name is a route: its strategy and target model names. */
  route?: { strategy: string; targets: string[] } | undefined;
}

export function toModelObject(model: ModelListing) {
  return {
    id: model.name,
    object: "model" as const,
    created: model.created,
    owned_by: model.route !== undefined ? "hearth-route" : model.locality === "in-process" ? "hearth-local" : model.provider,
    context_length: model.contextLength ?? null,
    hearth: {
      provider: model.provider,
      locality: model.locality,
      state: model.state,
      capabilities: model.capabilities,
      ...(model.route !== undefined ? { route: model.route } : {}),
    },
  };
}

export function toModelList(models: readonly ModelListing[]) {
  return { object: "list" as const, data: models.map(toModelObject) };
}

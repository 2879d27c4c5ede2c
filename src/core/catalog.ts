import type { CatalogEntry, ModelCatalog, ResolvedRoute, RouteTarget } from "./gateway.ts";
import type { RoutePolicy } from "./routing/execute.ts";
import type { ModelInfo } from "../spec/model.ts";

/** A configured route, by public model names; resolved against the catalogue's entries. */
export interface RouteDefinition {
  name: string;
  strategy: RoutePolicy["strategy"];
  retries: RoutePolicy["retries"];
  breaker: RoutePolicy["breaker"];
  targets: Array<{ model: string; weight: number; timeouts: RouteTarget["timeouts"] }>;
}

/** Per-model routing defaults for a plain (single-target) model. */
export interface PlainModelRouting {
  /** Extra attempts on a retryable failure (a remote provider's `retries`). */
  retries: number;
  timeouts: RouteTarget["timeouts"];
}

const noRetries: PlainModelRouting = { retries: 0, timeouts: {} };

/** The target key: the provider and the model name it knows, unique across the catalogue. */
export function targetKey(entry: CatalogEntry): string {
  return `${entry.provider.id}/${entry.upstreamModel ?? entry.info.name}`;
}

/**
 * Builds the catalogue: every model is a one-target route of itself (its provider's retries,
 * no circuit breaker — with nowhere to fall back to, failing fast helps nobody), and each
 * configured route points at models by name.
 */
export function createCatalog(
  entries: readonly CatalogEntry[],
  routes: readonly RouteDefinition[] = [],
  plain: (entry: CatalogEntry) => PlainModelRouting = () => noRetries,
): ModelCatalog {
  const byName = new Map<string, ResolvedRoute>();
  const entryByName = new Map(entries.map((entry) => [entry.info.name, entry]));
  for (const entry of entries) {
    const settings = plain(entry);
    byName.set(entry.info.name, {
      name: entry.info.name,
      isRoute: false,
      policy: {
        strategy: "fallback",
        retries: { attempts: settings.retries, initialDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 },
        breaker: { failureThreshold: Number.POSITIVE_INFINITY, cooldownMs: 0 },
      },
      targets: [{ key: targetKey(entry), weight: 1, entry, timeouts: settings.timeouts }],
    });
  }
  const resolvedRoutes: ResolvedRoute[] = routes.map((route) => ({
    name: route.name,
    isRoute: true,
    policy: { strategy: route.strategy, retries: route.retries, breaker: route.breaker },
    targets: route.targets.map((target) => {
      const entry = entryByName.get(target.model);
      if (entry === undefined) throw new Error(`Route '${route.name}' names an unknown model '${target.model}'.`);
      const own = plain(entry).timeouts;
      return {
        key: targetKey(entry),
        weight: target.weight,
        entry,
        timeouts: { firstTokenMs: target.timeouts.firstTokenMs ?? own.firstTokenMs, totalMs: target.timeouts.totalMs ?? own.totalMs },
      };
    }),
  }));
  for (const route of resolvedRoutes) byName.set(route.name, route);
  return {
    list: () => entries,
    routes: () => resolvedRoutes,
    resolve: (name) => byName.get(name),
  };
}

const localityOrder: ReadonlyArray<ModelInfo["locality"]> = ["in-process", "self-hosted", "third-party"];

/**
 * How a route presents itself in model listings: the capabilities any target has, the smallest
 * context window, and the farthest locality among its targets (data may go that far).
 */
export function routeInfo(route: ResolvedRoute): ModelInfo & { targets: string[]; strategy: string } {
  const infos = route.targets.map((target) => target.entry.info);
  const lengths = infos.map((info) => info.contextLength).filter((length): length is number => length !== undefined);
  return {
    name: route.name,
    provider: "route",
    contextLength: lengths.length > 0 ? Math.min(...lengths) : undefined,
    locality: localityOrder[Math.max(...infos.map((info) => localityOrder.indexOf(info.locality)))] ?? "third-party",
    capabilities: {
      chat: infos.some((info) => info.capabilities.chat),
      completion: infos.some((info) => info.capabilities.completion),
      embedding: infos.some((info) => info.capabilities.embedding),
    },
    targets: route.targets.map((target) => target.entry.info.name),
    strategy: route.policy.strategy,
  };
}

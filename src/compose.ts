import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Config, ModelConfig, ProviderConfig, SafetyConfig } from "./config/schema.ts";
import { createCatalog, type PlainModelRouting, type RouteDefinition } from "./core/catalog.ts";
import { createAnthropicProvider } from "./providers/anthropic/index.ts";
import { createGeminiProvider } from "./providers/gemini/index.ts";
import { createOpenAIProvider } from "./providers/openai/index.ts";
import { createGateway, type CatalogEntry, type Gateway, type ModelCatalog } from "./core/gateway.ts";
import type { Logger } from "./core/logger.ts";
import { findPulledModel, resolveHfTarget } from "./core/models/pull.ts";
import { createApp } from "./http/app.ts";
import { createSensitiveDataDetector } from "./core/guardrails/index.ts";
import { createGuard, type Guard, type SafetyOptions } from "./core/policy/guard.ts";
import { combineVerdicts, type SafetyClassifier } from "./core/guardrails/safety/classifier.ts";
import { createHeuristicSafetyClassifier } from "./core/guardrails/safety/heuristics.ts";
import { createLocalModelNameExtractor, findingsFromNames } from "./core/guardrails/recognizers/local-model-names.ts";
import { createLocalModelSafetyClassifier } from "./core/guardrails/safety/local-model.ts";
import { collect, type ModelInfo } from "./spec/model.ts";
import type { Destination } from "./core/policy/engine.ts";
import { createReviewService, type ReviewService } from "./core/review/service.ts";
import type { RouteTarget } from "./core/gateway.ts";
import type { LocalLlamaProvider } from "./providers/local-llama/index.ts";
import type { RemoteProvider } from "./providers/shared/options.ts";
import { openSqliteStorage, type Storage } from "./storage/index.ts";
import type { HearthApp } from "./http/kit.ts";

export const version = "0.1.0";

/** The demo model's public name (`hearth serve --demo`). */
export const demoModelName = "hearth-demo";

export interface Composition {
  config: Config;
  app: HearthApp;
  gateway: Gateway;
  storage: Storage;
  /** Stops model work and flushes storage; call once. */
  close(): Promise<void>;
}

export function modelsDirectory(config: Config): string {
  return path.join(config.dataDir, "models");
}

/** Resolves each configured model to a file on disk (pulled `hf:` models included). */
async function resolveModelFiles(config: Config, logger: Logger): Promise<Array<ModelConfig & { file: string }>> {
  const resolved = [];
  for (const model of config.models) {
    if (model.provider !== undefined) continue;
    if (model.path !== undefined) {
      if (!fs.existsSync(model.path)) logger.warn("model file not found; requests to it will fail until it exists", { model: model.name, path: model.path });
      resolved.push({ ...model, file: model.path });
      continue;
    }
    const file = await findPulledModel(model.hf as string, modelsDirectory(config));
    if (file === undefined) logger.warn(`model not downloaded yet; run \`hearth pull ${model.hf}\` (no restart needed)`, { model: model.name });
    // Where `hearth pull` puts it: a pull while the server runs makes the model loadable.
    resolved.push({ ...model, file: file ?? resolveHfTarget(model.hf as string, modelsDirectory(config)) });
  }
  return resolved;
}

/** One client (and keep-alive pool) per configured provider. */
function createRemoteProvider(provider: ProviderConfig): RemoteProvider {
  const common = {
    id: provider.name,
    apiKey: provider.apiKey,
    headers: provider.headers,
    connectTimeoutMs: provider.timeouts.connect,
    firstTokenTimeoutMs: provider.timeouts.firstToken,
    idleTimeoutMs: provider.timeouts.idle,
    maxConnections: provider.maxConnections,
  };
  switch (provider.type) {
    case "openai":
      return createOpenAIProvider({ ...common, baseUrl: provider.baseUrl ?? "https://api.openai.com/v1", quirks: provider.quirks });
    case "anthropic":
      return createAnthropicProvider({ ...common, baseUrl: provider.baseUrl, apiVersion: provider.apiVersion });
    case "gemini":
      return createGeminiProvider({ ...common, baseUrl: provider.baseUrl, apiVersion: provider.apiVersion });
  }
}

function memoryBudget(config: Config): number {
  return config.engine.memoryBudget === "auto" ? Math.floor(os.totalmem() * 0.75) : config.engine.memoryBudget;
}

/** The only place that wires concrete pieces together from a validated config. */
export async function compose(config: Config, logger: Logger, options: { storage?: "file" | "memory" } = {}): Promise<Composition> {
  // In memory: commands that only evaluate (policy explain/test) and must not touch the data dir.
  if (options.storage !== "memory") fs.mkdirSync(config.dataDir, { recursive: true });
  const storage = await openSqliteStorage(options.storage === "memory" ? ":memory:" : path.join(config.dataDir, "hearth.db"));
  const reviews = storage.reviews === undefined ? undefined : createReviewService({ store: storage.reviews, ttlMs: config.policy?.review.timeout });
  const models = await resolveModelFiles(config, logger);
  const threads = config.engine.threads === "auto" ? os.availableParallelism() : config.engine.threads;

  // The engine (node-llama-cpp and its native code) is loaded only when a local model is
  // configured: a gateway in front of remote models stays small.
  let local: LocalLlamaProvider | undefined;
  if (models.length > 0) {
    const { createLocalLlamaProvider } = await import("./providers/local-llama/index.ts");
    local = createLocalLlamaProvider({
      models: models.map((model) => ({
        name: model.name,
        // A missing file fails at load time with a clear message naming the model and the path.
        path: model.file,
        contextSize: model.contextSize ?? 4096,
        parallel: model.parallel,
        threads: model.threads ?? threads,
        gpuLayers: model.gpuLayers,
        embedding: model.embedding ?? true,
      })),
      threads,
      gpu: config.engine.gpu,
      memoryBudgetBytes: memoryBudget(config),
      idleTimeoutMs: config.engine.idleTimeout,
      maxQueue: config.engine.maxQueue,
    });
  }
  const engine = local;

  const created = Math.floor(Date.now() / 1000);
  const localEntries = new Map<string, CatalogEntry>(
    models.map((model) => [
      model.name,
      {
        info: (engine as LocalLlamaProvider).modelInfo(model.name) as ModelInfo,
        provider: engine as LocalLlamaProvider,
        defaults: model.defaults,
        created,
        state: () => (engine as LocalLlamaProvider).status().find((status) => status.name === model.name)?.state ?? "unloaded",
      },
    ]),
  );

  const remote = new Map(config.providers.map((provider) => [provider.name, { config: provider, provider: createRemoteProvider(provider) }]));
  const plainRouting = new Map<CatalogEntry, PlainModelRouting>();
  // Keep the configured order, local and remote models interleaved as written.
  const entries: CatalogEntry[] = config.models.map((model) => {
    const localEntry = localEntries.get(model.name);
    if (localEntry !== undefined) return localEntry;
    const { config: providerConfig, provider } = remote.get(model.provider as string) as { config: ProviderConfig; provider: RemoteProvider };
    const entry: CatalogEntry = {
      info: {
        name: model.name,
        provider: providerConfig.name,
        contextLength: model.contextSize,
        locality: providerConfig.locality,
        capabilities: { chat: model.chat, completion: model.chat && providerConfig.type === "openai", embedding: model.embedding ?? false },
      },
      provider,
      upstreamModel: model.model ?? model.name,
      defaults: model.defaults,
      created,
      state: () => "available",
    };
    plainRouting.set(entry, { retries: providerConfig.retries, timeouts: { firstTokenMs: providerConfig.timeouts.firstToken, totalMs: providerConfig.timeouts.total } });
    return entry;
  });
  const routes: RouteDefinition[] = config.routes.map((route) => ({
    name: route.name,
    strategy: route.strategy,
    retries: {
      attempts: route.retries.attempts,
      initialDelayMs: route.retries.initialDelay,
      maxDelayMs: route.retries.maxDelay,
      maxRetryAfterMs: route.retries.maxRetryAfter,
    },
    breaker: { failureThreshold: route.circuitBreaker.failureThreshold, cooldownMs: route.circuitBreaker.cooldown },
    targets: route.targets.map((target) => ({
      model: target.model,
      weight: target.weight,
      timeouts: { firstTokenMs: target.timeouts.firstToken ?? route.timeouts.firstToken, totalMs: target.timeouts.total ?? route.timeouts.total },
    })),
  }));
  const catalog: ModelCatalog = createCatalog(entries, routes, (entry) => plainRouting.get(entry) ?? { retries: 0, timeouts: {} });

  const guard = config.policy === undefined && config.safety === undefined ? undefined : createPolicyGuard(config, catalog, reviews, logger);
  const gateway = createGateway({ catalog, requestLog: storage.requestLog, guard });
  const app = createApp({
    gateway,
    logger,
    version,
    maxBodyBytes: config.server.maxBodyBytes,
    requestTimeoutMs: config.server.requestTimeout,
    apiKeys: config.server.apiKeys,
    reviews,
  });

  return {
    config,
    app,
    gateway,
    storage,
    async close() {
      await Promise.all([...remote.values()].map((item) => item.provider.close()));
      await local?.close();
      reviews?.close();
      await storage.close();
    },
  };
}

/** The policy of `config.policy`: detector, destinations' attributes, local model, review queue. */
function createPolicyGuard(config: Config, catalog: ModelCatalog, reviews: ReviewService | undefined, logger: Logger): Guard {
  // Safety filters alone (no policy section): a policy that allows everything.
  const policy = config.policy ?? { minimumConfidence: 0.5, disable: [], dictionaries: [], rules: [], default: "allow" as const, localModel: undefined, localTrust: "trusted", review: { timeout: 600_000 }, names: undefined };
  const namesModel = policy.names?.model;
  const names = namesModel === undefined ? undefined : createLocalModelNameExtractor(localCompletion(catalog, namesModel, 256));
  const detector = createSensitiveDataDetector({
    minimumConfidence: policy.minimumConfidence,
    disable: policy.disable,
    dictionaries: policy.dictionaries.map((dictionary) => ({
      type: dictionary.type,
      fuzzy: dictionary.fuzzy,
      terms: [
        ...dictionary.terms,
        ...(dictionary.file === undefined
          ? []
          : fs
              .readFileSync(dictionary.file, "utf8")
              .split(/\r?\n/)
              .map((line) => line.trim())
              .filter((line) => line.length > 0 && !line.startsWith("#"))),
      ],
    })),
  });
  const providers = new Map(config.providers.map((provider) => [provider.name, provider]));
  const destinationOf = (target: RouteTarget): Destination => {
    const provider = providers.get(target.entry.info.provider);
    return {
      key: target.key,
      model: target.entry.info.name,
      provider: target.entry.info.provider,
      locality: target.entry.info.locality,
      trust: provider?.trust ?? [],
      region: provider?.region,
    };
  };
  return createGuard({
    policy,
    scan: (text) => detector.scan(text),
    extractNames: names === undefined ? undefined : async (text, signal) => findingsFromNames(text, await names.extract(text, signal), "local-model-names"),
    destinationOf,
    localTarget: policy.localModel === undefined ? undefined : () => catalog.resolve(policy.localModel as string)?.targets[0],
    safety: config.safety === undefined ? undefined : createSafety(config.safety, catalog, logger),
    review:
      reviews === undefined
        ? undefined
        : {
            async hold(item) {
              // An identical request approved before (its client lost the answer in a restart) goes through.
              if ((await reviews.approvedFor(item.fingerprint)) !== undefined) return "approved";
              const { id } = await reviews.submit({ kind: item.kind, fingerprint: item.fingerprint, keyId: item.keyId, model: item.model, route: item.route, rule: item.rule, reasons: item.reasons, preview: item.preview });
              return reviews.wait(id, { timeoutMs: policy.review.timeout, signal: item.signal });
            },
          },
  });
}

/** The safety filters of `config.safety`: heuristics always, plus a local Llama-Guard-style model when named. */
function createSafety(safety: SafetyConfig, catalog: ModelCatalog, logger: Logger): SafetyOptions {
  const heuristic = createHeuristicSafetyClassifier({ trustedImageHosts: safety.trustedImageHosts });
  let classifier: SafetyClassifier = heuristic;
  const modelName = safety.classifierModel;
  if (modelName !== undefined) {
    // Called on the provider directly: the classifier's own prompt must not pass through the
    // policy, the request log or another safety check.
    const model = createLocalModelSafetyClassifier(localCompletion(catalog, modelName, 24), { failMode: safety.failMode, promptFormat: "plain" });
    classifier = {
      id: `${heuristic.id}+${model.id}`,
      async classify(input, signal) {
        const fast = heuristic.classifySync(input);
        // A clear heuristic hit needs no model call.
        if (!fast.safe) return fast;
        return combineVerdicts([fast, await model.classify(input, signal)]);
      },
    };
  }
  return {
    input: safety.input === "off" ? undefined : { classifier, action: safety.input },
    output: safety.output === "off" ? undefined : { classifier, action: safety.output, windowChars: safety.window, strideChars: safety.stride },
    onUnsafe(stage, verdict, requestId) {
      logger.warn(`safety filter flagged the ${stage}`, { requestId, categories: verdict.categories.join(","), classifier: verdict.classifier, score: verdict.score });
    },
  };
}

/**
 * A prompt → text function on a catalogued model, called on its provider directly: guardrail
 * prompts (names, safety) must not pass through the policy, the request log or another check.
 */
function localCompletion(catalog: ModelCatalog, modelName: string, maxTokens: number) {
  return async (prompt: string, signal?: AbortSignal): Promise<string> => {
    const target = catalog.resolve(modelName)?.targets[0];
    if (target === undefined) throw new Error(`the guardrail model "${modelName}" is not in the catalogue`);
    const entry = target.entry;
    const parts = entry.provider.chat(
      { model: entry.upstreamModel ?? entry.info.name, messages: [{ role: "user", content: prompt }], maxTokens, temperature: 0 },
      { signal: signal ?? new AbortController().signal, stream: false },
    );
    return (await collect(parts)).text;
  };
}

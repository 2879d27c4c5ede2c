import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Config, ModelConfig, ProviderConfig, SafetyConfig } from "./config/schema.ts";
import { createCatalog, type PlainModelRouting, type RouteDefinition } from "./core/catalog.ts";
import { createAnthropicProvider } from "./providers/anthropic/index.ts";
import { createGeminiProvider } from "./providers/gemini/index.ts";
import { createOpenAIProvider } from "./providers/openai/index.ts";
import { createGateway, type CatalogEntry, type Gateway, type ModelCatalog } from "./core/gateway.ts";
import { silentLogger, type Logger } from "./core/logger.ts";
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
import { HearthError } from "./spec/errors.ts";
import { createAccounting, type Accounting, type AuditSink, type LimitGate, type Pricing } from "./core/accounting.ts";
import { createKeyService, type KeyService, type StaticKey } from "./core/keys/service.ts";
import type { KeyLimits } from "./core/keys/types.ts";
import { createLimiter, type ReconcileResult } from "./core/limits/limiter.ts";
import { createMemoryCounterStore } from "./core/limits/memory-counters.ts";
import type { CounterStore, LimitSubject } from "./core/limits/types.ts";
import { createLocalCostModel } from "./core/usage/local-cost.ts";
import { createPriceBook } from "./core/usage/prices.ts";
import { mountAdminRoutes, type AdminAuditor } from "./http/routes/admin.ts";
import { createRoutingState } from "./core/routing/execute.ts";
import { createAuditLog, createAuditSigner, generateAuditKeyPair, pruneAuditLog, type AuditLog, type AuditRecord, type AuditStore } from "./core/audit/index.ts";
import { redactForLog } from "./core/guardrails/redaction.ts";
import { openSqliteAuditStore } from "./storage/sqlite/audit.ts";
import { openPostgresAuditStore } from "./storage/postgres/audit.ts";
import { openPostgresAccountingStorage } from "./storage/postgres/open.ts";
import { createRedisCounterStore } from "./storage/redis/counters.ts";
import { startBreakerSync, type BreakerSync } from "./storage/redis/breakers.ts";
import { connectRedis, type RedisConnection } from "./storage/redis/open.ts";

export const version = "0.1.0";

/** The demo model's public name (`hearth serve --demo`). */
export const demoModelName = "hearth-demo";

export interface Composition {
  config: Config;
  app: HearthApp;
  gateway: Gateway;
  storage: Storage;
  keys: KeyService;
  accounting: Accounting;
  /** This process's audit writer; undefined when the audit log is off. */
  auditLog: AuditLog | undefined;
  /**
   * Compares every budgeted key's and team's counters with durable usage now and raises any that
   * hold less (what `usage.reconcileInterval` runs periodically; ADR 0010).
   */
  reconcileBudgets(): Promise<ReconcileResult>;
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

/**
 * The Ed25519 key that signs audit checkpoints: `audit.signingKey` (PEM text or a PEM file), or
 * one generated on first start into `<dataDir>/audit/signing-key.pem` (mode 0600) with its public
 * key beside it. Replicas sharing one database must share the key (set it in config).
 */
export function auditSigningKey(config: Config): { privateKeyPem: string; publicKeyPem: string; source: string } {
  const configured = config.audit.signingKey;
  if (configured !== undefined) {
    const pem = configured.includes("-----BEGIN") ? configured : fs.readFileSync(configured, "utf8");
    const source = configured.includes("-----BEGIN") ? "audit.signingKey" : configured;
    const signer = createAuditSigner(pem);
    return { privateKeyPem: pem, publicKeyPem: signer.publicKeyPem, source };
  }
  const directory = path.join(config.dataDir, "audit");
  const privateFile = path.join(directory, "signing-key.pem");
  const publicFile = path.join(directory, "public-key.pem");
  if (!fs.existsSync(privateFile)) {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const pair = generateAuditKeyPair();
    fs.writeFileSync(privateFile, pair.privateKeyPem, { mode: 0o600, flag: "wx" });
    fs.writeFileSync(publicFile, pair.publicKeyPem);
  }
  const privateKeyPem = fs.readFileSync(privateFile, "utf8");
  const publicKeyPem = createAuditSigner(privateKeyPem).publicKeyPem;
  return { privateKeyPem, publicKeyPem, source: privateFile };
}

/** Opens the audit store for the configured storage (the SQLite file, on its own connection). */
export async function openAuditStore(config: Config, options: { writerThread?: boolean | undefined } = {}): Promise<AuditStore> {
  if (config.storage.postgres !== undefined) return openPostgresAuditStore({ connectionString: config.storage.postgres, schema: config.storage.postgresSchema });
  return openSqliteAuditStore(path.join(config.dataDir, "hearth.db"), { worker: options.writerThread ?? false });
}

/** Opens this process's audit writer (a new chain) on `store`. */
export async function openAuditLog(config: Config, store: AuditStore, logger: Logger): Promise<AuditLog> {
  const key = auditSigningKey(config);
  const encryptionKey = config.audit.encryptionKey === undefined ? undefined : Buffer.from(config.audit.encryptionKey, "base64");
  const bodies = config.audit.bodies;
  let redact: ((text: string) => string) | undefined;
  if (bodies === "redacted") {
    const detector = createSensitiveDataDetector({ minimumConfidence: config.policy?.minimumConfidence, disable: config.policy?.disable });
    redact = (text) => redactForLog(text, detector.scan(text));
  }
  return createAuditLog({
    store,
    signer: createAuditSigner(key.privateKeyPem),
    durability: config.audit.durability,
    checkpointIntervalMs: config.audit.checkpointInterval,
    bodies: { mode: bodies, encryptionKey, redact },
    onError: (error) => logger.error("audit log", { error: String(error) }),
  });
}

/** The audit entry of an administrative action (keys, reviews, prune): who did what to which id. */
function adminAuditRecord(action: { action: string; subject: string | null; status: number; requestId: string; key: string | null; team: string | null }): AuditRecord {
  return {
    time: Date.now(),
    requestId: action.requestId,
    kind: "admin",
    action: action.action,
    dialect: "hearth",
    key: action.key,
    team: action.team,
    model: "",
    route: null,
    provider: "",
    target: "",
    locality: null,
    policyRule: null,
    policyAction: null,
    dataClasses: {},
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs: 0,
    status: action.status,
    errorCode: action.status >= 400 ? String(action.status) : null,
    subject: action.subject,
  };
}

/** Config keys (client and admin) as the key service takes them. */
function staticKeysOf(config: Config): StaticKey[] {
  const clients: StaticKey[] = config.server.apiKeys.map((entry) => ({
    key: entry.key,
    name: entry.name,
    team: entry.team,
    role: "user",
    models: entry.models,
    localities: entry.localities,
    limits: { rpm: entry.rpm, tpm: entry.tpm, budgetDay: entry.budget?.day, budgetMonth: entry.budget?.month },
  }));
  const admins: StaticKey[] = config.server.adminKeys.map((key) => ({ key, name: "admin", role: "admin" }));
  return [...clients, ...admins];
}

/**
 * Prices every request in USD: closed and self-hosted models from the price book (bundled table
 * plus `costs.prices`), in-process models from the local cost model (`costs.local`) by the time
 * they kept the engine busy. A model with no price is recorded at 0 and counted as unpriced.
 */
function createPricing(config: Config): Pricing {
  const book = createPriceBook({ overrides: config.costs.prices });
  const settings = config.costs.local;
  const local = settings === undefined ? undefined : createLocalCostModel({ ...settings, hardwareCost: settings.hardwareCost, amortisationMonths: settings.hardwareCost === undefined ? undefined : settings.amortisationMonths });
  // Reservations for local requests assume this speed (tokens/s) until the real latency settles them.
  const assumedThroughput = { promptTokensPerSecond: 100, decodeTokensPerSecond: 10 };
  const names = new Map<string, string[]>();
  return {
    costOf(target, usage) {
      if (target.entry.info.locality === "in-process") {
        if (local === undefined) return { costUsd: 0, priced: false };
        const costUsd = usage.latencyMs > 0 ? local.costOfRequest({ busySeconds: usage.latencyMs / 1000 }) : local.costOfTokens(usage, assumedThroughput);
        return { costUsd, priced: true };
      }
      let candidates = names.get(target.key);
      if (candidates === undefined) {
        candidates = [target.entry.info.name, target.entry.upstreamModel ?? target.entry.info.name];
        names.set(target.key, candidates);
      }
      for (const name of candidates) {
        const costUsd = book.costOf(name, usage);
        if (costUsd !== undefined) return { costUsd, priced: true };
      }
      return { costUsd: 0, priced: false };
    },
  };
}

/**
 * The limits engine behind the gateway's admission: a key's own limits and its team's (config
 * `teams`). `reconcile` compares the budget counters of every usable key and team with durable
 * usage (ADR 0010).
 */
function createLimitGate(config: Config, counters: CounterStore, storage: Storage, logger: Logger): LimitGate & { reconcile(): Promise<ReconcileResult> } {
  const teams = new Map(config.teams.map((team) => [team.name, team]));
  const usage = storage.usage;
  const limiter = createLimiter({
    counters,
    spentSoFar: usage === undefined ? undefined : (subject, period) => usage.spent(subject.kind === "key" ? { key: subject.id } : { team: subject.id }, period.start),
    logger,
  });
  const hasLimits = (limits: KeyLimits | undefined): boolean =>
    limits !== undefined && (limits.rpm !== undefined || limits.tpm !== undefined || limits.budgetDay !== undefined || limits.budgetMonth !== undefined);
  // Counters are named by the key's name: usage (what budgets are seeded from) records names.
  const keySubject = (name: string, limits: KeyLimits): LimitSubject => ({ kind: "key", id: name, rpm: limits.rpm, tpm: limits.tpm, budget: { day: limits.budgetDay, month: limits.budgetMonth } });
  const teamSubject = (team: Config["teams"][number]): LimitSubject => ({ kind: "team", id: team.name, rpm: team.rpm, tpm: team.tpm, budget: team.budget });
  /** Every usable key and every team, named as `reserve` names them (`reconcile` skips those without a budget). */
  async function budgetSubjects(): Promise<LimitSubject[]> {
    const now = Date.now();
    const stored = (await storage.keys?.list()) ?? [];
    return [
      ...staticKeysOf(config).flatMap((entry) => (entry.name !== undefined && entry.limits !== undefined ? [keySubject(entry.name, entry.limits)] : [])),
      ...stored.flatMap((record) => (record.revokedAt === null && (record.expiresAt === null || record.expiresAt > now) ? [keySubject(record.name, record.limits)] : [])),
      ...config.teams.map(teamSubject),
    ];
  }
  return {
    reconcile: async () => limiter.reconcile(await budgetSubjects()),
    applies: (caller) => caller !== undefined && (hasLimits(caller.limits) || (caller.team !== undefined && teams.has(caller.team))),
    async reserve({ caller, estimatedTokens, estimatedCostUsd }) {
      const subjects: LimitSubject[] = [];
      if (hasLimits(caller.limits)) subjects.push(keySubject(caller.key, caller.limits as KeyLimits));
      const team = caller.team === undefined ? undefined : teams.get(caller.team);
      if (team !== undefined) subjects.push(teamSubject(team));
      if (subjects.length === 0) return undefined;
      const admitted = await limiter.admit({ subjects, estimatedTokens, estimatedCostUsd });
      if (!admitted.ok) throw new HearthError(admitted.code, admitted.message, { retryAfterSeconds: admitted.retryAfterSeconds });
      const reservation = admitted.reservation;
      return {
        settle: (actual) => void limiter.settle(reservation, { actualTokens: actual.tokens, actualCostUsd: actual.costUsd }),
        release: () => void limiter.release(reservation),
      };
    },
  };
}

function memoryBudget(config: Config): number {
  return config.engine.memoryBudget === "auto" ? Math.floor(os.totalmem() * 0.75) : config.engine.memoryBudget;
}

/**
 * Opens the configured storage: the SQLite file in dataDir (default), `":memory:"` for commands
 * that must not touch the data dir.
 */
export async function openStorage(config: Config, options: { storage?: "file" | "memory" } = {}): Promise<Storage> {
  if (options.storage !== "memory") fs.mkdirSync(config.dataDir, { recursive: true });
  const local = await openSqliteStorage(options.storage === "memory" ? ":memory:" : path.join(config.dataDir, "hearth.db"));
  const postgres = config.storage.postgres;
  if (postgres === undefined || options.storage === "memory") return local;
  // Shared state in PostgreSQL: keys, usage and reviews (and the audit log, on its own pool); the
  // request log (per-replica telemetry) stays in the local SQLite file.
  let shared;
  try {
    shared = await openPostgresAccountingStorage({ connectionString: postgres, schema: config.storage.postgresSchema });
  } catch (error) {
    await local.close();
    throw error;
  }
  return {
    requestLog: local.requestLog,
    keys: shared.keys,
    usage: shared.usage,
    reviews: shared.reviews,
    async close() {
      try {
        await shared.close();
      } finally {
        await local.close();
      }
    },
  };
}

/**
 * For CLI commands that administer in-process (keys, usage, audit): the storage and the key
 * service on it, and an auditor for the command's own administrative action.
 */
export async function openAdministration(config: Config, logger: Logger = silentLogger) {
  const storage = await openStorage(config);
  const keys = createKeyService({ store: storage.keys, staticKeys: staticKeysOf(config) });
  let audit: { store: AuditStore; log: AuditLog } | undefined;
  return {
    storage,
    keys,
    /** Records an administrative action done from the command line (actor: the local OS user), durably. */
    async audit(action: string, subject: string | null, status: number): Promise<void> {
      if (!config.audit.enabled) return;
      if (audit === undefined) {
        const store = await openAuditStore(config);
        audit = { store, log: await openAuditLog({ ...config, audit: { ...config.audit, durability: "strict", bodies: "off" } }, store, logger) };
      }
      await audit.log.append(adminAuditRecord({ action, subject, status, requestId: `cli-${randomUUID()}`, key: `cli:${os.userInfo().username}`, team: null }));
    },
    async close() {
      try {
        await audit?.log.close();
        await audit?.store.close();
      } finally {
        await storage.close();
      }
    },
  };
}

/** The only place that wires concrete pieces together from a validated config. */
export async function compose(config: Config, logger: Logger, options: { storage?: "file" | "memory" } = {}): Promise<Composition> {
  // In memory: commands that only evaluate (policy explain/test) and must not touch the data dir.
  const storage = await openStorage(config, options);
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
  const keys = createKeyService({ store: storage.keys, staticKeys: staticKeysOf(config) });
  // Shared state across replicas when Redis is configured: limit counters and circuit breakers.
  const routing = createRoutingState();
  let redis: RedisConnection | undefined;
  let breakerSync: BreakerSync | undefined;
  let counters: CounterStore = createMemoryCounterStore();
  if (config.storage.redis !== undefined) {
    redis = await connectRedis(config.storage.redis, { onError: (error) => logger.warn("Redis unreachable; limits use their fail modes", { error: String(error) }) });
    counters = createRedisCounterStore({ client: redis.client, prefix: config.storage.redisPrefix });
    breakerSync = await startBreakerSync(routing.breakers, { client: redis.client, subscriber: redis.subscriber, prefix: config.storage.redisPrefix, logger });
  }
  // The audit log: its own connection and this process's own chain (ADR 0009).
  let auditStore: AuditStore | undefined;
  let auditLog: AuditLog | undefined;
  if (config.audit.enabled && options.storage !== "memory") {
    auditStore = await openAuditStore(config, { writerThread: config.audit.writerThread });
    auditLog = await openAuditLog(config, auditStore, logger);
  }
  // Retention: hourly, prune what is older than `audit.retention` (a signed checkpoint anchors the
  // rest). Any replica may do it; the store serialises prunes with checkpoints.
  let retentionTimer: NodeJS.Timeout | undefined;
  const retention = config.audit.retention;
  if (auditStore !== undefined && retention !== undefined) {
    const store = auditStore;
    const signer = createAuditSigner(auditSigningKey(config).privateKeyPem);
    const prune = async (): Promise<void> => {
      try {
        const before = Date.now() - retention;
        const result = await pruneAuditLog(store, { before, signer });
        if (result.deletedEntries > 0) {
          logger.info("audit retention: pruned old entries", { deleted: result.deletedEntries, before: new Date(before).toISOString() });
          await auditLog?.append(adminAuditRecord({ action: "audit.prune", subject: new Date(before).toISOString(), status: 200, requestId: `retention-${randomUUID()}`, key: "hearth:retention", team: null }));
        }
      } catch (error) {
        logger.error("audit retention: prune failed", { error: String(error) });
      }
    };
    retentionTimer = setInterval(() => void prune(), 3_600_000);
    retentionTimer.unref();
    void prune();
  }
  const audit: AuditSink | undefined =
    auditLog === undefined ? undefined : { append: (record) => (auditLog as AuditLog).offer(record), durability: auditLog.durability, wantsBodies: config.audit.bodies !== "off" };
  const limitGate = createLimitGate(config, counters, storage, logger);
  // Budget counters are a cache of durable usage; now and then raise any that lost a settle.
  let reconcileTimer: NodeJS.Timeout | undefined;
  const reconcileEvery = config.usage.reconcileInterval;
  if (config.usage.enabled && storage.usage !== undefined && reconcileEvery > 0) {
    reconcileTimer = setInterval(() => {
      limitGate.reconcile().catch((error: unknown) => logger.warn("limits: reconciling budget counters with usage failed; trying again later", { error: String(error) }));
    }, reconcileEvery);
    reconcileTimer.unref();
  }
  const accounting = createAccounting({
    usage: config.usage.enabled ? storage.usage : undefined,
    audit,
    limits: limitGate,
    pricing: createPricing(config),
    onAuditError: (error) => logger.error("audit append failed", { error: String(error) }),
  });
  const gateway = createGateway({ catalog, requestLog: storage.requestLog, guard, accounting, routing });
  const auditAdmin: AdminAuditor = async ({ action, subject, context, status }) => {
    if (audit === undefined) return;
    const caller = context.get("caller");
    await audit.append(adminAuditRecord({ action, subject, status, requestId: context.get("requestId"), key: caller?.key ?? null, team: caller?.team ?? null }));
  };
  const app = createApp({
    gateway,
    logger,
    version,
    maxBodyBytes: config.server.maxBodyBytes,
    requestTimeoutMs: config.server.requestTimeout,
    keys,
    reviews,
    auditAdmin,
    mountAdmin: (target) => mountAdminRoutes(target, { keys, usage: storage.usage, audit: auditAdmin, auditQuery: auditLog === undefined ? undefined : (filter) => (auditLog as AuditLog).query(filter) }),
  });

  return {
    config,
    app,
    gateway,
    storage,
    keys,
    accounting,
    auditLog,
    reconcileBudgets: () => limitGate.reconcile(),
    async close() {
      await Promise.all([...remote.values()].map((item) => item.provider.close()));
      await local?.close();
      reviews?.close();
      await breakerSync?.stop();
      await redis?.close();
      clearInterval(retentionTimer);
      clearInterval(reconcileTimer);
      // The final checkpoint closes this process's chain.
      await auditLog?.close();
      await auditStore?.close();
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

import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { parseHfUri } from "../core/models/hf-uri.ts";
import { parseBytes, parseDuration } from "./units.ts";

/** A size in bytes: a number or text such as "8GB" / "512MiB". */
const bytes = z.union([z.number(), z.string()]).transform((value, context) => {
  const parsed = parseBytes(value);
  if (parsed === undefined) {
    context.addIssue({ code: "custom", message: `expected a size such as 8GB or 512MiB, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

/** A duration in milliseconds: a number of ms or text such as "5m" / "30s" / "250ms". */
const duration = z.union([z.number(), z.string()]).transform((value, context) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    context.addIssue({ code: "custom", message: `expected a duration such as 5m, 30s or 250ms, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

const positiveInt = z.number().int().positive();

const publicName = z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "use letters, digits and . _ : / -");

const keySecret = z.string().min(16, "API keys must be at least 16 characters");

/**
 * A client key: the bare key, or the key with a name and team that policy rules (and later
 * budgets) match on. A bare key is named `key-<first 8 hex digits of its SHA-256>`, so logs and
 * explanations can refer to it without showing it.
 */
const localityName = z.enum(["in-process", "self-hosted", "third-party"]);

/** Money per UTC day and month, in USD. */
const budgetSchema = z.strictObject({ day: z.number().positive().optional(), month: z.number().positive().optional() });

/** What a key or a team may spend and how fast (absent = no limit). */
const limitFields = {
  /** Requests per minute. */
  rpm: positiveInt.optional(),
  /** Tokens (input + output) per minute. */
  tpm: positiveInt.optional(),
  budget: budgetSchema.optional(),
};

const apiKeySchema = z
  // A bare string is shorthand for { key }: one object schema, so errors name the exact field.
  .preprocess(
    (value) => (typeof value === "string" ? { key: value } : value),
    z.strictObject({
      key: keySecret,
      name: z.string().min(1).optional(),
      team: z.string().min(1).optional(),
      /** Public model or route names the key may use (`*` at the end matches a prefix). */
      models: z.array(z.string().min(1)).min(1).optional(),
      /** Where the key's requests may be served. */
      localities: z.array(localityName).min(1).optional(),
      ...limitFields,
    }),
  )
  .transform((entry) => ({
    key: entry.key,
    name: entry.name ?? `key-${createHash("sha256").update(entry.key).digest("hex").slice(0, 8)}`,
    team: entry.team,
    models: entry.models,
    localities: entry.localities,
    rpm: entry.rpm,
    tpm: entry.tpm,
    budget: entry.budget,
  }));

/** A team's shared limits: every key of the team counts against them together. */
const teamSchema = z.strictObject({ name: z.string().min(1), ...limitFields });

/** The price of a model, USD per million tokens; overrides the bundled table. */
const priceSchema = z.strictObject({
  /** Public model name, upstream model name, or a prefix ending in `*`. */
  model: z.string().min(1),
  input: z.number().min(0),
  output: z.number().min(0),
  cachedInput: z.number().min(0).optional(),
});

/** What running local models costs, so local requests are priced in the same currency. */
const localCostSchema = z.strictObject({
  /** Rented hardware: USD per hour. Or give `hardwareCost` and `amortisationMonths`. */
  hourlyRate: z.number().min(0).optional(),
  hardwareCost: z.number().min(0).optional(),
  amortisationMonths: z.number().positive().default(36),
  powerWatts: z.number().min(0).default(0),
  electricityPerKwh: z.number().min(0).default(0),
  /** Share of the hours the machine does useful work (amortisation is spread over busy time). */
  utilisation: z.number().gt(0).max(1).default(0.5),
});

const auditSchema = z.strictObject({
  /** Every request and admin action appends an entry (default on). */
  enabled: z.boolean().default(true),
  /** strict: an answer is released only once its entry is durable; fast: entries are batched. */
  durability: z.enum(["strict", "fast"]).default("fast"),
  /** Request and response bodies in entries: off, SHA-256 digests, redacted (encrypted) or full (encrypted). */
  bodies: z.enum(["off", "hash", "redacted", "full"]).default("off"),
  /** 32-byte key, base64, for encrypting stored bodies (`redacted`, `full`). */
  encryptionKey: z.string().optional(),
  /** Ed25519 private key (PEM text or a path to a PEM file) signing checkpoints; default: generated once in dataDir. */
  signingKey: z.string().optional(),
  checkpointInterval: duration.default(60_000),
  /**
   * SQLite only: insert entries on a separate thread (its own connection), taking ~6–8 µs per
   * request off the event loop for ~25–45 MB more memory. Off by default: neither on 2 cores nor
   * on 16 did it raise the audit-on ÷ off req/s ratio measurably (docs/benchmarks.md, ADR 0009),
   * since the rest of the audit work stays on the event loop.
   */
  writerThread: z.boolean().default(false),
  /** Keep entries this long (e.g. 400d); older ones are pruned hourly, leaving a signed anchor so the rest still verifies. Default: keep everything. */
  retention: duration.optional(),
});

const storageSchema = z.strictObject({
  /** PostgreSQL connection string (postgres://…): audit, usage, keys and reviews live there instead of the SQLite file. */
  postgres: z.string().min(1).optional(),
  /** Schema inside the PostgreSQL database (default public). */
  postgresSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  /** Redis URL (redis://…): rate-limit and budget counters and circuit breakers shared across replicas. */
  redis: z.string().min(1).optional(),
  /** Prefix of every Redis key (default `hearth:`). */
  redisPrefix: z.string().min(1).default("hearth:"),
});

const dataClassName = z.string().regex(/^[a-z][a-z0-9_]*$/, "a data type (email, iban...), a category (pii, secret, dictionary, name) or a dictionary type, in snake_case");

const policyAction = z.enum(["allow", "redact", "route_local", "block", "review"]);

/** Conditions of a policy rule; every condition given must hold (lists match any of their entries). */
const ruleConditionsSchema = z.strictObject({
  /** Data types or categories found in the request. A rule with `data` is evaluated per data class found. */
  data: z.array(dataClassName).min(1).optional(),
  /** Client key names (server.apiKeys[].name). */
  keys: z.array(z.string().min(1)).min(1).optional(),
  teams: z.array(z.string().min(1)).min(1).optional(),
  /** Public model or route names the client asked for; `*` at the end matches a prefix. */
  models: z.array(z.string().min(1)).min(1).optional(),
  /** Attributes of the target the request would go to. */
  destination: z
    .strictObject({
      locality: z.array(z.enum(["in-process", "self-hosted", "third-party"])).min(1).optional(),
      /** Every tag listed must be in the provider's `trust`. */
      trust: z.array(z.string().min(1)).min(1).optional(),
      /** The provider lacks at least one of these tags. */
      notTrust: z.array(z.string().min(1)).min(1).optional(),
      region: z.array(z.string().min(1)).min(1).optional(),
    })
    .optional(),
  /** Request tags (the `x-hearth-tags` header, comma-separated). */
  tags: z.array(z.string().min(1)).min(1).optional(),
  /** Estimated prompt tokens (characters ÷ 4). */
  tokens: z.strictObject({ over: z.number().int().min(0).optional(), under: z.number().int().min(1).optional() }).optional(),
  /** Tools the model proposes to call: the rule is evaluated on each proposed call in the answer (allow, review or block). */
  tools: z.array(z.string().min(1)).min(1).optional(),
});

const policyRuleSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits and . _ -"),
    when: ruleConditionsSchema.prefault({}),
    action: policyAction,
  })
  .refine((rule) => rule.when.tools === undefined || ["allow", "review", "block"].includes(rule.action), {
    message: "a rule on proposed tool calls (`when.tools`) can only allow, review or block them",
  })
  .refine((rule) => rule.when.tools === undefined || rule.when.data === undefined, { message: "`when.tools` and `when.data` cannot be combined: tool rules judge the answer, data rules the request" });

/** Safety filters: prompt-injection / jailbreak heuristics, optionally a Llama-Guard-style local model (docs/policy.md). */
const safetySchema = z.strictObject({
  /** Check the conversation before sending it: refuse (block), only log, or off. */
  input: z.enum(["block", "log", "off"]).default("block"),
  /** Check the answer as it streams, over a sliding window. */
  output: z.enum(["block", "log", "off"]).default("block"),
  /** A local model prompted as Llama Guard 3 (categories S1–S14), in addition to the heuristics. */
  classifierModel: publicName.optional(),
  /** What a classifier failure decides: closed blocks, open lets the content pass. */
  failMode: z.enum(["open", "closed"]).default("closed"),
  /** Output check window and stride, in characters. */
  window: positiveInt.default(1024),
  stride: positiveInt.default(256),
  /** Image hosts never treated as exfiltration targets (your own CDN). */
  trustedImageHosts: z.array(z.string().min(1)).default([]),
});

/** What leaves the building: detection settings, dictionaries and the rules (docs/policy.md). */
const policySchema = z.strictObject({
  /** Findings below this confidence are ignored. */
  minimumConfidence: z.number().min(0).max(1).default(0.5),
  /** Data types whose recognizers are switched off. */
  disable: z.array(dataClassName).default([]),
  /** User dictionaries: customer lists, project code names, employee names. */
  dictionaries: z
    .array(
      z
        .strictObject({
          type: dataClassName,
          terms: z.array(z.string().min(1)).default([]),
          /** A text file with one term per line (relative to the config file). */
          file: z.string().min(1).optional(),
          fuzzy: z.boolean().default(false),
        })
        .refine((entry) => entry.terms.length > 0 || entry.file !== undefined, { message: "give `terms` or `file`" }),
    )
    .default([]),
  rules: z.array(policyRuleSchema).default([]),
  /**
   * Person and organisation names found by a local model (`person_name`, `organization`): one model
   * call per text of each request, so opt-in. The model must be local (path or hf), never remote.
   */
  names: z.strictObject({ model: publicName }).optional(),
  /** The action when no rule matches. */
  default: policyAction.default("allow"),
  /** The model a `route_local` request goes to when its own route has no local target. */
  localModel: publicName.optional(),
  /** The `trust` tag that makes a self-hosted provider count as local for `route_local`. */
  localTrust: z.string().min(1).default("trusted"),
  review: z
    .strictObject({
      /** How long a held request waits for a reviewer before it is refused. */
      timeout: duration.default(600_000),
    })
    .prefault({}),
});

const generationDefaults = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: positiveInt.optional(),
  seed: z.number().int().optional(),
});

export const gpuSetting = z.union([z.literal(false), z.enum(["off", "auto", "cuda", "vulkan", "metal"])]).transform((value) => (value === "off" ? false : value));


/** Per-call time limits; a route's or target's values win over its provider's. */
const timeoutsSchema = z.strictObject({
  /** Establishing the TCP/TLS connection. */
  connect: duration.optional(),
  /** From sending the request to the first streamed part (the whole answer when not streaming). */
  firstToken: duration.optional(),
  /** The whole call, first byte to last. */
  total: duration.optional(),
  /** Longest silence between two streamed chunks (provider level only). */
  idle: duration.optional(),
});

/**
 * A remote model server: a closed API (OpenAI, Anthropic, Gemini) or a self-hosted one that
 * speaks OpenAI's API (vLLM, Ollama, llama-server, LM Studio...). See docs/providers.md.
 */
const providerSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits and . _ -"),
    type: z.enum(["openai", "anthropic", "gemini"]),
    /** Default: the vendor's public endpoint. Required for self-hosted servers. */
    baseUrl: z.url().optional(),
    /** The key itself (prefer apiKeyEnv so config files hold no secrets). */
    apiKey: z.string().min(1).optional(),
    /** The environment variable that holds the key, e.g. OPENAI_API_KEY. */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
    /** Extra headers on every upstream request (e.g. OpenRouter's HTTP-Referer). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Where data sent to this provider goes; policy rules (and audit) key on it. */
    locality: z.enum(["self-hosted", "third-party"]).default("third-party"),
    /**
     * What the organisation has agreed with this provider, as tags policy rules match on, e.g.
     * `zero-retention`, `dpa`, `trusted` (a self-hosted server tagged with policy.localTrust counts
     * as local for `route_local`).
     */
    trust: z.array(z.string().min(1)).default([]),
    /** Where the provider processes data, e.g. `eu`, `us`; policy rules may match on it. */
    region: z.string().min(1).optional(),
    timeouts: timeoutsSchema.prefault({}),
    /** Keep-alive connections per upstream origin. */
    maxConnections: positiveInt.max(4096).default(128),
    /** Extra attempts on the same provider for a retryable failure (429, 5xx, reset) before giving up or falling back. */
    retries: z.number().int().min(0).max(10).default(2),
    /** Anthropic `anthropic-version` or Gemini API version (v1beta). */
    apiVersion: z.string().min(1).optional(),
    /** Per-server differences of OpenAI-compatible servers (type openai only). */
    quirks: z
      .strictObject({
        maxTokensField: z.enum(["max_tokens", "max_completion_tokens"]).optional(),
        streamUsage: z.boolean().optional(),
        seedField: z.enum(["seed", "random_seed"]).optional(),
        reasoningStyle: z.enum(["openai", "openrouter"]).optional(),
        embeddingEncoding: z.enum(["float", "base64"]).optional(),
        omitFields: z.array(z.string().min(1)).optional(),
      })
      .optional(),
  })
  .refine((provider) => provider.apiKey === undefined || provider.apiKeyEnv === undefined, {
    message: "give at most one of apiKey and apiKeyEnv",
  })
  .refine((provider) => provider.quirks === undefined || provider.type === "openai", { message: "quirks apply to type openai only" });

const routeTargetSchema = z.union([
  publicName.transform((model) => ({ model, weight: 1, timeouts: {} as z.output<typeof timeoutsSchema> })),
  z.strictObject({
    model: publicName,
    /** Share of traffic under `loadbalance` (relative to the other targets). */
    weight: z.number().positive().default(1),
    timeouts: timeoutsSchema.prefault({}),
  }),
]);

/**
 * A model alias with several targets: `fallback` tries them in order, `loadbalance` spreads
 * requests by weight and load. Retries, timeouts and a circuit breaker apply per target.
 */
const routeSchema = z.strictObject({
  name: publicName,
  strategy: z.enum(["fallback", "loadbalance"]).default("fallback"),
  targets: z.array(routeTargetSchema).min(1, "a route needs at least one target"),
  retries: z
    .strictObject({
      /** Extra attempts on the same target before moving to the next one. */
      attempts: z.number().int().min(0).max(10).default(1),
      /** First backoff; doubles per attempt, with jitter. */
      initialDelay: duration.default(250),
      maxDelay: duration.default(8_000),
      /** A longer Retry-After than this moves on to the next target instead of waiting. */
      maxRetryAfter: duration.default(30_000),
    })
    .prefault({}),
  timeouts: timeoutsSchema.prefault({}),
  circuitBreaker: z
    .strictObject({
      /** Consecutive failures that open the circuit (the target is skipped). */
      failureThreshold: positiveInt.default(5),
      /** How long an open circuit skips the target before one trial request. */
      cooldown: duration.default(30_000),
    })
    .prefault({}),
});

const modelSchema = z
  .strictObject({
    /** The name clients send as `model`. */
    name: publicName,
    /** A local GGUF file. Relative paths are resolved against the config file's folder. */
    path: z.string().min(1).optional(),
    /** `hf:<owner>/<repo>[@revision]/<file>.gguf`, fetched with `hearth pull`. */
    hf: z
      .string()
      .refine((uri) => {
        try {
          parseHfUri(uri);
          return true;
        } catch {
          return false;
        }
      }, "expected hf:<owner>/<repo>[@revision]/<file>.gguf")
      .optional(),
    /** A configured provider's name: the model is served remotely. */
    provider: z.string().min(1).optional(),
    /** The provider's name for the model (default: `name`). */
    model: z.string().min(1).optional(),
    /** Context window in tokens; local prompts longer than this are refused, never truncated (default 4096 locally). */
    contextSize: positiveInt.optional(),
    /** Requests served at once on one context (parallel sequences, continuous batching). */
    parallel: positiveInt.max(64).default(2),
    threads: positiveInt.optional(),
    gpuLayers: z.union([z.number().int().min(0), z.literal("auto")]).optional(),
    /** Whether `/v1/embeddings` may use this model (default: true for local models, false for remote ones). */
    embedding: z.boolean().optional(),
    /** Whether chat may use this model (default true; false for an embedding-only remote model). */
    chat: z.boolean().default(true),
    defaults: generationDefaults.prefault({}),
  })
  .refine((model) => [model.path, model.hf, model.provider].filter((value) => value !== undefined).length === 1, {
    message: "give exactly one of `path` (a local .gguf file), `hf` (an hf: URI) or `provider` (a remote model)",
  })
  .refine((model) => model.provider !== undefined || model.model === undefined, { message: "`model` (the upstream name) needs `provider`" });

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8411),
      /** Bearer keys accepted from clients. Required when binding beyond loopback. */
      apiKeys: z.array(apiKeySchema).default([]),
      /** Keys for administration: managing keys, everyone's usage, the audit log, review decisions (they may call models too). */
      adminKeys: z.array(keySecret).default([]),
      maxBodyBytes: bytes.default(8_000_000),
      /** Longest a single request may run, first byte to last. */
      requestTimeout: duration.default(600_000),
    })
    .prefault({}),
  dataDir: z.string().min(1).default(path.join(os.homedir(), ".hearth")),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  engine: z
    .strictObject({
      threads: z.union([positiveInt, z.literal("auto")]).default("auto"),
      gpu: gpuSetting.default(false),
      memoryBudget: z.union([bytes, z.literal("auto")]).default("auto"),
      idleTimeout: duration.default(300_000),
      maxQueue: z.number().int().min(0).default(64),
    })
    .prefault({}),
  huggingFace: z
    .strictObject({
      endpoint: z.url().default("https://huggingface.co"),
      token: z.string().optional(),
    })
    .prefault({}),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]),
  routes: z.array(routeSchema).default([]),
  policy: policySchema.optional(),
  safety: safetySchema.optional(),
  teams: z.array(teamSchema).default([]),
  costs: z
    .strictObject({
      prices: z.array(priceSchema).default([]),
      local: localCostSchema.optional(),
    })
    .prefault({}),
  audit: auditSchema.prefault({}),
  /** Usage and cost roll-ups per key, team, model, locality and day (default on; budgets need them). */
  usage: z
    .strictObject({
      enabled: z.boolean().default(true),
      /**
       * How often budget counters are compared with the usage tables and raised where they hold
       * less (a settle lost to a Redis failure or a crash); 0 turns it off. Default 5 minutes.
       */
      reconcileInterval: duration.default(300_000),
    })
    .prefault({}),
  storage: storageSchema.prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type ModelConfig = Config["models"][number];
export type ProviderConfig = Config["providers"][number];
export type RouteConfig = Config["routes"][number];
export type ConfigInput = z.input<typeof configSchema>;
export type PolicyConfig = z.output<typeof policySchema>;
export type PolicyRuleConfig = PolicyConfig["rules"][number];
export type ApiKeyConfig = Config["server"]["apiKeys"][number];
export type SafetyConfig = z.output<typeof safetySchema>;

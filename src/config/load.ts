import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { dataTypes } from "../core/guardrails/data-types.ts";
import { parse as parseYaml } from "yaml";
import { configSchema, type Config } from "./schema.ts";
import type { Environment } from "./env.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Settings given on the command line; they win over the environment and the file. */
export interface ConfigOverrides {
  configPath?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  dataDir?: string | undefined;
  threads?: number | undefined;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file: string | undefined;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function set(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (isTree(next)) node = next;
    else {
      const created: Tree = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1] as string] = value;
}

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new ConfigError(`${name}=${JSON.stringify(text)} is not an integer.`);
  return value;
}

function applyEnvironment(tree: Tree, env: Environment): void {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const host = text("HEARTH_HOST");
  if (host !== undefined) set(tree, "server.host", host);
  const port = text("HEARTH_PORT");
  if (port !== undefined) set(tree, "server.port", integer("HEARTH_PORT", port));
  const keys = text("HEARTH_API_KEYS");
  if (keys !== undefined) set(tree, "server.apiKeys", keys.split(",").map((key) => key.trim()).filter(Boolean));
  const maxBody = text("HEARTH_MAX_BODY");
  if (maxBody !== undefined) set(tree, "server.maxBodyBytes", maxBody);
  const dataDir = text("HEARTH_DATA_DIR");
  if (dataDir !== undefined) set(tree, "dataDir", dataDir);
  const logLevel = text("HEARTH_LOG_LEVEL");
  if (logLevel !== undefined) set(tree, "logLevel", logLevel);
  const threads = text("HEARTH_THREADS");
  if (threads !== undefined) set(tree, "engine.threads", threads === "auto" ? "auto" : integer("HEARTH_THREADS", threads));
  const gpu = text("HEARTH_GPU");
  if (gpu !== undefined) set(tree, "engine.gpu", gpu === "false" ? false : gpu);
  const budget = text("HEARTH_MEMORY_BUDGET");
  if (budget !== undefined) set(tree, "engine.memoryBudget", budget);
  const idle = text("HEARTH_IDLE_TIMEOUT");
  if (idle !== undefined) set(tree, "engine.idleTimeout", idle);
  const maxQueue = text("HEARTH_MAX_QUEUE");
  if (maxQueue !== undefined) set(tree, "engine.maxQueue", integer("HEARTH_MAX_QUEUE", maxQueue));
  const endpoint = text("HEARTH_HF_ENDPOINT");
  if (endpoint !== undefined) set(tree, "huggingFace.endpoint", endpoint);
  const token = text("HEARTH_HF_TOKEN") ?? text("HF_TOKEN");
  if (token !== undefined) set(tree, "huggingFace.token", token);
}

function expandHome(file: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/**
 * Builds the effective configuration: defaults < hearth.yaml < HEARTH_* variables < flags.
 * Every problem is reported with the offending key and the file it came from.
 */
export function loadConfig(overrides: ConfigOverrides, env: Environment, cwd: string = process.cwd()): LoadedConfig {
  const explicit = overrides.configPath ?? env.HEARTH_CONFIG;
  let file: string | undefined;
  if (explicit !== undefined && explicit !== "") {
    file = path.resolve(cwd, expandHome(explicit));
    if (!fs.existsSync(file)) throw new ConfigError(`Config file not found: ${file}`);
  } else {
    const candidate = path.resolve(cwd, "hearth.yaml");
    if (fs.existsSync(candidate)) file = candidate;
  }

  let tree: Tree = {};
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
    }
    if (parsed === null || parsed === undefined) parsed = {};
    if (!isTree(parsed)) throw new ConfigError(`${file}: the top level must be a mapping of settings.`);
    tree = parsed;
  }

  applyEnvironment(tree, env);
  if (overrides.host !== undefined) set(tree, "server.host", overrides.host);
  if (overrides.port !== undefined) set(tree, "server.port", overrides.port);
  if (overrides.dataDir !== undefined) set(tree, "dataDir", overrides.dataDir);
  if (overrides.threads !== undefined) set(tree, "engine.threads", overrides.threads);

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const where = file ?? "configuration";
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `  ${key}: ${issue.message}`;
    });
    throw new ConfigError(`${where}: invalid settings\n${lines.join("\n")}`);
  }

  const config = result.data;
  config.dataDir = path.resolve(cwd, expandHome(config.dataDir));
  const base = file !== undefined ? path.dirname(file) : cwd;
  for (const model of config.models) {
    if (model.path !== undefined) model.path = path.resolve(base, expandHome(model.path));
  }
  for (const dictionary of config.policy?.dictionaries ?? []) {
    if (dictionary.file !== undefined) dictionary.file = path.resolve(base, expandHome(dictionary.file));
  }
  const signingKey = config.audit.signingKey;
  if (signingKey !== undefined && !signingKey.includes("-----BEGIN")) config.audit.signingKey = path.resolve(base, expandHome(signingKey));

  checkReferences(config, file ?? "configuration", env);
  // Keys named by variable are read here, the one place that sees the environment.
  for (const provider of config.providers) {
    if (provider.apiKeyEnv !== undefined) provider.apiKey = env[provider.apiKeyEnv];
  }
  return { config, file };
}

/** Cross-references the schema cannot express: unique names, providers and targets that exist, keys present. */
export function checkReferences(config: Config, where: string, env: Environment): void {
  const fail = (message: string): never => {
    throw new ConfigError(`${where}: ${message}`);
  };
  const providers = new Map<string, Config["providers"][number]>();
  for (const provider of config.providers) {
    if (providers.has(provider.name)) fail(`providers: the name "${provider.name}" is used twice.`);
    providers.set(provider.name, provider);
    if (provider.apiKeyEnv !== undefined && (env[provider.apiKeyEnv] ?? "") === "") {
      fail(`providers.${provider.name}.apiKeyEnv: the environment variable ${provider.apiKeyEnv} is not set.`);
    }
  }
  const models = new Set<string>();
  for (const model of config.models) {
    if (models.has(model.name)) fail(`models: the name "${model.name}" is used twice.`);
    models.add(model.name);
    if (model.provider !== undefined && !providers.has(model.provider)) {
      const known = [...providers.keys()];
      fail(`models.${model.name}.provider: no provider named "${model.provider}"${known.length > 0 ? ` (providers: ${known.join(", ")})` : " (the providers list is empty)"}.`);
    }
  }
  const routes = new Set<string>();
  for (const route of config.routes) {
    if (routes.has(route.name)) fail(`routes: the name "${route.name}" is used twice.`);
    if (models.has(route.name)) fail(`routes.${route.name}: a model has the same name; a route needs its own name.`);
    routes.add(route.name);
    for (const target of route.targets) {
      if (!models.has(target.model)) fail(`routes.${route.name}.targets: "${target.model}" is not a configured model.`);
    }
  }
  const classifierModel = config.safety?.classifierModel;
  if (classifierModel !== undefined && !models.has(classifierModel)) fail(`safety.classifierModel: "${classifierModel}" is not a configured model.`);
  const policy = config.policy;
  if (policy !== undefined) {
    if (policy.localModel !== undefined && !models.has(policy.localModel) && !routes.has(policy.localModel)) {
      fail(`policy.localModel: "${policy.localModel}" is not a configured model or route.`);
    }
    // A rule naming a data class nothing reports would silently never match: refuse it.
    const known = new Set<string>([...Object.keys(dataTypes), "pii", "secret", "dictionary", "name", ...policy.dictionaries.map((dictionary) => dictionary.type)]);
    const names = new Set<string>();
    for (const [index, rule] of policy.rules.entries()) {
      if (names.has(rule.name)) fail(`policy.rules[${index}]: the name "${rule.name}" is used twice.`);
      names.add(rule.name);
      for (const name of rule.when.data ?? []) {
        if (!known.has(name)) fail(`policy.rules.${rule.name}.when.data: "${name}" is not a data type, a category (pii, secret, dictionary, name) or a dictionary type.`);
      }
      for (const model of rule.when.models ?? []) {
        if (!model.endsWith("*") && !models.has(model) && !routes.has(model)) fail(`policy.rules.${rule.name}.when.models: "${model}" is not a configured model or route.`);
      }
    }
    const namesModel = policy.names?.model;
    if (namesModel !== undefined) {
      const model = config.models.find((candidate) => candidate.name === namesModel);
      if (model === undefined) fail(`policy.names.model: "${namesModel}" is not a configured model.`);
      else if (model.provider !== undefined) fail(`policy.names.model: "${namesModel}" is a remote model; names are found on a local model only (the text must not leave to find what must not leave).`);
    }
    for (const name of policy.disable) {
      if (!(name in dataTypes)) fail(`policy.disable: "${name}" is not a built-in data type.`);
    }
  }
  const audit = config.audit;
  if (audit.enabled && (audit.bodies === "redacted" || audit.bodies === "full")) {
    const key = audit.encryptionKey === undefined ? undefined : Buffer.from(audit.encryptionKey, "base64");
    if (key === undefined || key.length !== 32) fail(`audit.encryptionKey: bodies "${audit.bodies}" are stored encrypted; give a 32-byte key in base64 (e.g. \`openssl rand -base64 32\`).`);
  }
  const budgeted = config.teams.some((team) => team.budget !== undefined) || config.server.apiKeys.some((key) => key.budget !== undefined);
  if (budgeted && !config.usage.enabled) fail("usage.enabled: budgets are configured, and they are counted from usage; turn usage on or remove the budgets.");
  const teamNames = new Set<string>();
  for (const team of config.teams) {
    if (teamNames.has(team.name)) fail(`teams: the team "${team.name}" is listed twice.`);
    teamNames.add(team.name);
  }
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The only module that reads process.env. Every variable Hearth honours is listed here with
 * its meaning and default; docs/configuration.md documents the same table (a test keeps the
 * two in step).
 */

export interface EnvVariable {
  name: string;
  /** The config key it overrides, in dotted form, or a description when it has none. */
  key: string;
  description: string;
}

export const environmentVariables: readonly EnvVariable[] = [
  { name: "HEARTH_CONFIG", key: "(file)", description: "Path of the config file (default ./hearth.yaml when present)." },
  { name: "HEARTH_HOST", key: "server.host", description: "Interface to bind (default 127.0.0.1)." },
  { name: "HEARTH_PORT", key: "server.port", description: "TCP port (default 8411)." },
  { name: "HEARTH_API_KEYS", key: "server.apiKeys", description: "Comma-separated bearer keys clients must send; required for a non-loopback bind." },
  { name: "HEARTH_MAX_BODY", key: "server.maxBodyBytes", description: "Largest accepted request body, e.g. 8MB (default 8MB)." },
  { name: "HEARTH_DATA_DIR", key: "dataDir", description: "Where the database, pulled models and the demo model live (default ~/.hearth)." },
  { name: "HEARTH_LOG_LEVEL", key: "logLevel", description: "debug, info, warn or error (default info)." },
  { name: "HEARTH_THREADS", key: "engine.threads", description: "CPU threads per local model (default: the machine's available parallelism)." },
  { name: "HEARTH_GPU", key: "engine.gpu", description: "off, auto, cuda, vulkan or metal (default off: CPU only)." },
  { name: "HEARTH_MEMORY_BUDGET", key: "engine.memoryBudget", description: "Memory local models may use together, e.g. 12GB (default 75% of RAM)." },
  { name: "HEARTH_IDLE_TIMEOUT", key: "engine.idleTimeout", description: "How long an unused model stays loaded, e.g. 5m (default 5m)." },
  { name: "HEARTH_MAX_QUEUE", key: "engine.maxQueue", description: "Requests that may wait per model before Hearth answers 503 (default 64)." },
  { name: "HEARTH_HF_ENDPOINT", key: "huggingFace.endpoint", description: "Hugging Face endpoint for `hearth pull` (default https://huggingface.co)." },
  { name: "HF_TOKEN", key: "huggingFace.token", description: "Hugging Face token for gated repositories (also HEARTH_HF_TOKEN). Never logged." },
  { name: "HEARTH_HF_TOKEN", key: "huggingFace.token", description: "Same as HF_TOKEN; wins when both are set." },
  { name: "HEARTH_URL", key: "(clients)", description: "Base URL the CLI clients (`hearth chat`, `hearth models`) talk to (default http://127.0.0.1:8411)." },
  { name: "HEARTH_API_KEY", key: "(clients)", description: "Bearer key the CLI clients send." },
];

export type Environment = Readonly<Record<string, string | undefined>>;

/** A snapshot of the process environment; everything else receives values, never process.env. */
export function processEnvironment(): Environment {
  return process.env;
}

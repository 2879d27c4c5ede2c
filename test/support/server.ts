import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { compose, type Composition } from "../../src/compose.ts";
import { configSchema, type ConfigInput } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { generateLlamaModel, presets } from "../../src/dev/gguf/index.ts";
import { listen, type RunningServer } from "../../src/http/serve.ts";

export interface TestServer {
  url: string;
  client: OpenAI;
  composition: Composition;
  server: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

const modelCache = new Map<string, Promise<string>>();

/** A tiny random-weight llama model (generated once per process and seed). */
export function tinyModel(seed = 1): Promise<string> {
  const key = String(seed);
  let pending = modelCache.get(key);
  if (pending === undefined) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hearth-test-model-")), `tiny-${seed}.gguf`);
    pending = generateLlamaModel({ ...presets.tiny, path: file, seed }).then((model) => model.path);
    modelCache.set(key, pending);
  }
  return pending;
}

/** Starts a real Hearth (compose + HTTP on 127.0.0.1, random port) with the given config. */
export async function startServer(input: Omit<ConfigInput, "dataDir"> & { dataDir?: string }): Promise<TestServer> {
  const dataDir = input.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "hearth-test-data-"));
  const config = configSchema.parse({ ...input, dataDir, server: { port: 0, ...input.server } });
  const composition = await compose(config, silentLogger);
  const server = await listen(composition.app, "127.0.0.1", 0);
  const apiKey = config.server.apiKeys[0]?.key ?? "unused";
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  return {
    url: server.url,
    client,
    composition,
    server,
    dataDir,
    async close() {
      await server.close(2_000);
      await composition.close();
    },
  };
}

/** Model settings for tests: one thread (fastest for tiny models), a small context. */
export async function tinyModelConfig(name = "tiny", overrides: Record<string, unknown> = {}) {
  return { name, path: await tinyModel(), contextSize: 512, parallel: 2, threads: 1, ...overrides };
}

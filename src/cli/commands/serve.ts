import os from "node:os";
import path from "node:path";
import { compose, demoModelName, version } from "../../compose.ts";
import { ConfigError, isLoopback, loadConfig, type ConfigOverrides } from "../../config/load.ts";
import type { Environment } from "../../config/env.ts";
import { createStreamLogger } from "../../core/logger.ts";
import { ensureDemoModel } from "../../dev/gguf/index.ts";
import { listen } from "../../http/serve.ts";

export interface ServeOptions extends ConfigOverrides {
  /** Generate (once) and serve the small demo model. */
  demo?: boolean | undefined;
  /** Serve this GGUF file as a model named after the file. */
  model?: string | undefined;
}

/** `hearth serve`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function serveCommand(options: ServeOptions, env: Environment): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(options, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { config } = loaded;
  const logger = createStreamLogger(config.logLevel);


  if (options.model !== undefined) {
    const file = path.resolve(options.model);
    const name = path.basename(file).replace(/\.gguf$/i, "");
    config.models.push({ name, path: file, contextSize: 4096, parallel: 2, embedding: true, chat: true, defaults: {} });
  }
  if (options.demo === true) {
    const started = performance.now();
    const file = await ensureDemoModel(path.join(config.dataDir, "models", "demo"));
    logger.info("demo model ready", { path: file, ms: Math.round(performance.now() - started) });
    if (!config.models.some((model) => model.name === demoModelName)) {
      config.models.push({
        name: demoModelName,
        path: file,
        contextSize: 2048,
        parallel: 4,
        threads: Math.min(2, os.availableParallelism()),
        embedding: true,
        chat: true,
        defaults: {},
      });
    }
  }
  if (config.models.length === 0) {
    logger.warn("no models configured: add `models:` to hearth.yaml, pass --model <file.gguf>, or run with --demo");
  }

  const composition = await compose(config, logger);
  if (!isLoopback(config.server.host) && !(await composition.keys.authRequired())) {
    await composition.close();
    process.stderr.write(
      `hearth: refusing to listen on ${config.server.host} without authentication. Set server.apiKeys in hearth.yaml or HEARTH_API_KEYS, create a key with \`hearth keys create\`, or bind 127.0.0.1.\n`,
    );
    return 2;
  }
  let server;
  try {
    server = await listen(composition.app, config.server.host, config.server.port);
  } catch (error) {
    await composition.close();
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? `port ${config.server.port} is already in use (set --port or HEARTH_PORT)` : String((error as Error).message);
    process.stderr.write(`hearth: cannot listen on ${config.server.host}:${config.server.port}: ${reason}\n`);
    return 1;
  }
  logger.info(`Hearth ${version} listening on ${server.url}`, {
    models: config.models.map((model) => model.name),
    ...(config.routes.length > 0 ? { routes: config.routes.map((route) => route.name) } : {}),
    dataDir: config.dataDir,
    auth: await composition.keys.authRequired(),
  });
  // A line tests and scripts can wait for, even when logs are JSON.
  process.stdout.write(`Hearth listening on ${server.url}\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write("hearth: forced exit\n");
        process.exit(1);
      }
      stopping = true;
      logger.info("shutting down", { signal });
      void server
        .close(10_000)
        .then(() => composition.close())
        .then(
          () => resolve(0),
          (error: unknown) => {
            logger.error("shutdown failed", { error: String(error) });
            resolve(1);
          },
        );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { version } from "../compose.ts";
import { loadConfig, ConfigError } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { environmentVariables, processEnvironment } from "../config/env.ts";
import { chatCommand } from "./commands/chat.ts";
import { modelsCommand } from "./commands/models.ts";
import { policyExplainCommand, policyTestCommand } from "./commands/policy.ts";
import { pullCommand } from "./commands/pull.ts";
import { reviewsDecideCommand, reviewsListCommand } from "./commands/reviews.ts";
import { serveCommand } from "./commands/serve.ts";

const env = processEnvironment();

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return parsed;
}

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError("expected a number");
  return parsed;
}

/** The validated config, or undefined after printing the problem (exit code 2). */
function configOrExit(options: { configPath?: string | undefined; dataDir?: string | undefined }): Config | undefined {
  try {
    return loadConfig(options, env).config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth: ${error.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    throw error;
  }
}

function serverUrl(option: string | undefined): string {
  return option ?? env.HEARTH_URL ?? "http://127.0.0.1:8411";
}

const program = new Command()
  .name("hearth")
  .description("Self-hosted AI gateway: local open-weight models behind the OpenAI API.")
  .version(version)
  .showHelpAfterError()
  .addHelpText(
    "after",
    `\nEnvironment variables:\n${environmentVariables.map((variable) => `  ${variable.name.padEnd(22)} ${variable.description}`).join("\n")}\n\nDocs: docs/configuration.md`,
  );

program
  .command("serve")
  .description("Start the HTTP server (default http://127.0.0.1:8411).")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--host <host>", "interface to bind")
  .option("-p, --port <port>", "TCP port (0 picks a free one)", integer)
  .option("--data-dir <dir>", "where the database and models live")
  .option("--threads <n>", "CPU threads per local model", integer)
  .option("--model <file.gguf>", "also serve this GGUF file, named after the file")
  .option("--demo", "generate (once) and serve a small offline demo model named hearth-demo")
  .action(async (options: { config?: string; host?: string; port?: number; dataDir?: string; threads?: number; model?: string; demo?: boolean }) => {
    process.exitCode = await serveCommand(
      {
        configPath: options.config,
        host: options.host,
        port: options.port,
        dataDir: options.dataDir,
        threads: options.threads,
        model: options.model,
        demo: options.demo,
      },
      env,
    );
  });

program
  .command("chat")
  .description("Chat with a model through the running server (reads stdin when it is not a terminal).")
  .option("-m, --model <name>", "model name (default: the server's first model)")
  .option("-s, --system <text>", "system prompt")
  .option("-t, --temperature <t>", "sampling temperature", number)
  .option("--max-tokens <n>", "limit the reply length", integer)
  .option("--url <url>", "server URL (default $HEARTH_URL or http://127.0.0.1:8411)")
  .option("--json", "non-interactive: print the whole chat.completion object")
  .action(async (options: { model?: string; system?: string; temperature?: number; maxTokens?: number; url?: string; json?: boolean }) => {
    process.exitCode = await chatCommand({
      baseUrl: serverUrl(options.url),
      apiKey: env.HEARTH_API_KEY,
      model: options.model,
      system: options.system,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      json: options.json,
      input: process.stdin,
      output: process.stdout,
      errorOutput: process.stderr,
      isTTY: process.stdin.isTTY === true && process.stdout.isTTY === true,
    });
  });

program
  .command("models")
  .description("List the server's models and their state.")
  .option("--url <url>", "server URL (default $HEARTH_URL or http://127.0.0.1:8411)")
  .option("--json", "print the raw model list")
  .action(async (options: { url?: string; json?: boolean }) => {
    process.exitCode = await modelsCommand({
      baseUrl: serverUrl(options.url),
      apiKey: env.HEARTH_API_KEY,
      json: options.json,
      output: process.stdout,
      errorOutput: process.stderr,
    });
  });

program
  .command("pull")
  .description("Download a GGUF model: hearth pull hf:<owner>/<repo>[@revision]/<file>.gguf")
  .argument("<uri>", "hf: URI of a .gguf file")
  .option("-c, --config <file>", "config file (for dataDir and the Hugging Face endpoint)")
  .option("--data-dir <dir>", "where models are stored (<dir>/models)")
  .option("--sha256 <hex>", "expected SHA-256 of the file")
  .option("--json", "print the result as JSON")
  .option("--force", "download again even if the file is already present")
  .addOption(new Option("--endpoint <url>", "Hugging Face endpoint").hideHelp())
  .action(async (uri: string, options: { config?: string; dataDir?: string; sha256?: string; json?: boolean; force?: boolean; endpoint?: string }) => {
    const config = configOrExit({ configPath: options.config, dataDir: options.dataDir });
    if (config === undefined) return;
    process.exitCode = await pullCommand(uri, {
      modelsDir: path.join(config.dataDir, "models"),
      endpoint: options.endpoint ?? config.huggingFace.endpoint,
      token: config.huggingFace.token,
      sha256: options.sha256,
      json: options.json,
      force: options.force,
    });
  });

const policy = program.command("policy").description("Evaluate the configured policy without calling any model (in-process; no server needed).");

for (const name of ["explain", "test"] as const) {
  policy
    .command(name)
    .description(
      name === "explain"
        ? "Show what the policy does with one request: findings, the rule matched per destination, the resulting route."
        : "Run the policy against example requests with expected outcomes (a YAML file of `cases:`); exit 1 on a mismatch.",
    )
    .argument("<file>", name === "explain" ? "a request (JSON/YAML): { endpoint?, request, key?, team?, tags? } or a bare chat request" : "a YAML file with `cases:`")
    .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
    .option("--json", "print JSON")
    .action(async (file: string, options: { config?: string; json?: boolean }) => {
      const config = configOrExit({ configPath: options.config });
      if (config === undefined) return;
      const run = name === "explain" ? policyExplainCommand : policyTestCommand;
      process.exitCode = await run({ config, file, json: options.json, output: process.stdout, errorOutput: process.stderr });
    });
}

const reviews = program.command("reviews").description("List and decide requests held for human review (policy action `review`).");

reviews
  .command("list")
  .description("List reviews, newest first (default: the pending queue).")
  .option("--status <status>", "pending, approved, denied, expired or all", "pending")
  .option("--url <url>", "server URL (default $HEARTH_URL or http://127.0.0.1:8411)")
  .option("--json", "print the server's review list unchanged")
  .action(async (options: { status: string; url?: string; json?: boolean }) => {
    process.exitCode = await reviewsListCommand({
      baseUrl: serverUrl(options.url),
      apiKey: env.HEARTH_API_KEY,
      status: options.status,
      json: options.json,
      output: process.stdout,
      errorOutput: process.stderr,
    });
  });

for (const decision of ["approve", "deny"] as const) {
  reviews
    .command(decision)
    .description(decision === "approve" ? "Approve a held request: the waiting client gets its answer." : "Deny a held request: the waiting client gets a refusal.")
    .argument("<id>", "review id (see `hearth reviews list`)")
    .option("--note <text>", "why, recorded with the decision")
    .option("--by <name>", "who decides (default: your user name)")
    .option("--url <url>", "server URL (default $HEARTH_URL or http://127.0.0.1:8411)")
    .option("--json", "print the decided review as JSON")
    .action(async (id: string, options: { note?: string; by?: string; url?: string; json?: boolean }) => {
      process.exitCode = await reviewsDecideCommand({
        baseUrl: serverUrl(options.url),
        apiKey: env.HEARTH_API_KEY,
        id,
        decision,
        note: options.note,
        by: options.by,
        json: options.json,
        output: process.stdout,
        errorOutput: process.stderr,
      });
    });
}

await program.parseAsync(process.argv);

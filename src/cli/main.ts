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
import { keysCreateCommand, keysListCommand, keysRevokeCommand, usageCommand, type KeyCommandContext } from "./commands/keys.ts";
import { auditSigningKey, openAdministration, openAuditStore } from "../compose.ts";
import { auditExport, auditKeygen, auditPrune, auditVerify } from "./commands/audit.ts";
import { createAuditSigner } from "../core/audit/signing.ts";
import fs from "node:fs";
import { runTco } from "./commands/tco.ts";

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

function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function time(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError("expected an ISO 8601 date (2026-11-01) or epoch milliseconds");
  return parsed;
}

/** Runs an administrative command on the configured storage; exit code 2 on a bad config. */
async function administer(options: { config?: string; json?: boolean }, run: (context: KeyCommandContext, usage: Awaited<ReturnType<typeof openAdministration>>) => Promise<number>): Promise<void> {
  const config = configOrExit({ configPath: options.config });
  if (config === undefined) return;
  const administration = await openAdministration(config);
  try {
    process.exitCode = await run({ keys: administration.keys, audit: administration.audit, output: process.stdout, errorOutput: process.stderr, json: options.json }, administration);
  } finally {
    await administration.close();
  }
}

const keys = program.command("keys").description("Virtual API keys: create (shown once), list, revoke. In-process on the configured storage.");

keys
  .command("create")
  .description("Create a key and print it (the only time it is shown; Hearth stores its SHA-256 digest).")
  .argument("<name>", "unique name: what logs, audit entries, usage and policy rules call the key")
  .option("--team <team>", "the key's team (team limits in hearth.yaml `teams:` apply)")
  .option("--admin", "an admin key: manages keys, reads all usage and the audit log, decides reviews")
  .option("--models <names>", "comma-separated model/route names the key may use (`*` suffix = prefix)", list)
  .option("--localities <list>", "comma-separated: in-process, self-hosted, third-party", list)
  .option("--rpm <n>", "requests per minute", integer)
  .option("--tpm <n>", "tokens per minute", integer)
  .option("--budget-day <usd>", "USD per UTC day", number)
  .option("--budget-month <usd>", "USD per UTC month", number)
  .option("--expires <date>", "stop working after this time (ISO 8601 or epoch ms)", time)
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print the key and its settings as JSON")
  .action(async (name: string, options: { team?: string; admin?: boolean; models?: string[]; localities?: string[]; rpm?: number; tpm?: number; budgetDay?: number; budgetMonth?: number; expires?: number; config?: string; json?: boolean }) => {
    await administer(options, (context) =>
      keysCreateCommand(context, {
        name,
        team: options.team,
        admin: options.admin,
        models: options.models,
        localities: options.localities,
        rpm: options.rpm,
        tpm: options.tpm,
        budgetDay: options.budgetDay,
        budgetMonth: options.budgetMonth,
        expiresAt: options.expires,
      }),
    );
  });

keys
  .command("list")
  .description("List the keys in the database (never the keys themselves).")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print JSON")
  .action(async (options: { config?: string; json?: boolean }) => {
    await administer(options, (context) => keysListCommand(context));
  });

keys
  .command("revoke")
  .description("Revoke a key by id or name (a running server refuses it within 5 s).")
  .argument("<key>", "key id (key_…) or name")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print the revoked key as JSON")
  .action(async (idOrName: string, options: { config?: string; json?: boolean }) => {
    await administer(options, (context) => keysRevokeCommand(context, idOrName));
  });

program
  .command("usage")
  .description("Requests, tokens and cost for every endpoint, local models included (in-process on the configured storage).")
  .option("--since <date>", "from this UTC day on (ISO 8601 or epoch ms)", time)
  .option("--until <date>", "before this time (ISO 8601 or epoch ms)", time)
  .option("--by <dimensions>", "group by: key, team, model, provider, locality, endpoint, day (comma-separated)", list, ["day", "model"])
  .option("--key <name>", "only this key")
  .option("--team <team>", "only this team")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print JSON")
  .action(async (options: { since?: number; until?: number; by: string[]; key?: string; team?: string; config?: string; json?: boolean }) => {
    await administer(options, async (_context, administration) => {
      const usage = administration.storage.usage;
      if (usage === undefined) {
        process.stderr.write("hearth usage: the configured storage keeps no usage\n");
        return 1;
      }
      return usageCommand({ usage, since: options.since, until: options.until, groupBy: options.by, key: options.key, team: options.team, json: options.json, output: process.stdout, errorOutput: process.stderr });
    });
  });

const audit = program.command("audit").description("The tamper-evident audit log: verify, export, prune, keygen (in-process on the configured database; no server needed).");

/** Opens the configured audit store (or `--database <file>`: a SQLite copy), runs `run`, closes it. */
async function withAuditStore(options: { config?: string; database?: string }, run: (store: Awaited<ReturnType<typeof openAuditStore>>, config: Config) => Promise<number>): Promise<void> {
  const config = configOrExit({ configPath: options.config });
  if (config === undefined) return;
  let store;
  try {
    store = options.database === undefined ? await openAuditStore(config) : await (await import("../storage/sqlite/audit.ts")).openSqliteAuditStore(options.database);
  } catch (error) {
    process.stderr.write(`hearth audit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  try {
    process.exitCode = await run(store, config);
  } finally {
    await store.close();
  }
}

audit
  .command("verify")
  .description("Check every entry's hash chain and every signed checkpoint; report any edit, deletion, insertion or reordering and where. Exit 1 when a problem is found.")
  .option("--public-key <file>", "PEM public key(s) checkpoints must be signed with (repeatable; default: the configured signing key's)", collect)
  .option("--checkpoint <id:hash>", "a checkpoint recorded elsewhere earlier (detects deleted newest checkpoints)")
  .option("--database <file>", "verify this SQLite file (a copy) instead of the configured storage")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print the whole report as JSON")
  .action(async (options: { publicKey?: string[]; checkpoint?: string; database?: string; config?: string; json?: boolean }) => {
    await withAuditStore(options, async (store, config) => {
      const publicKey = options.publicKey === undefined ? auditSigningKey(config).publicKeyPem : options.publicKey.map((file) => fs.readFileSync(file, "utf8"));
      return auditVerify({ store, publicKey, knownCheckpoint: options.checkpoint, json: options.json, output: process.stdout, errorOutput: process.stderr });
    });
  });

audit
  .command("export")
  .description("Write entries (with their hashes, so the file verifies offline) as JSON lines or CSV.")
  .option("--since <date>", "from this time (ISO 8601 or epoch ms)", time)
  .option("--until <date>", "before this time (ISO 8601 or epoch ms)", time)
  .option("--format <format>", "jsonl or csv", "jsonl")
  .option("-o, --output <file>", "write to this file instead of stdout")
  .option("--database <file>", "export from this SQLite file instead of the configured storage")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .action(async (options: { since?: number; until?: number; format: string; output?: string; database?: string; config?: string }) => {
    await withAuditStore(options, async (store) => {
      const output = options.output === undefined ? process.stdout : fs.createWriteStream(options.output);
      try {
        return await auditExport({ store, format: options.format as "jsonl" | "csv", since: options.since, until: options.until, output, errorOutput: process.stderr });
      } finally {
        if (output !== process.stdout) await new Promise((resolve) => (output as fs.WriteStream).end(resolve));
      }
    });
  });

audit
  .command("prune")
  .description("Delete entries older than a time, keeping the log verifiable (a signed checkpoint anchors where each chain resumes).")
  .requiredOption("--before <date>", "delete entries older than this (ISO 8601 or epoch ms)", time)
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .option("--json", "print JSON")
  .action(async (options: { before: number; config?: string; json?: boolean }) => {
    const config = configOrExit({ configPath: options.config });
    if (config === undefined) return;
    await withAuditStore(options, async (store) => {
      const code = await auditPrune({ store, before: options.before, signer: createAuditSigner(auditSigningKey(config).privateKeyPem), json: options.json, output: process.stdout, errorOutput: process.stderr });
      if (code === 0) {
        const administration = await openAdministration(config);
        try {
          await administration.audit("audit.prune", new Date(options.before).toISOString(), 200);
        } finally {
          await administration.close();
        }
      }
      return code;
    });
  });

audit
  .command("keygen")
  .description("Print a new Ed25519 key pair for audit.signingKey (private) and for verifiers (public).")
  .option("--json", "print JSON")
  .action(async (options: { json?: boolean }) => {
    process.exitCode = await auditKeygen({ output: process.stdout, json: options.json });
  });

audit
  .command("public-key")
  .description("Print the public key of the configured signing key (give it to whoever verifies the log).")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present)")
  .action((options: { config?: string }) => {
    const config = configOrExit({ configPath: options.config });
    if (config === undefined) return;
    process.stdout.write(auditSigningKey(config).publicKeyPem);
  });

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

program
  .command("tco")
  .description("Total cost of ownership at your volume: each closed API vs self-hosting on given hardware; a table, and with --html a page with the break-even chart.")
  .requiredOption("--tokens-per-month <n>", "tokens per month, e.g. 5e8, 500M, 2B")
  .option("--input-share <share>", "share of tokens that are input (default 0.75)")
  .option("--cached-share <share>", "share of input read from the vendor's prompt cache (default 0)")
  .option("--models <list>", "closed models to compare (comma-separated; default a representative set)")
  .option("--name <label>", "label of the self-hosted option")
  .option("--gpu-hourly <usd>", "rented machine: USD per hour")
  .option("--hardware-cost <usd>", "bought machine: purchase price")
  .option("--amortisation-months <n>", "months to write the purchase off over (default 36)")
  .option("--power-watts <w>", "draw while generating")
  .option("--idle-watts <w>", "draw while idle")
  .option("--electricity-price <usd>", "USD per kWh (default 0.15)")
  .option("--utilisation <share>", "highest share of the month a machine is kept busy before adding one (default 0.5)")
  .option("--overhead <usd>", "other fixed USD per machine per month")
  .option("--prompt-tps <n>", "prompt tokens/s per machine (default: from `npm run bench:local` results)")
  .option("--decode-tps <n>", "generated tokens/s per machine (default: from `npm run bench:local` results)")
  .option("--bench-file <file>", "a bench:local result file (default <dataDir>/bench/local-latest.json)")
  .option("--price <model=in:out[:cached]>", "USD per 1M tokens for a model (repeatable)", collect)
  .option("--html <file>", "also write a self-contained HTML page with the chart")
  .option("-c, --config <file>", "config file (default ./hearth.yaml when present): price overrides and dataDir")
  .option("--json", "print JSON")
  .action(async (options: Record<string, string | undefined> & { price?: string[]; json?: boolean }) => {
    const config = configOrExit({ configPath: options.config });
    if (config === undefined) return;
    process.exitCode = await runTco({
      tokensPerMonth: options.tokensPerMonth as string,
      inputShare: options.inputShare,
      cachedShare: options.cachedShare,
      models: options.models,
      name: options.name,
      gpuHourly: options.gpuHourly,
      hardwareCost: options.hardwareCost,
      amortisationMonths: options.amortisationMonths,
      powerWatts: options.powerWatts,
      idleWatts: options.idleWatts,
      electricityPrice: options.electricityPrice,
      utilisation: options.utilisation,
      overheadPerMonth: options.overhead,
      promptTps: options.promptTps,
      decodeTps: options.decodeTps,
      benchFile: options.benchFile,
      dataDir: config.dataDir,
      prices: options.price,
      priceOverrides: config.costs.prices,
      html: options.html,
      json: options.json,
      output: process.stdout,
      errorOutput: process.stderr,
    });
  });

await program.parseAsync(process.argv);

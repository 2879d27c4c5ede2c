/**
 * `npm run bench:gateway` — what does Hearth add on top of an OpenAI-compatible upstream, and how
 * does it compare with Portkey's open-source gateway? In one run, on loopback, against an upstream
 * that answers instantly (a child process), it measures for the upstream directly, through Hearth
 * and through Portkey (when installed: `npm run bench:install-portkey`):
 *   (a) throughput: autocannon, 32 connections, JSON and streamed chat completions;
 *   (b) unloaded added latency: one connection, sequential requests, p50/p99 — for streams also
 *       the time to the first byte and to the first content of the body;
 *   (c) the gateways' resident memory (VmRSS) while load runs, and CPU time per request.
 * Prints a table and the ratios the issue judges by (or `--json`). `--soak <s>` instead runs a long
 * JSON + stream load against Hearth and reports whether its RSS stays flat.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { summarizeProfile, type ProfileSummary, type CpuProfile } from "./gateway/cpu-profile.ts";
import { measureSequential, measureThroughput, SequentialClient, type SequentialResult, type Target, type ThroughputResult, type Variant } from "./gateway/load.ts";
import { formatMegabytes, ResidentSampler, slopeMegabytesPerMinute, summarizeMemory, type MemorySummary } from "./gateway/memory.ts";
import {
  installedPortkeyVersion,
  loopbackPreload,
  portkeyHeaders,
  portkeyMissingMessage,
  portkeyPrefix,
  resolvePortkeyServer,
} from "./gateway/portkey.ts";
import { answers, killChildren, nodeBinary, startChild, type BenchChild } from "./gateway/processes.ts";
import { fullContent, parseStreamedContent, requestBody } from "./gateway/upstream-fixture.ts";
import {
  formatAddedMilliseconds,
  formatMegabytesValue,
  formatTimes,
  judge,
  percentile,
  verdictLabel,
  type Verdict,
} from "./gateway/verdicts.ts";
import { createProgress, stopOnSignals, type Progress } from "./progress.ts";
import { freePort, processCpuMilliseconds } from "./server-process.ts";
import { bootstrapInterval, geometricMean, median, ratio } from "./statistics.ts";
import { formatNumber, formatTable } from "./table.ts";

export interface GatewayBenchOptions {
  quick: boolean;
  /** Seconds of each measured autocannon run. */
  duration: number;
  /** Seconds of autocannon warm-up before each measured run. */
  warmup: number;
  connections: number;
  /** Throughput rounds per target (alternating); the median is reported. */
  rounds: number;
  /** Sequential requests per target and variant. */
  requests: number;
  portkey: boolean;
  /** Also measure bench/gateway/reference-proxy.ts: the least a Node gateway does, on this machine. */
  reference: boolean;
  /** Seconds of soak load against Hearth (replaces the comparison); undefined: no soak. */
  soak: number | undefined;
  /** Record a CPU profile of the Hearth process (`--cpu-prof`) and summarise it. */
  profile: boolean;
  /** Also measure a Hearth with the issue's policy and safety filters (not judged; its cost). */
  policy: boolean;
  /** Also measure a Hearth with the audit log and usage accounting off (issue 5: on must keep ≥ 90% of off). */
  accounting: boolean;
  /** Also measure a Hearth whose audit log writes on a worker thread (`audit.writerThread`; not judged). */
  writerThread: boolean;
  /**
   * With `accounting`: this many extra rounds that load Hearth and Hearth−audit at the same time
   * (each with its own connections), so both see the same moment of a noisy machine. 0: none.
   */
  simultaneous: number;
  json: boolean;
}

const repositoryRoot = join(import.meta.dirname, "..");
const hearthModel = "bench-model";
const upstreamModel = "gpt-bench";
const chatPath = "/v1/chat/completions";
const variants: readonly Variant[] = ["json", "stream"];
const sequentialBlock = 50;

/** The issue's targets. */
export const targets = {
  throughputRatio: 10,
  addedP50Milliseconds: 0.2,
  addedFirstByteMilliseconds: 1,
  maxResidentMegabytes: 150,
  /** bench:gateway's reading of "RSS flat across a 5-minute run". */
  soakSlopeMegabytesPerMinute: 1,
  /** Issue 5: with the audit log (fast) and usage on, at least this share of the req/s with both off. */
  accountingThroughputShare: 0.9,
} as const;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return parsed;
}

export function parseOptions(argv: readonly string[]): GatewayBenchOptions {
  const program = new Command("bench:gateway")
    .description("Gateway overhead: an instant upstream directly vs through Hearth vs through Portkey's gateway")
    .option("--quick", "short runs: 3 s of load, 300 sequential requests", false)
    .option("--duration <seconds>", "seconds of each measured throughput run (default 10; 3 with --quick)", positiveInteger)
    .option("--warmup <seconds>", "seconds of warm-up load before each measured run (default 2; 1 with --quick)", positiveInteger)
    .option("--connections <n>", "concurrent connections for throughput", positiveInteger, 32)
    .option("--rounds <n>", "measure each target's throughput this many times, alternating targets; report the median round", positiveInteger, 1)
    .option("--requests <n>", "sequential requests per target for unloaded latency (default 2000; 300 with --quick)", positiveInteger)
    .option("--no-portkey", "leave Portkey out even when it is installed")
    .option("--no-reference", "leave out the minimal Node proxy measured as a reference")
    .option("--soak <seconds>", "instead of the comparison: JSON + stream load against Hearth for this long, RSS every 30 s", positiveInteger)
    .option("--profile", "record a CPU profile of the Hearth process and print where its time goes", false)
    .option("--policy", "also measure a second Hearth with the issue's policy and the safety filters on (docs/policy.md)", false)
    .option("--accounting", "also measure a Hearth with the audit log and usage off, and judge Hearth (audit fast + usage on, the default) against it", false)
    .option("--simultaneous <n>", "with --accounting: also n rounds that load Hearth and Hearth−audit at the same time, and judge the median of their per-round ratios", nonNegativeInteger, 0)
    .option("--writer-thread", "also measure a Hearth whose audit log writes on a worker thread (audit.writerThread); with --accounting, its ratio to the Hearth without audit is noted", false)
    .option("--json", "print one JSON object on stdout", false)
    .allowExcessArguments(false);
  program.parse(argv, { from: "user" });
  const parsed = program.opts<{
    quick: boolean;
    duration?: number;
    warmup?: number;
    connections: number;
    rounds: number;
    requests?: number;
    portkey: boolean;
    reference: boolean;
    soak?: number;
    profile: boolean;
    policy: boolean;
    accounting: boolean;
    writerThread: boolean;
    simultaneous: number;
    json: boolean;
  }>();
  return {
    quick: parsed.quick,
    duration: parsed.duration ?? (parsed.quick ? 3 : 10),
    warmup: parsed.warmup ?? (parsed.quick ? 1 : 2),
    connections: parsed.connections,
    rounds: parsed.rounds,
    requests: parsed.requests ?? (parsed.quick ? 300 : 2000),
    portkey: parsed.portkey,
    reference: parsed.reference,
    soak: parsed.soak,
    profile: parsed.profile,
    policy: parsed.policy,
    accounting: parsed.accounting,
    writerThread: parsed.writerThread,
    simultaneous: parsed.simultaneous,
    json: parsed.json,
  };
}

/** Milliseconds of one target's sequential requests. */
export interface LatencySummary {
  count: number;
  failures: number;
  p50: number;
  p99: number;
  firstByteP50: number;
  firstByteP99: number;
  firstContentP50: number;
  firstContentP99: number;
}

export interface TargetResult {
  key: string;
  label: string;
  /** undefined when the target could not be measured (see notes). */
  pid: number | undefined;
  throughput: Partial<Record<Variant, ThroughputResult & RoundCpu>>;
  latency: Partial<Record<Variant, LatencySummary>>;
  memory: (MemorySummary & { idleBytes: number | undefined }) | undefined;
}

/** CPU seen during one measured throughput run. */
export interface RoundCpu {
  cpuMillisecondsPerRequest: number;
  /** CPU time of the target's process over the run's wall time: how many cores it kept busy. */
  busyCores: number;
  /** The same for this process, which runs the load generator (autocannon, one thread). */
  loadGeneratorCores: number;
  upstreamRequests: number;
}

/** One round of `--simultaneous`: both Hearths under load at once. */
export interface SimultaneousRound {
  on: ThroughputResult & RoundCpu;
  off: ThroughputResult & RoundCpu;
  /** on ÷ off req/s. */
  ratio: number;
}

export interface GatewayBenchResult {
  date: string;
  machine: { cpuModel: string; cores: number; platform: string; node: string };
  settings: Omit<GatewayBenchOptions, "json">;
  portkeyVersion: string | undefined;
  targets: TargetResult[];
  /** target p50 − direct p50 (ms), per gateway. */
  added: Record<string, { jsonP50: number; streamFirstByteP50: number; streamFirstContentP50: number; streamEndP50: number }>;
  verdicts: Verdict[];
  /** `--simultaneous`: Hearth and Hearth−audit loaded at the same time, round by round. */
  simultaneous: Partial<Record<Variant, SimultaneousRound[]>>;
  profile: ProfileSummary | undefined;
  /** Failed requests or targets: the numbers above are then not trustworthy. */
  failures: string[];
  notes: string[];
}

export interface SoakResult {
  date: string;
  machine: GatewayBenchResult["machine"];
  durationSeconds: number;
  connections: number;
  checkpoints: Array<{ seconds: number; residentBytes: number }>;
  startBytes: number | undefined;
  endBytes: number | undefined;
  maxBytes: number | undefined;
  slopeMegabytesPerMinute: number;
  /** Slope after the first fifth of the run (start-up and JIT warm-up excluded). */
  slopeAfterWarmupMegabytesPerMinute: number;
  throughput: Partial<Record<Variant, ThroughputResult>>;
  verdicts: Verdict[];
  failures: string[];
  notes: string[];
}

function machine(): GatewayBenchResult["machine"] {
  return { cpuModel: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), platform: `${process.platform}-${process.arch}`, node: process.version };
}

/** The caller's environment without HEARTH_* settings: the config file alone decides Hearth's setup. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("HEARTH_")));
}

async function startUpstream(): Promise<{ child: BenchChild; port: number }> {
  const child = await startChild({
    name: "upstream",
    args: [join(import.meta.dirname, "gateway", "upstream.ts")],
    cwd: repositoryRoot,
    env: cleanEnvironment(),
    ready: (output) => /\{"port":\d+\}/.test(output),
    startTimeoutMilliseconds: 20_000,
  });
  const port = Number(/\{"port":(\d+)\}/.exec(child.output())?.[1]);
  return { child, port };
}

async function startReferenceProxy(upstreamPort: number): Promise<{ child: BenchChild; origin: string }> {
  const child = await startChild({
    name: "reference proxy",
    args: [join(import.meta.dirname, "gateway", "reference-proxy.ts"), `http://127.0.0.1:${upstreamPort}`, upstreamModel],
    cwd: repositoryRoot,
    env: cleanEnvironment(),
    ready: (output) => /\{"port":\d+\}/.test(output),
    startTimeoutMilliseconds: 20_000,
  });
  return { child, origin: `http://127.0.0.1:${/\{"port":(\d+)\}/.exec(child.output())?.[1]}` };
}

async function upstreamRequestCount(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`);
  return ((await response.json()) as { chatRequests: number }).chatRequests;
}

/** The node flags of package.json's `start` script (`node <flags> bin/hearth.js serve`). */
function startScriptNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as { scripts?: { start?: string } };
  const words = (manifest.scripts?.start ?? "").split(/\s+/);
  const entry = words.indexOf("bin/hearth.js");
  if (words[0] !== "node" || entry < 0) throw new Error(`package.json's start script is not \`node <flags> bin/hearth.js serve\`: ${manifest.scripts?.start}`);
  return words.slice(1, entry);
}

/** Writes the Hearth config the issue specifies and starts `serve` with request logging on (the default). */
/** The policy test/policy.test.ts enforces, plus input and output safety checks. */
const benchPolicy = {
  policy: {
    rules: [
      { name: "private-keys-never", when: { data: ["private_key"] }, action: "block" },
      { name: "emails-redacted-for-trusted", when: { data: ["email"], destination: { locality: ["third-party"], trust: ["zero-retention"] } }, action: "redact" },
      { name: "pii-and-secrets-stay-local", when: { data: ["pii", "secret"], destination: { locality: ["third-party"] } }, action: "route_local" },
    ],
  },
  safety: { input: "block", output: "block" },
};

/** Which Hearth: the default config (audit fast + usage on), with the policy, or with audit and usage off. */
type HearthVariant = "default" | "policy" | "unaccounted" | "writer-thread";

async function startHearth(workDirectory: string, upstreamPort: number, profileDirectory: string | undefined, variant: HearthVariant = "default"): Promise<{ child: BenchChild; origin: string }> {
  const withPolicy = variant === "policy";
  const port = await freePort();
  const configPath = join(workDirectory, `hearth-${variant}.yaml`);
  writeFileSync(
    configPath,
    stringify({
      server: { port },
      providers: [
        {
          name: "upstream",
          type: "openai",
          baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
          apiKey: "bench-key-0123456789",
          // Third party with a zero-retention agreement, so the policy's destination rules apply.
          locality: withPolicy ? "third-party" : "self-hosted",
          trust: withPolicy ? ["zero-retention"] : [],
          retries: 0,
        },
      ],
      models: [{ name: hearthModel, provider: "upstream", model: upstreamModel }],
      ...(withPolicy ? benchPolicy : {}),
      ...(variant === "unaccounted" ? { audit: { enabled: false }, usage: { enabled: false } } : {}),
      ...(variant === "writer-thread" ? { audit: { writerThread: true } } : {}),
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  // A user's second start finds the compile cache filled (bin/hearth.js); a fresh clone's first
  // would also load the TypeScript stripper. Fill it the way any earlier command would.
  // (The cache is kept per set of V8 flags, so the same flags.)
  spawnSync(nodeBinary, [...startScriptNodeFlags(), "bin/hearth.js", "--version"], { cwd: repositoryRoot, stdio: "ignore" });
  const child = await startChild({
    name: "hearth",
    args: [
      ...(profileDirectory === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDirectory}`]),
      // Started as `npm start` starts it: the same node flags and entry (compile cache included).
      ...startScriptNodeFlags(),
      "bin/hearth.js",
      "serve",
      "--config",
      configPath,
    ],
    cwd: repositoryRoot,
    env: { ...cleanEnvironment(), HEARTH_DATA_DIR: join(workDirectory, `data-${variant}`) },
    ready: () => answers(`${origin}/health`),
    startTimeoutMilliseconds: 60_000,
  });
  return { child, origin };
}

async function startPortkey(server: string): Promise<{ child: BenchChild; origin: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = await startChild({
    name: "portkey",
    args: ["--import", pathToFileURL(loopbackPreload).href, server, `--port=${port}`, "--headless"],
    cwd: portkeyPrefix,
    env: { ...cleanEnvironment(), NODE_ENV: "production" },
    ready: () => answers(`${origin}/`),
    startTimeoutMilliseconds: 60_000,
  });
  return { child, origin };
}

/** One JSON and one streamed request; an error message when the answer is not the upstream's. */
async function validate(target: Target): Promise<string | undefined> {
  const client = new SequentialClient(target);
  try {
    const json = await client.send("json");
    if (json.status !== 200) return `JSON request: HTTP ${json.status}: ${json.body.slice(0, 300)}`;
    const content = (JSON.parse(json.body) as { choices?: Array<{ message?: { content?: string } }> }).choices?.[0]?.message?.content;
    if (content !== fullContent) return `JSON request: content ${JSON.stringify(content)}, expected ${JSON.stringify(fullContent)}`;
    const stream = await client.send("stream");
    if (stream.status !== 200) return `streamed request: HTTP ${stream.status}: ${stream.body.slice(0, 300)}`;
    const parsed = parseStreamedContent(stream.body);
    if (parsed.content !== fullContent) return `streamed request: content ${JSON.stringify(parsed.content)}, expected ${JSON.stringify(fullContent)}`;
    if (!parsed.done) return "streamed request: no `data: [DONE]` at the end";
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.close();
  }
}

function summarizeLatency(result: SequentialResult): LatencySummary {
  const total = result.timings.map((timing) => timing.totalMilliseconds);
  const firstByte = result.timings.map((timing) => timing.firstByteMilliseconds);
  const firstContent = result.timings.map((timing) => timing.firstContentMilliseconds);
  return {
    count: result.timings.length,
    failures: result.failures,
    p50: percentile(total, 0.5),
    p99: percentile(total, 0.99),
    firstByteP50: percentile(firstByte, 0.5),
    firstByteP99: percentile(firstByte, 0.99),
    firstContentP50: percentile(firstContent, 0.5),
    firstContentP99: percentile(firstContent, 0.99),
  };
}

interface Running {
  target: Target;
  /** False once it failed validation: then it is listed, not measured. */
  measurable: boolean;
  child: BenchChild | undefined;
  sampler: ResidentSampler | undefined;
  idleBytes: number | undefined;
  result: TargetResult;
}

function newestProfile(directory: string): CpuProfile | undefined {
  const files = readdirSync(directory).filter((name) => name.endsWith(".cpuprofile")).toSorted();
  const newest = files.at(-1);
  return newest === undefined ? undefined : (JSON.parse(readFileSync(join(directory, newest), "utf8")) as CpuProfile);
}

/**
 * Loads every target of `entries` at the same time (usually one), each with its own
 * `options.connections` connections, and reads each one's CPU time over the same wall time: with
 * two, a slow moment of the machine slows both. The upstream's request count is left to the caller.
 */
async function measureLoad(
  entries: readonly { target: Target; child: BenchChild | undefined }[],
  variant: Variant,
  options: GatewayBenchOptions,
): Promise<Array<ThroughputResult & Omit<RoundCpu, "upstreamRequests">>> {
  const cpuOf = (entry: { child: BenchChild | undefined }) => (entry.child === undefined ? undefined : processCpuMilliseconds(entry.child.pid));
  const cpuBefore = entries.map(cpuOf);
  const ownBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const results = await Promise.all(entries.map((entry) => measureThroughput(entry.target, variant, options.connections, options.duration)));
  const wallMilliseconds = performance.now() - wallBefore;
  const ownUsage = process.cpuUsage(ownBefore);
  // One load generator drives them all: its share is split evenly for the record.
  const loadGeneratorCores = (ownUsage.user + ownUsage.system) / 1000 / wallMilliseconds / entries.length;
  return results.map((result, index) => {
    const before = cpuBefore[index];
    const after = cpuOf(entries[index] as { child: BenchChild | undefined });
    const cpuMilliseconds = before === undefined || after === undefined ? Number.NaN : after - before;
    return {
      ...result,
      cpuMillisecondsPerRequest: result.completed === 0 ? Number.NaN : cpuMilliseconds / result.completed,
      busyCores: cpuMilliseconds / wallMilliseconds,
      loadGeneratorCores,
    };
  });
}

/** "…; median 0.94, geometric mean 0.94 (95% bootstrap interval 0.87–1.01), 2 of 9 below 0.90" of per-round on ÷ off ratios. */
function perRoundSummary(perRound: readonly number[]): string {
  const share = targets.accountingThroughputShare;
  const [low, high] = bootstrapInterval(perRound, geometricMean);
  const interval = Number.isFinite(low) ? ` (95% bootstrap interval ${formatNumber(low, 2)}–${formatNumber(high, 2)})` : "";
  const below = perRound.filter((value) => value < share).length;
  return (
    `${perRound.map((value) => formatNumber(value, 2)).join(", ")}; median ${formatNumber(median(perRound), 2)}, ` +
    `geometric mean ${formatNumber(geometricMean(perRound), 2)}${interval}, ${below} of ${perRound.length} below ${formatNumber(share, 2)}`
  );
}

/** The comparison: starts everything, measures, stops everything. */
export async function runGatewayBench(options: GatewayBenchOptions, progress: Progress): Promise<GatewayBenchResult> {
  const notes: string[] = [];
  const failures: string[] = [];
  const workDirectory = mkdtempSync(join(tmpdir(), "hearth-bench-gateway-"));
  const profileDirectory = options.profile ? join(workDirectory, "profile") : undefined;
  const children: BenchChild[] = [];
  const running: Running[] = [];
  let profile: ProfileSummary | undefined;
  // Idempotent: after measuring (so Hearth writes its CPU profile before it is read), and in `finally`.
  const stopAll = async () => {
    for (const entry of running) entry.sampler?.stop();
    for (const child of children.toReversed()) await child.stop();
    if (profileDirectory !== undefined && profile === undefined) {
      try {
        const recorded = newestProfile(profileDirectory);
        if (recorded !== undefined) profile = summarizeProfile(recorded);
      } catch {
        // reported as "no profile"
      }
    }
  };
  try {
    progress.status("upstream: starting ...");
    const upstream = await startUpstream();
    children.push(upstream.child);
    const upstreamOrigin = `http://127.0.0.1:${upstream.port}`;
    progress.line(`upstream: pid ${upstream.child.pid} at ${upstreamOrigin}`);
    const upstreamTarget = (key: string, label: string, origin: string, headers: Record<string, string>, model: string): Target => ({
      key,
      label,
      origin,
      path: chatPath,
      headers,
      bodies: { json: requestBody(model, false), stream: requestBody(model, true) },
    });
    running.push({
      target: upstreamTarget("direct", "direct", upstreamOrigin, { authorization: "Bearer bench-key-0123456789" }, upstreamModel),
      measurable: true,
      child: upstream.child,
      sampler: undefined,
      idleBytes: undefined,
      result: { key: "direct", label: "direct", pid: upstream.child.pid, throughput: {}, latency: {}, memory: undefined },
    });

    if (options.reference) {
      const reference = await startReferenceProxy(upstream.port);
      children.push(reference.child);
      running.push({
        target: upstreamTarget("reference", "min. proxy", reference.origin, {}, hearthModel),
        measurable: true,
        child: reference.child,
        sampler: undefined,
        idleBytes: undefined,
        result: { key: "reference", label: "min. proxy", pid: reference.child.pid, throughput: {}, latency: {}, memory: undefined },
      });
    }

    progress.status("hearth: starting ...");
    try {
      const hearth = await startHearth(workDirectory, upstream.port, profileDirectory);
      children.push(hearth.child);
      progress.line(`hearth: pid ${hearth.child.pid} at ${hearth.origin}, ready in ${(hearth.child.startMilliseconds / 1000).toFixed(2)} s`);
      running.push({
        target: upstreamTarget("hearth", "Hearth", hearth.origin, {}, hearthModel),
        measurable: true,
        child: hearth.child,
        sampler: undefined,
        idleBytes: undefined,
        result: { key: "hearth", label: "Hearth", pid: hearth.child.pid, throughput: {}, latency: {}, memory: undefined },
      });
    } catch (error) {
      failures.push(`Hearth did not start: ${error instanceof Error ? error.message : String(error)}`);
      progress.line(`HEARTH DID NOT START — measuring the others only:\n${failures.at(-1)}`);
    }

    // Further Hearths measured beside the default one (not judged against Portkey).
    const extraHearths: Array<{ variant: HearthVariant; key: string; label: string; what: string }> = [
      ...(options.policy ? [{ variant: "policy" as const, key: "hearth-policy", label: "Hearth+policy", what: "with policy" }] : []),
      ...(options.accounting ? [{ variant: "unaccounted" as const, key: "hearth-unaccounted", label: "Hearth−audit", what: "without audit and usage" }] : []),
      ...(options.writerThread ? [{ variant: "writer-thread" as const, key: "hearth-thread", label: "Hearth+thread", what: "with the audit writer thread" }] : []),
    ];
    for (const extra of extraHearths) {
      progress.status(`hearth ${extra.what}: starting ...`);
      try {
        const started = await startHearth(workDirectory, upstream.port, undefined, extra.variant);
        children.push(started.child);
        progress.line(`${extra.key}: pid ${started.child.pid} at ${started.origin}`);
        running.push({
          target: upstreamTarget(extra.key, extra.label, started.origin, {}, hearthModel),
          measurable: true,
          child: started.child,
          sampler: undefined,
          idleBytes: undefined,
          result: { key: extra.key, label: extra.label, pid: started.child.pid, throughput: {}, latency: {}, memory: undefined },
        });
      } catch (error) {
        failures.push(`Hearth ${extra.what} did not start: ${error instanceof Error ? error.message : String(error)}`);
      }
    }

    const portkeyServer = options.portkey ? resolvePortkeyServer() : undefined;
    if (!options.portkey) {
      notes.push("Portkey left out (--no-portkey)");
    } else if (portkeyServer === undefined) {
      progress.line(portkeyMissingMessage);
      notes.push(portkeyMissingMessage);
    } else {
      progress.status("portkey: starting ...");
      try {
        const portkey = await startPortkey(portkeyServer);
        children.push(portkey.child);
        progress.line(`portkey: pid ${portkey.child.pid} at ${portkey.origin} (${installedPortkeyVersion() ?? "?"}), ready in ${(portkey.child.startMilliseconds / 1000).toFixed(2)} s`);
        running.push({
          target: upstreamTarget("portkey", "Portkey", portkey.origin, portkeyHeaders(`${upstreamOrigin}/v1`), upstreamModel),
          measurable: true,
          child: portkey.child,
          sampler: undefined,
          idleBytes: undefined,
          result: { key: "portkey", label: "Portkey", pid: portkey.child.pid, throughput: {}, latency: {}, memory: undefined },
        });
      } catch (error) {
        failures.push(`Portkey did not start: ${error instanceof Error ? error.message : String(error)}`);
        progress.line(`PORTKEY DID NOT START:\n${failures.at(-1)}`);
      }
    }

    // Only targets that answer the upstream's content correctly are measured.
    for (const entry of running) {
      const problem = await validate(entry.target);
      if (problem === undefined) continue;
      failures.push(`${entry.target.label} gave a wrong answer, not measured: ${problem}`);
      progress.line(`${entry.target.label.toUpperCase()} NOT MEASURED: ${problem}`);
      entry.measurable = false;
      entry.result.pid = undefined;
    }
    const measured = running.filter((entry) => entry.measurable);
    for (const entry of measured) {
      if (entry.target.key === "direct" || entry.child === undefined) continue;
      entry.sampler = new ResidentSampler(entry.child.pid, 250);
      entry.idleBytes = entry.sampler.samples[0]?.residentBytes;
    }
    const measuredTargets = measured.map((entry) => entry.target);

    // (b) unloaded latency, first: before throughput runs have grown heaps and logs.
    for (const variant of variants) {
      progress.status(`unloaded ${variant}: warm-up ...`);
      await measureSequential(measuredTargets, variant, Math.min(200, options.requests), sequentialBlock);
      const results = await measureSequential(measuredTargets, variant, options.requests, sequentialBlock, (done) =>
        progress.status(`unloaded ${variant}: ${done}/${options.requests} sequential requests per target ...`),
      );
      for (const entry of measured) {
        const summary = summarizeLatency(results.get(entry.target.key) as SequentialResult);
        entry.result.latency[variant] = summary;
        const failure = (results.get(entry.target.key) as SequentialResult).firstFailure;
        if (summary.failures > 0) failures.push(`${entry.target.label} unloaded ${variant}: ${summary.failures} failed requests (first: ${failure})`);
        progress.line(
          `unloaded ${variant.padEnd(6)} ${entry.target.label.padEnd(8)} p50 ${summary.p50.toFixed(3)} ms, p99 ${summary.p99.toFixed(3)} ms` +
            (variant === "stream" ? `, first byte p50 ${summary.firstByteP50.toFixed(3)} ms, first content p50 ${summary.firstContentP50.toFixed(3)} ms` : ""),
        );
      }
    }

    // (a) throughput, with (c) memory sampled all along and CPU time per request. With --rounds N
    // every target is measured N times, the targets alternating (order reversed every other
    // round), and the median round is kept:
    // on a shared machine, drift between one target's run and the next is the largest error.
    const rounds = new Map<string, Array<NonNullable<TargetResult["throughput"][Variant]>>>();
    for (let round = 1; round <= options.rounds; round++)
    for (const variant of variants) {
      // Every other round in reverse order, so no target always runs right after the same one.
      for (const entry of round % 2 === 0 ? measured.toReversed() : measured) {
        progress.status(`load ${variant}: ${entry.target.label} warm-up ${options.warmup} s ...`);
        await measureThroughput(entry.target, variant, options.connections, options.warmup);
        progress.status(`load ${variant}: ${entry.target.label}, ${options.connections} connections, ${options.duration} s ...`);
        const upstreamBefore = await upstreamRequestCount(upstream.port);
        const [result] = (await measureLoad([entry], variant, options)) as [ThroughputResult & Omit<RoundCpu, "upstreamRequests">];
        const upstreamRequests = (await upstreamRequestCount(upstream.port)) - upstreamBefore;
        const measuredRound = { ...result, upstreamRequests };
        const key = `${entry.target.key}/${variant}`;
        rounds.set(key, [...(rounds.get(key) ?? []), measuredRound]);
        const sorted = [...(rounds.get(key) ?? [])].sort((left, right) => left.requestsPerSecond - right.requestsPerSecond);
        entry.result.throughput[variant] = sorted[Math.floor((sorted.length - 1) / 2)];
        const problems = result.non2xx + result.errors + result.timeouts;
        if (problems > 0) {
          failures.push(`${entry.target.label} ${variant} load: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
          progress.line(`!!! ${entry.target.label} ${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts !!!`);
        }
        // Every completed request through a gateway must have reached the upstream (no cache, no retry).
        if (Math.abs(upstreamRequests - result.completed) > options.connections * 2) {
          notes.push(`${entry.target.label} ${variant}: the upstream saw ${upstreamRequests} requests for ${result.completed} completed`);
        }
        progress.line(
          `load ${variant.padEnd(6)} ${entry.target.label.padEnd(8)} ${formatNumber(result.requestsPerSecond, 0)} req/s, ` +
            `p50 ${result.latencyP50} ms, p99 ${result.latencyP99} ms, CPU ${formatNumber(measuredRound.cpuMillisecondsPerRequest, 3)} ms/request` +
            ` (${formatNumber(measuredRound.busyCores, 2)} cores; load generator ${formatNumber(measuredRound.loadGeneratorCores, 2)})` +
            (entry.sampler === undefined ? "" : `, RSS ${formatMegabytes(entry.sampler.samples.at(-1)?.residentBytes)}`),
        );
      }
    }
    const simultaneous: GatewayBenchResult["simultaneous"] = {};
    const [onEntry, offEntry] = ["hearth", "hearth-unaccounted"].map((key) => measured.find((entry) => entry.target.key === key));
    if (options.accounting && options.simultaneous > 0 && onEntry !== undefined && offEntry !== undefined) {
      for (let round = 1; round <= options.simultaneous; round++)
      for (const variant of variants) {
        progress.status(`simultaneous ${variant} ${round}/${options.simultaneous}: warm-up ${options.warmup} s ...`);
        await Promise.all([onEntry, offEntry].map((entry) => measureThroughput(entry.target, variant, options.connections, options.warmup)));
        progress.status(`simultaneous ${variant} ${round}/${options.simultaneous}: Hearth and Hearth−audit, ${options.connections} connections each, ${options.duration} s ...`);
        // Every other round the other one's connections open first.
        const measuredPair = round % 2 === 0 ? (await measureLoad([offEntry, onEntry], variant, options)).toReversed() : await measureLoad([onEntry, offEntry], variant, options);
        const [on, off] = measuredPair.map((result) => ({ ...result, upstreamRequests: Number.NaN })) as [ThroughputResult & RoundCpu, ThroughputResult & RoundCpu];
        const pair = { on, off, ratio: on.requestsPerSecond / off.requestsPerSecond };
        simultaneous[variant] = [...(simultaneous[variant] ?? []), pair];
        for (const [label, result] of [["Hearth", on], ["Hearth−audit", off]] as const) {
          const problems = result.non2xx + result.errors + result.timeouts;
          if (problems > 0) failures.push(`${label} simultaneous ${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
        }
        progress.line(
          `simultaneous ${variant.padEnd(6)} Hearth ${formatNumber(on.requestsPerSecond, 0)} req/s (CPU ${formatNumber(on.cpuMillisecondsPerRequest, 3)} ms/request), ` +
            `Hearth−audit ${formatNumber(off.requestsPerSecond, 0)} req/s (CPU ${formatNumber(off.cpuMillisecondsPerRequest, 3)} ms/request): ${formatNumber(pair.ratio, 2)}`,
        );
      }
    }
    for (const entry of measured) {
      entry.sampler?.stop();
      if (entry.sampler !== undefined) {
        const summary = summarizeMemory(entry.sampler.samples);
        entry.result.memory = summary === undefined ? undefined : { ...summary, idleBytes: entry.idleBytes };
      }
    }
    progress.clear();
    await stopAll();

    const direct = measured.find((entry) => entry.target.key === "direct")?.result;
    const added: GatewayBenchResult["added"] = {};
    for (const entry of measured) {
      if (entry.target.key === "direct" || direct === undefined) continue;
      const own = entry.result.latency;
      added[entry.target.key] = {
        jsonP50: (own.json?.p50 ?? Number.NaN) - (direct.latency.json?.p50 ?? Number.NaN),
        streamFirstByteP50: (own.stream?.firstByteP50 ?? Number.NaN) - (direct.latency.stream?.firstByteP50 ?? Number.NaN),
        streamFirstContentP50: (own.stream?.firstContentP50 ?? Number.NaN) - (direct.latency.stream?.firstContentP50 ?? Number.NaN),
        streamEndP50: (own.stream?.p50 ?? Number.NaN) - (direct.latency.stream?.p50 ?? Number.NaN),
      };
    }
    const results = running.map((entry) => entry.result);
    const byKey = (key: string) => measured.find((entry) => entry.target.key === key)?.result;
    const hearth = byKey("hearth");
    const portkey = byKey("portkey");
    const verdicts = [
      judge("Hearth ÷ Portkey req/s (JSON)", ratio(hearth?.throughput.json?.requestsPerSecond, portkey?.throughput.json?.requestsPerSecond), "at-least", targets.throughputRatio, formatTimes),
      judge("Hearth ÷ Portkey req/s (stream)", ratio(hearth?.throughput.stream?.requestsPerSecond, portkey?.throughput.stream?.requestsPerSecond), "at-least", targets.throughputRatio, formatTimes),
      judge("Hearth added p50, unloaded (JSON)", added.hearth?.jsonP50 ?? Number.NaN, "at-most", targets.addedP50Milliseconds, formatAddedMilliseconds),
      judge("Hearth added time to first streamed byte (p50)", added.hearth?.streamFirstByteP50 ?? Number.NaN, "at-most", targets.addedFirstByteMilliseconds, formatAddedMilliseconds),
      judge("Hearth added time to first streamed content (p50)", added.hearth?.streamFirstContentP50 ?? Number.NaN, "at-most", targets.addedFirstByteMilliseconds, formatAddedMilliseconds),
      judge("Hearth max RSS under load", (hearth?.memory?.maxBytes ?? Number.NaN) / 1e6, "at-most", targets.maxResidentMegabytes, formatMegabytesValue),
    ];
    const unaccounted = byKey("hearth-unaccounted");
    if (unaccounted !== undefined) {
      verdicts.push(
        judge("Hearth (audit fast + usage) ÷ Hearth without, req/s (JSON)", ratio(hearth?.throughput.json?.requestsPerSecond, unaccounted.throughput.json?.requestsPerSecond), "at-least", targets.accountingThroughputShare, formatTimes),
        judge("Hearth (audit fast + usage) ÷ Hearth without, req/s (stream)", ratio(hearth?.throughput.stream?.requestsPerSecond, unaccounted.throughput.stream?.requestsPerSecond), "at-least", targets.accountingThroughputShare, formatTimes),
      );
    }
    for (const variant of variants) {
      const pairs = simultaneous[variant];
      if (pairs === undefined || pairs.length === 0) continue;
      const perRound = pairs.map((pair) => pair.ratio);
      verdicts.push(
        judge(`… the same, both loaded at once: median of ${perRound.length} rounds (${variant === "json" ? "JSON" : variant})`, median(perRound), "at-least", targets.accountingThroughputShare, formatTimes),
      );
      notes.push(`Hearth ÷ Hearth−audit req/s, both loaded at once, round by round (${variant}): ${perRoundSummary(perRound)}`);
    }
    const threaded = byKey("hearth-thread");
    if (unaccounted !== undefined && threaded !== undefined) {
      for (const variant of variants) {
        notes.push(
          `Hearth+thread (audit.writerThread) ÷ Hearth−audit req/s (${variant}, not judged): ` +
            formatTimes(ratio(threaded.throughput[variant]?.requestsPerSecond, unaccounted.throughput[variant]?.requestsPerSecond)),
        );
      }
    }
    if (unaccounted !== undefined && options.rounds > 1) {
      // The verdict compares medians; the rounds show how far apart single measurements lie.
      for (const [key, label] of [["hearth", "Hearth"], ["hearth-thread", "Hearth+thread"]] as const) {
        if (byKey(key) === undefined) continue;
        for (const variant of variants) {
          const on = rounds.get(`${key}/${variant}`) ?? [];
          const off = rounds.get(`hearth-unaccounted/${variant}`) ?? [];
          // Round i of each target ran back to back, so their ratio cancels slow drifts of the machine.
          const perRound = on.map((round, index) => round.requestsPerSecond / (off[index]?.requestsPerSecond ?? Number.NaN)).filter(Number.isFinite);
          if (perRound.length > 0) notes.push(`${label} ÷ Hearth−audit req/s round by round (${variant}): ${perRoundSummary(perRound)}`);
        }
      }
    }
    // autocannon runs on one thread of this process: where it nears a full core, it, not the target, may cap req/s.
    const saturatedLoad = [...rounds.entries()].filter(([, list]) => list.some((round) => round.loadGeneratorCores >= 0.9)).map(([key]) => key);
    if (saturatedLoad.length > 0) {
      notes.push(`the load generator kept ≥ 0.9 of a core busy in some rounds of ${saturatedLoad.join(", ")}: there it may cap req/s, not the target`);
    }
    if (availableParallelism() < 8 && Object.keys(simultaneous).length > 0) {
      notes.push(
        "rounds that load both Hearths at once, on fewer than 8 cores: the two share the cores, so their ratio compares CPU cost " +
          "under contention (including each one's cache footprint) more than req/s of one Hearth alone",
      );
    }
    if (availableParallelism() < 8) {
      notes.push(
        `${availableParallelism()} CPU cores: the load generator, the upstream and the gateway share them, so absolute req/s are ` +
          "CPU-bound for every target; CPU ms/request is the less contended measure",
      );
    }
    return {
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        quick: options.quick,
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
        rounds: options.rounds,
        requests: options.requests,
        portkey: options.portkey,
        reference: options.reference,
        soak: options.soak,
        profile: options.profile,
        policy: options.policy,
        accounting: options.accounting,
        writerThread: options.writerThread,
        simultaneous: options.simultaneous,
      },
      portkeyVersion: portkey === undefined ? undefined : installedPortkeyVersion(),
      targets: results,
      added,
      verdicts,
      simultaneous,
      profile,
      failures,
      notes,
    };
  } finally {
    progress.clear();
    await stopAll();
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

/** `--soak`: a long JSON + stream load against Hearth; RSS every 30 s and its slope. */
export async function runSoak(options: GatewayBenchOptions, progress: Progress): Promise<SoakResult> {
  const seconds = options.soak ?? 300;
  const workDirectory = mkdtempSync(join(tmpdir(), "hearth-bench-soak-"));
  const children: BenchChild[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  let sampler: ResidentSampler | undefined;
  try {
    const upstream = await startUpstream();
    children.push(upstream.child);
    const hearth = await startHearth(workDirectory, upstream.port, undefined);
    children.push(hearth.child);
    progress.line(`hearth: pid ${hearth.child.pid} at ${hearth.origin}; upstream pid ${upstream.child.pid}`);
    const target: Target = {
      key: "hearth",
      label: "Hearth",
      origin: hearth.origin,
      path: chatPath,
      headers: {},
      bodies: { json: requestBody(hearthModel, false), stream: requestBody(hearthModel, true) },
    };
    const problem = await validate(target);
    if (problem !== undefined) throw new Error(`Hearth gave a wrong answer: ${problem}`);
    sampler = new ResidentSampler(hearth.child.pid, 250);
    const active = sampler;
    const startBytes = active.samples[0]?.residentBytes;
    progress.line(`soak 0 s: RSS ${formatMegabytes(startBytes)}`);
    const checkpoints: SoakResult["checkpoints"] = [];
    const reporter = setInterval(() => {
      const bytes = active.sample();
      if (bytes === undefined) return;
      const elapsed = Math.round(active.elapsedMilliseconds() / 1000);
      checkpoints.push({ seconds: elapsed, residentBytes: bytes });
      progress.line(`soak ${elapsed} s: RSS ${formatMegabytes(bytes)}`);
    }, 30_000);
    const half = Math.max(1, Math.floor(options.connections / 2));
    const [json, stream] = await Promise.all([
      measureThroughput(target, "json", half, seconds),
      measureThroughput(target, "stream", options.connections - half || 1, seconds),
    ]).finally(() => clearInterval(reporter));
    active.stop();
    const endBytes = active.samples.at(-1)?.residentBytes;
    progress.line(`soak ${seconds} s: RSS ${formatMegabytes(endBytes)}`);
    for (const [variant, result] of [["json", json], ["stream", stream]] as const) {
      if (result.non2xx + result.errors + result.timeouts > 0) {
        failures.push(`${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      }
    }
    const afterWarmup = active.since((seconds * 1000) / 5);
    const slopeAfterWarmup = slopeMegabytesPerMinute(afterWarmup);
    return {
      date: new Date().toISOString(),
      machine: machine(),
      durationSeconds: seconds,
      connections: options.connections,
      checkpoints,
      startBytes,
      endBytes,
      maxBytes: summarizeMemory(active.samples)?.maxBytes,
      slopeMegabytesPerMinute: slopeMegabytesPerMinute(active.samples),
      slopeAfterWarmupMegabytesPerMinute: slopeAfterWarmup,
      throughput: { json, stream },
      verdicts: [
        judge("Hearth RSS slope after the first fifth", slopeAfterWarmup, "at-most", targets.soakSlopeMegabytesPerMinute, (value) => `${value.toFixed(2)} MB/min`),
        judge("Hearth max RSS", (summarizeMemory(active.samples)?.maxBytes ?? Number.NaN) / 1e6, "at-most", targets.maxResidentMegabytes, formatMegabytesValue),
      ],
      failures,
      notes,
    };
  } finally {
    progress.clear();
    sampler?.stop();
    for (const child of children.toReversed()) await child.stop();
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

const milliseconds = (value: number | undefined, digits = 3) => formatNumber(value, digits);

/** The human-readable report of the comparison. */
export function formatReport(result: GatewayBenchResult): string {
  const lines: string[] = [];
  const { settings } = result;
  lines.push(
    `Gateway overhead — ${result.date}`,
    `${result.machine.cpuModel}, ${result.machine.cores} cores, Node ${result.machine.node}; instant upstream on loopback; ` +
      `load: ${settings.connections} connections × ${settings.duration} s (after ${settings.warmup} s warm-up)` +
      `${(settings.rounds ?? 1) > 1 ? `, median of ${settings.rounds} alternating rounds` : ""}; ` +
      `unloaded: ${settings.requests} sequential requests per target` +
      (result.portkeyVersion === undefined ? "" : `; Portkey ${result.portkeyVersion}`),
    "",
  );
  const columns = result.targets;
  const cell = (target: TargetResult, value: (target: TargetResult) => string) => (target.pid === undefined ? "failed" : value(target));
  const row = (label: string, value: (target: TargetResult) => string) => [label, ...columns.map((target) => cell(target, value))];
  const rows: string[][] = [];
  for (const variant of variants) {
    const name = variant === "json" ? "JSON" : "stream";
    rows.push(
      row(`${name}: req/s`, (target) => formatNumber(target.throughput[variant]?.requestsPerSecond, 0)),
      row(`${name}: p50 / p99 under load (ms)`, (target) => {
        const entry = target.throughput[variant];
        return entry === undefined ? "n/a" : `${entry.latencyP50} / ${entry.latencyP99}`;
      }),
      row(`${name}: non-2xx / errors`, (target) => {
        const entry = target.throughput[variant];
        return entry === undefined ? "n/a" : `${entry.non2xx} / ${entry.errors + entry.timeouts}`;
      }),
      row(`${name}: CPU per request (ms)`, (target) => milliseconds(target.throughput[variant]?.cpuMillisecondsPerRequest)),
    );
  }
  rows.push(
    row("unloaded JSON: p50 / p99 (ms)", (target) => `${milliseconds(target.latency.json?.p50)} / ${milliseconds(target.latency.json?.p99)}`),
    row("  added p50 (ms)", (target) => (target.key === "direct" ? "" : milliseconds(result.added[target.key]?.jsonP50))),
    row("unloaded stream: first byte p50 / p99", (target) => `${milliseconds(target.latency.stream?.firstByteP50)} / ${milliseconds(target.latency.stream?.firstByteP99)}`),
    row("  added first byte p50 (ms)", (target) => (target.key === "direct" ? "" : milliseconds(result.added[target.key]?.streamFirstByteP50))),
    row("unloaded stream: first content p50 / p99", (target) => `${milliseconds(target.latency.stream?.firstContentP50)} / ${milliseconds(target.latency.stream?.firstContentP99)}`),
    row("  added first content p50 (ms)", (target) => (target.key === "direct" ? "" : milliseconds(result.added[target.key]?.streamFirstContentP50))),
    row("unloaded stream: end p50 / p99 (ms)", (target) => `${milliseconds(target.latency.stream?.p50)} / ${milliseconds(target.latency.stream?.p99)}`),
    row("RSS idle / max / last (MB)", (target) =>
      target.memory === undefined
        ? ""
        : `${formatNumber((target.memory.idleBytes ?? Number.NaN) / 1e6)} / ${formatNumber(target.memory.maxBytes / 1e6)} / ${formatNumber(target.memory.lastBytes / 1e6)}`,
    ),
  );
  lines.push(formatTable(["", ...columns.map((target) => target.label)], rows), "");
  lines.push(
    formatTable(
      ["judged by", "measured", "target", "verdict"],
      result.verdicts.map((verdict) => [verdict.name, verdict.formatted, verdict.target, verdictLabel(verdict)]),
    ),
  );
  if (result.targets.some((target) => target.key === "reference")) {
    lines.push(
      "",
      "min. proxy = bench/gateway/reference-proxy.ts: node:http + undici, model rewritten, stream bytes passed through, " +
        "no validation, logging or routing — the least a Node gateway costs on this machine (a reference, not judged).",
    );
  }
  if (result.profile !== undefined) lines.push("", ...formatProfile(result.profile));
  else if (settings.profile) lines.push("", "CPU profile: none was written (did Hearth exit cleanly on SIGTERM?)");
  if (result.failures.length > 0) lines.push("", ...result.failures.map((failure) => `FAILURE: ${failure}`));
  if (result.notes.length > 0) lines.push("", ...result.notes.map((note) => `note: ${note}`));
  return lines.join("\n");
}

export function formatProfile(profile: ProfileSummary): string[] {
  const percent = (share: number) => `${formatNumber(share * 100)}%`;
  return [
    `Hearth CPU profile: ${formatNumber(profile.totalMilliseconds / 1000, 1)} s recorded, ${formatNumber(profile.busyMilliseconds / 1000, 1)} s busy ` +
      `(${percent(1 - profile.idleShare)}); shares below are of busy time`,
    formatTable(
      ["area", "self ms", "self", "on stack"],
      profile.areasInclusive.map((entry) => [entry.name, formatNumber(entry.selfMilliseconds, 0), percent(entry.share), percent(entry.inclusiveShare)]),
    ),
    "",
    formatTable(
      ["function (self time)", "ms", "share"],
      profile.functions.map((entry) => [entry.name.slice(0, 110), formatNumber(entry.selfMilliseconds, 0), percent(entry.share)]),
    ),
  ];
}

export function formatSoakReport(result: SoakResult): string {
  const lines = [
    `Hearth soak — ${result.date}: ${result.durationSeconds} s of JSON + stream load, ${result.connections} connections; ${result.machine.cpuModel}, ${result.machine.cores} cores`,
    "",
    formatTable(
      ["seconds", "RSS (MB)"],
      [
        ["0", formatNumber((result.startBytes ?? Number.NaN) / 1e6)],
        ...result.checkpoints.map((checkpoint) => [String(checkpoint.seconds), formatNumber(checkpoint.residentBytes / 1e6)]),
        [`${result.durationSeconds} (end)`, formatNumber((result.endBytes ?? Number.NaN) / 1e6)],
      ],
    ),
    "",
    `RSS slope: ${formatNumber(result.slopeMegabytesPerMinute, 2)} MB/min over the whole run, ${formatNumber(result.slopeAfterWarmupMegabytesPerMinute, 2)} MB/min after the first fifth; max ${formatMegabytes(result.maxBytes)}`,
    `load: JSON ${formatNumber(result.throughput.json?.requestsPerSecond, 0)} req/s, stream ${formatNumber(result.throughput.stream?.requestsPerSecond, 0)} req/s`,
    "",
    formatTable(
      ["judged by", "measured", "target", "verdict"],
      result.verdicts.map((verdict) => [verdict.name, verdict.formatted, verdict.target, verdictLabel(verdict)]),
    ),
  ];
  if (result.failures.length > 0) lines.push("", ...result.failures.map((failure) => `FAILURE: ${failure}`));
  return lines.join("\n");
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const progress = createProgress();
  stopOnSignals(progress, killChildren);
  try {
    if (options.soak !== undefined) {
      const result = await runSoak(options, progress);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatSoakReport(result)}\n`);
      if (result.failures.length > 0) process.exitCode = 1;
      return;
    }
    const result = await runGatewayBench(options, progress);
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatReport(result)}\n`);
    if (result.failures.length > 0) process.exitCode = 1;
  } catch (error) {
    progress.clear();
    process.stderr.write(`bench:gateway failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.main) await main();

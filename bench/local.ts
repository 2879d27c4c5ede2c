/**
 * `npm run bench:local` — how close does Hearth's HTTP API get to the hardware's limit for local
 * decoding? Measures, in one run and interleaved so machine noise hits both paths alike:
 *   (a) Hearth's OpenAI-compatible API, streamed through the official `openai` SDK;
 *   (b) node-llama-cpp called directly in this process (same prompt, threads, max tokens, greedy);
 *   (c) the memory-bandwidth ceiling: read bandwidth ÷ weight bytes read per decoded token;
 *   (d) llama.cpp's own `llama-bench`, built from the llama.cpp source node-llama-cpp ships
 *       (`npm run bench:build-llama-cpp`), when available: what raw llama.cpp reaches here.
 * Prints a table (or `--json`) with the ratios this benchmark is judged by.
 */
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rename, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { processEnvironment } from "../src/config/env.ts";
import { loadConfig } from "../src/config/load.ts";
import { localBenchFile } from "../src/core/usage/tco.ts";
import { measureReadBandwidth, type BandwidthResult } from "./bandwidth.ts";
import { DirectPath } from "./direct-path.ts";
import { HttpPath, measureConcurrentStreams, type ConcurrencyMeasurement } from "./http-path.ts";
import { defaultLlamaBenchBinary, killLlamaBenchProcesses, runLlamaBench, type LlamaBenchResult } from "./llama-bench.ts";
import type { StreamMeasurement } from "./measurement.ts";
import { describeModelFile, ensureGeneratedModel, formatBytes, type BenchModel, type PresetName } from "./model-file.ts";
import { createProgress, stopOnSignals, type Progress } from "./progress.ts";
import { killServers, startServer, type ServerProcess } from "./server-process.ts";
import { median, ratio } from "./statistics.ts";
import { formatNumber, formatRatio, formatSignedMilliseconds, formatTable, plural } from "./table.ts";

export interface LocalBenchOptions {
  model: string | undefined;
  quick: boolean;
  tokens: number;
  promptTokens: number;
  threads: number;
  repetitions: number;
  contextSize: number;
  parallel: number;
  concurrency: number[];
  seed: number;
  directOnly: boolean;
  json: boolean;
  compiler: string;
  bandwidthMegabytes: number | undefined;
  /**
   * The llama-bench binary for reference path (d): a path; `undefined` for the one
   * `npm run bench:build-llama-cpp` builds, when it exists; `false` to skip (`--no-llama-bench`).
   */
  llamaBench: string | false | undefined;
}

/** Medians over the interleaved repetitions of one path. */
export interface PathSummary {
  promptTokens: number;
  completionTokens: number;
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
  timeToFirstTokenMilliseconds: number;
  /** Runs that ended before `maxTokens` (random weights can emit end-of-text early). */
  stoppedEarly: number;
  runs: StreamMeasurement[];
}

export interface LocalBenchResult {
  machine: { cpuModel: string; cores: number; platform: string; node: string };
  settings: Omit<LocalBenchOptions, "json" | "quick" | "model"> & { preset: string | undefined };
  model: BenchModel;
  bandwidth: BandwidthResult | undefined;
  /** bandwidth ÷ bytes read per token. */
  decodeCeilingTokensPerSecond: number;
  direct: PathSummary & { loadMilliseconds: number };
  /** llama.cpp's own llama-bench on the same model and threads; undefined when skipped or failed (see notes). */
  llamaBench: LlamaBenchResult | undefined;
  hearth:
    | (PathSummary & {
        serverStartMilliseconds: number;
        residentBytesAfterWarmup: number | undefined;
        peakResidentBytes: number | undefined;
        /** Server CPU time while the direct path ran ÷ the direct runs' wall time (0 = truly idle). */
        idleCpuShareDuringDirect: number;
      })
    | undefined;
  /** Median over repetitions of (Hearth TTFT − direct TTFT), each pair measured back to back. */
  timeToFirstTokenAddedMilliseconds: number;
  /**
   * The same, but with Hearth's TTFT as its own request log records it (request handler entered →
   * first token), i.e. without the loopback round trip and the SDK client: what the server adds.
   */
  serverTimeToFirstTokenAddedMilliseconds: number | undefined;
  ratios: {
    hearthDecodeToCeiling: number;
    directDecodeToCeiling: number;
    hearthDecodeToDirect: number;
    hearthPromptToDirect: number;
    hearthResidentToFile: number;
    hearthPeakResidentToFile: number;
    hearthPromptToLlamaBench: number;
    hearthDecodeToLlamaBench: number;
    directPromptToLlamaBench: number;
    directDecodeToLlamaBench: number;
    llamaBenchDecodeToCeiling: number;
  };
  concurrency: ConcurrencyMeasurement[];
  notes: string[];
}

const cacheDirectory = join(tmpdir(), "hearth-bench");
const modelName = "bench";

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function integerList(value: string): number[] {
  const parts = value.split(",").map((part) => positiveInteger(part.trim()));
  if (parts.length === 0) throw new InvalidArgumentError("expected a comma-separated list of positive integers");
  return parts;
}

export function parseOptions(argv: readonly string[]): LocalBenchOptions {
  const program = new Command("bench:local")
    .description("Local inference through Hearth's HTTP API vs node-llama-cpp directly vs the memory-bandwidth ceiling")
    .option("--model <path>", "benchmark this GGUF file instead of the generated Llama-3.2-1B-shaped one")
    .option("--quick", "a tiny generated model: a smoke run in seconds", false)
    .option("--tokens <n>", "max tokens generated per request", positiveInteger, 128)
    .option("--prompt-tokens <n>", "user-message length in tokens (the chat template adds a few)", positiveInteger)
    .option("--threads <n>", "threads for llama.cpp (both paths) and the bandwidth probe (default 2; 1 with --quick)", positiveInteger)
    .option("--repetitions <n>", "interleaved direct/Hearth pairs; medians are reported", positiveInteger, 5)
    .option("--context-size <n>", "context size per sequence (both paths)", positiveInteger, 4096)
    .option("--parallel <n>", "sequences per context (server `parallel`; mirrored on the direct path)", positiveInteger, 4)
    .option("--concurrency <list>", "concurrent Hearth streams to measure", integerList, [1, 2, 4])
    .option("--seed <n>", "model generation seed and sampling seed", positiveInteger, 42)
    .option("--direct-only", "skip Hearth's server: direct path and bandwidth only", false)
    .option("--json", "print machine-readable results on stdout", false)
    .option("--cc <compiler>", "C compiler for the bandwidth probe", "cc")
    .option("--bandwidth-megabytes <n>", "bandwidth probe buffer (default: max(1 GiB, 4× last-level cache))", positiveInteger)
    .option("--llama-bench <path>", "llama.cpp's llama-bench for reference path (d) (default: the one `npm run bench:build-llama-cpp` builds, if present)")
    .option("--no-llama-bench", "skip reference path (d)")
    .allowExcessArguments(false);
  program.parse(argv, { from: "user" });
  const parsed = program.opts<{
    model?: string;
    quick: boolean;
    tokens: number;
    promptTokens?: number;
    threads?: number;
    repetitions: number;
    contextSize: number;
    parallel: number;
    concurrency: number[];
    seed: number;
    directOnly: boolean;
    json: boolean;
    cc: string;
    bandwidthMegabytes?: number;
    llamaBench?: string | boolean;
  }>();
  return {
    model: parsed.model,
    quick: parsed.quick,
    tokens: parsed.tokens,
    promptTokens: parsed.promptTokens ?? 256,
    // Tiny models decode fastest on one thread; the real benchmark is defined on two.
    threads: parsed.threads ?? (parsed.quick ? 1 : 2),
    repetitions: parsed.repetitions,
    contextSize: parsed.contextSize,
    parallel: parsed.parallel,
    concurrency: parsed.concurrency,
    seed: parsed.seed,
    directOnly: parsed.directOnly,
    json: parsed.json,
    compiler: parsed.cc,
    bandwidthMegabytes: parsed.bandwidthMegabytes,
    // commander: a string for --llama-bench <path>, false for --no-llama-bench, true (the negation's default) otherwise.
    llamaBench: typeof parsed.llamaBench === "string" ? parsed.llamaBench : parsed.llamaBench === false ? false : undefined,
  };
}

function summarize(runs: StreamMeasurement[]): PathSummary {
  return {
    promptTokens: median(runs.map((run) => run.promptTokens)),
    completionTokens: median(runs.map((run) => run.completionTokens)),
    promptTokensPerSecond: median(runs.map((run) => run.promptTokensPerSecond)),
    decodeTokensPerSecond: median(runs.map((run) => run.decodeTokensPerSecond)),
    timeToFirstTokenMilliseconds: median(runs.map((run) => run.timeToFirstTokenMilliseconds)),
    stoppedEarly: runs.filter((run) => run.completionTokens < run.maxTokens).length,
    runs,
  };
}

function describeRun(label: string, run: StreamMeasurement): string {
  return (
    `${label}: prompt ${run.promptTokens} tok ${formatNumber(run.promptTokensPerSecond)} tok/s, ` +
    `TTFT ${formatNumber(run.timeToFirstTokenMilliseconds)} ms, decode ${run.completionTokens} tok ` +
    `${formatNumber(run.decodeTokensPerSecond)} tok/s (${run.finishReason})`
  );
}

const llamaBenchRepetitions = 3;
const llamaBenchMissingNote =
  "llama.cpp reference skipped: run `npm run bench:build-llama-cpp` (builds llama.cpp's llama-bench from node-llama-cpp's bundled source, ~5 min)";

/**
 * The llama-bench binary to run, or undefined (with a note) when there is none. A path given
 * explicitly must exist: failing before minutes of measuring beats a silently missing reference.
 */
function resolveLlamaBenchBinary(option: string | false | undefined, notes: string[]): string | undefined {
  if (option === false) {
    notes.push("llama.cpp reference skipped (--no-llama-bench)");
    return undefined;
  }
  if (option !== undefined) {
    if (!existsSync(option)) throw new Error(`--llama-bench: no such file: ${option} (build one with \`npm run bench:build-llama-cpp\`)`);
    return option;
  }
  let cached: string;
  try {
    cached = defaultLlamaBenchBinary();
  } catch (error) {
    notes.push(`llama.cpp reference skipped: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (existsSync(cached)) return cached;
  notes.push(llamaBenchMissingNote);
  return undefined;
}

/** Runs the whole benchmark. Cleans up its server and temporary files itself. */
export async function runLocalBench(options: LocalBenchOptions, progress: Progress): Promise<LocalBenchResult> {
  const notes: string[] = [];
  const llamaBenchBinary = resolveLlamaBenchBinary(options.llamaBench, notes);
  const preset: PresetName | undefined = options.model === undefined ? (options.quick ? "tiny" : "llama32_1b") : undefined;

  const modelPath =
    options.model ?? (await ensureGeneratedModel(preset ?? "tiny", options.seed, join(cacheDirectory, "models"), progress));
  const model = await describeModelFile(modelPath, preset ?? "file");
  let contextSize = options.contextSize;
  if (model.trainedContextLength !== undefined && model.trainedContextLength < contextSize) {
    notes.push(`context size lowered from ${contextSize} to the model's trained context length ${model.trainedContextLength}`);
    contextSize = model.trainedContextLength;
  }

  progress.status("bandwidth: measuring ...");
  const bandwidth = await measureReadBandwidth({
    threads: options.threads,
    bytes: options.bandwidthMegabytes === undefined ? undefined : options.bandwidthMegabytes * (1 << 20),
    cacheDirectory,
    compiler: options.compiler,
    onProgress: (message) => progress.status(message),
  }).catch((error: unknown) => {
    notes.push(`bandwidth probe failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  if (bandwidth !== undefined) {
    progress.line(
      `bandwidth: ${bandwidth.gigabytesPerSecond.toFixed(1)} GB/s best, ${bandwidth.medianGigabytesPerSecond.toFixed(1)} GB/s median ` +
        `(${bandwidth.method}${bandwidth.lowerBound ? ", a lower bound" : ""}, ${plural(bandwidth.threads, "thread")}, ${formatBytes(bandwidth.bytes)})`,
    );
    if (bandwidth.lowerBound) notes.push(`bandwidth from the JavaScript probe (${bandwidth.note}): a lower bound, so the ceiling is too`);
  }
  const decodeCeilingTokensPerSecond =
    bandwidth === undefined ? Number.NaN : (bandwidth.gigabytesPerSecond * 1e9) / model.bytesReadPerToken;

  let workDirectory: string | undefined;
  let server: ServerProcess | undefined;
  let direct: DirectPath | undefined;
  const removeWorkDirectory = () => {
    if (workDirectory !== undefined) rmSync(workDirectory, { recursive: true, force: true });
  };
  process.once("exit", removeWorkDirectory);
  try {
    progress.status(`direct: loading ${model.path} (${plural(options.threads, "thread")}, context ${contextSize} × ${options.parallel}) ...`);
    direct = await DirectPath.load({
      modelPath: model.path,
      threads: options.threads,
      contextSize,
      sequences: options.parallel,
    });
    progress.line(`direct: model loaded in ${(direct.loadMilliseconds / 1000).toFixed(2)} s`);
    const prompt = (index: number) => (direct as DirectPath).prompt(index, options.promptTokens);
    const concurrencyPromptTokens = 16;
    const request = (index: number, maxTokens = options.tokens) => ({ prompt: prompt(index), maxTokens, seed: options.seed });

    let http: HttpPath | undefined;
    if (!options.directOnly) {
      workDirectory = await mkdtemp(join(tmpdir(), "hearth-bench-run-"));
      progress.status("hearth: starting the server ...");
      server = await startServer({
        modelPath: model.path,
        modelName,
        threads: options.threads,
        contextSize,
        parallel: options.parallel,
        workDirectory,
      });
      progress.line(`hearth: server pid ${server.pid} ready at ${server.baseUrl} in ${(server.startMilliseconds / 1000).toFixed(2)} s`);
      http = new HttpPath(server.baseUrl, modelName, server.apiKey);
    }

    // Warm-up: one short generation per path (loads lazily loaded models, JIT, page cache).
    progress.status("warm-up: direct ...");
    await direct.generate(request(0, Math.min(16, options.tokens)));
    if (http !== undefined) {
      progress.status("warm-up: hearth ...");
      await http.generate(request(0, Math.min(16, options.tokens)));
    }
    const memoryAfterWarmup = server?.memory();

    const directRuns: StreamMeasurement[] = [];
    const hearthRuns: StreamMeasurement[] = [];
    const addedTimeToFirstToken: number[] = [];
    // CPU the idle server burns while the direct path runs: it competes for the same cores.
    let serverIdleCpuMilliseconds = 0;
    let directWallMilliseconds = 0;
    for (let repetition = 1; repetition <= options.repetitions; repetition++) {
      const same = request(repetition);
      const order = http === undefined ? ["direct"] : repetition % 2 === 1 ? ["direct", "hearth"] : ["hearth", "direct"];
      let directRun: StreamMeasurement | undefined;
      let hearthRun: StreamMeasurement | undefined;
      for (const path of order) {
        progress.status(`run ${repetition}/${options.repetitions}: ${path} ...`);
        if (path === "direct") {
          const serverCpuBefore = server?.cpuMilliseconds();
          directRun = await direct.generate(same);
          directRuns.push(directRun);
          const serverCpuAfter = server?.cpuMilliseconds();
          if (serverCpuBefore !== undefined && serverCpuAfter !== undefined) {
            serverIdleCpuMilliseconds += serverCpuAfter - serverCpuBefore;
            directWallMilliseconds += directRun.totalMilliseconds;
          }
        } else if (http !== undefined) {
          hearthRun = await http.generate(same);
          hearthRuns.push(hearthRun);
        }
      }
      if (directRun !== undefined) progress.line(describeRun(`run ${repetition}/${options.repetitions} direct`, directRun));
      if (hearthRun !== undefined) progress.line(describeRun(`run ${repetition}/${options.repetitions} hearth`, hearthRun));
      if (directRun !== undefined && hearthRun !== undefined) {
        addedTimeToFirstToken.push(hearthRun.timeToFirstTokenMilliseconds - directRun.timeToFirstTokenMilliseconds);
      }
    }

    // Hearth's own view of each measured request: its request log (SQLite in the server's dataDir).
    let serverTimeToFirstTokenAdded: number | undefined;
    if (workDirectory !== undefined && hearthRuns.length === directRuns.length && hearthRuns.length > 0) {
      serverTimeToFirstTokenAdded = await serverSideAddedTimeToFirstToken(join(workDirectory, "data", "hearth.db"), directRuns);
    }

    // (d) llama.cpp's own benchmark, once, on the same model and threads, with the prompt length
    // Hearth actually processed (template included) and the same number of generated tokens.
    let llamaBench: LlamaBenchResult | undefined;
    if (llamaBenchBinary !== undefined) {
      const measuredPromptTokens = median((hearthRuns.length > 0 ? hearthRuns : directRuns).map((run) => run.promptTokens));
      const promptTokens = Number.isFinite(measuredPromptTokens) && measuredPromptTokens >= 1 ? Math.round(measuredPromptTokens) : options.promptTokens;
      progress.status(
        `llama.cpp reference: llama-bench -p ${promptTokens} -n ${options.tokens} -t ${options.threads} -r ${llamaBenchRepetitions} ...`,
      );
      const outcome = await runLlamaBench({
        binary: llamaBenchBinary,
        modelPath: model.path,
        threads: options.threads,
        promptTokens,
        generatedTokens: options.tokens,
        repetitions: llamaBenchRepetitions,
      });
      if (outcome.kind === "measured") {
        llamaBench = outcome.value;
        progress.line(
          `llama-bench: pp${llamaBench.promptTokens} ${formatNumber(llamaBench.promptTokensPerSecond)} tok/s, ` +
            `tg${llamaBench.generatedTokens} ${formatNumber(llamaBench.decodeTokensPerSecond)} tok/s ` +
            `(${(llamaBench.wallMilliseconds / 1000).toFixed(1)} s)`,
        );
      } else {
        notes.push(`llama.cpp reference failed: ${outcome.reason}`);
      }
    }

    const concurrency: ConcurrencyMeasurement[] = [];
    if (http !== undefined) {
      for (const streams of options.concurrency) {
        if (streams > options.parallel) {
          notes.push(`${streams} concurrent streams exceed parallel=${options.parallel}: the server queues the rest`);
        }
        progress.status(`concurrency: ${streams} stream${streams === 1 ? "" : "s"} through hearth ...`);
        const base = 1000 * streams;
        // Short prompts, so the streams decode side by side instead of one decoding while the
        // others still read long prompts: this measures batched decoding, not prompt processing.
        const requests = Array.from({ length: streams }, (_, index) => ({
          prompt: (direct as DirectPath).prompt(base + index, concurrencyPromptTokens),
          maxTokens: options.tokens,
          seed: options.seed,
        }));
        const measured = await measureConcurrentStreams(http, requests);
        concurrency.push(measured);
        progress.line(
          `concurrency ${streams}: ${formatNumber(measured.aggregateDecodeTokensPerSecond)} tok/s aggregate decode, ` +
            `median TTFT ${formatNumber(measured.medianTimeToFirstTokenMilliseconds)} ms, ${measured.completionTokens} tokens`,
        );
      }
    }
    const memoryAtEnd = server?.memory();
    progress.clear();

    const serverIdleShare = ratio(serverIdleCpuMilliseconds, directWallMilliseconds);
    const directSummary = { ...summarize(directRuns), loadMilliseconds: direct.loadMilliseconds };
    const hearthSummary =
      server === undefined
        ? undefined
        : {
            ...summarize(hearthRuns),
            serverStartMilliseconds: server.startMilliseconds,
            residentBytesAfterWarmup: memoryAfterWarmup?.residentBytes,
            peakResidentBytes: memoryAtEnd?.peakResidentBytes,
            idleCpuShareDuringDirect: serverIdleShare,
          };

    for (const [label, summary] of [["direct", directSummary], ["hearth", hearthSummary]] as const) {
      if (summary !== undefined && summary.stoppedEarly > 0) {
        notes.push(
          `${label}: ${summary.stoppedEarly} of ${summary.runs.length} runs stopped before ${options.tokens} tokens ` +
            `(end-of-text from random weights); rates use the measured token counts`,
        );
      }
    }
    if (hearthSummary !== undefined && hearthSummary.promptTokens !== directSummary.promptTokens) {
      notes.push(
        `prompt token counts differ: direct ${directSummary.promptTokens}, hearth ${hearthSummary.promptTokens} ` +
          `(different chat templating); prompt rates are per own count`,
      );
    }
    if (memoryAfterWarmup === undefined && server !== undefined) notes.push("server memory not read (/proc unavailable)");
    if (serverIdleShare > 0.05) {
      notes.push(
        `the idle Hearth server used ${(serverIdleShare * 100).toFixed(0)}% of a core while the direct path ran ` +
          `(${serverIdleCpuMilliseconds} ms CPU): the direct numbers are somewhat understated`,
      );
    }
    const stoppedEarlyStreams = concurrency.reduce((sum, entry) => sum + entry.stoppedEarly, 0);
    if (stoppedEarlyStreams > 0) notes.push(`concurrency: ${stoppedEarlyStreams} streams stopped before ${options.tokens} tokens`);

    return {
      machine: {
        cpuModel: cpus()[0]?.model ?? "unknown",
        cores: availableParallelism(),
        platform: `${process.platform}-${process.arch}`,
        node: process.version,
      },
      settings: {
        preset,
        tokens: options.tokens,
        promptTokens: options.promptTokens,
        threads: options.threads,
        repetitions: options.repetitions,
        contextSize,
        parallel: options.parallel,
        concurrency: options.concurrency,
        seed: options.seed,
        directOnly: options.directOnly,
        compiler: options.compiler,
        bandwidthMegabytes: options.bandwidthMegabytes,
        llamaBench: llamaBenchBinary ?? false,
      },
      model,
      bandwidth,
      decodeCeilingTokensPerSecond,
      direct: directSummary,
      llamaBench,
      hearth: hearthSummary,
      timeToFirstTokenAddedMilliseconds: median(addedTimeToFirstToken),
      serverTimeToFirstTokenAddedMilliseconds: serverTimeToFirstTokenAdded,
      ratios: {
        hearthDecodeToCeiling: ratio(hearthSummary?.decodeTokensPerSecond, decodeCeilingTokensPerSecond),
        directDecodeToCeiling: ratio(directSummary.decodeTokensPerSecond, decodeCeilingTokensPerSecond),
        hearthDecodeToDirect: ratio(hearthSummary?.decodeTokensPerSecond, directSummary.decodeTokensPerSecond),
        hearthPromptToDirect: ratio(hearthSummary?.promptTokensPerSecond, directSummary.promptTokensPerSecond),
        hearthResidentToFile: ratio(hearthSummary?.residentBytesAfterWarmup, model.fileBytes),
        hearthPeakResidentToFile: ratio(hearthSummary?.peakResidentBytes, model.fileBytes),
        hearthPromptToLlamaBench: ratio(hearthSummary?.promptTokensPerSecond, llamaBench?.promptTokensPerSecond),
        hearthDecodeToLlamaBench: ratio(hearthSummary?.decodeTokensPerSecond, llamaBench?.decodeTokensPerSecond),
        directPromptToLlamaBench: ratio(directSummary.promptTokensPerSecond, llamaBench?.promptTokensPerSecond),
        directDecodeToLlamaBench: ratio(directSummary.decodeTokensPerSecond, llamaBench?.decodeTokensPerSecond),
        llamaBenchDecodeToCeiling: ratio(llamaBench?.decodeTokensPerSecond, decodeCeilingTokensPerSecond),
      },
      concurrency,
      notes,
    };
  } finally {
    progress.clear();
    await server?.stop();
    await direct?.dispose();
    removeWorkDirectory();
    workDirectory = undefined;
  }
}

/** The human-readable report. */
export function formatReport(result: LocalBenchResult): string {
  const { model, bandwidth, direct, hearth, ratios, settings } = result;
  const lines: string[] = [];
  const modelLabel = settings.preset === undefined ? model.path : `generated ${settings.preset} (seed ${settings.seed})`;
  lines.push(
    `Local inference — ${modelLabel}`,
    `${result.machine.cpuModel}, ${plural(result.machine.cores, "core")}; ${plural(settings.threads, "thread")}; ` +
      `${settings.promptTokens} prompt tokens + template, max ${settings.tokens} tokens, greedy; ` +
      `median of ${settings.repetitions} interleaved runs`,
    `model file ${formatBytes(model.fileBytes)}; weights read per token ${formatBytes(model.bytesReadPerToken)}` +
      `${model.tiedEmbeddings ? " (tied embeddings: token_embd is the output matrix)" : " (output matrix, one embedding row)"}`,
  );
  if (bandwidth === undefined) {
    lines.push("memory read bandwidth: not measured");
  } else {
    lines.push(
      `memory read bandwidth ${bandwidth.gigabytesPerSecond.toFixed(1)} GB/s (${bandwidth.method} probe, ` +
        `${plural(bandwidth.threads, "thread")}, best of ${bandwidth.passes}${bandwidth.lowerBound ? ", a LOWER BOUND" : ""}) ` +
        `→ decode ceiling ${formatNumber(result.decodeCeilingTokensPerSecond)} tok/s`,
    );
  }
  lines.push("");

  const rows: string[][] = [
    ["prompt tokens/s", formatNumber(direct.promptTokensPerSecond), hearth ? formatNumber(hearth.promptTokensPerSecond) : "—", formatRatio(ratios.hearthPromptToDirect)],
    ["decode tokens/s", formatNumber(direct.decodeTokensPerSecond), hearth ? formatNumber(hearth.decodeTokensPerSecond) : "—", formatRatio(ratios.hearthDecodeToDirect)],
    [
      "time to first token (ms)",
      formatNumber(direct.timeToFirstTokenMilliseconds),
      hearth ? formatNumber(hearth.timeToFirstTokenMilliseconds) : "—",
      hearth ? formatSignedMilliseconds(result.timeToFirstTokenAddedMilliseconds) : "—",
    ],
    [
      "  of which inside the server (ms)",
      "",
      "",
      result.serverTimeToFirstTokenAddedMilliseconds === undefined ? "—" : formatSignedMilliseconds(result.serverTimeToFirstTokenAddedMilliseconds),
    ],
    ["decode / ceiling", formatRatio(ratios.directDecodeToCeiling), hearth ? formatRatio(ratios.hearthDecodeToCeiling) : "—", ""],
    [
      "tokens (prompt / completion)",
      `${formatNumber(direct.promptTokens, 0)} / ${formatNumber(direct.completionTokens, 0)}`,
      hearth ? `${formatNumber(hearth.promptTokens, 0)} / ${formatNumber(hearth.completionTokens, 0)}` : "—",
      "",
    ],
  ];
  lines.push(formatTable(["", "direct (node-llama-cpp)", "Hearth HTTP (openai SDK)", "Hearth vs direct"], rows));

  const reference = result.llamaBench;
  if (reference !== undefined) {
    const withDeviation = (value: number, deviation: number) =>
      Number.isFinite(deviation) ? `${formatNumber(value)} ± ${formatNumber(deviation)}` : formatNumber(value);
    lines.push(
      "",
      `llama.cpp reference: llama-bench${reference.buildCommit === undefined ? "" : ` (commit ${reference.buildCommit})`}, same model, ` +
        `${plural(reference.threads, "thread")}, pp${reference.promptTokens} / tg${reference.generatedTokens}, mean of ${reference.repetitions}`,
      formatTable(
        ["", "llama-bench", "direct ÷ llama-bench", "Hearth ÷ llama-bench"],
        [
          [
            "prompt tokens/s",
            withDeviation(reference.promptTokensPerSecond, reference.promptStandardDeviation),
            formatRatio(ratios.directPromptToLlamaBench),
            hearth ? formatRatio(ratios.hearthPromptToLlamaBench) : "—",
          ],
          [
            "decode tokens/s",
            withDeviation(reference.decodeTokensPerSecond, reference.decodeStandardDeviation),
            formatRatio(ratios.directDecodeToLlamaBench),
            hearth ? formatRatio(ratios.hearthDecodeToLlamaBench) : "—",
          ],
          ["decode / ceiling", formatRatio(ratios.llamaBenchDecodeToCeiling), "", ""],
        ],
      ),
    );
  }

  if (hearth !== undefined) {
    lines.push(
      "",
      `Hearth server memory (VmRSS): ${hearth.residentBytesAfterWarmup === undefined ? "n/a" : formatBytes(hearth.residentBytesAfterWarmup)} ` +
        `after warm-up = ${formatRatio(ratios.hearthResidentToFile)} the model file; peak (VmHWM) ` +
        `${hearth.peakResidentBytes === undefined ? "n/a" : formatBytes(hearth.peakResidentBytes)} = ${formatRatio(ratios.hearthPeakResidentToFile)}`,
      `Hearth server CPU while idle during the direct runs: ${formatNumber(hearth.idleCpuShareDuringDirect * 100)}% of a core`,
    );
  }
  if (result.concurrency.length > 0) {
    lines.push(
      "",
      formatTable(
        ["concurrent Hearth streams (16-token prompts)", "aggregate decode tok/s", "vs 1 stream", "median TTFT (ms)", "wall (s)"],
        result.concurrency.map((entry) => [
          String(entry.streams),
          formatNumber(entry.aggregateDecodeTokensPerSecond),
          formatRatio(ratio(entry.aggregateDecodeTokensPerSecond, result.concurrency[0]?.aggregateDecodeTokensPerSecond)),
          formatNumber(entry.medianTimeToFirstTokenMilliseconds),
          formatNumber(entry.wallMilliseconds / 1000, 2),
        ]),
      ),
    );
  }
  if (result.notes.length > 0) lines.push("", ...result.notes.map((note) => `note: ${note}`));
  return lines.join("\n");
}

/**
 * Keeps the result as `<dataDir>/bench/local-latest.json` (dataDir as `hearth serve` resolves it),
 * stamped with the time, for `hearth tco` to take its throughput from. Failing to save is reported
 * on stderr but does not fail the benchmark.
 */
async function saveLatestResult(result: LocalBenchResult): Promise<void> {
  try {
    const file = localBenchFile(loadConfig({}, processEnvironment()).config.dataDir);
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`);
    await rename(partial, file);
    process.stderr.write(`bench:local: result saved to ${file} (used by \`hearth tco\`)\n`);
  } catch (error) {
    process.stderr.write(`bench:local: result not saved for \`hearth tco\`: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const progress = createProgress();
  stopOnSignals(progress, () => {
    killServers();
    killLlamaBenchProcesses();
  });
  try {
    const result = await runLocalBench(options, progress);
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${formatReport(result)}\n`);
    await saveLatestResult(result);
  } catch (error) {
    progress.clear();
    process.stderr.write(`bench:local failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!options.directOnly) process.stderr.write("(to measure without Hearth's server: --direct-only)\n");
    process.exitCode = 1;
  }
}

if (import.meta.main) await main();

/**
 * Median over the measured runs of (server-side TTFT − direct TTFT): the server's request log
 * holds, per request, the time from entering the handler to the first token. The last N streamed
 * chat entries are the N measured Hearth runs, in order (warm-up and concurrency come before/after).
 */
async function serverSideAddedTimeToFirstToken(database: string, directRuns: readonly StreamMeasurement[]): Promise<number | undefined> {
  // The server writes its log in batches every ~50 ms.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const { default: Database } = await import("better-sqlite3");
  let db: InstanceType<typeof Database> | undefined;
  try {
    db = new Database(database, { readonly: true, fileMustExist: true });
    const rows = db
      .prepare("SELECT time_to_first_token_ms AS ttft FROM request_log WHERE endpoint = 'chat.completions' AND stream = 1 AND status = 200 ORDER BY time DESC, id DESC LIMIT ?")
      .all(directRuns.length) as Array<{ ttft: number | null }>;
    if (rows.length !== directRuns.length || rows.some((row) => row.ttft === null)) return undefined;
    const serverTtfts = rows.map((row) => row.ttft as number).reverse();
    return median(serverTtfts.map((ttft, index) => ttft - (directRuns[index] as StreamMeasurement).timeToFirstTokenMilliseconds));
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

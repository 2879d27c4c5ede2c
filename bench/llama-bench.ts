import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * llama.cpp's own `llama-bench`, built from exactly the llama.cpp source node-llama-cpp ships: the
 * honest reference for what Hearth loses, since on a compute-bound machine raw llama.cpp itself
 * stays far below the memory-bandwidth ceiling.
 */
export interface LlamaBenchResult {
  binary: string;
  /** The llama.cpp commit the binary reports (`build_commit`). */
  buildCommit: string | undefined;
  threads: number;
  /** `-p`: the prompt length processed in one batch. */
  promptTokens: number;
  /** `-n`: tokens generated one at a time from an empty context. */
  generatedTokens: number;
  repetitions: number;
  /** Mean over the repetitions, as llama-bench reports it (`avg_ts`). */
  promptTokensPerSecond: number;
  promptStandardDeviation: number;
  decodeTokensPerSecond: number;
  decodeStandardDeviation: number;
  /** Wall time of the whole llama-bench run (load, warm-up and repetitions). */
  wallMilliseconds: number;
}

/** One test from `llama-bench -o json`: a prompt test has `n_gen` 0, a generation test `n_prompt` 0. */
export interface LlamaBenchTest {
  promptTokens: number;
  generatedTokens: number;
  threads: number | undefined;
  buildCommit: string | undefined;
  tokensPerSecond: number;
  standardDeviation: number;
  samples: number;
}

export type LlamaBenchParse =
  | { kind: "parsed"; prompt: LlamaBenchTest | undefined; decode: LlamaBenchTest | undefined; tests: LlamaBenchTest[] }
  | { kind: "invalid"; reason: string };

export type LlamaBenchOutcome = { kind: "measured"; value: LlamaBenchResult } | { kind: "failed"; reason: string };

export interface LlamaBenchOptions {
  binary: string;
  modelPath: string;
  threads: number;
  promptTokens: number;
  generatedTokens: number;
  repetitions: number;
}

const repositoryRoot = join(import.meta.dirname, "..");
/** Where node-llama-cpp keeps the llama.cpp source it was built from. */
export const bundledLlamaCppDirectory = join(repositoryRoot, "node_modules", "node-llama-cpp", "llama");

/** The llama.cpp release tag node-llama-cpp ships (`llama.cpp.info.json`), safe as a directory name. */
export function bundledLlamaCppTag(directory = bundledLlamaCppDirectory): string {
  const info = JSON.parse(readFileSync(join(directory, "llama.cpp.info.json"), "utf8")) as { tag?: unknown };
  if (typeof info.tag !== "string" || info.tag.length === 0) throw new Error(`no "tag" in ${join(directory, "llama.cpp.info.json")}`);
  return info.tag.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Where `npm run bench:build-llama-cpp` keeps the source checkout and its build. */
export function llamaBenchSourceDirectory(cacheDirectory = join(tmpdir(), "hearth-bench"), tag = bundledLlamaCppTag()): string {
  return join(cacheDirectory, `llama.cpp-${tag}`);
}

/** The `llama-bench` binary that `npm run bench:build-llama-cpp` produces. */
export function defaultLlamaBenchBinary(cacheDirectory?: string, tag?: string): string {
  return join(llamaBenchSourceDirectory(cacheDirectory, tag), "build", "bin", "llama-bench");
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Reads `llama-bench -o json` output: a JSON array with one object per test. */
export function parseLlamaBenchOutput(stdout: string): LlamaBenchParse {
  // llama-bench prints only the JSON on stdout, but be tolerant of a stray line before it.
  const start = stdout.indexOf("[");
  if (start < 0) return { kind: "invalid", reason: "no JSON array in the output" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.slice(start));
  } catch (error) {
    return { kind: "invalid", reason: `unreadable JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(parsed)) return { kind: "invalid", reason: "the output is not a JSON array" };
  const tests: LlamaBenchTest[] = [];
  for (const [index, entry] of parsed.entries()) {
    if (typeof entry !== "object" || entry === null) return { kind: "invalid", reason: `entry ${index} is not an object` };
    const record = entry as Record<string, unknown>;
    const promptTokens = finiteNumber(record["n_prompt"]);
    const generatedTokens = finiteNumber(record["n_gen"]);
    const tokensPerSecond = finiteNumber(record["avg_ts"]);
    if (promptTokens === undefined || generatedTokens === undefined || tokensPerSecond === undefined) {
      return { kind: "invalid", reason: `entry ${index} lacks n_prompt, n_gen or avg_ts` };
    }
    const samples = record["samples_ts"];
    tests.push({
      promptTokens,
      generatedTokens,
      threads: finiteNumber(record["n_threads"]),
      buildCommit: typeof record["build_commit"] === "string" ? record["build_commit"] : undefined,
      tokensPerSecond,
      standardDeviation: finiteNumber(record["stddev_ts"]) ?? Number.NaN,
      samples: Array.isArray(samples) ? samples.length : 0,
    });
  }
  return {
    kind: "parsed",
    prompt: tests.find((test) => test.promptTokens > 0 && test.generatedTokens === 0),
    decode: tests.find((test) => test.generatedTokens > 0 && test.promptTokens === 0),
    tests,
  };
}

/** The command-line arguments for one prompt test and one generation test. */
export function llamaBenchArguments(options: Omit<LlamaBenchOptions, "binary">): string[] {
  return [
    "-m", options.modelPath,
    "-t", String(options.threads),
    "-p", String(options.promptTokens),
    "-n", String(options.generatedTokens),
    "-r", String(options.repetitions),
    "-o", "json",
  ];
}

const running = new Set<ChildProcess>();

/** Kills any llama-bench this process started (for signal handlers). */
export function killLlamaBenchProcesses(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Runs llama-bench once; failures come back as values, so the rest of a benchmark still reports. */
export function runLlamaBench(options: LlamaBenchOptions): Promise<LlamaBenchOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(options.binary, llamaBenchArguments(options), { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      // Only the tail is needed for error messages; llama.cpp logs a lot while loading.
      stderr = (stderr + chunk).slice(-4000);
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      running.delete(child);
      resolve({ kind: "failed", reason: `cannot run ${options.binary}: ${error.code ?? error.message}` });
    });
    child.once("close", (exitCode, signal) => {
      running.delete(child);
      const wallMilliseconds = performance.now() - started;
      if (exitCode !== 0) {
        const last = stderr.trim().split("\n").at(-1) ?? "";
        resolve({ kind: "failed", reason: `llama-bench exited with ${signal ?? exitCode}${last ? `: ${last}` : ""}` });
        return;
      }
      const parsed = parseLlamaBenchOutput(stdout);
      if (parsed.kind === "invalid") {
        resolve({ kind: "failed", reason: `llama-bench output: ${parsed.reason}` });
        return;
      }
      if (parsed.prompt === undefined || parsed.decode === undefined) {
        resolve({ kind: "failed", reason: "llama-bench output lacks a prompt test or a generation test" });
        return;
      }
      resolve({
        kind: "measured",
        value: {
          binary: options.binary,
          buildCommit: parsed.prompt.buildCommit,
          threads: parsed.prompt.threads ?? options.threads,
          promptTokens: parsed.prompt.promptTokens,
          generatedTokens: parsed.decode.generatedTokens,
          repetitions: options.repetitions,
          promptTokensPerSecond: parsed.prompt.tokensPerSecond,
          promptStandardDeviation: parsed.prompt.standardDeviation,
          decodeTokensPerSecond: parsed.decode.tokensPerSecond,
          decodeStandardDeviation: parsed.decode.standardDeviation,
          wallMilliseconds,
        },
      });
    });
  });
}

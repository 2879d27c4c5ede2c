import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { availableParallelism, freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { plural } from "./table.ts";

/**
 * Memory read bandwidth, the hardware limit for decoding: each decoded token reads (nearly) every
 * weight once, so decode tokens/s ≤ bandwidth ÷ bytes read per token.
 */
export interface BandwidthResult {
  /** Best pass, in 10⁹ bytes per second. */
  gigabytesPerSecond: number;
  medianGigabytesPerSecond: number;
  threads: number;
  /** Size of the buffer read each pass. */
  bytes: number;
  passes: number;
  /** `native`: the C probe compiled with the system compiler; `javascript`: the worker_threads fallback. */
  method: "native" | "javascript";
  /** True when the number understates the hardware (the JavaScript probe cannot keep up with memory). */
  lowerBound: boolean;
  /** Why the fallback was used, or how the native probe was built. */
  note: string;
}

export interface BandwidthOptions {
  threads: number;
  /** Buffer size; defaults to {@link defaultProbeBytes}. */
  bytes?: number | undefined;
  passes?: number | undefined;
  /** Where the compiled probe is kept between runs. */
  cacheDirectory?: string | undefined;
  /** The C compiler; default `cc`. */
  compiler?: string | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

const sourcePath = join(import.meta.dirname, "bandwidth.c");
const compilerFlags = ["-O2", "-march=native", "-pthread"];
const mebibyte = 1 << 20;
const gibibyte = 1 << 30;

/** The largest last-level cache reported by Linux, in bytes (0 when unknown). */
export function lastLevelCacheBytes(): number {
  const directory = "/sys/devices/system/cpu/cpu0/cache";
  let largest = 0;
  try {
    for (const entry of readdirSync(directory)) {
      if (!entry.startsWith("index")) continue;
      const size = readFileSync(join(directory, entry, "size"), "utf8").trim();
      const match = /^(\d+)([KMG]?)$/.exec(size);
      if (!match) continue;
      const unit = match[2] === "G" ? gibibyte : match[2] === "M" ? mebibyte : match[2] === "K" ? 1024 : 1;
      largest = Math.max(largest, Number(match[1]) * unit);
    }
  } catch {
    return 0;
  }
  return largest;
}

/** At least 1 GiB and 4× the last-level cache, but no more than a quarter of free memory. */
export function defaultProbeBytes(): number {
  const wanted = Math.max(gibibyte, 4 * lastLevelCacheBytes());
  const roundedToMebibytes = Math.ceil(wanted / mebibyte) * mebibyte;
  const allowed = Math.floor(freemem() / 4 / mebibyte) * mebibyte;
  return Math.max(64 * mebibyte, Math.min(roundedToMebibytes, allowed));
}

/** Measures read bandwidth with the native probe, or with the JavaScript one when no compiler works. */
export async function measureReadBandwidth(options: BandwidthOptions): Promise<BandwidthResult> {
  const bytes = options.bytes ?? defaultProbeBytes();
  const passes = options.passes ?? 7;
  const progress = options.onProgress ?? (() => {});
  const cacheDirectory = options.cacheDirectory ?? join(tmpdir(), "hearth-bench");
  const build = await buildNativeProbe(cacheDirectory, options.compiler ?? "cc");
  if (build.kind === "built") {
    progress(`bandwidth: native probe (${build.note}), ${plural(options.threads, "thread")}, ${formatMebibytes(bytes)}, best of ${passes}`);
    const result = await runNativeProbe(build.binary, options.threads, bytes, passes);
    if (result.kind === "measured") return { ...result.value, method: "native", lowerBound: false, note: build.note };
    progress(`bandwidth: native probe failed (${result.reason}); falling back to JavaScript`);
    return measureWithWorkers(options.threads, bytes, passes, `native probe failed: ${result.reason}`, progress);
  }
  progress(`bandwidth: ${build.reason}; using the JavaScript probe (a lower bound)`);
  return measureWithWorkers(options.threads, bytes, passes, build.reason, progress);
}

type BuildOutcome = { kind: "built"; binary: string; note: string } | { kind: "unavailable"; reason: string };

async function buildNativeProbe(cacheDirectory: string, compiler: string): Promise<BuildOutcome> {
  const source = await readFile(sourcePath);
  const key = createHash("sha256").update(source).update(compiler).update(compilerFlags.join(" ")).digest("hex").slice(0, 16);
  const binary = join(cacheDirectory, `bandwidth-${key}`);
  const note = `${compiler} ${compilerFlags.join(" ")}`;
  if (existsSync(binary)) return { kind: "built", binary, note: `${note}, cached` };
  await mkdir(cacheDirectory, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const outcome = await runProcess(compiler, [...compilerFlags, "-o", partial, sourcePath]);
  if (outcome.kind === "spawn-failed") {
    return { kind: "unavailable", reason: outcome.code === "ENOENT" ? `no C compiler (\`${compiler}\` not found)` : `cannot run \`${compiler}\`: ${outcome.code}` };
  }
  if (outcome.exitCode !== 0) {
    await rm(partial, { force: true });
    return { kind: "unavailable", reason: `\`${compiler}\` failed to build bench/bandwidth.c: ${lastLine(outcome.stderr)}` };
  }
  await rename(partial, binary);
  return { kind: "built", binary, note };
}

type ProbeOutcome =
  | { kind: "measured"; value: Omit<BandwidthResult, "method" | "lowerBound" | "note"> }
  | { kind: "failed"; reason: string };

async function runNativeProbe(binary: string, threads: number, bytes: number, passes: number): Promise<ProbeOutcome> {
  const megabytes = Math.max(1, Math.floor(bytes / mebibyte));
  const outcome = await runProcess(binary, [String(threads), String(megabytes), String(passes)]);
  if (outcome.kind === "spawn-failed") return { kind: "failed", reason: outcome.code };
  if (outcome.exitCode !== 0) return { kind: "failed", reason: lastLine(outcome.stderr) || `exit ${outcome.exitCode}` };
  try {
    const parsed = JSON.parse(outcome.stdout.trim()) as {
      threads: number;
      bytes: number;
      passes: number;
      bestGigabytesPerSecond: number;
      medianGigabytesPerSecond: number;
    };
    return {
      kind: "measured",
      value: {
        gigabytesPerSecond: parsed.bestGigabytesPerSecond,
        medianGigabytesPerSecond: parsed.medianGigabytesPerSecond,
        threads: parsed.threads,
        bytes: parsed.bytes,
        passes: parsed.passes,
      },
    };
  } catch {
    return { kind: "failed", reason: `unreadable output: ${lastLine(outcome.stdout)}` };
  }
}

/**
 * The fallback: worker threads summing slices of one SharedArrayBuffer. JavaScript loops fall far
 * short of memory speed, so the result is only a lower bound on the hardware.
 */
async function measureWithWorkers(
  threads: number,
  bytes: number,
  passes: number,
  reason: string,
  progress: (message: string) => void,
): Promise<BandwidthResult> {
  const size = Math.max(8 * threads, Math.floor(bytes / (8 * threads)) * 8 * threads);
  const shared = new SharedArrayBuffer(size);
  const words = new Float64Array(shared);
  for (let index = 0; index < words.length; index++) words[index] = index & 1023;
  const workerSource = `
    const { parentPort, workerData } = require("node:worker_threads");
    const view = new Float64Array(workerData.buffer, workerData.offset, workerData.length);
    parentPort.on("message", () => {
      let a = 0, b = 0, c = 0, d = 0;
      const length = view.length - (view.length % 4);
      for (let index = 0; index < length; index += 4) {
        a += view[index]; b += view[index + 1]; c += view[index + 2]; d += view[index + 3];
      }
      parentPort.postMessage(a + b + c + d);
    });
  `;
  const perThread = words.length / threads;
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(workerSource, {
        eval: true,
        workerData: { buffer: shared, offset: index * perThread * 8, length: perThread },
      }),
  );
  progress(`bandwidth: JavaScript probe, ${plural(threads, "worker")}, ${formatMebibytes(size)}, best of ${passes}`);
  const runPass = () =>
    Promise.all(workers.map((worker) => new Promise<number>((resolve) => {
      worker.once("message", (sum: number) => resolve(sum));
      worker.postMessage("go");
    })));
  let checksum = 0;
  const seconds: number[] = [];
  try {
    checksum += (await runPass()).reduce((total, sum) => total + sum, 0); // warm-up (JIT)
    for (let pass = 0; pass < passes; pass++) {
      const started = performance.now();
      const sums = await runPass();
      seconds.push((performance.now() - started) / 1000);
      checksum += sums.reduce((total, sum) => total + sum, 0);
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  if (!Number.isFinite(checksum)) throw new Error("bandwidth: JavaScript probe produced no checksum");
  seconds.sort((left, right) => left - right);
  return {
    gigabytesPerSecond: size / (seconds[0] ?? Number.NaN) / 1e9,
    medianGigabytesPerSecond: size / (seconds[Math.floor(passes / 2)] ?? Number.NaN) / 1e9,
    threads,
    bytes: size,
    passes,
    method: "javascript",
    lowerBound: true,
    note: reason,
  };
}

type ProcessOutcome =
  | { kind: "exited"; exitCode: number; stdout: string; stderr: string }
  | { kind: "spawn-failed"; code: string };

function runProcess(command: string, args: readonly string[]): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (error: NodeJS.ErrnoException) => resolve({ kind: "spawn-failed", code: error.code ?? error.message }));
    child.once("close", (exitCode) => resolve({ kind: "exited", exitCode: exitCode ?? 1, stdout, stderr }));
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

function formatMebibytes(bytes: number): string {
  return bytes >= gibibyte ? `${(bytes / gibibyte).toFixed(1)} GiB` : `${Math.round(bytes / mebibyte)} MiB`;
}

/** Run alone: `node bench/bandwidth.ts [--threads N] [--megabytes N] [--cc COMPILER] [--javascript]`. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const valueOf = (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const threads = Number(valueOf("--threads") ?? Math.min(2, availableParallelism()));
  const megabytes = valueOf("--megabytes");
  const bytes = megabytes === undefined ? defaultProbeBytes() : Number(megabytes) * mebibyte;
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const result = args.includes("--javascript")
    ? await measureWithWorkers(threads, bytes, 5, "requested with --javascript", log)
    : await measureReadBandwidth({ threads, bytes, compiler: valueOf("--cc"), onProgress: log });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.main) await main();

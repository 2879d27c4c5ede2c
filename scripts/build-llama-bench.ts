// Builds llama.cpp's own `llama-bench` from the llama.cpp source node-llama-cpp ships (a git bundle in
// node_modules/node-llama-cpp/llama/), offline, into $TMPDIR/hearth-bench/llama.cpp-<tag>/. It is
// the reference path (d) of `npm run bench:local` (see docs/benchmarks.md).
// Usage: npm run bench:build-llama-cpp [-- --jobs N]    Prints the binary's path on stdout.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { bundledLlamaCppDirectory, bundledLlamaCppTag, defaultLlamaBenchBinary, llamaBenchSourceDirectory } from "../bench/llama-bench.ts";
import { createProgress, type Progress } from "../bench/progress.ts";

/** The configuration `bench:local` documents: CPU only, native instructions, nothing fetched. */
export const cmakeFlags = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DGGML_NATIVE=ON",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_SERVER=OFF",
  "-DLLAMA_OPENSSL=OFF",
];

type CommandOutcome = { kind: "exited"; exitCode: number } | { kind: "spawn-failed"; code: string };

/** Runs a command, copying its output to `log` and each line to `onLine`. */
function runCommand(
  command: string,
  args: readonly string[],
  log: WriteStream | undefined,
  onLine: (line: string) => void = () => {},
): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    let pending = "";
    const take = (chunk: string) => {
      log?.write(chunk);
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    };
    child.stdout.setEncoding("utf8").on("data", take);
    child.stderr.setEncoding("utf8").on("data", take);
    child.once("error", (error: NodeJS.ErrnoException) => resolve({ kind: "spawn-failed", code: error.code ?? error.message }));
    child.once("close", (exitCode) => {
      if (pending) onLine(pending);
      resolve({ kind: "exited", exitCode: exitCode ?? 1 });
    });
  });
}

async function commandWorks(command: string): Promise<boolean> {
  const outcome = await runCommand(command, ["--version"], undefined);
  return outcome.kind === "exited" && outcome.exitCode === 0;
}

/** The first C++ compiler that answers `--version` ($CXX first, as CMake would). */
async function findCxxCompiler(): Promise<string | undefined> {
  const candidates = [process.env["CXX"], "c++", "g++", "clang++"].filter((name): name is string => name !== undefined && name !== "");
  for (const candidate of candidates) if (await commandWorks(candidate)) return candidate;
  return undefined;
}

export interface BuildOptions {
  /** Parent of `llama.cpp-<tag>/`; default `$TMPDIR/hearth-bench`. */
  cacheDirectory?: string | undefined;
  jobs: number;
  progress: Progress;
}

export type BuildOutcome = { kind: "ready"; binary: string; built: boolean } | { kind: "failed"; message: string };

/** Clones, configures and builds llama-bench unless the binary already exists. */
export async function buildLlamaBench(options: BuildOptions): Promise<BuildOutcome> {
  const { progress } = options;
  let tag: string;
  try {
    tag = bundledLlamaCppTag();
  } catch (error) {
    return { kind: "failed", message: `cannot read node-llama-cpp's llama.cpp version: ${error instanceof Error ? error.message : String(error)}` };
  }
  const source = llamaBenchSourceDirectory(options.cacheDirectory, tag);
  const binary = defaultLlamaBenchBinary(options.cacheDirectory, tag);
  if (existsSync(binary)) {
    progress.line(`llama-bench (llama.cpp ${tag}) already built; nothing to do`);
    return { kind: "ready", binary, built: false };
  }

  const bundle = join(bundledLlamaCppDirectory, "gitRelease.bundle");
  if (!existsSync(bundle)) {
    return { kind: "failed", message: `node-llama-cpp's llama.cpp source bundle is missing: ${bundle} (reinstall node-llama-cpp)` };
  }
  const missing: string[] = [];
  if (!(await commandWorks("git"))) missing.push("git");
  if (!(await commandWorks("cmake"))) missing.push("cmake");
  // CMake's default generator on Linux writes Makefiles; with CMAKE_GENERATOR set, CMake checks its own tool.
  if (!process.env["CMAKE_GENERATOR"] && !(await commandWorks("make"))) missing.push("make");
  const compiler = await findCxxCompiler();
  if (compiler === undefined) missing.push("a C++ compiler (c++, g++ or clang++; or set CXX)");
  if (missing.length > 0) {
    return {
      kind: "failed",
      message: `cannot build llama-bench: missing ${missing.join(", ")} (on Debian/Ubuntu: apt-get install git cmake g++ make)`,
    };
  }

  if (!existsSync(join(source, "CMakeLists.txt"))) {
    // Clone beside the target and rename, so an interrupted clone never looks complete.
    const partial = `${source}.partial-${process.pid}`;
    await mkdir(dirname(source), { recursive: true });
    await rm(source, { recursive: true, force: true });
    progress.line(`cloning llama.cpp ${tag} from ${bundle} into ${source} ...`);
    const gitOutput: string[] = [];
    const clone = await runCommand("git", ["-c", "advice.detachedHead=false", "clone", "-q", bundle, partial], undefined, (line) => {
      if (line.trim()) gitOutput.push(line);
    });
    if (clone.kind !== "exited" || clone.exitCode !== 0) {
      await rm(partial, { recursive: true, force: true });
      return { kind: "failed", message: `git clone of ${bundle} failed: ${gitOutput.at(-1) ?? (clone.kind === "spawn-failed" ? clone.code : "")}` };
    }
    await rename(partial, source);
  }

  const build = join(source, "build");
  await mkdir(build, { recursive: true });
  const logPath = join(build, "hearth-build.log");
  const log = createWriteStream(logPath);
  const closeLog = () => new Promise<void>((resolve) => log.end(resolve));
  let lastOutput = "";
  const remember = (line: string) => {
    if (line.trim()) lastOutput = line;
  };
  try {
    progress.line("configuring with cmake ...");
    const configure = await runCommand(
      "cmake",
      ["-S", source, "-B", build, ...cmakeFlags],
      log,
      (line) => {
        remember(line);
        if (line.startsWith("-- The CXX compiler") || line.startsWith("-- Adding CPU backend") || line.startsWith("CMake Error")) {
          progress.line(`cmake: ${line.replace(/^-- /, "")}`);
        }
      },
    );
    if (configure.kind !== "exited" || configure.exitCode !== 0) {
      return { kind: "failed", message: `cmake configure failed: ${lastOutput} (full log: ${logPath})` };
    }
    progress.line(`building llama-bench with ${options.jobs} jobs (about 5 minutes on 2 cores) ...`);
    let lastTenth = -1;
    const compile = await runCommand("cmake", ["--build", build, "--target", "llama-bench", "-j", String(options.jobs)], log, (line) => {
      remember(line);
      // Makefile generator lines look like "[ 42%] Building CXX object ggml/src/...".
      const match = /^\[\s*(\d+)%\]\s+(.*)$/.exec(line);
      if (match === null) return;
      const percent = Number(match[1]);
      const message = `build: ${percent}% ${match[2] ?? ""}`;
      // One line per 10% (a status per step would flood logs that are not terminals).
      if (Math.floor(percent / 10) !== lastTenth) {
        lastTenth = Math.floor(percent / 10);
        progress.line(message);
      }
    });
    if (compile.kind !== "exited" || compile.exitCode !== 0) {
      return { kind: "failed", message: `build failed: ${lastOutput} (full log: ${logPath})` };
    }
  } finally {
    progress.clear();
    await closeLog();
  }
  if (!existsSync(binary)) return { kind: "failed", message: `the build finished but ${binary} is missing (log: ${logPath})` };
  progress.line(`built llama-bench (log: ${logPath})`);
  return { kind: "ready", binary, built: true };
}

function parseJobs(argv: readonly string[]): number | undefined {
  const index = argv.indexOf("--jobs");
  if (index < 0) return availableParallelism();
  const jobs = Number(argv[index + 1]);
  return Number.isInteger(jobs) && jobs > 0 ? jobs : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const jobs = parseJobs(argv);
  const unknown = argv.filter((argument, index) => argument !== "--jobs" && argv[index - 1] !== "--jobs");
  if (jobs === undefined || unknown.length > 0) {
    process.stderr.write("usage: npm run bench:build-llama-cpp [-- --jobs N]\n");
    process.exitCode = 2;
    return;
  }
  const outcome = await buildLlamaBench({ jobs, progress: createProgress() });
  if (outcome.kind === "failed") {
    process.stderr.write(`bench:build-llama-cpp: ${outcome.message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${outcome.binary}\n`);
}

if (import.meta.main) await main();

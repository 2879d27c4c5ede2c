/**
 * The child processes bench:gateway starts (the upstream, Hearth, Portkey): started with the
 * repository's pinned Node, watched until ready, ended by PID — and all of them killed on exit or
 * Ctrl-C, so a failed run leaves nothing listening.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const repositoryRoot = join(import.meta.dirname, "..", "..");
const pinnedNode = join(repositoryRoot, "node_modules", ".bin", "node");
/** The pinned Node 24 (the system one may be older); this process's own as a fallback. */
export const nodeBinary = existsSync(pinnedNode) ? pinnedNode : process.execPath;

export interface ChildOptions {
  /** For messages: "upstream", "hearth", "portkey". */
  name: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves true once the child serves; polled every 100 ms with the output so far. */
  ready: (output: string) => Promise<boolean> | boolean;
  startTimeoutMilliseconds?: number;
}

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly startMilliseconds: number;
  /** Everything written to stdout and stderr so far (the last 16 kB). */
  output(): string;
  /** Why it exited, once it has; undefined while running. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMilliseconds`; resolves once it has exited. */
  stop(graceMilliseconds?: number): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();

/** Kills every child this module started, synchronously (safe in `exit` and signal handlers). */
export function killChildren(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  liveChildren.clear();
}

/** The last `lines` lines of a child's output, for error messages. */
export function tail(output: string, lines = 20): string {
  return output.trim().split("\n").slice(-lines).join("\n");
}

export async function startChild(options: ChildOptions): Promise<BenchChild> {
  const started = performance.now();
  const child = spawn(nodeBinary, options.args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.add(child);
  let output = "";
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-16_000);
  };
  child.stdout?.setEncoding("utf8").on("data", keep);
  child.stderr?.setEncoding("utf8").on("data", keep);
  let exitReason: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitReason = signal === null ? `exit code ${code}` : `signal ${signal}`;
      liveChildren.delete(child);
      resolve();
    });
    child.once("error", (error) => {
      exitReason = `could not start: ${error.message}`;
      liveChildren.delete(child);
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const stop = async (graceMilliseconds = 5000) => {
    if (exitReason !== undefined || pid < 0) return;
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (exitReason === undefined) process.kill(pid, "SIGKILL");
    }, graceMilliseconds);
    await exitedPromise;
    clearTimeout(timer);
  };

  const deadline = started + (options.startTimeoutMilliseconds ?? 60_000);
  for (;;) {
    if (exitReason !== undefined) throw new Error(`${options.name} stopped before it was ready (${exitReason}). Its output:\n${tail(output)}`);
    if (performance.now() > deadline) {
      await stop(1000);
      throw new Error(`${options.name} was not ready within ${Math.round((options.startTimeoutMilliseconds ?? 60_000) / 1000)} s. Its output:\n${tail(output)}`);
    }
    if (await options.ready(output)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: options.name,
    pid,
    startMilliseconds: performance.now() - started,
    output: () => output,
    exited: () => exitReason,
    stop,
  };
}

/** True when GET `url` answers 200 within a second. */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

const root = path.resolve(import.meta.dirname, "../..");
const main = path.join(root, "src/cli/main.ts");

/** A `hearth serve` child process started by a test; end it with `stop()` or `kill()`. */
export interface HearthProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed (the last 16 kB). */
  output(): string;
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: nothing is flushed. */
  kill(): Promise<void>;
}

/**
 * Writes `config` as YAML into `directory` and starts `hearth serve` on it (port 0: the OS
 * picks one); resolves when the server prints its address.
 */
export async function startHearthProcess(directory: string, config: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<HearthProcess> {
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, "hearth.yaml");
  fs.writeFileSync(file, stringify({ dataDir: path.join(directory, "data"), logLevel: "warn", ...config }));
  // The config file alone decides the setup: drop the caller's HEARTH_* / HF_* settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(HEARTH_|HF_)/.test(name)));
  const child = spawn(process.execPath, [main, "serve", "--config", file, "--port", "0"], { env, cwd: directory, stdio: ["ignore", "pipe", "pipe"] });
  let seen = "";
  const keep = (chunk: Buffer): void => {
    seen = (seen + chunk.toString()).slice(-16_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hearth did not start within ${options.timeoutMs ?? 60_000} ms:\n${seen}`)), options.timeoutMs ?? 60_000);
    const onData = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hearth exited (${signal ?? code}) before listening:\n${seen}`));
    });
  });
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, output: () => seen, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}

/** Runs the hearth CLI to completion. */
export function runHearth(args: string[], options: { cwd?: string; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(HEARTH_|HF_)/.test(name)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env, cwd: options.cwd ?? root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

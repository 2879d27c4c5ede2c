import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";

export interface ServerOptions {
  modelPath: string;
  /** The name requests use in `model`. */
  modelName: string;
  threads: number;
  contextSize: number;
  parallel: number;
  /** Holds the config file and the server's data directory. */
  workDirectory: string;
  /** How long to wait for `/health`. */
  startTimeoutMilliseconds?: number | undefined;
}

/** A Hearth server running as a child process, as a user would start it. */
export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  /** The bearer key the server was configured to accept. */
  readonly apiKey: string;
  readonly startMilliseconds: number;
  /** Current and peak resident memory from /proc (undefined where /proc is missing). */
  memory(): { residentBytes: number; peakResidentBytes: number } | undefined;
  /** CPU time (user + system) the server has used so far, from /proc (undefined where /proc is missing). */
  cpuMilliseconds(): number | undefined;
  /** The last lines the server wrote, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

const repositoryRoot = join(import.meta.dirname, "..");

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** Reads VmRSS and VmHWM (peak) of a process from /proc/<pid>/status. */
export function processMemory(pid: number): { residentBytes: number; peakResidentBytes: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kilobytes = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { residentBytes: kilobytes("VmRSS"), peakResidentBytes: kilobytes("VmHWM") };
}

/** User + system CPU time of a process from /proc/<pid>/stat, in milliseconds (USER_HZ = 100 on Linux). */
export function processCpuMilliseconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}

/** Live children, so an exit or Ctrl-C handler can stop them. */
const liveChildren = new Set<ChildProcess>();

/** Kills every server this module started (synchronously; safe in an `exit` handler). */
export function killServers(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  liveChildren.clear();
}

/**
 * Writes a config for one model and starts `node src/cli/main.ts serve` on a free loopback port;
 * resolves once `GET /health` answers 200.
 */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  const configPath = join(options.workDirectory, "hearth.yaml");
  const apiKey = `bench-${randomBytes(16).toString("hex")}`;
  const config = {
    server: { host: "127.0.0.1", port, apiKeys: [apiKey] },
    dataDir: join(options.workDirectory, "data"),
    engine: { threads: options.threads },
    models: [
      {
        name: options.modelName,
        path: options.modelPath,
        contextSize: options.contextSize,
        parallel: options.parallel,
        threads: options.threads,
      },
    ],
  };
  await writeFile(configPath, stringify(config));

  const pinnedNode = join(repositoryRoot, "node_modules", ".bin", "node");
  const node = existsSync(pinnedNode) ? pinnedNode : process.execPath;
  const started = performance.now();
  const child = spawn(node, ["src/cli/main.ts", "serve", "--config", configPath, "--port", String(port)], {
    cwd: repositoryRoot,
    // The config file alone decides the setup: drop the caller's HEARTH_* / HF_* settings.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(HEARTH_|HF_)/.test(name))),
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveChildren.add(child);
  let output = "";
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-8000);
  };
  child.stdout?.setEncoding("utf8").on("data", keep);
  child.stderr?.setEncoding("utf8").on("data", keep);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = signal === null ? `exit code ${code}` : `signal ${signal}`;
      liveChildren.delete(child);
      resolve();
    });
    child.once("error", (error) => {
      exited = `could not start: ${error.message}`;
      liveChildren.delete(child);
      resolve();
    });
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + (options.startTimeoutMilliseconds ?? 120_000);
  const tail = () => output.trim().split("\n").slice(-20).join("\n");
  for (;;) {
    if (exited !== undefined) throw new Error(`Hearth server stopped before it was ready (${exited}). Its output:\n${tail()}`);
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Hearth server did not answer GET /health within the time limit. Its output:\n${tail()}`);
    }
    const healthy = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) })
      .then(async (response) => {
        await response.body?.cancel();
        return response.status === 200;
      })
      .catch(() => false);
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const startMilliseconds = performance.now() - started;
  const pid = child.pid ?? -1;

  return {
    pid,
    baseUrl,
    apiKey,
    startMilliseconds,
    memory: () => processMemory(pid),
    cpuMilliseconds: () => processCpuMilliseconds(pid),
    outputTail: tail,
    async stop() {
      if (exited !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

import path from "node:path";
import { SingleBar } from "cli-progress";
import { HearthError } from "../../spec/errors.ts";
import { parseHfUri, pullModel, type PullOptions, type PullProgress, type PullResult } from "../../core/models/pull.ts";

/**
 * `hearth pull hf:<owner>/<repo>[@revision]/<file>.gguf`. The values come from the caller (config
 * and env are read elsewhere); streams and the terminal check are injectable so tests can drive it.
 */
export interface PullCommandOptions {
  /** `<dataDir>/models`. */
  modelsDir: string;
  endpoint?: string | undefined;
  /** HF_TOKEN / HEARTH_HF_TOKEN; never printed. */
  token?: string | undefined;
  /** Expected sha256 of the file (`--sha256`). */
  sha256?: string | undefined;
  /** Print one JSON result object on stdout at the end instead of text. */
  json?: boolean | undefined;
  /** Download again even when the file is already there. */
  force?: boolean | undefined;
  output?: NodeJS.WritableStream | undefined;
  /** Progress and errors go here, so stdout stays clean for `--json`. */
  errorOutput?: NodeJS.WritableStream | undefined;
  /** A terminal gets a progress bar; anything else (CI, a pipe) gets a plain line now and then. */
  isTTY?: boolean | undefined;
  /** Cancels the download (the part is kept for a resume). Without one, Ctrl-C does the same. */
  signal?: AbortSignal | undefined;
  /** How often a plain progress line is printed when not on a terminal (default 5 s). */
  progressIntervalMs?: number | undefined;
  /** For tests: a fetch to use instead of the global one. */
  fetch?: typeof fetch | undefined;
}

const units = ["B", "KB", "MB", "GB", "TB"];

/** Decimal units, as Hugging Face shows file sizes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** Renders progress: a cli-progress bar on a terminal, otherwise a plain line every interval. */
class ProgressView {
  private bar: SingleBar | undefined;
  private startedAt = 0;
  private lastLineAt = 0;
  private lastLineBytes = -1;
  private last: PullProgress | undefined;
  private readonly name: string;
  private readonly stream: NodeJS.WritableStream;
  private readonly isTTY: boolean;
  private readonly intervalMs: number;

  constructor(name: string, stream: NodeJS.WritableStream, isTTY: boolean, intervalMs: number) {
    this.name = name;
    this.stream = stream;
    this.isTTY = isTTY;
    this.intervalMs = intervalMs;
  }

  update(progress: PullProgress): void {
    const now = performance.now();
    const first = this.last === undefined;
    this.last = progress;
    if (first) {
      this.startedAt = now;
      this.lastLineAt = now;
      const size = progress.totalBytes === undefined ? "unknown size" : formatBytes(progress.totalBytes);
      const resumed = progress.resumedFrom > 0 ? `, resuming at ${formatBytes(progress.resumedFrom)}` : "";
      if (this.isTTY && progress.totalBytes !== undefined) {
        this.bar = new SingleBar({
          stream: this.stream,
          format: `${this.name} |{bar}| {percentage}% | {received} / {size} | {speed} | ETA {eta_formatted}`,
          barsize: 30,
          barCompleteChar: "\u2588",
          barIncompleteChar: "\u2591",
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        });
        this.bar.start(progress.totalBytes, progress.receivedBytes, this.payload(progress, now));
      } else {
        this.stream.write(`Downloading ${this.name} (${size}${resumed})\n`);
      }
      return;
    }
    if (this.bar !== undefined) {
      this.bar.update(progress.receivedBytes, this.payload(progress, now));
    } else if (now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      this.lastLineBytes = progress.receivedBytes;
      this.stream.write(`${this.describe(progress, now)}\n`);
    }
  }

  /** Ends the bar or prints the last plain line. */
  stop(completed: boolean): void {
    if (this.bar !== undefined) {
      this.bar.stop();
      this.bar = undefined;
    } else if (completed && this.last !== undefined && this.last.receivedBytes !== this.lastLineBytes) {
      this.stream.write(`${this.describe(this.last, performance.now())}\n`);
    }
  }

  private speed(progress: PullProgress, now: number): string {
    const seconds = (now - this.startedAt) / 1000;
    const bytes = progress.receivedBytes - progress.resumedFrom;
    return seconds <= 0 ? "-" : `${formatBytes(bytes / seconds)}/s`;
  }

  private payload(progress: PullProgress, now: number): Record<string, string> {
    return {
      received: formatBytes(progress.receivedBytes),
      size: progress.totalBytes === undefined ? "?" : formatBytes(progress.totalBytes),
      speed: this.speed(progress, now),
    };
  }

  private describe(progress: PullProgress, now: number): string {
    const received = formatBytes(progress.receivedBytes);
    if (progress.totalBytes === undefined || progress.totalBytes === 0) return `  ${received}, ${this.speed(progress, now)}`;
    const percent = Math.floor((progress.receivedBytes / progress.totalBytes) * 100);
    return `  ${percent}% (${received} of ${formatBytes(progress.totalBytes)}), ${this.speed(progress, now)}`;
  }
}

function describeResult(result: PullResult): string {
  const lines = [result.alreadyPresent ? `Already pulled: ${result.path} (${formatBytes(result.bytes)})` : `Pulled ${result.uri} to ${result.path} (${formatBytes(result.bytes)})`];
  if (result.verified) {
    const against = result.checksumSource === "expected-sha256" ? "the --sha256 given" : "the checksum Hugging Face reports";
    lines.push(`sha256 ${result.sha256} (verified against ${against})`);
  } else {
    lines.push(`sha256 ${result.sha256} (NOT verified: Hugging Face reported no checksum for this file; pass --sha256 to check one)`);
  }
  const stem = path.posix.basename(parseHfUri(result.uri).file).replace(/\.gguf$/i, "");
  const name = stem.toLowerCase().replace(/[^a-z0-9._:/-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "my-model";
  lines.push(`Serve it with this in hearth.yaml:  models: [{ name: ${name}, hf: "${result.uri}" }]`);
  return `${lines.join("\n")}\n`;
}

/**
 * Runs one pull and returns the process exit code: 0 on success, 1 on any failure (printed to
 * stderr as one line, without a stack trace).
 */
export async function pullCommand(uri: string, options: PullCommandOptions): Promise<number> {
  const output = options.output ?? process.stdout;
  const errorOutput = options.errorOutput ?? process.stderr;
  const isTTY = options.isTTY ?? (process.stderr.isTTY === true && options.errorOutput === undefined);
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  const ownSignal = options.signal === undefined;
  if (ownSignal) process.once("SIGINT", onInterrupt);
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);

  const view = new ProgressView(path.posix.basename(uri), errorOutput, isTTY, options.progressIntervalMs ?? 5000);
  const pullOptions: PullOptions = {
    uri,
    modelsDir: options.modelsDir,
    endpoint: options.endpoint,
    token: options.token,
    expectedSha256: options.sha256,
    force: options.force,
    signal,
    fetch: options.fetch,
    onProgress: (progress) => view.update(progress),
  };
  try {
    const result = await pullModel(pullOptions);
    view.stop(true);
    if (options.json === true) {
      const { path: file, bytes, sha256, verified, checksumSource, resumed, alreadyPresent } = result;
      output.write(`${JSON.stringify({ uri: result.uri, path: file, bytes, sha256, verified, checksumSource, resumed, alreadyPresent })}\n`);
    } else {
      output.write(describeResult(result));
    }
    return 0;
  } catch (error) {
    view.stop(false);
    const message = HearthError.isInstance(error) ? error.message : error instanceof Error ? `Unexpected error: ${error.message}` : `Unexpected error: ${String(error)}`;
    errorOutput.write(`hearth pull: ${oneLine(message)}\n`);
    return 1;
  } finally {
    if (ownSignal) process.removeListener("SIGINT", onInterrupt);
  }
}

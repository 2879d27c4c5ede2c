/**
 * Resident memory (VmRSS) of a child process, sampled from /proc/<pid>/status while load runs:
 * a gateway that grows under load or never gives memory back shows up here.
 */
import { readFileSync } from "node:fs";

/** VmRSS in bytes from the text of /proc/<pid>/status; undefined when the line is missing. */
export function parseResidentBytes(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/** The current VmRSS of `pid`, or undefined where /proc is missing or the process is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    return parseResidentBytes(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}

export interface MemorySample {
  /** Milliseconds since the sampler started. */
  elapsedMilliseconds: number;
  residentBytes: number;
}

/** Samples VmRSS of one process every `intervalMilliseconds` until stopped. */
export class ResidentSampler {
  readonly samples: MemorySample[] = [];
  readonly pid: number;
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(pid: number, intervalMilliseconds = 250) {
    this.pid = pid;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMilliseconds);
  }

  sample(): number | undefined {
    const bytes = residentBytes(this.pid);
    if (bytes !== undefined) this.samples.push({ elapsedMilliseconds: performance.now() - this.started, residentBytes: bytes });
    return bytes;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Samples taken from `fromMilliseconds` on (e.g. only those under load). */
  since(fromMilliseconds: number): MemorySample[] {
    return this.samples.filter((sample) => sample.elapsedMilliseconds >= fromMilliseconds);
  }

  elapsedMilliseconds(): number {
    return performance.now() - this.started;
  }
}

export interface MemorySummary {
  maxBytes: number;
  lastBytes: number;
  samples: number;
}

/** Max and last of a set of samples; undefined when there are none. */
export function summarizeMemory(samples: readonly MemorySample[]): MemorySummary | undefined {
  const last = samples.at(-1);
  if (last === undefined) return undefined;
  return { maxBytes: Math.max(...samples.map((sample) => sample.residentBytes)), lastBytes: last.residentBytes, samples: samples.length };
}

/** Least-squares slope of RSS over time, in MB (10⁶ bytes) per minute; NaN with fewer than two samples or no time span. */
export function slopeMegabytesPerMinute(samples: readonly MemorySample[]): number {
  if (samples.length < 2) return Number.NaN;
  const minutes = samples.map((sample) => sample.elapsedMilliseconds / 60_000);
  const megabytes = samples.map((sample) => sample.residentBytes / 1e6);
  const meanX = minutes.reduce((sum, value) => sum + value, 0) / samples.length;
  const meanY = megabytes.reduce((sum, value) => sum + value, 0) / samples.length;
  let covariance = 0;
  let variance = 0;
  for (let index = 0; index < samples.length; index += 1) {
    const dx = (minutes[index] as number) - meanX;
    covariance += dx * ((megabytes[index] as number) - meanY);
    variance += dx * dx;
  }
  return variance > 0 ? covariance / variance : Number.NaN;
}

/** Bytes as MB (10⁶) with one decimal, or "n/a". */
export function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? "n/a" : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The two ways bench:gateway drives a target: autocannon at fixed concurrency for throughput, and
 * one keep-alive connection sending requests one after another for the latency a gateway adds
 * when it is not busy.
 */
import { createRequire } from "node:module";
import { Client } from "undici";
import { firstContentMarker } from "./upstream-fixture.ts";

/** One thing to measure: the upstream itself or a gateway in front of it. */
export interface Target {
  /** "direct", "hearth", "portkey". */
  key: string;
  label: string;
  /** Origin, e.g. http://127.0.0.1:8411. */
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** Request bodies, by variant. */
  bodies: { json: string; stream: string };
}

export type Variant = "json" | "stream";

/** What autocannon reports for one run, reduced to what the benchmark prints. */
export interface ThroughputResult {
  /** Mean of autocannon's per-second samples. */
  requestsPerSecond: number;
  /** Milliseconds, autocannon's 1 ms resolution. */
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  completed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
}

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonOptions {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
  pipelining: number;
}
interface AutocannonResult {
  requests: { mean: number; total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: AutocannonOptions, callback: (error: Error | null, result: AutocannonResult) => void) => { stop(): void };

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** autocannon against `target` for `durationSeconds` with `connections` keep-alive connections. */
export function measureThroughput(target: Target, variant: Variant, connections: number, durationSeconds: number): Promise<ThroughputResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${target.origin}${target.path}`,
        method: "POST",
        headers: { "content-type": "application/json", ...target.headers },
        body: target.bodies[variant],
        connections,
        duration: durationSeconds,
        timeout: 10,
        pipelining: 1,
      },
      (error, result) => {
        if (error !== null) {
          reject(error);
          return;
        }
        resolve({
          requestsPerSecond: result.requests.mean,
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
          latencyMax: result.latency.max,
          completed: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSeconds: result.duration,
        });
      },
    );
  });
}

/** Times of one request, in milliseconds from sending it. */
export interface RequestTiming {
  status: number;
  /** The whole body received. */
  totalMilliseconds: number;
  /** The first chunk of the body. */
  firstByteMilliseconds: number;
  /** The first chunk that completes the first content piece (streams only; equals total for JSON). */
  firstContentMilliseconds: number;
}

/** A keep-alive connection to one target that sends one request at a time. */
export class SequentialClient {
  private readonly client: Client;
  private readonly target: Target;

  constructor(target: Target) {
    this.target = target;
    this.client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  }

  async send(variant: Variant): Promise<RequestTiming & { body: string }> {
    const started = performance.now();
    const response = await this.client.request({
      method: "POST",
      path: this.target.path,
      headers: { "content-type": "application/json", ...this.target.headers },
      body: this.target.bodies[variant],
    });
    let firstByte: number | undefined;
    let firstContent: number | undefined;
    let text = "";
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const now = performance.now();
      firstByte ??= now;
      text += chunk.toString("utf8");
      if (firstContent === undefined && text.includes(firstContentMarker)) firstContent = now;
    }
    const finished = performance.now();
    return {
      status: response.statusCode,
      totalMilliseconds: finished - started,
      firstByteMilliseconds: (firstByte ?? finished) - started,
      firstContentMilliseconds: (firstContent ?? finished) - started,
      body: text,
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Per-target timings of sequential requests. */
export interface SequentialResult {
  timings: RequestTiming[];
  failures: number;
  /** The first failure's status and body start, for the report. */
  firstFailure: string | undefined;
}

/**
 * `count` requests per target, one at a time, rotating between targets in blocks of `block` so
 * that machine noise (other processes, frequency changes) falls on every target alike.
 */
export async function measureSequential(
  targets: readonly Target[],
  variant: Variant,
  count: number,
  block: number,
  onBlock?: (done: number) => void,
): Promise<Map<string, SequentialResult>> {
  const clients = new Map(targets.map((target) => [target.key, new SequentialClient(target)]));
  const results = new Map<string, SequentialResult>(targets.map((target) => [target.key, { timings: [], failures: 0, firstFailure: undefined }]));
  try {
    for (let done = 0; done < count; done += block) {
      for (const target of targets) {
        const client = clients.get(target.key) as SequentialClient;
        const result = results.get(target.key) as SequentialResult;
        for (let index = done; index < Math.min(count, done + block); index += 1) {
          const timing = await client.send(variant);
          if (timing.status !== 200) {
            result.failures += 1;
            result.firstFailure ??= `HTTP ${timing.status}: ${timing.body.slice(0, 200)}`;
            continue;
          }
          const { body: _body, ...rest } = timing;
          result.timings.push(rest);
        }
      }
      onBlock?.(Math.min(count, done + block));
    }
  } finally {
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
  return results;
}

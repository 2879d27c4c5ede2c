import OpenAI from "openai";
import { measurementFrom, type StreamMeasurement, type StreamTimes } from "./measurement.ts";
import type { GenerationRequest } from "./direct-path.ts";
import { median } from "./statistics.ts";

/** Hearth's OpenAI-compatible API, driven by the official `openai` SDK as a user's program would. */
export class HttpPath {
  private readonly client: OpenAI;
  private readonly modelName: string;

  constructor(baseUrl: string, modelName: string, apiKey = "hearth-bench") {
    this.client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 600_000 });
    this.modelName = modelName;
  }

  /**
   * One streamed chat completion. Timing uses content chunks: TTFT is the first non-empty
   * `delta.content`, decode spans first to last content chunk, token counts come from the final
   * usage chunk (`stream_options.include_usage`).
   */
  async generate(request: GenerationRequest): Promise<StreamMeasurement> {
    return (await this.generateTimed(request)).measurement;
  }

  /** {@link generate}, also returning the absolute `performance.now()` times. */
  async generateTimed(request: GenerationRequest): Promise<{ measurement: StreamMeasurement; times: StreamTimes }> {
    const times: StreamTimes = { started: 0, firstToken: undefined, lastToken: undefined, finished: 0 };
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    let finishReason = "none";
    times.started = performance.now();
    const stream = await this.client.chat.completions.create({
      model: this.modelName,
      messages: [{ role: "user", content: request.prompt }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: request.maxTokens,
      temperature: 0,
      seed: request.seed,
    });
    for await (const chunk of stream) {
      const now = performance.now();
      const choice = chunk.choices[0];
      if (choice?.delta?.content) {
        times.firstToken ??= now;
        times.lastToken = now;
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    times.finished = performance.now();
    if (usage === undefined) throw new Error("the stream ended without a usage chunk (stream_options.include_usage)");
    return {
      measurement: measurementFrom(times, usage.prompt_tokens, usage.completion_tokens, request.maxTokens, finishReason),
      times,
    };
  }
}

/** Several streams started together through the HTTP API. */
export interface ConcurrencyMeasurement {
  streams: number;
  completionTokens: number;
  /**
   * Σ(completion tokens − 1) ÷ (last content chunk of any stream − first content chunk of any
   * stream): decode throughput of the server as a whole. Conservative when streams start apart.
   */
  aggregateDecodeTokensPerSecond: number;
  medianTimeToFirstTokenMilliseconds: number;
  wallMilliseconds: number;
  /** Streams that ended before `maxTokens`. */
  stoppedEarly: number;
}

export async function measureConcurrentStreams(
  path: HttpPath,
  requests: readonly GenerationRequest[],
): Promise<ConcurrencyMeasurement> {
  const started = performance.now();
  const results = await Promise.all(requests.map((request) => path.generateTimed(request)));
  const wallMilliseconds = performance.now() - started;
  const firsts = results.map((entry) => entry.times.firstToken ?? Number.NaN);
  const lasts = results.map((entry) => entry.times.lastToken ?? Number.NaN);
  const first = Math.min(...firsts);
  const last = Math.max(...lasts);
  const decodedAfterFirst = results.reduce((sum, entry) => sum + Math.max(0, entry.measurement.completionTokens - 1), 0);
  return {
    streams: requests.length,
    completionTokens: results.reduce((sum, entry) => sum + entry.measurement.completionTokens, 0),
    aggregateDecodeTokensPerSecond: last > first ? decodedAfterFirst / ((last - first) / 1000) : Number.NaN,
    medianTimeToFirstTokenMilliseconds: median(results.map((entry) => entry.measurement.timeToFirstTokenMilliseconds)),
    wallMilliseconds,
    stoppedEarly: results.filter((entry) => entry.measurement.completionTokens < entry.measurement.maxTokens).length,
  };
}

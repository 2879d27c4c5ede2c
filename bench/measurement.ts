/**
 * One streamed generation, timed the same way on every path so their numbers compare:
 * time to first token (TTFT) from the call to the first generated token; prompt rate =
 * prompt tokens ÷ TTFT; decode rate = (completion tokens − 1) ÷ (last token − first token).
 */
export interface StreamMeasurement {
  promptTokens: number;
  completionTokens: number;
  /** The limit that was asked for; `completionTokens` below it means the model stopped early. */
  maxTokens: number;
  timeToFirstTokenMilliseconds: number;
  /** First token to last token. */
  decodeMilliseconds: number;
  totalMilliseconds: number;
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
  finishReason: string;
}

export interface StreamTimes {
  started: number;
  firstToken: number | undefined;
  lastToken: number | undefined;
  finished: number;
}

export function measurementFrom(
  times: StreamTimes,
  promptTokens: number,
  completionTokens: number,
  maxTokens: number,
  finishReason: string,
): StreamMeasurement {
  const timeToFirstToken = times.firstToken === undefined ? Number.NaN : times.firstToken - times.started;
  const decode =
    times.firstToken === undefined || times.lastToken === undefined ? Number.NaN : times.lastToken - times.firstToken;
  return {
    promptTokens,
    completionTokens,
    maxTokens,
    timeToFirstTokenMilliseconds: timeToFirstToken,
    decodeMilliseconds: decode,
    totalMilliseconds: times.finished - times.started,
    promptTokensPerSecond: timeToFirstToken > 0 ? promptTokens / (timeToFirstToken / 1000) : Number.NaN,
    decodeTokensPerSecond: completionTokens > 1 && decode > 0 ? (completionTokens - 1) / (decode / 1000) : Number.NaN,
    finishReason,
  };
}

/**
 * The user message of one measurement: a unique opening line (so no path can reuse a cached
 * prefix and skip prompt processing) followed by filler text cut to `promptTokens` tokens.
 */
export function buildPrompt<Token>(
  index: number,
  promptTokens: number,
  tokenize: (text: string) => readonly Token[],
  detokenize: (tokens: readonly Token[]) => string,
): string {
  const opening = `Request ${index}: ${(index * 2654435761 % 1000003).toString(36)}.\n`;
  const filler =
    "Hearth keeps models close to the data they serve. A gateway in front of local weights decides where " +
    "each request may go, counts every token it spends, and writes down what happened. The benchmark asks " +
    "how much of the machine's speed survives that journey from socket to sampler and back again. ";
  let text = opening;
  while (tokenize(text).length < promptTokens) text += filler;
  const tokens = tokenize(text);
  return tokens.length > promptTokens ? detokenize(tokens.slice(0, promptTokens)) : text;
}

const encoder = new TextEncoder();
const done = encoder.encode("data: [DONE]\n\n");

/** One SSE event carrying a JSON object, framed as OpenAI frames them. */
export function sseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

export function sseDone(): Uint8Array {
  return done;
}

export const sseHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  // Declared up front so the Node adapter writes the head at once instead of probing the body
  // for a content length (which waits a timer tick when the next event is not ready yet).
  "transfer-encoding": "chunked",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

/**
 * Turns an async iterable of encoded events into a response body that pulls only when the
 * client is ready (backpressure) and tells the producer when the client goes away.
 */
export function eventStream(events: AsyncIterable<Uint8Array>, onCancel: () => void): ReadableStream<Uint8Array> {
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done === true) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        onCancel();
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

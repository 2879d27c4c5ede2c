import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BatchQueue, type BatchWriteResult } from "./batch-queue.ts";

const delay = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** An asynchronous writer like a network database's: records batches, can be made to fail. */
function recordingWriter(latencyMs = 5) {
  const batches: number[][] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  let failing = false;
  const write = async (batch: readonly number[]): Promise<BatchWriteResult> => {
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      await delay(latencyMs);
      if (failing) throw new Error("database unavailable");
      batches.push([...batch]);
      return { written: batch.length, failed: 0 };
    } finally {
      concurrent -= 1;
    }
  };
  return {
    write,
    batches,
    maxConcurrent: () => maxConcurrent,
    setFailing: (value: boolean) => {
      failing = value;
    },
  };
}

describe("BatchQueue", () => {
  test("with an asynchronous writer, only one batch is written at a time and order is kept", async () => {
    const writer = recordingWriter();
    const queue = new BatchQueue<number>({ write: writer.write, batchSize: 4, flushIntervalMs: 1 });
    for (let item = 0; item < 20; item += 1) {
      queue.push(item);
      if (item % 5 === 0) await delay(2);
    }
    await queue.flush();
    assert.equal(writer.maxConcurrent(), 1);
    assert.deepEqual(writer.batches.flat(), Array.from({ length: 20 }, (_, item) => item));
    assert.ok(writer.batches.every((batch) => batch.length <= 4));
    await queue.close();
  });

  test("flush waits for a batch already being written in the background", async () => {
    const writer = recordingWriter(30);
    const queue = new BatchQueue<number>({ write: writer.write, flushIntervalMs: 1 });
    queue.push(1);
    await delay(10);
    assert.equal(queue.stats().pending, 1);
    await queue.flush();
    assert.deepEqual(writer.batches, [[1]]);
    assert.equal(queue.stats().pending, 0);
    await queue.close();
  });

  test("flush returns while new items keep arriving, once the earlier ones are written", async () => {
    const writer = recordingWriter(1);
    const queue = new BatchQueue<number>({ write: writer.write, batchSize: 2, flushIntervalMs: 60_000 });
    for (let item = 0; item < 10; item += 1) queue.push(item);
    let next = 10;
    const producer = setInterval(() => queue.push(next++), 0);
    try {
      await queue.flush();
    } finally {
      clearInterval(producer);
    }
    assert.deepEqual(writer.batches.flat().slice(0, 10), Array.from({ length: 10 }, (_, item) => item));
    await queue.close();
  });

  test("a failed batch goes back to the front, within the bound, and is retried in order", async () => {
    const writer = recordingWriter(1);
    const errors: unknown[] = [];
    const queue = new BatchQueue<number>({
      write: writer.write,
      batchSize: 2,
      flushIntervalMs: 60_000,
      maxQueued: 3,
      onError: (error) => errors.push(error),
    });
    writer.setFailing(true);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    await assert.rejects(queue.flush(), /database unavailable/);
    assert.deepEqual(queue.stats(), { accepted: 3, written: 0, failed: 0, dropped: 0, pending: 3, batches: 0, flushErrors: 1, lastError: "database unavailable" });
    queue.push(4);
    assert.equal(queue.stats().dropped, 1);
    writer.setFailing(false);
    await queue.flush();
    assert.deepEqual(writer.batches.flat(), [2, 3, 4]);
    assert.equal(errors.length, 0, "errors of an explicit flush go to its caller, not to onError");
    await queue.close();
  });

  test("close() reports a write it cannot finish and counts what it lost", async () => {
    const writer = recordingWriter(1);
    const queue = new BatchQueue<number>({ write: writer.write, flushIntervalMs: 60_000, onError: () => undefined });
    writer.setFailing(true);
    queue.push(1);
    queue.push(2);
    await assert.rejects(queue.close(), /database unavailable/);
    const stats = queue.stats();
    assert.equal(stats.dropped, 2);
    assert.equal(stats.pending, 0);
    assert.ok(queue.closed);
  });

  test("background write failures are reported to onError and retried until they succeed", async () => {
    const writer = recordingWriter(1);
    const errors: unknown[] = [];
    const queue = new BatchQueue<number>({ write: writer.write, flushIntervalMs: 2, maxRetryDelayMs: 10, onError: (error) => errors.push(error) });
    writer.setFailing(true);
    queue.push(7);
    while (errors.length < 2) await delay(2);
    writer.setFailing(false);
    while (queue.stats().written === 0) await delay(2);
    assert.deepEqual(writer.batches, [[7]]);
    await queue.close();
  });
});

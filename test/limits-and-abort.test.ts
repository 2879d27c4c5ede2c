import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

// One slot and no queue, so "busy" and "slot released after abort" are observable.
let hearth: TestServer;

before(async () => {
  hearth = await startServer({ models: [await tinyModelConfig("solo", { parallel: 1, contextSize: 2048 })], engine: { maxQueue: 0 } });
});

after(async () => {
  await hearth.close();
});

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("server busy and client disconnects", () => {
  test("a request beyond the model's slots and queue gets 503 with Retry-After", async () => {
    const controller = new AbortController();
    const first = await hearth.client.chat.completions.create(
      { model: "solo", messages: [{ role: "user", content: "go" }], max_tokens: 1500, stream: true, temperature: 0 },
      { signal: controller.signal },
    );
    const iterator = first[Symbol.asyncIterator]();
    await iterator.next(); // the first request now holds the only slot

    const response = await fetch(`${hearth.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "solo", messages: [{ role: "user", content: "me too" }], max_tokens: 2 }),
    });
    assert.equal(response.status, 503);
    assert.ok(Number(response.headers.get("retry-after")) >= 1);
    const body = (await response.json()) as { error: { code: string; type: string } };
    assert.equal(body.error.code, "overloaded");
    controller.abort();
  });

  test("a client that disconnects mid-stream stops generation and frees the slot", async () => {
    const controller = new AbortController();
    // The previous test's aborted request may still be handing its slot back.
    const stream = await waitFor(async () => {
      try {
        return await hearth.client.chat.completions.create(
          { model: "solo", messages: [{ role: "user", content: "a long answer please" }], max_tokens: 1500, stream: true, temperature: 0 },
          { signal: controller.signal },
        );
      } catch (error) {
        if (error instanceof OpenAI.APIError && error.status === 503) return undefined;
        throw error;
      }
    }, "a free slot");
    let chunks = 0;
    // The SDK ends iteration quietly once its own signal aborts; the connection is closed.
    for await (const _chunk of stream) {
      chunks++;
      if (chunks === 3) controller.abort();
    }
    assert.ok(chunks >= 3 && chunks < 100, `stopped reading after the abort (read ${chunks} chunks)`);

    // The slot comes back: with one slot and no queue, a new request would get 503 otherwise.
    const next = await waitFor(async () => {
      const response = await fetch(`${hearth.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "solo", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
      });
      return response.status === 503 ? undefined : response;
    }, "the slot to be released");
    assert.equal(next.status, 200);

    // The log shows the aborted request as 499 with far fewer tokens than it asked for.
    await hearth.composition.storage.requestLog.flush();
    const entries = await hearth.composition.storage.requestLog.query({ model: "solo", limit: 20 });
    const aborted = entries.find((entry) => entry.status === 499 && entry.stream);
    assert.ok(aborted, "an entry with status 499 exists");
    assert.equal(aborted.errorCode, "aborted");
    assert.ok(aborted.outputTokens < 1500);
  });
});

describe("request log", () => {
  test("every request is logged with model, tokens, latency and status", async () => {
    await hearth.client.chat.completions.create({ model: "solo", messages: [{ role: "user", content: "log me" }], max_tokens: 3, temperature: 0 });
    await assert.rejects(hearth.client.chat.completions.create({ model: "missing", messages: [{ role: "user", content: "x" }] }));
    await hearth.composition.storage.requestLog.flush();
    const entries = await hearth.composition.storage.requestLog.query({ limit: 50 });
    const ok = entries.find((entry) => entry.model === "solo" && entry.status === 200 && !entry.stream);
    assert.ok(ok);
    assert.equal(ok.endpoint, "chat.completions");
    assert.equal(ok.provider, "local-llama");
    assert.ok(ok.inputTokens > 0 && ok.outputTokens > 0 && ok.outputTokens <= 3);
    assert.ok(ok.latencyMs > 0);
    const missing = entries.find((entry) => entry.model === "missing");
    assert.ok(missing);
    assert.equal(missing.status, 404);
    assert.equal(missing.errorCode, "model_not_found");
  });
});

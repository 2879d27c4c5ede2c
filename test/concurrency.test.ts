import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

// Many overlapping requests, some abandoned mid-stream: nothing may leak (slots, queue places)
// and every request must be accounted for in the request log.
let hearth: TestServer;

before(async () => {
  hearth = await startServer({ models: [await tinyModelConfig("tiny", { parallel: 2, contextSize: 1024 })], engine: { maxQueue: 16 } });
});

after(async () => {
  await hearth.close();
});

test("12 overlapping requests, a third of them abandoned mid-stream, leave no slot or queue place behind", async () => {
  const outcomes = await Promise.all(
    Array.from({ length: 12 }, async (_, index) => {
      const controller = new AbortController();
      const stream = await hearth.client.chat.completions.create(
        { model: "tiny", messages: [{ role: "user", content: `request ${index}` }], max_tokens: 60, temperature: 0, stream: true },
        { signal: controller.signal },
      );
      let chunks = 0;
      let finish: string | null = null;
      for await (const chunk of stream) {
        chunks++;
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (index % 3 === 0 && chunks === 4) controller.abort();
      }
      return { abandoned: index % 3 === 0, finish, chunks };
    }),
  );
  for (const outcome of outcomes) {
    if (outcome.abandoned) assert.equal(outcome.finish, null);
    else assert.equal(outcome.finish, "length");
  }

  // Every request is in the log once: 8 complete, 4 as 499 (client gone).
  let entries = await hearth.composition.storage.requestLog.query({ limit: 100 });
  for (let attempt = 0; attempt < 100 && entries.length < 12; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await hearth.composition.storage.requestLog.flush();
    entries = await hearth.composition.storage.requestLog.query({ limit: 100 });
  }
  assert.equal(entries.length, 12);
  assert.equal(entries.filter((entry) => entry.status === 200 && entry.errorCode === null).length, 8);
  assert.equal(entries.filter((entry) => entry.status === 499 && entry.errorCode === "aborted").length, 4);

  // No slot leaked: both slots still serve (a leaked slot would leave these waiting forever).
  const again = await Promise.all(
    [1, 2].map(() => hearth.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "still there?" }], max_tokens: 3, temperature: 0 })),
  );
  for (const completion of again) assert.equal(completion.choices[0]?.finish_reason, "length");
});

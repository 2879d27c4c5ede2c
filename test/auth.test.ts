import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

const key = "hk-test-0123456789abcdef";
let hearth: TestServer;

before(async () => {
  hearth = await startServer({ server: { apiKeys: [key] }, models: [await tinyModelConfig("tiny")] });
});

after(async () => {
  await hearth.close();
});

test("with API keys configured, /v1 needs a valid bearer key and /health stays open", async () => {
  const anonymous = new OpenAI({ baseURL: `${hearth.url}/v1`, apiKey: "wrong-key-wrong-key", maxRetries: 0 });
  await assert.rejects(anonymous.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
  const missing = await fetch(`${hearth.url}/v1/models`);
  assert.equal(missing.status, 401);
  assert.equal(((await missing.json()) as { error: { type: string } }).error.type, "authentication_error");
  const page = await hearth.client.models.list();
  assert.ok(page.data.some((model) => model.id === "tiny"));
  assert.equal((await fetch(`${hearth.url}/health`)).status, 200);
});

test("each dialect answers a refused key in its own error shape, and accepts the key the way its SDK sends it", async () => {
  const body = JSON.stringify({ model: "tiny", max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
  const anthropic = await fetch(`${hearth.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "wrong-key-wrong-key" }, body });
  assert.equal(anthropic.status, 401);
  assert.deepEqual(Object.keys((await anthropic.json()) as object).sort(), ["error", "type"]);
  const gemini = await fetch(`${hearth.url}/v1beta/models?key=wrong-key-wrong-key`);
  assert.equal(gemini.status, 401);
  const geminiBody = (await gemini.json()) as { error: { code: number; status: string } };
  assert.equal(geminiBody.error.code, 401);
  assert.equal(geminiBody.error.status, "UNAUTHENTICATED");
  assert.equal((await fetch(`${hearth.url}/v1beta/models?key=${key}`)).status, 200);
  assert.equal((await fetch(`${hearth.url}/v1beta/models`, { headers: { "x-goog-api-key": key } })).status, 200);
  const accepted = await fetch(`${hearth.url}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(accepted.status, 200);
});

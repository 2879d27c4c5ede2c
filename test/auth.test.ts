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

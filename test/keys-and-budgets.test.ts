import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";
import { startMockAnthropic, type MockAnthropic } from "./support/mock-vendors/anthropic.ts";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

/**
 * Virtual keys, limits, budgets and usage end to end: a real Hearth with the official SDKs as
 * clients and mock vendors behind it. Prices are overridden to $1,000 per million tokens
 * ($0.001 a token) so every request costs something visible.
 */

const adminKey = "admin-key-0123456789abcdef";
let openaiVendor: MockOpenAI;
let anthropicVendor: MockAnthropic;
let hearth: TestServer;

before(async () => {
  [openaiVendor, anthropicVendor] = await Promise.all([startMockOpenAI({ eventDelayMs: 0 }), startMockAnthropic({ eventDelayMs: 0 })]);
  hearth = await startServer({
    server: { adminKeys: [adminKey] },
    providers: [
      { name: "openai", type: "openai", baseUrl: `${openaiVendor.url}/v1`, apiKey: openaiVendor.apiKey, retries: 0 },
      { name: "anthropic", type: "anthropic", baseUrl: anthropicVendor.url, apiKey: anthropicVendor.apiKey, retries: 0 },
    ],
    models: [
      await tinyModelConfig("local"),
      { name: "gpt", provider: "openai", model: "gpt-4o-mini" },
      { name: "embed", provider: "openai", model: "text-embedding-3-small", chat: false, embedding: true },
      { name: "claude", provider: "anthropic", model: "claude-sonnet-4-5" },
    ],
    teams: [{ name: "capped", budget: { day: 0.5 } }],
    costs: {
      prices: [
        { model: "gpt-4o-mini", input: 1000, output: 1000 },
        { model: "claude-sonnet-4-5", input: 1000, output: 1000 },
        { model: "text-embedding-3-small", input: 1000, output: 0 },
      ],
      local: { hourlyRate: 3.6, utilisation: 1 },
    },
  });
});

after(async () => {
  await hearth?.close();
  await Promise.all([openaiVendor?.close(), anthropicVendor?.close()]);
});

async function admin(path: string, init: RequestInit = {}, key = adminKey): Promise<Response> {
  return fetch(`${hearth.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers ?? {}) } });
}

async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string; name: string }> {
  const response = await admin("/v1/hearth/keys", { method: "POST", body: JSON.stringify(body) });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as { key: string; id: string; name: string };
}

function openai(key: string): OpenAI {
  return new OpenAI({ baseURL: `${hearth.url}/v1`, apiKey: key, maxRetries: 0 });
}

describe("virtual keys", () => {
  test("a created key is shown once, stored hashed, works until revoked, then gets 401", async () => {
    const created = await createKey({ name: "alice", team: "research" });
    assert.match(created.key, /^hk_[A-Za-z0-9_-]{43}$/);
    const listed = (await (await admin("/v1/hearth/keys")).json()) as { data: Array<Record<string, unknown>> };
    const entry = listed.data.find((item) => item.name === "alice");
    assert.ok(entry !== undefined);
    assert.equal(entry.key, undefined, "the list never shows the key");
    assert.equal(JSON.stringify(listed).includes(created.key), false);
    assert.equal(entry.prefix, created.key.slice(0, 7));

    const completion = await openai(created.key).chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }] });
    assert.equal(completion.choices[0]?.finish_reason, "stop");

    const revoked = await admin(`/v1/hearth/keys/${created.id}`, { method: "DELETE" });
    assert.equal(revoked.status, 200);
    await assert.rejects(openai(created.key).chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }] }), OpenAI.AuthenticationError);
  });

  test("names are unique; bad bodies get 400 in OpenAI's shape", async () => {
    await createKey({ name: "bob" });
    const again = await admin("/v1/hearth/keys", { method: "POST", body: JSON.stringify({ name: "bob" }) });
    assert.equal(again.status, 409);
    const broken = await admin("/v1/hearth/keys", { method: "POST", body: "{nope" });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { error: { code: string } }).error.code, "invalid_json");
    const wrong = await admin("/v1/hearth/keys", { method: "POST", body: JSON.stringify({ name: "carol", rpm: -1 }) });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: { param: string } }).error.param, "rpm");
    const huge = await admin("/v1/hearth/keys", { method: "POST", body: JSON.stringify({ name: "carol", team: "x".repeat(100_000) }) });
    assert.equal(huge.status, 413);
    const listed = (await (await admin("/v1/hearth/keys")).json()) as { data: Array<{ name: string }> };
    assert.equal(listed.data.some((key) => key.name === "carol"), false, "nothing created by refused bodies");
  });

  test("a client key cannot administer: keys, other keys' usage and reviews need an admin key", async () => {
    const created = await createKey({ name: "dave" });
    for (const path of ["/v1/hearth/keys", "/v1/hearth/usage?key=alice", "/v1/hearth/usage?team=research"]) {
      const response = await admin(path, {}, created.key);
      assert.equal(response.status, 403, path);
      assert.equal(((await response.json()) as { error: { type: string } }).error.type, "permission_error");
    }
    const own = await admin("/v1/hearth/usage", {}, created.key);
    assert.equal(own.status, 200);
  });

  test("a key limited to models and localities is refused elsewhere with 403", async () => {
    const created = await createKey({ name: "local-only", localities: ["in-process"] });
    await assert.rejects(openai(created.key).chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }] }), (error: unknown) => error instanceof OpenAI.PermissionDeniedError && /in-process/.test(error.message));
    const answered = await openai(created.key).chat.completions.create({ model: "local", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    assert.ok(answered.choices.length === 1);
    const gptOnly = await createKey({ name: "gpt-only", models: ["gpt"] });
    await assert.rejects(openai(gptOnly.key).embeddings.create({ model: "embed", input: "x" }), OpenAI.PermissionDeniedError);
    const anthropic = new Anthropic({ baseURL: hearth.url, apiKey: gptOnly.key, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: "claude", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }), Anthropic.PermissionDeniedError);
  });
});

describe("rate limits", () => {
  test("RPM: the request over the limit gets 429 with Retry-After, in each client's dialect", async () => {
    const created = await createKey({ name: "slow", rpm: 2 });
    const client = openai(created.key);
    await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "one" }] });
    await client.embeddings.create({ model: "embed", input: "two" });
    const refused = await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "three" }] }).withResponse().catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
    const retryAfter = Number(refused.headers?.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 61, `Retry-After ${retryAfter}`);
    assert.match(refused.message, /requests per minute/i);

    const anthropic = new Anthropic({ baseURL: hearth.url, apiKey: created.key, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: "claude", max_tokens: 16, messages: [{ role: "user", content: "four" }] }), (error: unknown) => error instanceof Anthropic.RateLimitError && Number(error.headers?.get("retry-after")) >= 1);
  });
});

describe("budgets", () => {
  test("64 concurrent requests against a team's daily budget never overshoot it", async () => {
    const created = await createKey({ name: "burst", team: "capped" });
    const client = openai(created.key);
    openaiVendor.reset();
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, (_, index) => client.chat.completions.create({ model: "gpt", max_tokens: 20, messages: [{ role: "user", content: `request number ${index}` }] })),
    );
    const served = results.filter((result) => result.status === "fulfilled");
    const refused = results.filter((result) => result.status === "rejected");
    assert.ok(served.length > 0, "some requests fit the budget");
    assert.ok(refused.length > 0, "the budget refused the rest");
    for (const result of refused) {
      assert.ok(result.reason instanceof OpenAI.RateLimitError, String(result.reason));
      assert.match(result.reason.message, /budget/i);
    }
    let spent = 0;
    for (const result of served) {
      const usage = result.value.usage;
      assert.ok(usage !== undefined);
      spent += (usage.prompt_tokens + usage.completion_tokens) * 0.001;
    }
    assert.ok(spent <= 0.5 + 1e-9, `spent $${spent} of a $0.50 budget`);
    assert.equal(openaiVendor.requests.length, served.length, "refused requests never reached the vendor");

    await hearth.composition.storage.usage?.flush();
    const usage = (await (await admin("/v1/hearth/usage?team=capped")).json()) as { data: Array<{ cost_usd: number; requests: number }> };
    assert.equal(usage.data[0]?.requests, 64, "refused requests are counted too");
    assert.ok(Math.abs((usage.data[0]?.cost_usd ?? 0) - spent) < 1e-6, `usage ${usage.data[0]?.cost_usd} vs ${spent}`);
  });
});

describe("budget reconciliation", () => {
  test("a budget counter that lost a settle is raised to durable usage, and the budget then holds at the true spend", async () => {
    const created = await createKey({ name: "drifter", budget: { day: 0.5 } });
    const client = openai(created.key);
    // One served request: the key's day counter now exists and holds its cost.
    const first = await client.chat.completions.create({ model: "gpt", max_tokens: 20, messages: [{ role: "user", content: "first" }] });
    const firstCost = ((first.usage?.prompt_tokens ?? 0) + (first.usage?.completion_tokens ?? 0)) * 0.001;
    assert.ok(firstCost > 0);
    // Another replica's request that was recorded in usage but whose settle never reached the
    // counters (e.g. Redis failed at that moment): usage knows $0.49 more than the counter.
    hearth.composition.storage.usage?.record({
      time: Date.now(),
      key: "drifter",
      team: null,
      model: "gpt",
      provider: "openai",
      locality: "third-party",
      endpoint: "chat.completions",
      inputTokens: 490,
      outputTokens: 0,
      costUsd: 0.49,
      priced: true,
      error: false,
    });
    await hearth.composition.storage.usage?.flush();

    const result = await hearth.composition.reconcileBudgets();
    const raised = result.raised.filter((entry) => entry.subject.id === "drifter");
    assert.equal(raised.length, 1, `only the day budget exists: ${JSON.stringify(result.raised)}`);
    assert.ok(Math.abs((raised[0]?.byUsd ?? 0) - 0.49) < 1e-6, `raised by ${raised[0]?.byUsd}`);
    // The budget now counts the lost request: another request no longer fits under $0.50.
    await assert.rejects(
      client.chat.completions.create({ model: "gpt", max_tokens: 20, messages: [{ role: "user", content: "second" }] }),
      (error: unknown) => error instanceof OpenAI.RateLimitError && /budget/i.test(error.message),
    );
    // A second pass finds nothing left to fix.
    assert.deepEqual((await hearth.composition.reconcileBudgets()).raised.filter((entry) => entry.subject.id === "drifter"), []);
  });
});

describe("usage and cost", () => {
  test("every endpoint is accounted on one path, local models priced by busy time", async () => {
    const created = await createKey({ name: "meter" });
    const client = openai(created.key);
    await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "chat" }] });
    const stream = await client.chat.completions.create({ model: "gpt", stream: true, messages: [{ role: "user", content: "stream" }] });
    for await (const _chunk of stream) void _chunk;
    await client.embeddings.create({ model: "embed", input: "embed me" });
    await client.responses.create({ model: "gpt", input: "responses" });
    await client.chat.completions.create({ model: "local", max_tokens: 4, messages: [{ role: "user", content: "local" }] });
    const anthropic = new Anthropic({ baseURL: hearth.url, apiKey: created.key, maxRetries: 0 });
    await anthropic.messages.create({ model: "claude", max_tokens: 16, messages: [{ role: "user", content: "messages" }] });
    await anthropic.messages.countTokens({ model: "claude", messages: [{ role: "user", content: "count" }] });

    await hearth.composition.storage.usage?.flush();
    const response = await admin("/v1/hearth/usage?key=meter&group_by=endpoint,locality");
    assert.equal(response.status, 200);
    const rows = ((await response.json()) as { data: Array<{ endpoint: string; locality: string; requests: number; cost_usd: number; input_tokens: number; unpriced_requests: number }> }).data;
    const byEndpoint = new Map(rows.map((row) => [`${row.endpoint}/${row.locality}`, row]));
    assert.equal(byEndpoint.get("chat.completions/third-party")?.requests, 2);
    for (const name of ["chat.completions/third-party", "embeddings/third-party", "responses/third-party", "messages/third-party"]) {
      const row = byEndpoint.get(name);
      assert.ok(row !== undefined, `${name} accounted`);
      assert.ok(row.cost_usd > 0 && row.unpriced_requests === 0, `${name} priced: ${JSON.stringify(row)}`);
      assert.ok(Math.abs(row.cost_usd - row.input_tokens * 0.001 - (row as unknown as { output_tokens: number }).output_tokens * 0.001) < 1e-6, `${name} at the overridden price`);
    }
    const local = byEndpoint.get("chat.completions/in-process");
    assert.ok(local !== undefined && local.cost_usd > 0 && local.unpriced_requests === 0, `local model priced: ${JSON.stringify(local)}`);
    const counted = byEndpoint.get("messages.count_tokens/third-party");
    assert.ok(counted !== undefined && counted.cost_usd === 0, "counting tokens is accounted but costs nothing");
  });
});

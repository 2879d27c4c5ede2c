import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { generateAuditKeyPair } from "../src/core/audit/signing.ts";
import { dropSchema, postgresUnavailable, testPool, testPostgresUrl, uniqueSchema } from "../src/storage/postgres/test-server.ts";
import { connectTestClient, deleteKeys, redisUnavailable, testRedisUrl, uniquePrefix } from "../src/storage/redis/test-server.ts";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";
import { runHearth, startHearthProcess, type HearthProcess } from "./support/process.ts";

/**
 * Scale-out: three `hearth serve` processes share one PostgreSQL schema (keys, usage, reviews,
 * audit) and one Redis (limit counters, circuit breakers). A team budget holds across all three
 * under concurrent load; a key created on one replica works on the others; the three processes'
 * audit chains verify as one history.
 */

const skip = (await postgresUnavailable()) ?? (await redisUnavailable());
const schema = uniqueSchema();
const prefix = uniquePrefix();
const adminKey = "replica-admin-key-0123456789";
const teamKey = "replica-team-key-0123456789";
const budget = 0.3;
let vendor: MockOpenAI;
const replicas: HearthProcess[] = [];
let configDirectory: string;

before(async () => {
  if (skip !== undefined) return;
  vendor = await startMockOpenAI({ eventDelayMs: 0 });
  const key = generateAuditKeyPair();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-replicas-"));
  const config = {
    server: { adminKeys: [adminKey], apiKeys: [{ key: teamKey, name: "burst", team: "shared" }] },
    providers: [{ name: "openai", type: "openai", baseUrl: `${vendor.url}/v1`, apiKey: vendor.apiKey, retries: 0 }],
    models: [{ name: "gpt", provider: "openai", model: "gpt-4o-mini" }],
    teams: [{ name: "shared", budget: { day: budget } }],
    costs: { prices: [{ model: "gpt-4o-mini", input: 1000, output: 1000 }] },
    storage: { postgres: testPostgresUrl, postgresSchema: schema, redis: testRedisUrl, redisPrefix: prefix },
    audit: { signingKey: key.privateKeyPem, checkpointInterval: "1s" },
  };
  for (const name of ["a", "b", "c"]) replicas.push(await startHearthProcess(path.join(root, name), config));
  configDirectory = path.join(root, "a");
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await vendor?.close();
  if (skip !== undefined) return;
  const pool = testPool(schema);
  await dropSchema(pool, schema);
  await pool.end();
  const redis = await connectTestClient();
  await deleteKeys(redis, prefix);
  await redis.close();
});

describe("three replicas on one PostgreSQL and Redis", { skip }, () => {
  test("a team budget holds globally under 60 concurrent requests spread over the replicas", async () => {
    const clients = replicas.map((replica) => new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: teamKey, maxRetries: 0 }));
    vendor.reset();
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, index) =>
        (clients[index % 3] as OpenAI).chat.completions.create({ model: "gpt", max_tokens: 20, messages: [{ role: "user", content: `request ${index}` }] }),
      ),
    );
    const served = results.filter((result) => result.status === "fulfilled");
    const refused = results.filter((result) => result.status === "rejected");
    assert.ok(served.length > 0 && refused.length > 0, `${served.length} served, ${refused.length} refused`);
    for (const result of refused) assert.ok(result.reason instanceof OpenAI.RateLimitError && /budget/i.test(result.reason.message), String(result.reason));
    let spent = 0;
    for (const result of served) spent += ((result.value.usage?.prompt_tokens ?? 0) + (result.value.usage?.completion_tokens ?? 0)) * 0.001;
    // 20 requests reached each replica, each alone enough to exhaust the cap: budgets counted per
    // replica would have let about 3× the cap through. Together they stayed under one cap.
    assert.ok(spent <= budget + 1e-9, `the three replicas together spent $${spent.toFixed(4)} of a $${budget} budget`);
    assert.equal(vendor.requests.length, served.length, "refused requests never reached the vendor");
  });

  test("a key created through one replica authenticates on the others; its revocation reaches them", async () => {
    const created = await fetch(`${replicas[0]?.url}/v1/hearth/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "roaming" }),
    });
    assert.equal(created.status, 201);
    const { key, id } = (await created.json()) as { key: string; id: string };
    for (const replica of replicas.slice(1)) {
      const client = new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: key, maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: "gpt", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      assert.equal(answer.choices.length, 1);
    }
    const revoked = await fetch(`${replicas[0]?.url}/v1/hearth/keys/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${adminKey}` } });
    assert.equal(revoked.status, 200);
    await assert.rejects(
      new OpenAI({ baseURL: `${replicas[0]?.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hi" }] }),
      OpenAI.AuthenticationError,
      "revoked at once on the replica that revoked it",
    );
  });

  test("the three processes' audit chains verify as one history in PostgreSQL", async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    const verified = await runHearth(["audit", "verify", "--config", path.join(configDirectory, "hearth.yaml"), "--json"]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = JSON.parse(verified.stdout) as { ok: boolean; entries: number; chains: number };
    assert.equal(report.ok, true);
    assert.ok(report.entries >= 63, `${report.entries} entries (60 budget requests, 2 on the roaming key, admin actions, ...)`);
    assert.ok(report.chains >= 3, `${report.chains} chains`);
  });
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { stringify } from "yaml";
import { startMockAnthropic, type MockAnthropic } from "./support/mock-vendors/anthropic.ts";
import { startMockGemini, type MockGemini } from "./support/mock-vendors/gemini.ts";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";
import { runHearth } from "./support/process.ts";
import { decryptBody } from "../src/core/audit/bodies.ts";
import type { StoredBody } from "../src/core/audit/types.ts";
import { startServer, tinyModelConfig, type TestServer } from "./support/server.ts";

/**
 * The audit log end to end: every endpoint of every dialect (and admin actions) appends an
 * entry with where the request went and why; `hearth audit verify` passes on the untouched
 * database and catches an edited and a deleted row, saying which.
 */

const adminKey = "admin-key-audit-0123456789";
const clientKey = "client-key-audit-0123456789";
let openaiVendor: MockOpenAI;
let anthropicVendor: MockAnthropic;
let geminiVendor: MockGemini;
let hearth: TestServer;
let configFile: string;
let closed = false;

before(async () => {
  [openaiVendor, anthropicVendor, geminiVendor] = await Promise.all([startMockOpenAI({ eventDelayMs: 0 }), startMockAnthropic({ eventDelayMs: 0 }), startMockGemini({ eventDelayMs: 0 })]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-"));
  const config = {
    dataDir,
    server: { adminKeys: [adminKey], apiKeys: [{ key: clientKey, name: "app", team: "web" }] },
    providers: [
      { name: "openai", type: "openai", baseUrl: `${openaiVendor.url}/v1`, apiKey: openaiVendor.apiKey, retries: 0 },
      { name: "anthropic", type: "anthropic", baseUrl: anthropicVendor.url, apiKey: anthropicVendor.apiKey, retries: 0 },
      { name: "gemini", type: "gemini", baseUrl: geminiVendor.url, apiKey: geminiVendor.apiKey, retries: 0 },
    ],
    models: [
      await tinyModelConfig("local"),
      { name: "gpt", provider: "openai", model: "gpt-4o-mini" },
      { name: "embed", provider: "openai", model: "text-embedding-3-small", chat: false, embedding: true },
      { name: "claude", provider: "anthropic", model: "claude-sonnet-4-5" },
      { name: "gemini-flash", provider: "gemini", model: "gemini-2.5-flash" },
    ],
    policy: { rules: [{ name: "emails-redacted", when: { data: ["email"], destination: { locality: ["third-party"] } }, action: "redact" }] },
    audit: { checkpointInterval: 0 },
  };
  configFile = path.join(dataDir, "hearth.yaml");
  fs.writeFileSync(configFile, stringify(config));
  hearth = await startServer(config as unknown as Parameters<typeof startServer>[0]);
});

after(async () => {
  if (!closed) await hearth?.close();
  await Promise.all([openaiVendor?.close(), anthropicVendor?.close(), geminiVendor?.close()]);
});

interface Entry {
  request_id: string;
  kind: string;
  action: string;
  dialect: string;
  key: string | null;
  team: string | null;
  model: string;
  provider: string;
  target: string;
  locality: string | null;
  policy_rule: string | null;
  policy_action: string | null;
  data_classes: Record<string, number>;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  status: number;
  error_code: string | null;
  subject: string | null;
  chain: string;
  chain_seq: number;
  hash: string;
  seq: number;
}

async function entries(): Promise<Entry[]> {
  await hearth.composition.auditLog?.flush();
  const response = await fetch(`${hearth.url}/v1/hearth/audit?limit=1000`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: Entry[] }).data;
}

describe("audit entries for every endpoint", () => {
  const ids: Record<string, string> = {};
  const header = (name: string) => {
    ids[name] = `req-${name}-${randomUUID()}`;
    return { headers: { "x-request-id": ids[name] } };
  };

  test("chat (plain and streamed), completions, responses, embeddings, messages, count_tokens, Gemini, a failure and admin actions are all recorded", async () => {
    const openai = new OpenAI({ baseURL: `${hearth.url}/v1`, apiKey: clientKey, maxRetries: 0 });
    await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "Mail ann.lee@example.org today" }] }, header("chat"));
    const stream = await openai.chat.completions.create({ model: "gpt", stream: true, messages: [{ role: "user", content: "stream" }] }, header("stream"));
    for await (const _chunk of stream) void _chunk;
    await openai.completions.create({ model: "gpt", prompt: "complete" }, header("completions"));
    await openai.responses.create({ model: "gpt", input: "respond" }, header("responses"));
    await openai.embeddings.create({ model: "embed", input: "embed" }, header("embeddings"));
    await openai.chat.completions.create({ model: "local", max_tokens: 3, messages: [{ role: "user", content: "local" }] }, header("local"));
    const anthropic = new Anthropic({ baseURL: hearth.url, apiKey: clientKey, maxRetries: 0 });
    await anthropic.messages.create({ model: "claude", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }, header("messages"));
    await anthropic.messages.countTokens({ model: "claude", messages: [{ role: "user", content: "count" }] }, header("count"));
    const gemini = new GoogleGenAI({ apiKey: clientKey, httpOptions: { baseUrl: hearth.url, headers: header("gemini").headers } });
    await gemini.models.generateContent({ model: "gemini-flash", contents: "hello" });
    const broken = await fetch(`${hearth.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json", ...header("broken").headers }, body: "{nope" });
    assert.equal(broken.status, 400);
    const created = await fetch(`${hearth.url}/v1/hearth/keys`, { method: "POST", headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", ...header("create").headers }, body: JSON.stringify({ name: "temp" }) });
    assert.equal(created.status, 201);
    const secret = ((await created.json()) as { key: string; id: string }).key;

    const all = await entries();
    const byRequest = new Map(all.map((entry) => [entry.request_id, entry]));
    const expect = (name: string, fields: Partial<Entry>): Entry => {
      const entry = byRequest.get(ids[name] as string);
      assert.ok(entry !== undefined, `an entry for ${name}`);
      for (const [field, value] of Object.entries(fields)) assert.deepEqual(entry[field as keyof Entry], value, `${name}.${field}`);
      return entry;
    };
    const chat = expect("chat", { kind: "request", action: "chat.completions", dialect: "openai", key: "app", team: "web", model: "gpt", provider: "openai", target: "openai/gpt-4o-mini", locality: "third-party", status: 200, error_code: null, policy_rule: "emails-redacted", policy_action: "redact" });
    assert.deepEqual(chat.data_classes, { email: 1 });
    assert.ok(chat.input_tokens > 0 && chat.output_tokens > 0 && chat.cost_usd > 0, "tokens and cost of a priced model");
    expect("stream", { action: "chat.completions", status: 200 });
    expect("completions", { action: "completions", dialect: "openai", status: 200 });
    expect("responses", { action: "responses", dialect: "openai", status: 200 });
    expect("embeddings", { action: "embeddings", target: "openai/text-embedding-3-small", status: 200 });
    expect("local", { action: "chat.completions", provider: "local-llama", locality: "in-process", status: 200 });
    expect("messages", { action: "messages", dialect: "anthropic", target: "anthropic/claude-sonnet-4-5", status: 200 });
    expect("count", { action: "messages.count_tokens", dialect: "anthropic", cost_usd: 0 });
    expect("gemini", { action: "gemini.generate_content", dialect: "gemini", target: "gemini/gemini-2.5-flash", status: 200 });
    expect("broken", { status: 400, error_code: "invalid_json", provider: "" });
    expect("create", { kind: "admin", action: "keys.create", dialect: "hearth", key: "admin" });
    const text = JSON.stringify(all);
    for (const secretText of [clientKey, adminKey, secret, "ann.lee@example.org"]) assert.equal(text.includes(secretText), false, "no key or personal data in the audit log");
    // One chain for this process, positions without gaps.
    const mine = all.filter((entry) => entry.chain === chat.chain).map((entry) => entry.chain_seq).sort((left, right) => left - right);
    assert.deepEqual(mine, mine.map((_, index) => index + 1));
  });
});

describe("hearth audit verify", () => {
  test("passes on the untouched log, then names an edited row and a deleted row", async () => {
    await hearth.close();
    closed = true;
    const clean = await runHearth(["audit", "verify", "--config", configFile]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /intact|OK|ok/i);

    const database = new Database(path.join(path.dirname(configFile), "hearth.db"));
    try {
      const victim = database.prepare<[], { seq: number }>("SELECT seq FROM audit_entries ORDER BY seq LIMIT 1 OFFSET 3").get();
      assert.ok(victim !== undefined);
      // output_tokens is element 15 of the content array (core/audit/canonical.ts, entryContent).
      database.prepare("UPDATE audit_entries SET content = json_set(content, '$[15]', (content ->> 15) + 1) WHERE seq = ?").run(victim.seq);
      const edited = await runHearth(["audit", "verify", "--config", configFile, "--json"]);
      assert.equal(edited.code, 1);
      const report = JSON.parse(edited.stdout) as { ok: boolean; problems: Array<{ kind: string; location?: { seq?: number; requestId?: string } }> };
      assert.equal(report.ok, false);
      assert.ok(
        report.problems.some((problem) => problem.kind === "edited" && problem.location?.seq === victim.seq),
        JSON.stringify(report.problems.slice(0, 3)),
      );
      database.prepare("UPDATE audit_entries SET content = json_set(content, '$[15]', (content ->> 15) - 1) WHERE seq = ?").run(victim.seq);
      assert.equal((await runHearth(["audit", "verify", "--config", configFile])).code, 0, "restored: intact again");

      const deleted = database.prepare<[], { seq: number; chain_seq: number }>("SELECT seq, chain_seq FROM audit_entries ORDER BY seq LIMIT 1 OFFSET 5").get();
      assert.ok(deleted !== undefined);
      database.prepare("DELETE FROM audit_entries WHERE seq = ?").run(deleted.seq);
      const gap = await runHearth(["audit", "verify", "--config", configFile, "--json"]);
      assert.equal(gap.code, 1);
      const gapReport = JSON.parse(gap.stdout) as { problems: Array<{ kind: string; message: string }> };
      assert.ok(gapReport.problems.some((problem) => problem.kind === "deleted"), JSON.stringify(gapReport.problems.slice(0, 3)));
    } finally {
      database.close();
    }
  });
});

describe("audit bodies and retention", () => {
  test("redacted bodies are stored encrypted, decrypt with the key, and hold no personal data", async () => {
    const encryptionKey = randomBytes(32);
    const server = await startServer({
      server: { adminKeys: [adminKey] },
      providers: [{ name: "openai", type: "openai", baseUrl: `${openaiVendor.url}/v1`, apiKey: openaiVendor.apiKey, retries: 0 }],
      models: [{ name: "gpt", provider: "openai", model: "gpt-4o-mini" }],
      audit: { bodies: "redacted", encryptionKey: encryptionKey.toString("base64"), checkpointInterval: 0 },
    });
    try {
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: adminKey, maxRetries: 0 });
      const requestId = `req-bodies-${randomUUID()}`;
      await openai.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "Write to ann.lee@example.org about the invoice" }] }, { headers: { "x-request-id": requestId } });
      await server.composition.auditLog?.flush();
      const [entry] = (await server.composition.auditLog?.query({ requestId })) ?? [];
      assert.ok(entry?.bodies !== null && entry?.bodies !== undefined, "bodies stored");
      assert.equal(entry.bodies.mode, "redacted");
      const stored = JSON.stringify(entry.bodies);
      assert.equal(stored.includes("invoice"), false, "stored as ciphertext, not text");
      const request = decryptBody(entry.bodies.request as StoredBody, encryptionKey);
      const response = decryptBody(entry.bodies.response as StoredBody, encryptionKey);
      assert.match(request, /Write to \[EMAIL\] about the invoice/);
      assert.equal(request.includes("ann.lee@example.org"), false);
      assert.match(response, /Hello from gpt-4o-mini/);
      assert.throws(() => decryptBody(entry.bodies?.request as StoredBody, randomBytes(32)), /key/i);
    } finally {
      await server.close();
    }
  });

  test("retention prunes old entries at start-up, records the prune, and the log still verifies", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-retention-"));
    const base = {
      dataDir,
      providers: [{ name: "openai", type: "openai" as const, baseUrl: `${openaiVendor.url}/v1`, apiKey: openaiVendor.apiKey, retries: 0 }],
      models: [{ name: "gpt", provider: "openai", model: "gpt-4o-mini" }],
    };
    const first = await startServer({ ...base, audit: { checkpointInterval: 0 } });
    const old: string[] = [];
    for (let index = 0; index < 3; index++) {
      const id = `req-old-${index}-${randomUUID()}`;
      old.push(id);
      await first.client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "old" }] }, { headers: { "x-request-id": id } });
    }
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await startServer({ ...base, audit: { checkpointInterval: 0, retention: "10ms" } });
    try {
      let entries: Array<{ requestId: string; action: string }> = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        await second.composition.auditLog?.flush();
        entries = (await second.composition.auditLog?.query({ limit: 100 })) ?? [];
        if (entries.some((entry) => entry.action === "audit.prune")) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(entries.some((entry) => entry.action === "audit.prune"), "the prune is itself audited");
      for (const id of old) assert.equal(entries.some((entry) => entry.requestId === id), false, `${id} pruned`);
    } finally {
      await second.close();
    }
    const file = path.join(dataDir, "hearth.yaml");
    fs.writeFileSync(file, stringify({ dataDir }));
    const verified = await runHearth(["audit", "verify", "--config", file]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});

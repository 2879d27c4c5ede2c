import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockOpenAI, type MockOpenAI } from "./support/mock-vendors/openai.ts";
import { runHearth, startHearthProcess, type HearthProcess } from "./support/process.ts";

/**
 * Durability of the audit log with a real `hearth serve` process under load:
 * - strict mode, SIGKILL mid-load: every request that got a complete answer has its entry, and
 *   `hearth audit verify` passes (the dead process's chain is simply not closed);
 * - fast mode, SIGKILL: entries still queued are lost, but what was written verifies;
 * - fast mode, SIGTERM: the queue is flushed on shutdown, nothing answered is missing.
 */

let vendor: MockOpenAI;

before(async () => {
  vendor = await startMockOpenAI({ eventDelayMs: 0 });
});

after(async () => {
  await vendor?.close();
});

interface LoadResult {
  /** Request ids whose complete answer reached the client. */
  answered: string[];
  attempted: number;
}

/** Closed-loop load: `connections` clients send chat requests (every third streamed) until `stop`. */
async function load(url: string, connections: number, stop: Promise<void>): Promise<LoadResult> {
  const answered: string[] = [];
  let attempted = 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  const client = async (index: number): Promise<void> => {
    for (let round = 0; !stopped; round++) {
      const id = `dur-${index}-${round}-${randomUUID()}`;
      const stream = round % 3 === 2;
      attempted += 1;
      try {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": id },
          body: JSON.stringify({ model: "gpt", stream, messages: [{ role: "user", content: `hello ${round}` }] }),
        });
        const text = await response.text();
        const complete = response.status === 200 && (stream ? text.includes("data: [DONE]") : (JSON.parse(text) as { choices?: unknown[] }).choices?.length === 1);
        if (complete) answered.push(id);
      } catch {
        // The server was killed mid-request: not answered.
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => client(index)));
  return { answered, attempted };
}

function config(durability: "strict" | "fast") {
  return {
    providers: [{ name: "openai", type: "openai", baseUrl: `${vendor.url}/v1`, apiKey: vendor.apiKey, retries: 0 }],
    models: [{ name: "gpt", provider: "openai", model: "gpt-4o-mini" }],
    audit: { durability, checkpointInterval: "500ms" },
  };
}

async function exportedIds(directory: string): Promise<Set<string>> {
  const exported = await runHearth(["audit", "export", "--config", path.join(directory, "hearth.yaml"), "--format", "jsonl"]);
  assert.equal(exported.code, 0, exported.stderr);
  const ids = new Set<string>();
  for (const line of exported.stdout.split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as { requestId?: string; type?: string };
    if (typeof record.requestId === "string") ids.add(record.requestId);
  }
  return ids;
}

async function runUnderLoad(directory: string, durability: "strict" | "fast", end: (server: HearthProcess) => Promise<void>): Promise<LoadResult> {
  const server = await startHearthProcess(directory, config(durability));
  let release: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => (release = resolve));
  const running = load(server.url, 8, stop);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await end(server);
  release();
  return running;
}

describe("audit durability under load", () => {
  test("strict mode, SIGKILL: every answered request has its entry, and the log verifies", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-strict-"));
    const result = await runUnderLoad(directory, "strict", (server) => server.kill());
    assert.ok(result.answered.length >= 20, `enough load before the kill (${result.answered.length} answered)`);
    const ids = await exportedIds(directory);
    const missing = result.answered.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${result.answered.length} answered requests have no audit entry`);
    const verified = await runHearth(["audit", "verify", "--config", path.join(directory, "hearth.yaml")]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test("fast mode, SIGKILL: what was written verifies (queued entries may be lost)", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-fast-kill-"));
    const result = await runUnderLoad(directory, "fast", (server) => server.kill());
    assert.ok(result.answered.length >= 20);
    const ids = await exportedIds(directory);
    assert.ok(ids.size > 0, "entries were written before the kill");
    const verified = await runHearth(["audit", "verify", "--config", path.join(directory, "hearth.yaml")]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test("fast mode, SIGTERM: the queue is flushed on shutdown; nothing answered is missing", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-fast-term-"));
    const result = await runUnderLoad(directory, "fast", (server) => server.stop());
    const ids = await exportedIds(directory);
    const missing = result.answered.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${result.answered.length} answered requests have no audit entry`);
    const verified = await runHearth(["audit", "verify", "--config", path.join(directory, "hearth.yaml")]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});

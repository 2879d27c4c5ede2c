import assert from "node:assert/strict";
import { test } from "node:test";
import type { UsageRecord } from "../core/usage/types.ts";
import { RollupBuffer, type RollupRow } from "./usage-rollup.ts";

const day = Date.UTC(2026, 10, 22, 12);

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time: day,
    key: "alice",
    team: "research",
    model: "gpt-4o",
    provider: "openai",
    locality: "third-party",
    endpoint: "chat.completions",
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.001,
    priced: true,
    error: false,
    ...overrides,
  };
}

const byModel = (rows: RollupRow[]) => Object.fromEntries(rows.map((row) => [`${row.day} ${row.key} ${row.model} ${row.endpoint}`, [row.requests, row.input_tokens, row.errors, row.unpriced]]));

test("records land in the bucket of their own dimensions, whatever came just before", () => {
  const buffer = new RollupBuffer();
  buffer.add(usage());
  buffer.add(usage());
  buffer.add(usage({ model: "claude" }));
  buffer.add(usage());
  buffer.add(usage({ key: null, team: null, error: true, priced: false }));
  buffer.add(usage({ endpoint: "embeddings" }));
  buffer.add(usage({ time: day + 86_400_000 }));
  buffer.add(usage());
  assert.deepEqual(byModel(buffer.drain()), {
    "2026-11-22 alice gpt-4o chat.completions": [4, 40, 0, 0],
    "2026-11-22 alice claude chat.completions": [1, 10, 0, 0],
    "2026-11-22  gpt-4o chat.completions": [1, 10, 1, 1],
    "2026-11-22 alice gpt-4o embeddings": [1, 10, 0, 0],
    "2026-11-23 alice gpt-4o chat.completions": [1, 10, 0, 0],
  });
});

test("after a drain, a record with the previous dimensions starts a new row instead of adding to the drained one", () => {
  const buffer = new RollupBuffer();
  buffer.add(usage());
  const [drained] = buffer.drain();
  buffer.add(usage());
  assert.equal(drained?.requests, 1, "the drained row is not changed afterwards");
  const rows = buffer.drain();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.requests, 1);

  // A failed write puts rows back; they merge with what arrived meanwhile.
  buffer.add(usage());
  const pending = buffer.drain();
  buffer.add(usage());
  buffer.restore(pending);
  buffer.add(usage());
  assert.deepEqual(byModel(buffer.drain()), { "2026-11-22 alice gpt-4o chat.completions": [3, 30, 0, 0] });
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { bodiesFrom, canonicalEntry, dataClassesFrom, entryHash, entryHashMatches, normalizeRecord, zeroHash } from "./canonical.ts";
import { AuditError } from "./errors.ts";
import type { AuditEntryInput, AuditRecord } from "./types.ts";

const record: AuditRecord = {
  time: 1_800_000_000_000,
  requestId: "req-1",
  kind: "request",
  action: "messages",
  dialect: "anthropic",
  key: "alice",
  team: "research",
  model: "claude-sonnet",
  route: "smart",
  provider: "anthropic",
  target: "anthropic/claude-sonnet-4",
  locality: "third-party",
  policyRule: "pii",
  policyAction: "redact",
  dataClasses: { email: 1, iban: 2 },
  inputTokens: 12,
  outputTokens: 34,
  costUsd: 0.0012,
  latencyMs: 123.5,
  status: 200,
  errorCode: null,
  subject: null,
};

function entry(overrides: Partial<AuditEntryInput> = {}): Omit<AuditEntryInput, "hash"> {
  return { ...normalizeRecord(record), bodies: null, chain: "host-1-abcd", chainSeq: 1, prevHash: zeroHash, ...overrides };
}

describe("canonical entry and hash", () => {
  test("the hash is SHA-256 over prevHash followed by the canonical text", () => {
    const value = entry();
    const expected = createHash("sha256").update(zeroHash + canonicalEntry(value)).digest("hex");
    assert.equal(entryHash(zeroHash, value), expected);
    assert.match(canonicalEntry(value), /^\["hearth-audit-entry-v1","host-1-abcd",1,1800000000000,"req-1",/);
  });

  test("data classes hash the same whatever their key order", () => {
    const a = entry({ dataClasses: { email: 1, iban: 2 } });
    const b = entry({ dataClasses: { iban: 2, email: 1 } });
    assert.equal(entryHash(zeroHash, a), entryHash(zeroHash, b));
  });

  test("every field, the chain position and the prevHash change the hash", () => {
    const base = entry();
    const baseHash = entryHash(zeroHash, base);
    const changes: Array<Partial<AuditEntryInput>> = [
      { chain: "other" }, { chainSeq: 2 }, { time: 1 }, { requestId: "x" }, { kind: "admin" }, { action: "x" }, { dialect: "x" },
      { key: null }, { team: "x" }, { model: "x" }, { route: null }, { provider: "x" }, { target: "x" }, { locality: null },
      { policyRule: "x" }, { policyAction: "allow" }, { dataClasses: { email: 2, iban: 2 } }, { inputTokens: 13 }, { outputTokens: 35 },
      { costUsd: 0.0013 }, { latencyMs: 124 }, { status: 500 }, { errorCode: "x" }, { subject: "x" },
      { bodies: { mode: "hash", request: { sha256: "a".repeat(64) }, response: null } },
    ];
    const fields = new Set(changes.flatMap((change) => Object.keys(change)));
    const contentFields = Object.keys(base).filter((field) => field !== "prevHash");
    assert.deepEqual([...fields].sort(), contentFields.sort(), "every field of an entry is exercised");
    for (const change of changes) assert.notEqual(entryHash(zeroHash, { ...base, ...change }), baseHash, JSON.stringify(change));
    assert.notEqual(entryHash("1".repeat(64), base), baseHash);
  });

  test("entryHashMatches recognises a changed row", () => {
    const value = entry();
    const stored = { ...value, hash: entryHash(value.prevHash, value) };
    assert.equal(entryHashMatches(stored), true);
    assert.equal(entryHashMatches({ ...stored, model: "gpt-4o" }), false);
  });
});

describe("normalizeRecord", () => {
  test("rounds cost to 1e-9, makes counts integers, and turns -0 into 0", () => {
    const normal = normalizeRecord({ ...record, costUsd: 0.1 + 0.2, inputTokens: 12.6, status: -0, dataClasses: { email: 1.4 }, latencyMs: -0 });
    assert.equal(normal.costUsd, 0.3);
    assert.equal(normal.inputTokens, 13);
    assert.ok(Object.is(normal.status, 0));
    assert.ok(Object.is(normal.latencyMs, 0));
    assert.deepEqual(normal.dataClasses, { email: 1 });
  });

  test("makes strings storable: lone surrogates and NUL become U+FFFD", () => {
    assert.equal(normalizeRecord({ ...record, model: "a\ud800b\u0000c" }).model, "a\uFFFDb\uFFFDc");
  });

  test("refuses values no database gives back unchanged", () => {
    const invalid = (error: unknown) => AuditError.isInstance(error) && error.code === "audit_invalid_record";
    assert.throws(() => normalizeRecord({ ...record, latencyMs: Number.NaN }), invalid);
    assert.throws(() => normalizeRecord({ ...record, costUsd: Number.POSITIVE_INFINITY }), invalid);
    assert.throws(() => normalizeRecord({ ...record, kind: "other" as "admin" }), invalid);
    assert.throws(() => normalizeRecord({ ...record, model: 5 as unknown as string }), invalid);
    assert.throws(() => normalizeRecord({ ...record, dataClasses: { email: Number.NaN } }), invalid);
  });
});

describe("data classes and bodies of an export file", () => {
  test("read back leniently: a value of the wrong shape becomes empty, and the hash check reports it", () => {
    assert.deepEqual(dataClassesFrom({ email: 2 }), { email: 2 });
    assert.deepEqual(dataClassesFrom("not an object"), {});
    assert.deepEqual(dataClassesFrom([["email", 2]]), {});
    assert.deepEqual(dataClassesFrom(undefined), {});
    assert.equal(bodiesFrom([1, 2]), null);
    assert.equal(bodiesFrom(null), null);
    assert.deepEqual(bodiesFrom({ mode: "hash", request: { sha256: "ab" }, response: null }), { mode: "hash", request: { sha256: "ab" }, response: null });
  });
});

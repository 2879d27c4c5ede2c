/**
 * One test suite for every AuditStore adapter (SQLite, PostgreSQL): the writer, checkpoints,
 * verification against tampering done with plain SQL, replicas, retention, durability modes,
 * bodies and export all run against a real database. Each adapter's test file supplies a harness
 * (fresh database per test, a second connection, raw SQL) and calls `auditStoreSuite`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Writable } from "node:stream";
import { createAuditSigner, generateAuditKeyPair } from "../core/audit/signing.ts";
import { createAuditLog, type AuditLog, type AuditLogOptions } from "../core/audit/log.ts";
import { verifyAuditLog } from "../core/audit/verify.ts";
import { pruneAuditLog } from "../core/audit/retention.ts";
import { exportAuditLog, verifyExport } from "../core/audit/export.ts";
import { decryptBody } from "../core/audit/bodies.ts";
import { entryHash, zeroHash } from "../core/audit/canonical.ts";
import { parseCheckpointBody } from "../core/audit/checkpoint.ts";
import { AuditError } from "../core/audit/errors.ts";
import type { AuditEntry, AuditProblem, AuditProblemKind, AuditRecord, AuditStore, AuditVerifyReport } from "../core/audit/types.ts";
import { auditEntryColumns, auditEntryValues } from "./audit-rows.ts";

/** One fresh, empty database for one test. */
export interface AuditTestDatabase {
  store: AuditStore;
  /** Another store on the same database over its own connection(s): a second replica. */
  openAnother(): Promise<AuditStore>;
  /** Runs SQL directly (tampering); `?` placeholders, in order. */
  exec(sql: string, parameters?: readonly unknown[]): Promise<void>;
  rows<Row>(sql: string, parameters?: readonly unknown[]): Promise<Row[]>;
  /** Closes every store opened here and removes the database. */
  close(): Promise<void>;
}

export interface AuditStoreHarness {
  open(): Promise<AuditTestDatabase>;
}

const keys = generateAuditKeyPair();
const signer = createAuditSigner(keys.privateKeyPem);
const start = 1_800_000_000_000;

function record(index: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: start + index * 1_000,
    requestId: `request-${index}`,
    kind: "request",
    action: "chat.completions",
    dialect: "openai",
    key: index % 2 === 0 ? "alice-key" : "bob-key",
    team: index % 2 === 0 ? "research" : "support",
    model: "gpt-4o",
    route: index % 3 === 0 ? "smart" : null,
    provider: "openai",
    target: "openai/gpt-4o-2024-08-06",
    locality: "third-party",
    policyRule: index % 4 === 0 ? "pii-redact" : null,
    policyAction: index % 4 === 0 ? "redact" : "allow",
    dataClasses: index % 4 === 0 ? { email: 2, iban: 1 } : {},
    inputTokens: 100 + index,
    outputTokens: 200 + index,
    costUsd: 0.000123456789 * (index + 1),
    latencyMs: 812.25 + index / 3,
    status: 200,
    errorCode: null,
    subject: null,
    ...overrides,
  };
}

function open(store: AuditStore, options: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
  return createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0, ...options });
}

function verify(store: AuditStore, options: { knownCheckpoint?: { id: number; hash: string } } = {}): Promise<AuditVerifyReport> {
  return verifyAuditLog(store, { publicKey: keys.publicKeyPem, pageSize: 7, ...options });
}

/** Every entry of a chain, in chain order. */
async function chainEntries(store: AuditStore, chain: string): Promise<AuditEntry[]> {
  return store.readChainEntries(chain, { chainSeq: -1, seq: -1 }, 100_000);
}

function kinds(report: AuditVerifyReport): AuditProblemKind[] {
  return report.problems.map((problem) => problem.kind);
}

function find(report: AuditVerifyReport, kind: AuditProblemKind): AuditProblem {
  const problem = report.problems.find((item) => item.kind === kind);
  assert.ok(problem, `expected a ${kind} problem, got ${JSON.stringify(report.problems)}`);
  return problem;
}

/** A writer that appended `count` records and wrote one checkpoint; returns the entries as stored. */
async function seeded(store: AuditStore, count = 10, options: Partial<AuditLogOptions> = {}): Promise<{ log: AuditLog; entries: AuditEntry[] }> {
  const log = await open(store, options);
  for (let index = 0; index < count; index += 1) await log.append(record(index));
  await log.checkpoint();
  return { log, entries: await chainEntries(store, log.chain) };
}

const setList = auditEntryColumns.map((column) => `${column} = ?`).join(", ");

/** Overwrites every column of row `seq` but seq itself, with the content serialised from `entry`'s fields (not a content text it was read with). */
async function setRow(db: AuditTestDatabase, seq: number, entry: AuditEntry): Promise<void> {
  await db.exec(`UPDATE audit_entries SET ${setList} WHERE seq = ?`, [...auditEntryValues({ ...entry, content: undefined }), seq]);
}

/** Rewrites the content array of row `seq` (a JSON array in canonical field order; see `entryContent`). */
async function editContent(db: AuditTestDatabase, seq: number, edit: (content: unknown[]) => void): Promise<void> {
  const [row] = await db.rows<{ content: string }>("SELECT content FROM audit_entries WHERE seq = ?", [seq]);
  const content = JSON.parse(String(row?.content)) as unknown[];
  edit(content);
  await db.exec("UPDATE audit_entries SET content = ? WHERE seq = ?", [JSON.stringify(content), seq]);
}

async function insertRow(db: AuditTestDatabase, entry: Omit<AuditEntry, "seq">): Promise<void> {
  await db.exec(`INSERT INTO audit_entries (${auditEntryColumns.join(", ")}) VALUES (${auditEntryColumns.map(() => "?").join(", ")})`, auditEntryValues({ ...entry, content: undefined }));
}

/** A store that holds every write until `release()` and counts the transactions it was asked for. */
function gatedStore(inner: AuditStore): { store: AuditStore; release(): void; transactions: () => number } {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let transactions = 0;
  return {
    store: {
      ...inner,
      async appendEntries(entries, options) {
        transactions += 1;
        await gate;
        return inner.appendEntries(entries, options);
      },
    },
    release() {
      open();
      gate = Promise.resolve();
    },
    transactions: () => transactions,
  };
}

/** Resolves true when the promise has settled by the next turn of the event loop. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

export function auditStoreSuite(name: string, harness: AuditStoreHarness, options: { skip?: string | undefined } = {}): void {
  describe(`audit log on ${name}`, { skip: options.skip ?? false }, () => {
    const withDatabase = async (body: (db: AuditTestDatabase) => Promise<void>): Promise<void> => {
      const db = await harness.open();
      try {
        await body(db);
      } finally {
        await db.close();
      }
    };

    test("entries chain by hash from the genesis, read back exactly, and a checkpoint lists the head", () =>
      withDatabase(async (db) => {
        const log = await open(db.store);
        const odd = record(1, { model: "model \"quoted\", with\ncomma\u0000and\ud800lone", dataClasses: { phone: 1, email: 3 }, costUsd: 0.1 + 0.2, latencyMs: 1 / 3 });
        for (const item of [record(0), odd, record(2, { kind: "admin", action: "keys.revoke", subject: "key_123", errorCode: "forbidden", status: 403 })]) await log.append(item);
        const checkpoint = await log.checkpoint();
        const entries = await chainEntries(db.store, log.chain);
        assert.deepEqual(entries.map((entry) => entry.chainSeq), [1, 2, 3]);
        assert.equal(entries[0]?.prevHash, zeroHash, "the first chain starts at zero: no checkpoint existed");
        for (const [index, entry] of entries.entries()) {
          assert.equal(entry.hash, entryHash(entry.prevHash, entry), "the stored hash is SHA-256(prevHash ‖ canonical entry)");
          if (index > 0) assert.equal(entry.prevHash, entries[index - 1]?.hash);
        }
        const second = entries[1] as AuditEntry;
        assert.equal(second.model, "model \"quoted\", with\ncomma\uFFFDand\uFFFDlone", "NUL and lone surrogates are stored as U+FFFD, hashed as stored");
        assert.deepEqual(second.dataClasses, { phone: 1, email: 3 });
        assert.equal(second.costUsd, Math.round((0.1 + 0.2) * 1e9) / 1e9);
        assert.equal(second.latencyMs, 1 / 3);
        assert.equal(entries[2]?.subject, "key_123");
        assert.equal(entries[2]?.kind, "admin");

        const body = parseCheckpointBody(checkpoint?.body ?? "");
        assert.ok(body);
        assert.equal(body.id, 1);
        assert.equal(body.prevHash, zeroHash);
        assert.equal(body.entries, 3);
        assert.deepEqual(body.heads, [{ chain: log.chain, chainSeq: 3, hash: entries[2]?.hash }]);

        await log.close();
        const next = await open(db.store);
        await next.append(record(3));
        const [first] = await chainEntries(db.store, next.chain);
        assert.equal(first?.prevHash, (await db.store.latestCheckpoint())?.hash, "a new chain's genesis is the newest checkpoint");
        await next.close();

        const report = await verify(db.store);
        assert.deepEqual(report.problems, []);
        assert.equal(report.ok, true);
        assert.equal(report.entries, 4);
        assert.equal(report.chains, 2);
        assert.equal(report.checkpoints, 3);
        assert.equal(report.uncovered.entries, 0);
      }));

    test("entries after the newest checkpoint are reported as uncovered, which is a warning, not a failure", () =>
      withDatabase(async (db) => {
        const { log } = await seeded(db.store, 3);
        await log.append(record(3));
        await log.append(record(4));
        const report = await verify(db.store);
        assert.equal(report.ok, true);
        assert.deepEqual(report.uncovered, { entries: 2, ranges: [{ chain: log.chain, fromChainSeq: 4, toChainSeq: 5, entries: 2 }] });
        const periodic = await db.store.commitCheckpoint({ reason: "periodic" }, () => undefined);
        assert.equal(periodic.written, false, "a plan that sees no change writes nothing");
        await log.close();
        assert.equal((await verify(db.store)).uncovered.entries, 0);
      }));

    test("a periodic checkpoint is written on the timer and skipped when nothing changed", () =>
      withDatabase(async (db) => {
        const log = await open(db.store, { checkpointIntervalMs: 20 });
        await log.append(record(0));
        for (let wait = 0; wait < 100 && log.stats().checkpoints === 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(log.stats().checkpoints, 1);
        await new Promise((resolve) => setTimeout(resolve, 120));
        assert.equal(log.stats().checkpoints, 1, "nothing changed, so no second checkpoint");
        await log.close();
        assert.equal(log.stats().checkpoints, 2, "close writes the final one");
      }));

    test("editing one field of one row, in its content or in a column, is reported as edited, at that row", () =>
      withDatabase(async (db) => {
        const { log, entries } = await seeded(db.store);
        const target = entries[4] as AuditEntry;
        await editContent(db, target.seq, (content) => {
          content[6] = "gpt-3.5-turbo";
        });
        const report = await verify(db.store);
        assert.equal(report.ok, false);
        assert.deepEqual(kinds(report), ["edited"]);
        assert.deepEqual(report.problems[0]?.location, { seq: target.seq, chain: log.chain, chainSeq: 5, requestId: "request-4" });

        await editContent(db, target.seq, (content) => {
          content[6] = target.model;
        });
        assert.deepEqual((await verify(db.store)).problems, [], "put back, it verifies again");
        await db.exec("UPDATE audit_entries SET time = time + 1 WHERE seq = ?", [target.seq]);
        assert.deepEqual(kinds(await verify(db.store)), ["edited"], "the time column is hashed too");
        await db.exec("UPDATE audit_entries SET time = time - 1, content = ? WHERE seq = ?", ["not json", target.seq]);
        const damaged = await verify(db.store);
        assert.deepEqual(kinds(damaged), ["edited"], "unreadable content is an edit, not a crash");
        assert.equal(damaged.problems[0]?.location.seq, target.seq);
      }));

    test("a row rewritten with a recomputed hash breaks the next link and the checkpoint's head", () =>
      withDatabase(async (db) => {
        const { log, entries } = await seeded(db.store);
        const last = entries[9] as AuditEntry;
        const forged = { ...(entries[4] as AuditEntry), status: 500 };
        await setRow(db, forged.seq, { ...forged, hash: entryHash(forged.prevHash, forged) });
        const report = await verify(db.store);
        const link = find(report, "broken_link");
        assert.equal(link.location.chainSeq, 6);
        assert.equal(link.location.seq, entries[5]?.seq);
        assert.match(link.message, /#5 .*rewritten/);
        assert.ok(!kinds(report).includes("edited"), "the rewritten row itself hashes correctly");

        // Rewriting the whole rest of the chain keeps every link, but not the signed head.
        let previous = entryHash(forged.prevHash, forged);
        for (const entry of entries.slice(5)) {
          const hash = entryHash(previous, entry);
          await db.exec("UPDATE audit_entries SET prev_hash = ?, hash = ? WHERE seq = ?", [previous, hash, entry.seq]);
          previous = hash;
        }
        const rewritten = await verify(db.store);
        assert.deepEqual(kinds(rewritten), ["checkpoint_mismatch"]);
        assert.deepEqual(rewritten.problems[0]?.location, { seq: last.seq, chain: log.chain, chainSeq: 10, requestId: "request-9" });
      }));

    test("deleting a row in the middle is reported as deleted, with the gap", () =>
      withDatabase(async (db) => {
        const { log, entries } = await seeded(db.store);
        await db.exec("DELETE FROM audit_entries WHERE seq = ?", [entries[4]?.seq]);
        const report = await verify(db.store);
        assert.deepEqual(kinds(report), ["deleted"]);
        assert.equal(report.problems[0]?.location.chain, log.chain);
        assert.equal(report.problems[0]?.location.chainSeq, 5);
        assert.equal(report.problems[0]?.location.toChainSeq, 5);
        assert.match(report.problems[0]?.message ?? "", /#5 are missing/);
      }));

    test("deleting a row and renumbering the rest to hide the gap is still a deletion", () =>
      withDatabase(async (db) => {
        const { entries } = await seeded(db.store);
        await db.exec("DROP INDEX audit_entries_chain");
        await db.exec("DELETE FROM audit_entries WHERE seq = ?", [entries[4]?.seq]);
        await db.exec("UPDATE audit_entries SET chain_seq = chain_seq - 1 WHERE seq > ?", [entries[4]?.seq]);
        const report = await verify(db.store);
        const deleted = find(report, "deleted");
        assert.equal(deleted.location.chainSeq, 5);
        assert.match(deleted.message, /renumbered/);
        assert.ok(!kinds(report).includes("edited"), JSON.stringify(report.problems));
      }));

    test("deleting the newest rows a checkpoint covers is reported as deleted up to the checkpointed head", () =>
      withDatabase(async (db) => {
        const { log, entries } = await seeded(db.store);
        await db.exec("DELETE FROM audit_entries WHERE seq >= ?", [entries[8]?.seq]);
        const report = await verify(db.store);
        assert.deepEqual(kinds(report), ["deleted"]);
        assert.deepEqual(
          { chain: report.problems[0]?.location.chain, from: report.problems[0]?.location.chainSeq, to: report.problems[0]?.location.toChainSeq },
          { chain: log.chain, from: 9, to: 10 },
        );
        assert.match(report.problems[0]?.message ?? "", /checkpoint #1 recorded it up to #10/);
      }));

    test("forged rows are reported as inserted: in a chain nobody registered, or after a closed chain's end", () =>
      withDatabase(async (db) => {
        const { log, entries } = await seeded(db.store);
        const model = entries[2] as AuditEntry;
        await log.close();
        const forgedChain = { ...model, chain: "forger-1-00000000", chainSeq: 1, prevHash: zeroHash, requestId: "forged-1" };
        await insertRow(db, { ...forgedChain, hash: entryHash(zeroHash, forgedChain) });
        const afterEnd = { ...model, chainSeq: 11, prevHash: (entries[9] as AuditEntry).hash, requestId: "forged-2" };
        await insertRow(db, { ...afterEnd, hash: entryHash(afterEnd.prevHash, afterEnd) });
        const report = await verify(db.store);
        assert.deepEqual(kinds(report).sort(), ["inserted", "inserted"]);
        assert.deepEqual(
          report.problems.map((problem) => problem.location.requestId).sort(),
          ["forged-1", "forged-2"],
        );
        assert.ok(report.problems.some((problem) => /no signed registration/.test(problem.message)));
        assert.ok(report.problems.some((problem) => /after the chain was closed at #10/.test(problem.message)));
      }));

    test("a forged row at a position already taken, or squeezed in by renumbering, is reported as inserted at that row", () =>
      withDatabase(async (db) => {
        const { entries } = await seeded(db.store);
        await db.exec("DROP INDEX audit_entries_chain");
        const original = entries[4] as AuditEntry;
        const duplicate = { ...original, requestId: "forged-duplicate", model: "claude" };
        await insertRow(db, { ...duplicate, hash: entryHash(duplicate.prevHash, duplicate) });
        const [forgedRow] = await db.rows<{ seq: number }>("SELECT seq FROM audit_entries WHERE content LIKE ?", ['["forged-duplicate",%']);
        const report = await verify(db.store);
        assert.deepEqual(kinds(report), ["inserted"]);
        assert.equal(report.problems[0]?.location.seq, forgedRow?.seq);
        assert.equal(report.problems[0]?.location.chainSeq, 5);

        await db.exec("DELETE FROM audit_entries WHERE content LIKE ?", ['["forged-duplicate",%']);
        await db.exec("UPDATE audit_entries SET chain_seq = chain_seq + 1 WHERE chain_seq >= 5");
        const squeezed = { ...original, requestId: "forged-squeezed" };
        await insertRow(db, { ...squeezed, hash: entryHash(squeezed.prevHash, squeezed) });
        const renumbered = await verify(db.store);
        assert.deepEqual(kinds(renumbered), ["inserted"], JSON.stringify(renumbered.problems));
        assert.equal(renumbered.problems[0]?.location.requestId, "forged-squeezed");
        assert.match(renumbered.problems[0]?.message ?? "", /renumbered/);
      }));

    test("swapping two rows is reported as reordered: whole rows (positions), or contents under the original hashes", () =>
      withDatabase(async (db) => {
        const { entries } = await seeded(db.store);
        const a = entries[3] as AuditEntry;
        const next = entries[4] as AuditEntry;
        await setRow(db, a.seq, { ...a, chainSeq: -1 });
        await setRow(db, next.seq, a);
        await setRow(db, a.seq, next);
        const report = await verify(db.store);
        assert.deepEqual(kinds(report), ["reordered"]);
        assert.equal(report.problems[0]?.location.chainSeq, 5);
        assert.equal(report.problems[0]?.location.seq, a.seq, "chain #5 now sits at #4's old place");

        // Put them back, then swap only the content columns of #4 and #7, leaving each row's hash fields in place.
        await setRow(db, a.seq, { ...a, chainSeq: -1 });
        await setRow(db, next.seq, next);
        await setRow(db, a.seq, a);
        assert.equal((await verify(db.store)).ok, true);
        const b = entries[6] as AuditEntry;
        await setRow(db, a.seq, { ...b, chain: a.chain, chainSeq: a.chainSeq, prevHash: a.prevHash, hash: a.hash });
        await setRow(db, b.seq, { ...a, chain: b.chain, chainSeq: b.chainSeq, prevHash: b.prevHash, hash: b.hash });
        const swapped = await verify(db.store);
        assert.deepEqual(kinds(swapped), ["reordered"]);
        assert.match(swapped.problems[0]?.message ?? "", /#4 .* and #7 .* swapped/);
      }));

    test("edited, deleted and forged checkpoints are reported at the checkpoint", () =>
      withDatabase(async (db) => {
        const { log } = await seeded(db.store, 3);
        await log.append(record(3));
        await log.checkpoint();
        await log.append(record(4));
        await log.checkpoint();

        await db.exec("UPDATE audit_checkpoints SET body = replace(body, '\"entries\":4', '\"entries\":3') WHERE id = 2");
        const edited = await verify(db.store);
        assert.deepEqual([...new Set(kinds(edited))].sort(), ["bad_signature", "edited"]);
        assert.ok(edited.problems.every((problem) => problem.location.checkpoint === 2));

        const [original] = await db.rows<{ body: string; hash: string }>("SELECT body, hash FROM audit_checkpoints WHERE id = 3");
        await db.exec("DELETE FROM audit_checkpoints WHERE id = 2");
        const gap = await verify(db.store);
        assert.ok(gap.problems.some((problem) => problem.kind === "deleted" && problem.location.checkpoint === 2), JSON.stringify(gap.problems));

        const other = createAuditSigner(generateAuditKeyPair().privateKeyPem);
        const body = String(original?.body).replace(/"keyId":"[0-9a-f]+"/, `"keyId":"${other.keyId}"`);
        await db.exec("UPDATE audit_checkpoints SET body = ?, signature = ?, key_id = ? WHERE id = 3", [body, other.sign(`hearth-audit-checkpoint-v1\n${body}`), other.keyId]);
        const forged = await verify(db.store);
        assert.ok(forged.problems.some((problem) => problem.kind === "bad_signature" && problem.location.checkpoint === 3 && /not among the public keys/.test(problem.message)));
      }));

    test("truncating the newest checkpoints shows against a checkpoint kept outside the database", () =>
      withDatabase(async (db) => {
        const { log } = await seeded(db.store, 3);
        await log.append(record(3));
        const kept = await log.checkpoint();
        assert.ok(kept);
        assert.equal((await verify(db.store, { knownCheckpoint: { id: kept.id, hash: kept.hash } })).ok, true);
        await db.exec("DELETE FROM audit_checkpoints WHERE id = ?", [kept.id]);
        const report = await verify(db.store, { knownCheckpoint: { id: kept.id, hash: kept.hash } });
        assert.ok(report.problems.some((problem) => problem.kind === "deleted" && problem.location.checkpoint === kept.id));
      }));

    test("two replicas write one verifiable history; checkpoints written at the same moment do not fork", () =>
      withDatabase(async (db) => {
        const other = await db.openAnother();
        const one = await open(db.store);
        const two = await open(other, { durability: "fast" });
        assert.notEqual(one.chain, two.chain);
        const work: Promise<unknown>[] = [];
        for (let index = 0; index < 40; index += 1) {
          work.push((index % 2 === 0 ? one : two).append(record(index)));
          if (index % 10 === 9) work.push(one.checkpoint(), two.checkpoint());
        }
        await Promise.all(work);
        await Promise.all([one.checkpoint(), two.checkpoint(), one.checkpoint(), two.checkpoint()]);
        await Promise.all([one.close(), two.close()]);
        const ids = (await db.store.readCheckpoints(0, 1_000)).map((checkpoint) => checkpoint.id);
        assert.deepEqual(ids, ids.map((_, index) => index + 1), "one checkpoint chain, no two with one id");
        const report = await verify(db.store);
        assert.deepEqual(report.problems, []);
        assert.equal(report.entries, 40);
        assert.equal(report.chains, 2);
        assert.equal(report.uncovered.entries, 0);
        const seqs = (await db.store.readEntries({ afterSeq: 0, limit: 100 })).map((entry) => entry.seq);
        assert.equal(new Set(seqs).size, 40, "one global sequence across both chains");
      }));

    test("prune deletes old entries and checkpoints, anchors each chain, and keeps the log verifiable", () =>
      withDatabase(async (db) => {
        const other = await db.openAnother();
        const one = await open(db.store);
        const two = await open(other);
        for (let index = 0; index < 20; index += 1) await (index % 2 === 0 ? one : two).append(record(index));
        await one.checkpoint();
        await two.close();
        const before = start + 10_000;
        const result = await pruneAuditLog(db.store, { before, signer });
        assert.equal(result.deletedEntries, 10);
        assert.ok(result.anchors);
        assert.equal(result.anchors.before, before);
        assert.deepEqual(result.anchors.entries.map((anchor) => anchor.chainSeq), [5, 5]);
        const latest = await db.store.latestCheckpoint();
        assert.equal(latest?.id, result.checkpoint.id);
        assert.equal(latest?.reason, "prune");
        assert.equal(parseCheckpointBody(latest?.body ?? "")?.anchors?.entries.length, 2, "the anchor checkpoint is present");
        const afterPrune = await verify(db.store);
        assert.deepEqual(afterPrune.problems, []);
        assert.equal(afterPrune.entries, 10);

        for (let index = 20; index < 24; index += 1) await one.append(record(index));
        await one.close();
        const second = await pruneAuditLog(db.store, { before: start + 15_000, signer });
        assert.equal(second.deletedEntries, 5);
        assert.equal(second.deletedCheckpoints, 0, "the replica's closing checkpoint still holds its chain's end");
        assert.equal(second.anchors?.checkpoint?.id, 1, "the first prune's checkpoint anchor is carried forward");
        assert.deepEqual(second.anchors?.entries.map((anchor) => anchor.chainSeq).sort(), [7, 8], "each chain's anchor moved to its last deleted entry");
        const report = await verify(db.store);
        assert.deepEqual(report.problems, []);
        assert.equal(report.entries, 9);

        const [oldest] = await db.rows<{ seq: number }>("SELECT min(seq) AS seq FROM audit_entries");
        await db.exec("DELETE FROM audit_entries WHERE seq = ?", [oldest?.seq]);
        assert.deepEqual(kinds(await verify(db.store)), ["deleted"], "a deletion at the anchored start still shows");
      }));

    test("prune removes checkpoints older than the cut as a prefix and records the last one it removed", () =>
      withDatabase(async (db) => {
        let now = 1_000;
        const log = await open(db.store, { clock: () => now });
        for (let index = 0; index < 5; index += 1) {
          await log.append(record(index));
          now += 1_000;
          await log.checkpoint();
        }
        const result = await pruneAuditLog(db.store, { before: 3_500, signer, clock: () => now });
        assert.equal(result.deletedCheckpoints, 2, "checkpoints #1 and #2 (times 2,000 and 3,000) are older than the cut");
        assert.equal(result.anchors?.checkpoint?.id, 2);
        assert.deepEqual((await db.store.readCheckpoints(0, 100)).map((checkpoint) => checkpoint.id), [3, 4, 5, 6]);
        assert.deepEqual((await verify(db.store)).problems, []);
        await db.exec("DELETE FROM audit_checkpoints WHERE id = 4");
        assert.ok((await verify(db.store)).problems.some((problem) => problem.kind === "deleted" && problem.location.checkpoint !== undefined));
        await log.close();
      }));

    test("strict: append resolves once the entry is committed and readable from another connection; concurrent appends share commits", () =>
      withDatabase(async (db) => {
        const other = await db.openAnother();
        const gated = gatedStore(db.store);
        const log = await open(gated.store);
        const first = log.append(record(0));
        assert.equal(await settledSoon(first), false, "not resolved while the commit is held");
        assert.equal((await other.query({ requestId: "request-0" })).length, 0);
        gated.release();
        await first;
        assert.equal((await other.query({ requestId: "request-0" })).length, 1, "readable by another connection when append resolves");

        const before = gated.transactions();
        await Promise.all(Array.from({ length: 50 }, (_, index) => log.append(record(index + 1))));
        const used = gated.transactions() - before;
        assert.ok(used < 10, `50 concurrent appends used ${used} transactions`);
        await log.close();
        assert.equal((await verify(db.store)).entries, 51);
      }));

    test("strict: a failed write rejects those appends, and later entries continue the chain without a gap", () =>
      withDatabase(async (db) => {
        let fail = 0;
        const flaky: AuditStore = {
          ...db.store,
          async appendEntries(entries, options) {
            if (fail > 0) {
              fail -= 1;
              throw new Error("disk full");
            }
            return db.store.appendEntries(entries, options);
          },
        };
        const log = await open(flaky);
        await log.append(record(0));
        fail = 1;
        await assert.rejects(log.append(record(1)), (error: unknown) => AuditError.isInstance(error) && error.code === "audit_write_failed" && /disk full/.test(error.message));
        await log.append(record(2));
        const stats = log.stats();
        assert.deepEqual([stats.appended, stats.written, stats.rejected, stats.failures, stats.pending], [3, 2, 1, 1, 0]);
        await log.close();
        const entries = await chainEntries(db.store, log.chain);
        assert.deepEqual(entries.map((entry) => [entry.chainSeq, entry.requestId]), [[1, "request-0"], [2, "request-2"]]);
        assert.deepEqual((await verify(db.store)).problems, []);
      }));

    test("fast: append resolves at once, waits for room when the queue is full, and never drops an entry", () =>
      withDatabase(async (db) => {
        const gated = gatedStore(db.store);
        const log = await open(gated.store, { durability: "fast", maxQueue: 3, maxBatch: 2, batchIntervalMs: 1 });
        const appends = Array.from({ length: 12 }, (_, index) => log.append(record(index)));
        const settled = await Promise.all(appends.map((append) => settledSoon(append)));
        assert.deepEqual(settled, [true, true, true, ...Array<boolean>(9).fill(false)], "the first three fit; the rest wait for room");
        assert.equal(log.stats().pending, 12);
        gated.release();
        await Promise.all(appends);
        await log.flush();
        assert.equal(log.stats().written, 12);
        await log.close();
        const report = await verify(db.store);
        assert.deepEqual(report.problems, []);
        assert.equal(report.entries, 12);
      }));

    test("fast: a failed batch is retried with backoff and reported through onError; nothing is lost", () =>
      withDatabase(async (db) => {
        let fail = 2;
        const errors: unknown[] = [];
        const flaky: AuditStore = {
          ...db.store,
          async appendEntries(entries, options) {
            if (fail > 0) {
              fail -= 1;
              throw new Error("database is locked");
            }
            return db.store.appendEntries(entries, options);
          },
        };
        const log = await open(flaky, { durability: "fast", batchIntervalMs: 1, maxRetryDelayMs: 5, onError: (error) => errors.push(error) });
        for (let index = 0; index < 5; index += 1) await log.append(record(index));
        for (let wait = 0; wait < 200 && log.stats().written < 5; wait += 1) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(log.stats().written, 5);
        assert.equal(errors.length, 2);
        assert.ok(AuditError.isInstance(errors[0]) && errors[0].code === "audit_write_failed");
        await log.close();
        assert.deepEqual((await verify(db.store)).problems, []);
      }));

    test("a writer whose chain was written to by someone else moves to a new chain, and the foreign row shows as inserted", () =>
      withDatabase(async (db) => {
        const errors: unknown[] = [];
        const log = await open(db.store, { onError: (error) => errors.push(error) });
        await log.append(record(0));
        await log.append(record(1));
        const [head] = await chainEntries(db.store, log.chain).then((entries) => entries.slice(-1));
        const first = log.chain;
        const foreign = { ...(head as AuditEntry), chainSeq: 3, prevHash: (head as AuditEntry).hash, requestId: "foreign" };
        await insertRow(db, { ...foreign, hash: entryHash(foreign.prevHash, foreign) });
        await log.append(record(2));
        assert.notEqual(log.chain, first);
        assert.ok(errors.some((error) => AuditError.isInstance(error) && error.code === "audit_chain_diverged"));
        await log.close();
        const report = await verify(db.store);
        assert.deepEqual(kinds(report), ["inserted"]);
        assert.equal(report.problems[0]?.location.requestId, "foreign");
        assert.deepEqual((await chainEntries(db.store, log.chain)).map((entry) => entry.requestId), ["request-2"]);
      }));

    test("bodies: digests or ciphertext are stored and covered by the hash; the key decrypts; verify needs no key", () =>
      withDatabase(async (db) => {
        const encryptionKey = Buffer.alloc(32, 7);
        const full = await open(db.store, { bodies: { mode: "full", encryptionKey } });
        await full.append(record(0, { bodies: { request: "my card is 4111 1111 1111 1111", response: "noted" } }));
        await full.close();
        const hashed = await open(db.store, { bodies: { mode: "hash" } });
        await hashed.append(record(1, { bodies: { request: "hello" } }));
        await hashed.close();
        const [encrypted] = await chainEntries(db.store, full.chain);
        assert.equal(encrypted?.bodies?.mode, "full");
        const request = encrypted?.bodies?.request;
        assert.ok(request && !("sha256" in request));
        assert.equal(decryptBody(request, encryptionKey), "my card is 4111 1111 1111 1111");
        const [digested] = await chainEntries(db.store, hashed.chain);
        assert.deepEqual(digested?.bodies, { mode: "hash", request: { sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" }, response: null });
        assert.deepEqual((await verify(db.store)).problems, []);

        await editContent(db, encrypted?.seq ?? 0, (content) => {
          // [mode, [keyId, iv, tag, data], response]: the request's ciphertext.
          ((content[21] as unknown[])[1] as string[])[3] = "AAAA";
        });
        assert.deepEqual(kinds(await verify(db.store)), ["edited"], "changed ciphertext fails the chain hash");

        await assert.rejects(open(db.store, { bodies: { mode: "redacted" } }), (error: unknown) => AuditError.isInstance(error) && error.code === "audit_config" && /encryption key/.test(error.message));
      }));

    test("export writes JSONL that verifies offline and CSV with a header and quoting", () =>
      withDatabase(async (db) => {
        const log = await open(db.store);
        for (let index = 0; index < 6; index += 1) await log.append(record(index, index === 2 ? { model: '=cmd, "x"' } : {}));
        await log.close();
        const collect = async (format: "jsonl" | "csv", extra: { since?: number; until?: number } = {}): Promise<string> => {
          const chunks: string[] = [];
          const sink = new Writable({
            write(chunk: Buffer, _encoding, done) {
              chunks.push(chunk.toString("utf8"));
              done();
            },
          });
          await exportAuditLog(db.store, { format, pageSize: 4, ...extra }, sink);
          return chunks.join("");
        };
        const jsonl = (await collect("jsonl")).trimEnd().split("\n");
        const entryLines = jsonl.filter((line) => "seq" in (JSON.parse(line) as object));
        assert.equal(entryLines.length, 6);
        assert.equal(jsonl.length, 6 + 1 + 1, "entries, the chain registration and the closing checkpoint");
        const offline = await verifyExport(jsonl, { publicKey: keys.publicKeyPem, complete: true });
        assert.deepEqual(offline.problems, []);
        assert.equal(offline.entries, 6);
        assert.equal(offline.checkpoints, 1);
        const tampered = jsonl.map((line) => line.replace('"inputTokens":103', '"inputTokens":3'));
        const problems = (await verifyExport(tampered, { publicKey: keys.publicKeyPem })).problems;
        assert.deepEqual(problems.map((problem) => [problem.kind, problem.location.chainSeq]), [["edited", 4]]);

        const csv = (await collect("csv", { since: start + 1_000, until: start + 4_000 })).split("\r\n");
        assert.equal(csv[0]?.split(",")[0], "seq");
        assert.ok(csv[0]?.includes("prev_hash,hash"));
        assert.equal(csv.filter((line) => line !== "").length, 1 + 3);
        assert.ok(csv[2]?.includes(`"'=cmd, ""x"""`), csv[2]);
        assert.ok(csv[1]?.includes(new Date(start + 1_000).toISOString()));
      }));

    test("entries page in order by seq and by chain position, across gaps, a page at a time", () =>
      withDatabase(async (db) => {
        const log = await open(db.store);
        for (let index = 0; index < 30; index += 1) await log.append(record(index));
        const all = await chainEntries(db.store, log.chain);
        await db.exec("DELETE FROM audit_entries WHERE seq > ? AND seq < ?", [all[5]?.seq, all[20]?.seq]);
        const expected = [...all.slice(0, 6), ...all.slice(20)].map((entry) => entry.requestId);
        const bySeq: string[] = [];
        for (let afterSeq = 0; ; ) {
          const page = await db.store.readEntries({ afterSeq, limit: 4 });
          if (page.length === 0) break;
          assert.ok(page.length <= 4);
          bySeq.push(...page.map((entry) => entry.requestId));
          afterSeq = (page.at(-1) as AuditEntry).seq;
        }
        assert.deepEqual(bySeq, expected);
        const inRange = await db.store.readEntries({ afterSeq: 0, since: start + 3_000, until: start + 22_000, limit: 100 });
        assert.deepEqual(inRange.map((entry) => entry.requestId), ["request-3", "request-4", "request-5", "request-20", "request-21"]);
        const byChain: string[] = [];
        for (let cursor = { chainSeq: -1, seq: -1 }; ; ) {
          const page = await db.store.readChainEntries(log.chain, cursor, 4);
          if (page.length === 0) break;
          assert.ok(page.length <= 4);
          byChain.push(...page.map((entry) => entry.requestId));
          const last = page.at(-1) as AuditEntry;
          cursor = { chainSeq: last.chainSeq, seq: last.seq };
        }
        assert.deepEqual(byChain, expected);
        await log.close();
      }));

    test("query filters by time, key, team and request id, newest first, with a limit", () =>
      withDatabase(async (db) => {
        const log = await open(db.store);
        for (let index = 0; index < 8; index += 1) await log.append(record(index));
        const ids = (entries: AuditEntry[]) => entries.map((entry) => entry.requestId);
        assert.deepEqual(ids(await log.query({ limit: 3 })), ["request-7", "request-6", "request-5"]);
        assert.deepEqual(ids(await log.query({ key: "alice-key", since: start + 2_000, until: start + 6_000 })), ["request-4", "request-2"]);
        assert.deepEqual(ids(await log.query({ team: "support", limit: 2 })), ["request-7", "request-5"]);
        assert.deepEqual(ids(await log.query({ requestId: "request-3" })), ["request-3"]);
        assert.deepEqual(await log.query({ limit: 0 }), []);
        await log.close();
        await assert.rejects(log.append(record(9)), (error: unknown) => AuditError.isInstance(error) && error.code === "audit_closed");
      }));
  });
}

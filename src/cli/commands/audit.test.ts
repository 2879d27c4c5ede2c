import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { createAuditLog } from "../../core/audit/log.ts";
import { createAuditSigner, generateAuditKeyPair, auditKeyId } from "../../core/audit/signing.ts";
import type { AuditRecord, AuditStore } from "../../core/audit/types.ts";
import { openSqliteAuditStore } from "../../storage/sqlite/audit.ts";
import { auditExport, auditKeygen, auditPrune, auditVerify, parseCheckpointReference } from "./audit.ts";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

const keys = generateAuditKeyPair();
const signer = createAuditSigner(keys.privateKeyPem);
const start = 1_700_000_000_000;

function record(index: number): AuditRecord {
  return {
    time: start + index * 1_000,
    requestId: `request-${index}`,
    kind: "request",
    action: "chat.completions",
    dialect: "openai",
    key: "alice",
    team: null,
    model: "llama-3.1-8b",
    route: null,
    provider: "local",
    target: "local/llama-3.1-8b",
    locality: "in-process",
    policyRule: null,
    policyAction: null,
    dataClasses: {},
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0,
    latencyMs: 15,
    status: 200,
    errorCode: null,
    subject: null,
  };
}

async function withLog(body: (store: AuditStore, file: string) => Promise<void>): Promise<void> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-audit-cli-"));
  const file = path.join(directory, "hearth.db");
  const store = await openSqliteAuditStore(file);
  try {
    const log = await createAuditLog({ store, signer, durability: "strict", checkpointIntervalMs: 0 });
    for (let index = 0; index < 6; index += 1) await log.append(record(index));
    await log.close();
    await body(store, file);
  } finally {
    await store.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

describe("hearth audit commands", () => {
  test("keygen prints a private key for the config and the matching public key with its id", async () => {
    const output = new Capture();
    assert.equal(await auditKeygen({ output }), 0);
    const privateKey = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(output.text)?.[0];
    const publicKey = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(output.text)?.[0];
    assert.ok(privateKey && publicKey);
    const made = createAuditSigner(privateKey);
    assert.equal(auditKeyId(publicKey), made.keyId);
    assert.match(output.text, new RegExp(`signing key ${made.keyId}`));

    const json = new Capture();
    await auditKeygen({ output: json, json: true });
    const parsed = JSON.parse(json.text) as { keyId: string; privateKey: string; publicKey: string };
    assert.equal(createAuditSigner(parsed.privateKey).keyId, parsed.keyId);
  });

  test("verify prints a summary and exits 0 on an intact log, lists problems with where they are and exits 1 on a tampered one", async () => {
    await withLog(async (store, file) => {
      const output = new Capture();
      assert.equal(await auditVerify({ store, publicKey: keys.publicKeyPem, output }), 0);
      assert.match(output.text, /entries {6}6 in 1 chain\n/);
      assert.match(output.text, /checkpoints {2}1 \(newest #1 at .*, 6 entries, hash [0-9a-f]{64}\)/);
      assert.match(output.text, /^OK:/m);

      const Database = (await import("better-sqlite3")).default;
      const raw = new Database(file);
      raw.prepare("UPDATE audit_entries SET content = json_set(content, '$[6]', 'gpt-4o') WHERE chain_seq = 3").run();
      raw.prepare("DELETE FROM audit_entries WHERE chain_seq = 5").run();
      raw.close();
      const failed = new Capture();
      assert.equal(await auditVerify({ store, publicKey: keys.publicKeyPem, output: failed }), 1);
      assert.match(failed.text, /FAILED: 2 problems found\./);
      assert.match(failed.text, /edited +seq 3, chain .* #3, request request-2: Entry .* was changed/);
      assert.match(failed.text, /deleted +seq 6, chain .* #5, request request-5: Entries .* #5 are missing/);

      const json = new Capture();
      assert.equal(await auditVerify({ store, publicKey: [keys.publicKeyPem], output: json, json: true }), 1);
      const report = JSON.parse(json.text) as { ok: boolean; location: string; problems: Array<{ kind: string }> };
      assert.equal(report.ok, false);
      assert.equal(report.location, file);
      assert.deepEqual(report.problems.map((problem) => problem.kind).sort(), ["deleted", "edited"]);
    });
  });

  test("verify refuses an unusable key or checkpoint reference with exit code 2", async () => {
    await withLog(async (store) => {
      const errorOutput = new Capture();
      assert.equal(await auditVerify({ store, publicKey: "not a key", output: new Capture(), errorOutput }), 2);
      assert.match(errorOutput.text, /audit public key is not a readable PEM key/);
      const again = new Capture();
      assert.equal(await auditVerify({ store, publicKey: keys.publicKeyPem, output: new Capture(), errorOutput: again, knownCheckpoint: "7:xyz" }), 2);
      assert.match(again.text, /--checkpoint must be <id>:<64 hex digits>/);
      assert.deepEqual(parseCheckpointReference(`#3:${"ab".repeat(32)}`), { id: 3, hash: "ab".repeat(32) });
    });
  });

  test("export writes CSV or JSONL to the output and reports the count; prune deletes old entries and says where it anchored", async () => {
    await withLog(async (store) => {
      const csv = new Capture();
      const errorOutput = new Capture();
      assert.equal(await auditExport({ store, format: "csv", since: start + 2_000, output: csv, errorOutput }), 0);
      assert.equal(csv.text.trimEnd().split("\r\n").length, 1 + 4);
      assert.match(errorOutput.text, /Exported 4 entries from .* as csv\./);
      assert.equal(await auditExport({ store, format: "xml" as "csv", output: new Capture(), errorOutput }), 2);

      const output = new Capture();
      assert.equal(await auditPrune({ store, before: start + 3_000, signer, output, clock: () => start + 10_000 }), 0);
      assert.match(output.text, /Pruned 3 entries and 0 checkpoints older than .*\nAnchored 1 chain in checkpoint #2 \(hash [0-9a-f]{64}\)/);
      assert.equal(await auditVerify({ store, publicKey: keys.publicKeyPem, output: new Capture() }), 0);
      const future = new Capture();
      assert.equal(await auditPrune({ store, before: start + 20_000, signer, output: new Capture(), errorOutput: future, clock: () => start + 10_000 }), 2);
      assert.match(future.text, /in the future/);
    });
  });
});

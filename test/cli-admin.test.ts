import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runHearth } from "./support/process.ts";

/**
 * The administrative commands as a user runs them, in-process on the configured storage with no
 * server: keys (created keys shown once, never listed), usage, the audit trail of those actions,
 * and the TCO report.
 */

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-cli-admin-"));
fs.writeFileSync(path.join(directory, "hearth.yaml"), `dataDir: ${JSON.stringify(path.join(directory, "data"))}\n`);
const hearth = (...args: string[]) => runHearth([...args, "--config", path.join(directory, "hearth.yaml")], { cwd: directory });

describe("hearth keys, usage and audit on the command line", () => {
  test("create shows the key once; list never shows it; a taken name is refused; revoke; every action is audited and verifies", async () => {
    const created = await hearth("keys", "create", "alice", "--team", "web", "--rpm", "5", "--budget-day", "2.5", "--json");
    assert.equal(created.code, 0, created.stderr);
    const record = JSON.parse(created.stdout) as { key: string; id: string; name: string; team: string; limits: { rpm: number; budgetDay: number } };
    assert.match(record.key, /^hk_/);
    assert.equal(record.team, "web");
    assert.deepEqual([record.limits.rpm, record.limits.budgetDay], [5, 2.5]);

    const plain = await hearth("keys", "create", "bob");
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout.trim(), /^hk_[A-Za-z0-9_-]{43}$/, "stdout is the key alone, for scripts");
    assert.match(plain.stderr, /only time the key is shown/);

    const taken = await hearth("keys", "create", "alice");
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists/);

    const listed = await hearth("keys", "list");
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /alice .*active/);
    assert.equal(listed.stdout.includes(record.key), false, "the list never shows a key");

    const revoked = await hearth("keys", "revoke", "alice");
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match((await hearth("keys", "list")).stdout, /alice .*revoked/);
    assert.equal((await hearth("keys", "revoke", "nobody")).code, 1);

    const usage = await hearth("usage", "--json");
    assert.equal(usage.code, 0, usage.stderr);
    assert.deepEqual((JSON.parse(usage.stdout) as { data: unknown[] }).data, []);
    assert.equal((await hearth("usage", "--by", "colour")).code, 2);

    const exported = await hearth("audit", "export", "--format", "jsonl");
    assert.equal(exported.code, 0, exported.stderr);
    const actions = exported.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { action?: string; status?: number; key?: string })
      .filter((entry) => entry.action !== undefined)
      .map((entry) => `${entry.action}:${entry.status}`);
    assert.deepEqual(actions.sort(), ["keys.create:201", "keys.create:201", "keys.create:409", "keys.revoke:200", "keys.revoke:404"].sort());
    assert.equal(exported.stdout.includes(record.key), false, "no key in the audit log");

    const verified = await hearth("audit", "verify");
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const publicKey = await hearth("audit", "public-key");
    assert.match(publicKey.stdout, /BEGIN PUBLIC KEY/);
  });

  test("hearth tco prints the comparison and writes the HTML page", async () => {
    const page = path.join(directory, "tco.html");
    const result = await hearth("tco", "--tokens-per-month", "1B", "--gpu-hourly", "1.2", "--decode-tps", "40", "--prompt-tps", "800", "--html", page);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Break-even/);
    const html = fs.readFileSync(page, "utf8");
    assert.match(html, /<svg/);
    assert.equal((await hearth("tco", "--tokens-per-month", "lots")).code, 2);
  });
});

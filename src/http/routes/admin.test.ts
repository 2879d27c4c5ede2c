import assert from "node:assert/strict";
import { test } from "node:test";
import { auditEntryFromRow } from "../../storage/audit-rows.ts";
import { toAuditObject } from "./admin.ts";

const row = {
  seq: 7,
  chain: "host-1-abcd",
  chain_seq: 3,
  time: 1_800_000_000_000,
  prev_hash: "0".repeat(64),
  hash: "1".repeat(64),
};

test("an audit entry reads back from its row and shows in snake_case, without the stored text", () => {
  const content = JSON.stringify(["req-1", "request", "chat.completions", "openai", "alice", "research", "gpt-4o", null, "openai", "openai/gpt-4o", "third-party", "pii", "redact", [["email", 2]], 12, 34, 0.0012, 123.5, 200, null, null, null]);
  const shown = toAuditObject(auditEntryFromRow({ ...row, content }));
  assert.equal(shown.request_id, "req-1");
  assert.equal(shown.key, "alice");
  assert.deepEqual(shown.data_classes, { email: 2 });
  assert.equal(shown.chain_seq, 3);
  assert.equal("damaged" in shown, false);
  assert.equal("content" in shown, false);
});

test("a row whose content is not an entry shows as damaged, with placeholder fields", () => {
  for (const content of ["not json", "[1,2,3]", JSON.stringify(["req-1", "request", "a", "b", null, null, "m", null, "p", "t", null, null, null, "not pairs", 1, 1, 0, 1, 200, null, null, null])]) {
    const entry = auditEntryFromRow({ ...row, content });
    assert.equal(entry.damaged, true, content);
    const shown = toAuditObject(entry);
    assert.equal(shown.damaged, true);
    assert.equal(shown.request_id, "");
    assert.equal(shown.seq, 7, "the columns still say where the row is");
  }
});

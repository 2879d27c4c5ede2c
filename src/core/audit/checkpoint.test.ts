import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { zeroHash } from "./canonical.ts";
import { checkpointDomain, parseCheckpointBody, planCheckpoint, serializeCheckpointBody } from "./checkpoint.ts";
import { auditPublicKey, createAuditSigner, generateAuditKeyPair, verifyAuditSignature } from "./signing.ts";
import type { CheckpointBody, CheckpointFacts, StoredCheckpoint } from "./types.ts";

const pair = generateAuditKeyPair();
const signer = createAuditSigner(pair.privateKeyPem);
const h = (character: string) => character.repeat(64);

function facts(overrides: Partial<CheckpointFacts> = {}): CheckpointFacts {
  return { previous: undefined, previousPrune: undefined, heads: [{ chain: "b", chainSeq: 3, hash: h("b") }, { chain: "a", chainSeq: 5, hash: h("a") }], entries: 8, ...overrides };
}

function plan(request: Parameters<typeof planCheckpoint>[0], input: CheckpointFacts, now = 1_000): StoredCheckpoint {
  const planned = planCheckpoint(request, input, signer, now);
  assert.ok(planned);
  return planned.checkpoint;
}

describe("checkpoints", () => {
  test("the first checkpoint starts the checkpoint chain, lists heads by chain, and is signed over its exact body", () => {
    const checkpoint = plan({ reason: "manual" }, facts());
    const body = parseCheckpointBody(checkpoint.body);
    assert.ok(body);
    assert.equal(body.id, 1);
    assert.equal(body.prevHash, zeroHash);
    assert.deepEqual(body.heads.map((head) => head.chain), ["a", "b"]);
    assert.equal(body.keyId, signer.keyId);
    assert.equal(serializeCheckpointBody(body), checkpoint.body, "parse and serialise round-trip to the same text");
    assert.equal(verifyAuditSignature(auditPublicKey(pair.publicKeyPem), checkpointDomain + checkpoint.body, checkpoint.signature), true);
    assert.equal(verifyAuditSignature(auditPublicKey(pair.publicKeyPem), checkpoint.body, checkpoint.signature), false, "the domain prefix is part of what is signed");
  });

  test("the next one links to the previous, never goes back in time, and a periodic one is skipped when nothing changed", () => {
    const first = plan({ reason: "periodic" }, facts(), 5_000);
    const second = plan({ reason: "manual" }, facts({ previous: first }), 4_000);
    assert.equal(second.id, 2);
    assert.equal(second.prevHash, first.hash);
    assert.equal(second.time, 5_000, "a replica with a slow clock does not write a checkpoint older than the last");
    assert.equal(planCheckpoint({ reason: "periodic" }, facts({ previous: first }), signer, 6_000), undefined);
    assert.ok(planCheckpoint({ reason: "periodic" }, facts({ previous: first, entries: 9 }), signer, 6_000));
  });

  test("closing records the writer's own head, not the database's, and a chain closed empty at chainSeq 0", () => {
    const closing = plan({ reason: "close", closeChain: { chain: "a", chainSeq: 4, hash: h("4") } }, facts());
    assert.deepEqual(parseCheckpointBody(closing.body)?.heads.find((head) => head.chain === "a"), { chain: "a", chainSeq: 4, hash: h("4"), closed: true });
    const empty = plan({ reason: "close", closeChain: { chain: "c", chainSeq: 0, hash: h("e") } }, facts());
    assert.deepEqual(parseCheckpointBody(empty.body)?.heads.find((head) => head.chain === "c"), { chain: "c", chainSeq: 0, hash: h("e"), closed: true });
  });

  test("a prune carries anchors forward, moves them where it deleted more, and forgets closed chains nothing refers to", () => {
    const earlier: CheckpointBody = {
      v: 1, id: 3, time: 10, reason: "prune", prevHash: zeroHash, entries: 1, heads: [],
      anchors: { before: 5, entries: [{ chain: "a", chainSeq: 2, hash: h("2") }, { chain: "gone", chainSeq: 9, hash: h("9") }], checkpoint: { id: 1, hash: h("1") } },
      keyId: signer.keyId,
    };
    const previousPrune: StoredCheckpoint = { id: 3, time: 10, reason: "prune", prevHash: zeroHash, hash: h("3"), keyId: signer.keyId, signature: "", body: serializeCheckpointBody(earlier) };
    const planned = planCheckpoint(
      { reason: "prune", prune: { before: 50 } },
      facts({
        previous: previousPrune,
        previousPrune,
        prune: {
          before: 50,
          deletedTails: [{ chain: "b", chainSeq: 2, hash: h("c") }],
          deletedEntries: 2,
          deletedCheckpoints: 0,
          lastDeletedCheckpoint: undefined,
          firstRemainingCheckpoint: 3,
          chains: [
            { chain: "a", hasEntries: true, closedCheckpoint: null },
            { chain: "b", hasEntries: true, closedCheckpoint: null },
            { chain: "gone", hasEntries: false, closedCheckpoint: 2 },
          ],
        },
      }),
      signer,
      100,
    );
    assert.ok(planned);
    assert.deepEqual(planned.dropChains, ["gone"]);
    assert.deepEqual(parseCheckpointBody(planned.checkpoint.body)?.anchors, {
      before: 50,
      entries: [{ chain: "a", chainSeq: 2, hash: h("2") }, { chain: "b", chainSeq: 2, hash: h("c") }],
      checkpoint: { id: 1, hash: h("1") },
    });
  });

  test("a body that is not a well-formed version-1 checkpoint does not parse", () => {
    const good = plan({ reason: "manual" }, facts()).body;
    assert.equal(parseCheckpointBody("{"), undefined);
    assert.equal(parseCheckpointBody(good.replace('"v":1', '"v":2')), undefined);
    assert.equal(parseCheckpointBody(good.replace(/"hash":"a+"/, '"hash":"xyz"')), undefined);
    assert.equal(parseCheckpointBody(good.replace('"reason":"manual"', '"reason":"whenever"')), undefined);
  });
});

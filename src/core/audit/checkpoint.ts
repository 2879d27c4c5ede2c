/**
 * Signed checkpoints and chain registrations. A checkpoint is to this log what a signed tree head
 * is to Certificate Transparency (RFC 6962 §3.5, RFC 9162 §4.10): a signed statement "at this time
 * the log held this many entries and its chains ended here", chained to the previous checkpoint.
 * Instead of a Merkle root it lists chain heads: each head commits to its whole chain through the
 * hash links. The signature covers the exact stored body text behind a domain-separation prefix,
 * so no re-serialisation (and no JSON canonicalisation) is needed to verify it.
 */
import { isHash, sha256Hex, zeroHash } from "./canonical.ts";
import type { AuditSigner } from "./signing.ts";
import type {
  AuditChainRegistration,
  ChainHead,
  CheckpointAnchors,
  CheckpointBody,
  CheckpointFacts,
  CheckpointHead,
  CheckpointPlan,
  CheckpointReason,
  CheckpointRequest,
  Hash,
  StoredCheckpoint,
} from "./types.ts";

/** Prefixed to a checkpoint body before signing: a checkpoint signature can never pass for a chain registration's. */
export const checkpointDomain = "hearth-audit-checkpoint-v1\n";
/** Prefixed to a chain registration before signing. */
export const chainDomain = "hearth-audit-chain-v1\n";

const checkpointReasons: readonly CheckpointReason[] = ["periodic", "close", "prune", "manual"];

/** The text a chain registration's signature covers. */
export function chainSigningText(registration: Pick<AuditChainRegistration, "chain" | "openedAt" | "genesisHash" | "keyId">): string {
  return chainDomain + JSON.stringify([registration.chain, registration.openedAt, registration.genesisHash, registration.keyId]);
}

/** A signed registration for a chain that opens now. */
export function signChainRegistration(signer: AuditSigner, chain: string, openedAt: number, genesisHash: Hash): AuditChainRegistration {
  const unsigned = { chain, openedAt, genesisHash, keyId: signer.keyId };
  return { ...unsigned, signature: signer.sign(chainSigningText(unsigned)), closedCheckpoint: null };
}

function sortByChain<T extends { chain: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
}

function head(item: ChainHead, closed: boolean): CheckpointHead {
  return closed ? { chain: item.chain, chainSeq: item.chainSeq, hash: item.hash, closed: true } : { chain: item.chain, chainSeq: item.chainSeq, hash: item.hash };
}

/** The body as text, fields in a fixed order (the stored text is what is signed and hashed). */
export function serializeCheckpointBody(body: CheckpointBody): string {
  return JSON.stringify({
    v: body.v,
    id: body.id,
    time: body.time,
    reason: body.reason,
    prevHash: body.prevHash,
    entries: body.entries,
    heads: body.heads.map((item) => head(item, item.closed === true)),
    anchors:
      body.anchors === null
        ? null
        : {
            before: body.anchors.before,
            entries: body.anchors.entries.map((item) => ({ chain: item.chain, chainSeq: item.chainSeq, hash: item.hash })),
            checkpoint: body.anchors.checkpoint === null ? null : { id: body.anchors.checkpoint.id, hash: body.anchors.checkpoint.hash },
          },
    keyId: body.keyId,
  });
}

/** Signs a body into the stored form. */
export function sealCheckpoint(body: CheckpointBody, signer: AuditSigner): StoredCheckpoint {
  const text = serializeCheckpointBody(body);
  return {
    id: body.id,
    time: body.time,
    reason: body.reason,
    prevHash: body.prevHash,
    hash: sha256Hex(text),
    keyId: body.keyId,
    signature: signer.sign(checkpointDomain + text),
    body: text,
  };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function parseHead(value: unknown): CheckpointHead | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const item = value as Record<string, unknown>;
  if (typeof item.chain !== "string" || !isCount(item.chainSeq) || !isHash(item.hash)) return undefined;
  if (item.closed !== undefined && item.closed !== true) return undefined;
  return head({ chain: item.chain, chainSeq: item.chainSeq, hash: item.hash }, item.closed === true);
}

function parseAnchors(value: unknown): CheckpointAnchors | null | undefined {
  if (value === null) return null;
  if (typeof value !== "object" || value === undefined) return undefined;
  const anchors = value as Record<string, unknown>;
  if (typeof anchors.before !== "number" || !Array.isArray(anchors.entries)) return undefined;
  const entries: ChainHead[] = [];
  for (const item of anchors.entries) {
    const parsed = parseHead(item);
    if (parsed === undefined) return undefined;
    entries.push({ chain: parsed.chain, chainSeq: parsed.chainSeq, hash: parsed.hash });
  }
  let checkpoint: CheckpointAnchors["checkpoint"] = null;
  if (anchors.checkpoint !== null) {
    const item = anchors.checkpoint as Record<string, unknown> | undefined;
    if (typeof item !== "object" || !isCount(item.id) || !isHash(item.hash)) return undefined;
    checkpoint = { id: item.id, hash: item.hash };
  }
  return { before: anchors.before, entries, checkpoint };
}

/** The body of a stored checkpoint, or undefined when the text is not a well-formed version-1 body. */
export function parseCheckpointBody(text: string): CheckpointBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as Record<string, unknown>;
  if (body.v !== 1 || !isCount(body.id) || typeof body.time !== "number" || !isHash(body.prevHash) || !isCount(body.entries)) return undefined;
  if (!checkpointReasons.includes(body.reason as CheckpointReason) || typeof body.keyId !== "string" || !Array.isArray(body.heads)) return undefined;
  const heads: CheckpointHead[] = [];
  for (const item of body.heads) {
    const parsed = parseHead(item);
    if (parsed === undefined) return undefined;
    heads.push(parsed);
  }
  const anchors = parseAnchors(body.anchors);
  if (anchors === undefined) return undefined;
  return { v: 1, id: body.id, time: body.time, reason: body.reason as CheckpointReason, prevHash: body.prevHash, entries: body.entries, heads, anchors, keyId: body.keyId };
}

function sameHeads(a: readonly CheckpointHead[], b: readonly CheckpointHead[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((item, index) => {
    const other = b[index] as CheckpointHead;
    return item.chain === other.chain && item.chainSeq === other.chainSeq && item.hash === other.hash && item.closed === other.closed;
  });
}

/** Anchors after a prune: the previous ones, moved forward where this prune deleted more, minus chains nothing refers to any more. */
function pruneAnchors(facts: CheckpointFacts, previousAnchors: CheckpointAnchors | null): { anchors: CheckpointAnchors; dropChains: string[] } {
  const prune = facts.prune;
  if (prune === undefined) throw new Error("pruneAnchors needs prune facts");
  const byChain = new Map<string, ChainHead>();
  for (const anchor of previousAnchors?.entries ?? []) byChain.set(anchor.chain, anchor);
  for (const tail of prune.deletedTails) {
    const known = byChain.get(tail.chain);
    if (known === undefined || known.chainSeq < tail.chainSeq) byChain.set(tail.chain, { chain: tail.chain, chainSeq: tail.chainSeq, hash: tail.hash });
  }
  // A closed chain without entries, whose closing checkpoint is gone, is referred to by nothing
  // left in the database: its anchor and registration can go. Open chains keep theirs (their
  // process may write again); so do chains some remaining checkpoint may list.
  const dropChains: string[] = [];
  const firstRemaining = prune.firstRemainingCheckpoint ?? Number.POSITIVE_INFINITY;
  for (const chain of prune.chains) {
    if (!chain.hasEntries && chain.closedCheckpoint !== null && chain.closedCheckpoint < firstRemaining) {
      dropChains.push(chain.chain);
      byChain.delete(chain.chain);
    }
  }
  return {
    anchors: {
      before: prune.before,
      entries: sortByChain([...byChain.values()]),
      checkpoint: prune.lastDeletedCheckpoint ?? previousAnchors?.checkpoint ?? null,
    },
    dropChains,
  };
}

/**
 * Decides what a checkpoint transaction writes, from the facts the store gathered under its lock.
 * Returns undefined for a periodic checkpoint when nothing changed since the newest one.
 */
export function planCheckpoint(request: CheckpointRequest, facts: CheckpointFacts, signer: AuditSigner, now: number): CheckpointPlan | undefined {
  const previous = facts.previous;
  const previousBody = previous === undefined ? undefined : parseCheckpointBody(previous.body);
  const closing = request.closeChain;
  const heads = facts.heads.filter((item) => item.chain !== closing?.chain).map((item) => head(item, false));
  // The closing writer's own head (chainSeq 0 and its genesis when it wrote nothing): any row
  // beyond it was not written by that writer.
  if (closing !== undefined) heads.push(head(closing, true));
  const sortedHeads = sortByChain(heads);
  if (request.reason === "periodic" && previousBody !== undefined && previousBody.entries === facts.entries && sameHeads(previousBody.heads, sortedHeads)) {
    return undefined;
  }
  let anchors: CheckpointAnchors | null = null;
  let dropChains: string[] = [];
  if (facts.prune !== undefined) {
    const previousPrune = facts.previousPrune === undefined ? undefined : parseCheckpointBody(facts.previousPrune.body);
    ({ anchors, dropChains } = pruneAnchors(facts, previousPrune?.anchors ?? null));
  }
  const body: CheckpointBody = {
    v: 1,
    id: previous === undefined ? 1 : previous.id + 1,
    // Never before the previous one, even if this replica's clock is behind.
    time: Math.max(Math.trunc(now), previous?.time ?? 0),
    reason: request.reason,
    prevHash: previous?.hash ?? zeroHash,
    entries: facts.entries,
    heads: sortedHeads,
    anchors,
    keyId: signer.keyId,
  };
  return { checkpoint: sealCheckpoint(body, signer), closeChain: closing?.chain, dropChains };
}

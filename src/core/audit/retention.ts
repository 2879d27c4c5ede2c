/**
 * Retention: deleting old entries without making the rest unverifiable. Each chain loses a
 * prefix (never a row in the middle), and in the same transaction a signed prune checkpoint
 * records where each chain now starts (the last deleted entry's chainSeq and hash: its anchor)
 * and which checkpoint was the last one deleted. Verification then starts each chain, and the
 * checkpoint chain, at those anchors instead of at the beginning.
 */
import { planCheckpoint } from "./checkpoint.ts";
import type { AuditSigner } from "./signing.ts";
import type { AuditStore, CheckpointAnchors, StoredCheckpoint } from "./types.ts";

export interface AuditPruneOptions {
  /**
   * Epoch ms: entries older than this go. Per chain the deleted part is the longest prefix of
   * entries all older than `before` (an older entry written after a newer one, e.g. a slow
   * request, waits for the next prune), so a chain never gets a hole.
   */
  before: number;
  signer: AuditSigner;
  clock?: (() => number) | undefined;
}

export interface AuditPruneResult {
  deletedEntries: number;
  /** Checkpoints older than `before` (a prefix, never the newest). */
  deletedCheckpoints: number;
  /** The prune checkpoint now newest. */
  checkpoint: StoredCheckpoint;
  anchors: CheckpointAnchors | null;
}

/**
 * Deletes old entries and checkpoints and writes the anchoring checkpoint, atomically. Prune is an
 * admin action: the caller appends an `audit.prune` record to the audit log.
 */
export async function pruneAuditLog(store: AuditStore, options: AuditPruneOptions): Promise<AuditPruneResult> {
  if (!Number.isFinite(options.before)) throw new RangeError("pruneAuditLog needs a finite `before` (epoch ms).");
  const clock = options.clock ?? Date.now;
  const request = { reason: "prune" as const, prune: { before: Math.trunc(options.before) } };
  const commit = await store.commitCheckpoint(request, (facts) => planCheckpoint(request, facts, options.signer, clock()));
  if (commit.checkpoint === undefined || commit.prune === undefined) throw new Error(`The prune checkpoint was not written to ${store.location}.`);
  return {
    deletedEntries: commit.prune.deletedEntries,
    deletedCheckpoints: commit.prune.deletedCheckpoints,
    checkpoint: commit.checkpoint,
    anchors: commit.prune.anchors,
  };
}

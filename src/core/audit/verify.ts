/**
 * Verification: re-derives every hash and checks every link, signature and checkpoint, and says
 * what was changed and where. It reads the checkpoints first (small), then each chain's entries
 * in pages, in chain order, keeping only per-chain state: memory does not grow with the log.
 *
 * What each kind of damage looks like (docs/decisions/0009-audit-log.md has the reasoning):
 * - a column edited in place: the row no longer hashes to its stored hash → `edited`;
 * - a row edited and its hash recomputed: the next row's prevHash no longer matches → `broken_link`,
 *   and a checkpoint head over it no longer matches → `checkpoint_mismatch`;
 * - rows deleted: a gap in chainSeq, or a chain ending before a checkpoint's head → `deleted`;
 * - rows inserted: a second row at one position, a row after a closed chain's end, a row in a
 *   chain with no signed registration, or rows renumbered to make room → `inserted`;
 * - rows swapped: chain order disagrees with the database's order → `reordered`.
 * Entries after the newest checkpoint of their chain are protected by the hash chain only; they
 * are reported as `uncovered`, a warning.
 */
import type { KeyObject } from "node:crypto";
import { sha256Hex, storedEntryHashMatches, zeroHash } from "./canonical.ts";
import { chainSigningText, checkpointDomain, parseCheckpointBody } from "./checkpoint.ts";
import { auditKeyring, verifyAuditSignature, type AuditPublicKeyInput } from "./signing.ts";
import type {
  AuditChainRegistration,
  AuditEntry,
  AuditLocation,
  AuditProblem,
  AuditProblemKind,
  AuditStore,
  AuditVerifyReport,
  ChainHead,
  CheckpointAnchors,
  CheckpointBody,
  Hash,
  StoredCheckpoint,
  UncoveredRange,
} from "./types.ts";

export interface AuditVerifyOptions {
  /** The public key(s) checkpoints may be signed with (PEM or KeyObject); several after a key rotation. */
  publicKey: AuditPublicKeyInput | readonly AuditPublicKeyInput[];
  /**
   * A checkpoint recorded outside the database (e.g. printed by an earlier verify and kept
   * elsewhere). Deleting the newest checkpoints leaves no gap in the checkpoint chain; comparing
   * with a copy kept elsewhere is how that truncation shows.
   */
  knownCheckpoint?: { id: number; hash: Hash } | undefined;
  /** Rows read per query. Default 5,000. */
  pageSize?: number | undefined;
  /** Problems listed in full; the rest are counted. Default 1,000. */
  maxProblems?: number | undefined;
  /** Called after each page of entries. */
  onProgress?: ((progress: { entries: number; total: number }) => void) | undefined;
}

/** A checkpoint head as verification tracks it: which checkpoint said so. */
interface TrackedHead {
  chainSeq: number;
  hash: Hash;
  checkpoint: number;
}

function shortHash(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

function entryLocation(entry: AuditEntry, chainSeq: number = entry.chainSeq): AuditLocation {
  return { seq: entry.seq, chain: entry.chain, chainSeq, requestId: entry.requestId };
}

/** Collects problems up to a cap; the rest are only counted. */
class Problems {
  readonly list: AuditProblem[] = [];
  more = 0;
  readonly #max: number;
  readonly #kinds = new Set<AuditProblemKind>();

  constructor(max: number) {
    this.#max = max;
  }

  add(kind: AuditProblemKind, location: AuditLocation, message: string): void {
    this.#kinds.add(kind);
    if (this.list.length < this.#max) this.list.push({ kind, location, message });
    else this.more += 1;
  }

  has(kind: AuditProblemKind): boolean {
    return this.#kinds.has(kind);
  }

  get count(): number {
    return this.list.length + this.more;
  }
}

/** What the checkpoint pass learned, for the entry pass. */
interface CheckpointKnowledge {
  count: number;
  latest: StoredCheckpoint | undefined;
  /** The newest checkpoint whose hash and signature hold, with its body. */
  latestTrusted: { stored: StoredCheckpoint; body: CheckpointBody } | undefined;
  headsByChain: Map<string, TrackedHead[]>;
  closedByChain: Map<string, TrackedHead>;
  /** Anchors of the newest trusted prune checkpoint. */
  anchors: CheckpointAnchors | null;
  hashes: Set<Hash>;
  /** True when checkpoints were deleted by a prune (so a chain's genesis may point at one that is gone). */
  pruned: boolean;
}

async function checkCheckpoints(
  store: AuditStore,
  keyring: Map<string, KeyObject>,
  options: AuditVerifyOptions,
  problems: Problems,
  pageSize: number,
): Promise<CheckpointKnowledge> {
  const knowledge: CheckpointKnowledge = {
    count: 0,
    latest: undefined,
    latestTrusted: undefined,
    headsByChain: new Map(),
    closedByChain: new Map(),
    anchors: null,
    hashes: new Set(),
    pruned: false,
  };
  let first: StoredCheckpoint | undefined;
  let previous: StoredCheckpoint | undefined;
  let knownFound = false;
  for (let afterId = 0; ; ) {
    const page = await store.readCheckpoints(afterId, pageSize);
    if (page.length === 0) break;
    for (const stored of page) {
      knowledge.count += 1;
      first ??= stored;
      const where = { checkpoint: stored.id };
      const body = parseCheckpointBody(stored.body);
      let trusted = body !== undefined;
      if (body === undefined) problems.add("malformed", where, `Checkpoint #${stored.id} has an unreadable body; it cannot vouch for anything.`);
      if (sha256Hex(stored.body) !== stored.hash) {
        trusted = false;
        problems.add("edited", where, `Checkpoint #${stored.id} was changed after it was written: its body no longer hashes to its stored hash.`);
      }
      const keyId = body?.keyId ?? stored.keyId;
      const key = keyring.get(keyId);
      if (key === undefined) {
        trusted = false;
        problems.add("bad_signature", where, `Checkpoint #${stored.id} is signed with key ${keyId}, which is not among the public keys given (${[...keyring.keys()].join(", ")}).`);
      } else if (!verifyAuditSignature(key, checkpointDomain + stored.body, stored.signature)) {
        trusted = false;
        problems.add("bad_signature", where, `Checkpoint #${stored.id}'s signature does not verify with key ${keyId}: the checkpoint was changed or forged.`);
      }
      if (body !== undefined && (body.id !== stored.id || body.time !== stored.time || body.prevHash !== stored.prevHash || body.reason !== stored.reason || body.keyId !== stored.keyId)) {
        problems.add("edited", where, `Checkpoint #${stored.id}'s columns differ from its signed body (id, time, reason, prevHash or key id was changed).`);
      }
      if (previous !== undefined) {
        if (stored.id !== previous.id + 1) {
          problems.add("deleted", { checkpoint: previous.id + 1 }, `Checkpoints #${previous.id + 1}–#${stored.id - 1} are missing between #${previous.id} and #${stored.id}.`);
        } else if ((body?.prevHash ?? stored.prevHash) !== previous.hash) {
          problems.add("broken_link", where, `Checkpoint #${stored.id} does not follow #${previous.id}: its prevHash is not #${previous.id}'s hash (a checkpoint was replaced or rewritten).`);
        }
      }
      if (options.knownCheckpoint !== undefined && stored.id === options.knownCheckpoint.id) {
        knownFound = true;
        if (stored.hash !== options.knownCheckpoint.hash) {
          problems.add("edited", where, `Checkpoint #${stored.id} has hash ${shortHash(stored.hash)}, but the copy kept outside the database says ${shortHash(options.knownCheckpoint.hash)}.`);
        }
      }
      knowledge.hashes.add(stored.hash);
      knowledge.latest = stored;
      previous = stored;
      if (!trusted || body === undefined) continue;
      knowledge.latestTrusted = { stored, body };
      for (const head of body.heads) {
        let list = knowledge.headsByChain.get(head.chain);
        if (list === undefined) knowledge.headsByChain.set(head.chain, (list = []));
        const last = list[list.length - 1];
        if (last === undefined || last.chainSeq !== head.chainSeq || last.hash !== head.hash) list.push({ chainSeq: head.chainSeq, hash: head.hash, checkpoint: stored.id });
        if (head.closed === true && !knowledge.closedByChain.has(head.chain)) {
          knowledge.closedByChain.set(head.chain, { chainSeq: head.chainSeq, hash: head.hash, checkpoint: stored.id });
        }
      }
      if (body.anchors !== null) knowledge.anchors = body.anchors;
    }
    afterId = (page[page.length - 1] as StoredCheckpoint).id;
  }
  if (first !== undefined) {
    const anchor = knowledge.anchors?.checkpoint ?? null;
    if (first.id === 1) {
      if (first.prevHash !== zeroHash) problems.add("broken_link", { checkpoint: 1 }, "Checkpoint #1 does not start the checkpoint chain (its prevHash is not zero).");
    } else if (anchor !== null && anchor.id === first.id - 1 && anchor.hash === first.prevHash) {
      knowledge.pruned = true;
    } else {
      problems.add("deleted", { checkpoint: 1 }, `Checkpoints #1–#${first.id - 1} are missing and no signed prune accounts for them.`);
    }
  }
  if (options.knownCheckpoint !== undefined && !knownFound) {
    const prunedAway = first !== undefined && options.knownCheckpoint.id < first.id && knowledge.pruned;
    if (!prunedAway) {
      problems.add("deleted", { checkpoint: options.knownCheckpoint.id }, `Checkpoint #${options.knownCheckpoint.id}, recorded outside the database, is not in the log: the newest checkpoints were deleted.`);
    }
  }
  return knowledge;
}

/** Per-chain verification state; rows arrive ordered by (chainSeq, seq). */
class ChainCheck {
  readonly chain: string;
  readonly #problems: Problems;
  readonly #anchor: ChainHead | undefined;
  readonly #heads: TrackedHead[];
  readonly #closed: TrackedHead | undefined;
  readonly #coverMax: number;
  #headIndex = 0;
  /** Original chainSeq = stored chainSeq − shift (rows renumbered after an insertion or deletion). */
  #shift = 0;
  #expectedSeq: number;
  #expectedPrev: Hash | undefined;
  #previous: AuditEntry | undefined;
  #previousEffective = 0;
  /** State before `#previous` was accepted, to take it back when it turns out to be an insertion. */
  #before:
    | { expectedSeq: number; expectedPrev: Hash | undefined; covered: boolean; previous: AuditEntry | undefined; previousEffective: number }
    | undefined;
  /** Problems of `#previous`, held until the next row confirms it is not an insertion. */
  #held: Array<[AuditProblemKind, AuditLocation, string]> = [];
  /** Rows whose content fails the hash, kept (a few) to recognise two rows with swapped contents. */
  #edited: AuditEntry[] = [];
  #group: AuditEntry[] = [];
  covered = 0;
  uncoveredFrom: number | undefined;
  uncovered = 0;
  rows = 0;

  constructor(chain: string, problems: Problems, registration: AuditChainRegistration | undefined, knowledge: CheckpointKnowledge) {
    this.chain = chain;
    this.#problems = problems;
    this.#anchor = knowledge.anchors?.entries.find((anchor) => anchor.chain === chain);
    const start = this.#anchor?.chainSeq ?? 0;
    this.#heads = (knowledge.headsByChain.get(chain) ?? []).filter((head) => head.chainSeq > start).sort((a, b) => a.chainSeq - b.chainSeq);
    this.#closed = knowledge.closedByChain.get(chain);
    this.#coverMax = this.#heads.reduce((max, head) => Math.max(max, head.chainSeq), start);
    this.#expectedSeq = start + 1;
    this.#expectedPrev = this.#anchor?.hash ?? registration?.genesisHash;
  }

  get start(): number {
    return this.#anchor?.chainSeq ?? 0;
  }

  /** Takes the next row (ordered by chainSeq, then seq). */
  push(entry: AuditEntry): void {
    this.rows += 1;
    const group = this.#group;
    if (group.length > 0 && (group[0] as AuditEntry).chainSeq !== entry.chainSeq) {
      this.#processGroup(group, entry);
      this.#group = [];
    }
    this.#group.push(entry);
  }

  /** After the last row: flushes the pending group and reports a chain that ends too early. */
  finish(): void {
    if (this.#group.length > 0) this.#processGroup(this.#group, undefined);
    this.#group = [];
    this.#release();
    this.#reportEdited();
    const last = this.#expectedSeq - 1;
    if (this.#coverMax > last) {
      const head = this.#heads.find((item) => item.chainSeq === this.#coverMax);
      this.#problems.add(
        "deleted",
        { chain: this.chain, chainSeq: last + 1, toChainSeq: this.#coverMax, seq: this.#previous?.seq },
        `Chain ${this.chain} ends at #${last}, but checkpoint #${head?.checkpoint ?? "?"} recorded it up to #${this.#coverMax}: entries #${last + 1}–#${this.#coverMax} were deleted.`,
      );
    }
  }

  #add(kind: AuditProblemKind, location: AuditLocation, message: string): void {
    this.#held.push([kind, location, message]);
  }

  #release(): void {
    for (const [kind, location, message] of this.#held) this.#problems.add(kind, location, message);
    this.#held = [];
  }

  /** Whether the entry hashes to its stored hash at position `chainSeq`. */
  #hashOkAt(entry: AuditEntry, chainSeq: number): boolean {
    return storedEntryHashMatches(entry, chainSeq);
  }

  #matchesHead(entry: AuditEntry, effective: number): boolean {
    return this.#heads.some((head) => head.chainSeq === effective && head.hash === entry.hash);
  }

  #processGroup(group: AuditEntry[], next: AuditEntry | undefined): void {
    const stored = (group[0] as AuditEntry).chainSeq;
    if (stored - this.#shift <= this.start) {
      for (const entry of group) {
        this.#problems.add("inserted", entryLocation(entry), `Entry ${this.chain} #${entry.chainSeq} (seq ${entry.seq}) lies at or before the retention anchor (#${this.start}); prune deleted those, so this row was added afterwards.`);
      }
      return;
    }
    let genuine = group[0] as AuditEntry;
    if (group.length > 1) {
      const effective = stored - this.#shift;
      const score = (entry: AuditEntry): number =>
        (this.#matchesHead(entry, effective) ? 8 : 0) +
        (this.#hashOkAt(entry, effective) ? 4 : 0) +
        (entry.prevHash === this.#expectedPrev ? 2 : 0) +
        (next !== undefined && next.prevHash === entry.hash ? 1 : 0);
      let best = -1;
      for (const entry of group) {
        const value = score(entry);
        if (value > best) {
          best = value;
          genuine = entry;
        }
      }
      for (const entry of group) {
        if (entry === genuine) continue;
        this.#problems.add("inserted", entryLocation(entry), `A second entry at ${this.chain} #${entry.chainSeq} (seq ${entry.seq}); the one that fits the chain is seq ${genuine.seq}. This row was added.`);
      }
    }
    this.#processRow(genuine);
  }

  #processRow(entry: AuditEntry): void {
    let effective = entry.chainSeq - this.#shift;
    let hashOk = this.#hashOkAt(entry, effective);
    let renumberedDown = false;
    if (!hashOk) {
      const previous = this.#previous;
      const before = this.#before;
      if (previous !== undefined && before !== undefined && entry.prevHash === before.expectedPrev && this.#hashOkAt(entry, effective - 1)) {
        // This row belongs one place earlier and links where the previous row should have: the
        // previous row was inserted and everything after it renumbered to make room.
        this.#held = [];
        this.#problems.add("inserted", entryLocation(previous), `Entry ${this.chain} #${previous.chainSeq} (seq ${previous.seq}) was inserted; the rows after it were renumbered up by one to make room.`);
        this.#expectedSeq = before.expectedSeq;
        this.#expectedPrev = before.expectedPrev;
        this.#previous = before.previous;
        this.#previousEffective = before.previousEffective;
        this.#before = undefined;
        if (before.covered) this.covered -= 1;
        else this.#uncount();
        this.#shift += 1;
        effective -= 1;
        hashOk = true;
      } else if (this.#hashOkAt(entry, effective + 1)) {
        // This row belongs one place later: rows were deleted and the rest renumbered down to hide the gap.
        this.#shift -= 1;
        effective += 1;
        hashOk = true;
        renumberedDown = true;
      }
    }
    this.#release();
    const location = entryLocation(entry, entry.chainSeq);
    if (!hashOk) {
      if (this.#edited.length < 64) this.#edited.push(entry);
      else this.#add("edited", location, `Entry ${this.chain} #${entry.chainSeq} (seq ${entry.seq}) was changed after it was written: its content no longer hashes to its stored hash.`);
    }
    if (effective > this.#expectedSeq) {
      const from = this.#expectedSeq;
      const after = this.#previous === undefined ? `the start of the chain` : `seq ${this.#previous.seq}`;
      this.#add(
        "deleted",
        { chain: this.chain, chainSeq: from, toChainSeq: effective - 1, seq: entry.seq, requestId: entry.requestId },
        `Entries ${this.chain} #${from}${effective - 1 > from ? `–#${effective - 1}` : ""} are missing (between ${after} and seq ${entry.seq})${renumberedDown ? "; the rows after them were renumbered to hide the gap" : ""}.`,
      );
    } else if (effective < this.#expectedSeq) {
      this.#problems.add("inserted", location, `Entry ${this.chain} #${entry.chainSeq} (seq ${entry.seq}) repeats a position already taken in its chain.`);
      return;
    } else if (this.#expectedPrev !== undefined && entry.prevHash !== this.#expectedPrev) {
      const previous = this.#previous;
      this.#add(
        "broken_link",
        location,
        previous === undefined
          ? `Entry ${this.chain} #${effective} (seq ${entry.seq}) does not start where its chain ${this.#anchor === undefined ? "registration" : "retention anchor"} says it does (its prevHash differs).`
          : `Entry ${this.chain} #${effective} (seq ${entry.seq}) does not link to #${effective - 1} (seq ${previous.seq}): #${effective - 1} was rewritten with a recomputed hash, or this row's prevHash was changed.`,
      );
    }
    if (this.#previous !== undefined && entry.seq < this.#previous.seq) {
      this.#add(
        "reordered",
        location,
        `Entry ${this.chain} #${effective} is stored at seq ${entry.seq}, before #${this.#previousEffective} (seq ${this.#previous.seq}), although it comes after it in its chain: rows were moved or their contents swapped.`,
      );
    }
    while (this.#headIndex < this.#heads.length && (this.#heads[this.#headIndex] as TrackedHead).chainSeq < effective) this.#headIndex += 1;
    while (this.#headIndex < this.#heads.length && (this.#heads[this.#headIndex] as TrackedHead).chainSeq === effective) {
      const head = this.#heads[this.#headIndex] as TrackedHead;
      if (head.hash !== entry.hash) {
        this.#add(
          "checkpoint_mismatch",
          location,
          `Checkpoint #${head.checkpoint} recorded ${this.chain} #${effective} with hash ${shortHash(head.hash)}; the log has ${shortHash(entry.hash)}: this entry (and what leads to it) was rewritten after the checkpoint.`,
        );
      }
      this.#headIndex += 1;
    }
    if (this.#closed !== undefined && effective > this.#closed.chainSeq) {
      this.#add("inserted", location, `Entry ${this.chain} #${effective} (seq ${entry.seq}) comes after the chain was closed at #${this.#closed.chainSeq} (checkpoint #${this.#closed.checkpoint}): it was added later.`);
    }
    const covered = effective <= this.#coverMax;
    if (covered) this.covered += 1;
    else {
      this.uncoveredFrom ??= effective;
      this.uncovered += 1;
    }
    this.#before = { expectedSeq: this.#expectedSeq, expectedPrev: this.#expectedPrev, covered, previous: this.#previous, previousEffective: this.#previousEffective };
    this.#expectedSeq = effective + 1;
    this.#expectedPrev = entry.hash;
    this.#previous = entry;
    this.#previousEffective = effective;
  }

  #uncount(): void {
    this.uncovered -= 1;
    if (this.uncovered === 0) this.uncoveredFrom = undefined;
  }

  /** Edited rows, except pairs whose contents were swapped, which are one reordering. */
  #reportEdited(): void {
    const edited = this.#edited;
    const paired = new Set<AuditEntry>();
    for (let i = 0; i < edited.length; i += 1) {
      const a = edited[i] as AuditEntry;
      if (paired.has(a)) continue;
      for (let j = i + 1; j < edited.length; j += 1) {
        const b = edited[j] as AuditEntry;
        if (paired.has(b)) continue;
        if (swapMatches(a, b) && swapMatches(b, a)) {
          paired.add(a).add(b);
          this.#problems.add(
            "reordered",
            entryLocation(a),
            `Entries ${this.chain} #${a.chainSeq} (seq ${a.seq}) and #${b.chainSeq} (seq ${b.seq}) had their contents swapped: each row holds the other's data.`,
          );
          break;
        }
      }
      if (!paired.has(a)) {
        this.#problems.add("edited", entryLocation(a), `Entry ${this.chain} #${a.chainSeq} (seq ${a.seq}) was changed after it was written: its content no longer hashes to its stored hash.`);
      }
    }
  }
}

/** Whether `content`'s data (its time and content) belongs at `slot`'s position: it hashes to the slot's stored hash there. */
function swapMatches(slot: AuditEntry, content: AuditEntry): boolean {
  return storedEntryHashMatches({ ...content, chain: slot.chain, chainSeq: slot.chainSeq, prevHash: slot.prevHash, hash: slot.hash });
}

/** Report order: checkpoint problems first (by id), then by chain and position. */
function byPlace(a: AuditProblem, b: AuditProblem): number {
  const chainA = a.location.chain ?? "";
  const chainB = b.location.chain ?? "";
  if (chainA !== chainB) return chainA < chainB ? -1 : 1;
  const checkpointA = a.location.checkpoint ?? 0;
  const checkpointB = b.location.checkpoint ?? 0;
  if (checkpointA !== checkpointB) return checkpointA - checkpointB;
  return (a.location.chainSeq ?? 0) - (b.location.chainSeq ?? 0);
}

/**
 * Checks the whole log: chain registrations, the checkpoint chain and signatures, and every
 * entry's hash, link, position and checkpoint coverage. Never throws for damage (that is what the
 * report is for); rejects only when the store cannot be read or the key is unusable.
 */
export async function verifyAuditLog(store: AuditStore, options: AuditVerifyOptions): Promise<AuditVerifyReport> {
  const started = performance.now();
  const keyring = auditKeyring(options.publicKey);
  const pageSize = Math.max(1, Math.trunc(options.pageSize ?? 5_000));
  const problems = new Problems(Math.max(1, Math.trunc(options.maxProblems ?? 1_000)));

  const registrations = new Map<string, AuditChainRegistration>();
  for (const registration of await store.readChains()) {
    registrations.set(registration.chain, registration);
    const key = keyring.get(registration.keyId);
    if (key === undefined) {
      problems.add("bad_signature", { chain: registration.chain }, `Chain ${registration.chain} was registered with key ${registration.keyId}, which is not among the public keys given.`);
    } else if (!verifyAuditSignature(key, chainSigningText(registration), registration.signature)) {
      problems.add("bad_signature", { chain: registration.chain }, `Chain ${registration.chain}'s registration does not verify: it was changed or forged.`);
    }
  }

  const knowledge = await checkCheckpoints(store, keyring, options, problems, pageSize);

  const summaries = await store.summarizeChains();
  const total = summaries.reduce((sum, summary) => sum + summary.entries, 0);
  const chains = new Set<string>(summaries.map((summary) => summary.chain));
  for (const chain of knowledge.headsByChain.keys()) chains.add(chain);
  let entries = 0;
  let covered = 0;
  const ranges: UncoveredRange[] = [];

  for (const chain of [...chains].sort()) {
    const registration = registrations.get(chain);
    const check = new ChainCheck(chain, problems, registration, knowledge);
    if (registration !== undefined && registration.genesisHash !== zeroHash && !knowledge.hashes.has(registration.genesisHash) && !knowledge.pruned) {
      problems.add("broken_link", { chain }, `Chain ${chain} says it opened after a checkpoint with hash ${shortHash(registration.genesisHash)}, which this log never had.`);
    }
    let first: AuditEntry | undefined;
    let cursor = { chainSeq: -1, seq: -1 };
    for (;;) {
      const page = await store.readChainEntries(chain, cursor, pageSize);
      if (page.length === 0) break;
      for (const entry of page) {
        first ??= entry;
        check.push(entry);
      }
      const last = page[page.length - 1] as AuditEntry;
      cursor = { chainSeq: last.chainSeq, seq: last.seq };
      entries += page.length;
      options.onProgress?.({ entries, total });
      if (page.length < pageSize) break;
    }
    if (registration === undefined && first !== undefined) {
      const listed = knowledge.headsByChain.has(chain);
      problems.add(
        listed ? "deleted" : "inserted",
        entryLocation(first),
        listed
          ? `Chain ${chain}'s signed registration is missing (checkpoints list the chain, so it was deleted).`
          : `Chain ${chain} has no signed registration: its ${check.rows} entries were not written by a Hearth holding the signing key.`,
      );
    }
    check.finish();
    covered += check.covered;
    if (check.uncovered > 0 && check.uncoveredFrom !== undefined) {
      ranges.push({ chain, fromChainSeq: check.uncoveredFrom, toChainSeq: check.uncoveredFrom + check.uncovered - 1, entries: check.uncovered });
    }
  }

  const latestTrusted = knowledge.latestTrusted;
  if (
    latestTrusted !== undefined &&
    latestTrusted.stored === knowledge.latest &&
    latestTrusted.body.entries !== covered &&
    !problems.has("deleted") &&
    !problems.has("inserted")
  ) {
    problems.add(
      "count_mismatch",
      { checkpoint: latestTrusted.stored.id },
      `Checkpoint #${latestTrusted.stored.id} recorded ${latestTrusted.body.entries} entries; the log holds ${covered} entries up to the heads it covers.`,
    );
  }

  const latest = knowledge.latest;
  const latestBody = latest === undefined ? undefined : parseCheckpointBody(latest.body);
  const uncoveredEntries = ranges.reduce((sum, range) => sum + range.entries, 0);
  return {
    ok: problems.count === 0,
    entries,
    chains: chains.size,
    checkpoints: knowledge.count,
    latestCheckpoint: latest === undefined ? null : { id: latest.id, time: latest.time, hash: latest.hash, entries: latestBody?.entries ?? 0 },
    uncovered: { entries: uncoveredEntries, ranges },
    problems: problems.list.sort(byPlace),
    moreProblems: problems.more,
    durationMs: performance.now() - started,
  };
}

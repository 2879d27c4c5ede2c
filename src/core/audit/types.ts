/**
 * The tamper-evident audit log: where every request went, and every admin action, as hash-chained
 * entries with signed checkpoints. The gateway hands in an `AuditRecord`; the writer (log.ts)
 * hashes it into its process's chain and a storage adapter persists it. Design and threat model:
 * docs/decisions/0009-audit-log.md.
 *
 * Times are epoch milliseconds; hashes are lowercase hex SHA-256; values are plain data.
 */

/**
 * What the gateway hands in for one request or admin action. Flat and value-free by design: data
 * classes are counts, the key is its name, bodies only come in when the operator chose a body mode
 * other than "off" (and are then digested or encrypted before they are stored).
 */
export interface AuditRecord {
  /** Epoch ms the request arrived (or the admin action happened). */
  time: number;
  requestId: string;
  kind: "request" | "admin";
  /**
   * Endpoint for requests ("chat.completions", "messages", "responses", "embeddings",
   * "gemini.generate_content", ...) or admin action ("keys.create", "keys.revoke",
   * "reviews.approve", "audit.prune", ...).
   */
  action: string;
  /** "openai" | "anthropic" | "gemini" | "hearth". */
  dialect: string;
  /** The client key's NAME (never the secret); null when auth is off. */
  key: string | null;
  team: string | null;
  /** What the client asked for ("" if none). */
  model: string;
  route: string | null;
  /** "" when no provider was reached. */
  provider: string;
  /** "<provider>/<upstream model>" or "". */
  target: string;
  /** "in-process" | "self-hosted" | "third-party" | null. */
  locality: string | null;
  policyRule: string | null;
  /** "allow" | "redact" | "route_local" | "block" | "review" | null. */
  policyAction: string | null;
  /** Data type -> count found (never values). */
  dataClasses: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  /** USD, rounded to 1e-9. */
  costUsd: number;
  latencyMs: number;
  status: number;
  errorCode: string | null;
  /** Admin actions: the id acted on (key id, review id); null for requests. */
  subject: string | null;
  /** Plaintext; only handed in when the body mode is not "off". */
  bodies?: { request?: string | undefined; response?: string | undefined } | undefined;
}

/**
 * How much of a request/response body the log keeps. `hash` keeps SHA-256 digests (proves what
 * was sent without keeping it); `redacted` and `full` keep AES-256-GCM ciphertext (of the redacted
 * or the original text), readable only with the encryption key.
 */
export type AuditBodyMode = "off" | "hash" | "redacted" | "full";

/** One body as stored: a digest (`hash` mode) or ciphertext (`redacted`/`full`), never plaintext. */
export type StoredBody =
  | { sha256: string }
  | {
      /** Fingerprint of the encryption key (see `encryptionKeyId`), so rotation can tell keys apart. */
      keyId: string;
      /** Base64 of the random 12-byte IV. */
      iv: string;
      /** Base64 of the 16-byte GCM tag. */
      tag: string;
      /** Base64 ciphertext. */
      data: string;
    };

/** The bodies of one entry as stored. The chain hash covers exactly this (digests or ciphertext). */
export interface StoredBodies {
  mode: Exclude<AuditBodyMode, "off">;
  request: StoredBody | null;
  response: StoredBody | null;
}

/** An entry's content: the record as stored (normalised; bodies digested or encrypted). */
export type AuditEntryContent = Omit<AuditRecord, "bodies"> & { bodies: StoredBodies | null };

/** Lowercase hex SHA-256 (64 characters). */
export type Hash = string;

/**
 * An entry as the writer hands it to the store: content plus its place in its process's hash
 * chain. `hash` = SHA-256(prevHash ‖ canonical entry); see canonical.ts.
 */
export interface AuditEntryInput extends AuditEntryContent {
  /** The chain (one per process lifetime): `<hostname>-<pid>-<random>`. */
  chain: string;
  /** 1, 2, 3, ... within the chain. */
  chainSeq: number;
  prevHash: Hash;
  hash: Hash;
  /**
   * The content's JSON text (`entryContent`) as hashed. The writer sets it when it hashes the
   * entry, so the store does not serialise the entry again; without it, the store derives it.
   */
  content?: string | undefined;
}

/**
 * An entry as read back: `seq` is the database's global order across chains (not hashed);
 * `content` is the stored text the fields were read from.
 */
export interface AuditEntry extends AuditEntryInput {
  seq: number;
  /** The stored content could not be read as an entry: the fields are placeholders and the entry fails its hash check. */
  damaged?: true | undefined;
}

/**
 * A chain's registration, written once when a writer opens. It is signed, so entries in a chain
 * nobody holding the signing key opened are recognisable as forged.
 */
export interface AuditChainRegistration {
  chain: string;
  openedAt: number;
  /** The chain's first prevHash: the newest checkpoint's hash when it opened, or 64 zeros. */
  genesisHash: Hash;
  keyId: string;
  /** Base64 Ed25519 signature over `chainSigningText` of the fields above. */
  signature: string;
  /**
   * The checkpoint that closed the chain (written by the writer's `close()`); null while open or
   * when the process died. Not signed itself: the closing checkpoint marks the head `closed`.
   */
  closedCheckpoint: number | null;
}

/** Where a chain stands: its newest entry. */
export interface ChainHead {
  chain: string;
  chainSeq: number;
  hash: Hash;
}

/** A chain head as a checkpoint lists it; `closed` marks the writer's final checkpoint. */
export interface CheckpointHead extends ChainHead {
  closed?: true | undefined;
}

/**
 * What a prune left behind, so verification can start each chain (and the checkpoint chain) where
 * the deleted part ended. Carried, complete, by every prune checkpoint.
 */
export interface CheckpointAnchors {
  /** Entries older than this (epoch ms) were deleted, per chain as a prefix. */
  before: number;
  /** Per chain: the last deleted entry. */
  entries: ChainHead[];
  /** The newest deleted checkpoint, or null when the checkpoint chain still starts at #1. */
  checkpoint: { id: number; hash: Hash } | null;
}

/** Why a checkpoint was written. */
export type CheckpointReason = "periodic" | "close" | "prune" | "manual";

/**
 * The signed content of a checkpoint (cf. a Certificate Transparency signed tree head: a size,
 * what the log hashes to, a time, a signature; here the "root" is the list of chain heads).
 */
export interface CheckpointBody {
  /** Format version (1). */
  v: number;
  /** 1, 2, 3, ...: checkpoints form their own chain. */
  id: number;
  time: number;
  reason: CheckpointReason;
  /** Hash of checkpoint `id - 1`, or 64 zeros for the first. */
  prevHash: Hash;
  /** Rows in the entries table when it was written. */
  entries: number;
  /** The head of every open chain with entries, sorted by chain; closed chains are final in their closing checkpoint. */
  heads: CheckpointHead[];
  /** Set on prune checkpoints only. */
  anchors: CheckpointAnchors | null;
  /** Fingerprint of the signing key. */
  keyId: string;
}

/** A checkpoint as stored: the exact signed body text plus its hash and signature. */
export interface StoredCheckpoint {
  id: number;
  time: number;
  reason: CheckpointReason;
  prevHash: Hash;
  /** SHA-256 of `body`. */
  hash: Hash;
  keyId: string;
  /** Base64 Ed25519 signature over the domain-separated body (see checkpoint.ts). */
  signature: string;
  /** The canonical JSON of a `CheckpointBody`, exactly as signed. */
  body: string;
}

/**
 * Facts a store gathers inside its checkpoint lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL
 * advisory lock) and hands to the core, which decides what the checkpoint says.
 */
export interface CheckpointFacts {
  /** The newest checkpoint, or undefined when none exists. */
  previous: StoredCheckpoint | undefined;
  /** The newest prune checkpoint (carries the anchors in force), possibly `previous` itself. */
  previousPrune: StoredCheckpoint | undefined;
  /** Heads of chains not closed that have entries (after this prune's deletions, if any). */
  heads: ChainHead[];
  /** Rows in the entries table now (after deletions). */
  entries: number;
  /** Present when this checkpoint prunes. */
  prune?: PruneFacts | undefined;
}

/** What a prune deleted, gathered in the same transaction. */
export interface PruneFacts {
  before: number;
  /** Per chain that lost entries: the last deleted entry. */
  deletedTails: ChainHead[];
  deletedEntries: number;
  deletedCheckpoints: number;
  /** The newest deleted checkpoint, if any. */
  lastDeletedCheckpoint: { id: number; hash: Hash } | undefined;
  /** Id of the oldest checkpoint left (the previous one if every older one was deleted). */
  firstRemainingCheckpoint: number | undefined;
  /** Every registered chain: whether it still has entries, and whether (where) it was closed. */
  chains: Array<{ chain: string; hasEntries: boolean; closedCheckpoint: number | null }>;
}

/** What the core decided a checkpoint transaction writes. */
export interface CheckpointPlan {
  checkpoint: StoredCheckpoint;
  /** Mark this chain closed by this checkpoint. */
  closeChain: string | undefined;
  /** Registrations no longer needed (closed, empty, no checkpoint left mentions them). */
  dropChains: string[];
}

/** What `commitCheckpoint` asks for. */
export interface CheckpointRequest {
  reason: CheckpointReason;
  /**
   * The writer's own chain, on close, with the head the writer itself wrote (chainSeq 0 and the
   * genesis hash when it wrote nothing). The checkpoint records this head, not the database's, so
   * rows someone else appended to the chain show up as inserted after its end.
   */
  closeChain?: ChainHead | undefined;
  /** Delete entries (per chain, a prefix) older than this, and checkpoints older than it except the newest. */
  prune?: { before: number } | undefined;
}

/** The outcome of `commitCheckpoint`. */
export interface CheckpointCommit {
  /** The checkpoint now newest (the existing one when nothing changed). */
  checkpoint: StoredCheckpoint | undefined;
  /** False when nothing had changed since the newest checkpoint, so none was written. */
  written: boolean;
  prune?: { deletedEntries: number; deletedCheckpoints: number; anchors: CheckpointAnchors | null } | undefined;
}

/** Filters of the admin query. Bounds are epoch ms. */
export interface AuditQuery {
  /** Inclusive lower bound on `time`. */
  since?: number | undefined;
  /** Exclusive upper bound on `time`. */
  until?: number | undefined;
  /** Key name. */
  key?: string | undefined;
  team?: string | undefined;
  requestId?: string | undefined;
  /** At most this many (default 100, capped at 10,000). */
  limit?: number | undefined;
}

/** Where a chain's rows stand in the database (for verification and progress). */
export interface ChainSummary {
  chain: string;
  entries: number;
  firstChainSeq: number;
  lastChainSeq: number;
}

/**
 * Where audit entries live. Implemented per database (storage/sqlite/audit.ts,
 * storage/postgres/audit.ts) and exercised by one shared suite (storage/audit-store.suite.ts).
 * Adapters do plain SQL; what a checkpoint says is decided by the core (`plan` callback).
 */
export interface AuditStore {
  /** The file or host/database/schema, for messages; never credentials. */
  readonly location: string;
  /** Records a new chain. Rejects if the chain id exists. */
  registerChain(registration: AuditChainRegistration): Promise<void>;
  /**
   * Inserts entries in one transaction, in order; the database assigns `seq`. `durable: true`
   * resolves only once the commit is on disk (SQLite `synchronous=FULL`, PostgreSQL commit).
   */
  appendEntries(entries: readonly AuditEntryInput[], options: { durable: boolean }): Promise<void>;
  /** The newest entry of a chain, or undefined when it has none. */
  chainHead(chain: string): Promise<ChainHead | undefined>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /**
   * Under a database-wide lock (so two replicas never fork the checkpoint chain): gathers the
   * facts, prunes if asked, calls `plan` (which signs), and writes its checkpoint atomically.
   * `plan` returning undefined means "nothing changed": nothing is written. Retries on contention.
   */
  commitCheckpoint(request: CheckpointRequest, plan: (facts: CheckpointFacts) => CheckpointPlan | undefined): Promise<CheckpointCommit>;
  readChains(): Promise<AuditChainRegistration[]>;
  /** Checkpoints with id > `afterId`, ascending. */
  readCheckpoints(afterId: number, limit: number): Promise<StoredCheckpoint[]>;
  /** Every chain that has entries, with counts; by chain name. */
  summarizeChains(): Promise<ChainSummary[]>;
  /** A chain's entries after the cursor, ordered by (chainSeq, seq). */
  readChainEntries(chain: string, after: { chainSeq: number; seq: number }, limit: number): Promise<AuditEntry[]>;
  /** Entries with seq > `afterSeq` (and time in [since, until) when given), ascending by seq. */
  readEntries(options: { afterSeq: number; since?: number | undefined; until?: number | undefined; limit: number }): Promise<AuditEntry[]>;
  /** Newest first (by time, then seq). */
  query(filter?: AuditQuery): Promise<AuditEntry[]>;
  /** Releases what the store opened itself (its connection or pool). */
  close(): Promise<void>;
}

/** What kind of damage verification found. */
export type AuditProblemKind =
  /** A stored row no longer hashes to its stored hash, or a checkpoint body no longer to its hash. */
  | "edited"
  /** Entries missing: a gap in a chain, a checkpointed head gone, a checkpoint missing. */
  | "deleted"
  /** An entry that does not belong: a duplicate, after a closed chain's end, in an unregistered chain, before an anchor. */
  | "inserted"
  /** Rows stored out of their chain order (e.g. two rows' contents swapped). */
  | "reordered"
  /** A prevHash that does not match its predecessor's hash (the predecessor was rewritten, hash and all). */
  | "broken_link"
  /** A checkpoint or chain registration whose signature does not verify with the given key(s). */
  | "bad_signature"
  /** A checkpoint's head hash differs from the entry in the log. */
  | "checkpoint_mismatch"
  /** The number of entries differs from what the newest checkpoint recorded (and nothing else explains it). */
  | "count_mismatch"
  /** A row or checkpoint that cannot be read (bad JSON, impossible values). */
  | "malformed";

/** Where a problem is; every field that is known. */
export interface AuditLocation {
  seq?: number | undefined;
  chain?: string | undefined;
  chainSeq?: number | undefined;
  /** Last chainSeq of a range (deletions). */
  toChainSeq?: number | undefined;
  requestId?: string | undefined;
  checkpoint?: number | undefined;
}

export interface AuditProblem {
  kind: AuditProblemKind;
  location: AuditLocation;
  /** For people: what is wrong and what it means. Never carries body contents. */
  message: string;
}

/** Entries no checkpoint covers yet: a warning (they are protected by the hash chain only). */
export interface UncoveredRange {
  chain: string;
  fromChainSeq: number;
  toChainSeq: number;
  entries: number;
}

/** The outcome of `verifyAuditLog`. */
export interface AuditVerifyReport {
  /** True when no problem was found (uncovered entries are not a problem). */
  ok: boolean;
  /** Rows read and checked. */
  entries: number;
  chains: number;
  checkpoints: number;
  latestCheckpoint: { id: number; time: number; hash: Hash; entries: number } | null;
  /** Entries after the newest checkpoint that covers their chain. */
  uncovered: { entries: number; ranges: UncoveredRange[] };
  problems: AuditProblem[];
  /** Problems found beyond the reported ones (the list is capped). */
  moreProblems: number;
  durationMs: number;
}

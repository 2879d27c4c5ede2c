/**
 * The human-review queue: a policy rule with action `review` holds a request (or a tool call a
 * model proposed) until a person approves or denies it. Items are durable, so a restart loses
 * neither the question nor the answer, and they carry no raw payload: the caller hands over a
 * redacted preview and the data classes that triggered the rule, never the sensitive values.
 *
 * Times are epoch milliseconds, as everywhere below the HTTP/CLI edge.
 */

/** `expired` is never written by a decision: a pending item past `expiresAt` reads as expired. */
export type ReviewStatus = "pending" | "approved" | "denied" | "expired";

/** What a reviewer decides; also the status the item takes. */
export type ReviewDecision = "approved" | "denied";

/** What is held: a whole request, or one tool call a model proposed in its answer. */
export type ReviewKind = "request" | "tool_call";

export const reviewStatuses: readonly ReviewStatus[] = ["pending", "approved", "denied", "expired"];
export const reviewKinds: readonly ReviewKind[] = ["request", "tool_call"];

export interface ReviewItem {
  /** Time-ordered (UUIDv7), assigned by the store. */
  id: string;
  createdAt: number;
  /** After this the item can no longer be decided and the waiting client is refused. */
  expiresAt: number;
  status: ReviewStatus;
  kind: ReviewKind;
  /**
   * SHA-256 (hex) of the canonical request the policy saw plus the API key id, computed by the
   * caller: an identical retry (same key, same request) finds this item's decision again.
   */
  fingerprint: string;
  /** The API key the request came with; null when the server runs without keys. */
  keyId: string | null;
  /** The public model (or route) name the client asked for. */
  model: string;
  /** The route that resolved the request, when the model was a route. */
  route: string | null;
  /** Name of the policy rule that asked for review. */
  rule: string;
  /** Why it is held: data classes found and similar labels; never the sensitive values themselves. */
  reasons: string[];
  /** A redacted preview, made by the caller, for the reviewer to judge by. */
  preview: string;
  /** When a reviewer decided; null while pending and for items that expired undecided. */
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

/** What a store is given to create an item; the store assigns the id when none is given. */
export type ReviewInput = Omit<ReviewItem, "id" | "status" | "decidedAt" | "decidedBy" | "note"> & {
  id?: string | undefined;
};

export interface ReviewQuery {
  /** Only items with this status (expiry applied at read time). Absent: every status. */
  status?: ReviewStatus | undefined;
  /** At most this many items, newest first (default 100, capped at 1,000). */
  limit?: number | undefined;
}

/**
 * The outcome of a decision, as a value: `conflict` carries the item as it stands (already
 * approved, denied or expired), so the caller can say which.
 */
export type ReviewDecideResult =
  | { outcome: "decided"; item: ReviewItem }
  | { outcome: "not_found" }
  | { outcome: "conflict"; item: ReviewItem };

/**
 * Where review items live. Every read takes `now` and reports a pending item past its
 * `expiresAt` as `expired`, so an expiry needs no write to be seen; `expire` writes it down.
 * A decision is atomic: of two reviewers (or two processes) deciding the same item, exactly one
 * gets `decided` and the other `conflict`.
 */
export interface ReviewStore {
  create(input: ReviewInput): Promise<ReviewItem>;
  get(id: string, now: number): Promise<ReviewItem | undefined>;
  /** Newest first. */
  list(query: ReviewQuery, now: number): Promise<ReviewItem[]>;
  /** Decides a pending, unexpired item; anything else is `conflict` (or `not_found`). */
  decide(id: string, decision: ReviewDecision, by: string, note: string | null, now: number): Promise<ReviewDecideResult>;
  /** The newest approved item for this fingerprint whose approval still holds: `expiresAt + graceMs > now`. */
  findApproved(fingerprint: string, now: number, graceMs: number): Promise<ReviewItem | undefined>;
  /** The newest item for this fingerprint that is still pending and unexpired. */
  findPending(fingerprint: string, now: number): Promise<ReviewItem | undefined>;
  /** Marks pending items past `expiresAt` as expired; returns how many. */
  expire(now: number): Promise<number>;
}

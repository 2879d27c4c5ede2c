import type Database from "better-sqlite3";
import { StorageError } from "../errors.ts";
import { createTimeOrderedId } from "../ids.ts";
import type { ReviewDecideResult, ReviewDecision, ReviewInput, ReviewItem, ReviewKind, ReviewQuery, ReviewStatus, ReviewStore } from "../types.ts";

export const defaultReviewListLimit = 100;
export const maxReviewListLimit = 1_000;

interface StoredRow {
  id: string;
  created_at: number;
  expires_at: number;
  status: ReviewStatus;
  kind: ReviewKind;
  fingerprint: string;
  key_id: string | null;
  model: string;
  route: string | null;
  rule: string;
  reasons: string;
  preview: string;
  decided_at: number | null;
  decided_by: string | null;
  note: string | null;
}

function parseReasons(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((reason): reason is string => typeof reason === "string") : [];
  } catch {
    return [];
  }
}

/** A pending row past its expiry is reported as expired: reads never depend on the sweep having run. */
function fromRow(row: StoredRow, now: number): ReviewItem {
  return {
    id: row.id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    status: row.status === "pending" && row.expires_at <= now ? "expired" : row.status,
    kind: row.kind,
    fingerprint: row.fingerprint,
    keyId: row.key_id,
    model: row.model,
    route: row.route,
    rule: row.rule,
    reasons: parseReasons(row.reasons),
    preview: row.preview,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    note: row.note,
  };
}

const listConditions: Record<ReviewStatus | "all", string> = {
  all: "",
  pending: "WHERE status = 'pending' AND expires_at > @now",
  expired: "WHERE status = 'expired' OR (status = 'pending' AND expires_at <= @now)",
  approved: "WHERE status = 'approved'",
  denied: "WHERE status = 'denied'",
};

/**
 * The review queue in SQLite. Unlike the request log, every write goes to the database before
 * the promise resolves: an item a client is waiting on must survive a crash, and there are few of
 * them. Decisions are one conditional UPDATE, so SQLite's write lock makes them atomic across
 * connections and processes.
 */
export function createSqliteReviewStore(database: Database.Database): ReviewStore {
  const insert = database.prepare<[Omit<StoredRow, "status" | "decided_at" | "decided_by" | "note">]>(
    `INSERT INTO reviews (id, created_at, expires_at, status, kind, fingerprint, key_id, model, route, rule, reasons, preview)
     VALUES (@id, @created_at, @expires_at, 'pending', @kind, @fingerprint, @key_id, @model, @route, @rule, @reasons, @preview)`,
  );
  const selectOne = database.prepare<[string], StoredRow>("SELECT * FROM reviews WHERE id = ?");
  const lists = new Map(
    Object.entries(listConditions).map(([status, condition]) => [
      status,
      database.prepare<[{ now: number; limit: number }], StoredRow>(
        `SELECT * FROM reviews ${condition} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      ),
    ]),
  );
  const update = database.prepare<[{ id: string; status: ReviewDecision; now: number; by: string; note: string | null }]>(
    `UPDATE reviews SET status = @status, decided_at = @now, decided_by = @by, note = @note
     WHERE id = @id AND status = 'pending' AND expires_at > @now`,
  );
  const selectApproved = database.prepare<[string, number], StoredRow>(
    "SELECT * FROM reviews WHERE fingerprint = ? AND status = 'approved' AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1",
  );
  const selectPending = database.prepare<[string, number], StoredRow>(
    "SELECT * FROM reviews WHERE fingerprint = ? AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1",
  );
  const expireAll = database.prepare<[number]>("UPDATE reviews SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?");

  const ensureOpen = (): void => {
    if (!database.open) throw new StorageError("storage_closed", "The review queue was used after its database was closed.");
  };

  return {
    async create(input: ReviewInput): Promise<ReviewItem> {
      ensureOpen();
      const row = {
        id: input.id ?? createTimeOrderedId(input.createdAt),
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        kind: input.kind,
        fingerprint: input.fingerprint,
        key_id: input.keyId,
        model: input.model,
        route: input.route,
        rule: input.rule,
        reasons: JSON.stringify(input.reasons),
        preview: input.preview,
      };
      insert.run(row);
      return fromRow({ ...row, status: "pending", decided_at: null, decided_by: null, note: null }, input.createdAt);
    },

    async get(id: string, now: number): Promise<ReviewItem | undefined> {
      ensureOpen();
      const row = selectOne.get(id);
      return row === undefined ? undefined : fromRow(row, now);
    },

    async list(query: ReviewQuery, now: number): Promise<ReviewItem[]> {
      ensureOpen();
      const limit = Math.min(Math.max(0, Math.trunc(query.limit ?? defaultReviewListLimit)), maxReviewListLimit);
      if (limit === 0 || Number.isNaN(limit)) return [];
      const statement = lists.get(query.status ?? "all");
      if (statement === undefined) throw new RangeError(`Unknown review status: ${String(query.status)}`);
      return statement.all({ now, limit }).map((row) => fromRow(row, now));
    },

    async decide(id: string, decision: ReviewDecision, by: string, note: string | null, now: number): Promise<ReviewDecideResult> {
      ensureOpen();
      const changed = update.run({ id, status: decision, now, by, note }).changes;
      const row = selectOne.get(id);
      if (row === undefined) return { outcome: "not_found" };
      const item = fromRow(row, now);
      return changed === 1 ? { outcome: "decided", item } : { outcome: "conflict", item };
    },

    async findApproved(fingerprint: string, now: number, graceMs: number): Promise<ReviewItem | undefined> {
      ensureOpen();
      const row = selectApproved.get(fingerprint, now - graceMs);
      return row === undefined ? undefined : fromRow(row, now);
    },

    async findPending(fingerprint: string, now: number): Promise<ReviewItem | undefined> {
      ensureOpen();
      const row = selectPending.get(fingerprint, now);
      return row === undefined ? undefined : fromRow(row, now);
    },

    async expire(now: number): Promise<number> {
      ensureOpen();
      return expireAll.run(now).changes;
    },
  };
}

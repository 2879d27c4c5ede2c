import type pg from "pg";
import type { ReviewDecision, ReviewInput, ReviewItem, ReviewKind, ReviewStatus, ReviewStore } from "../../core/review/types.ts";
import { createTimeOrderedId } from "../ids.ts";
import { defaultReviewListLimit, maxReviewListLimit } from "../sqlite/reviews.ts";

interface Row {
  id: string;
  created_at: string;
  expires_at: string;
  status: ReviewStatus;
  kind: ReviewKind;
  fingerprint: string;
  key_id: string | null;
  model: string;
  route: string | null;
  rule: string;
  reasons: unknown;
  preview: string;
  decided_at: string | null;
  decided_by: string | null;
  note: string | null;
}

/** A pending row past its expiry reads as expired, as in the SQLite adapter. */
function fromRow(row: Row, now: number): ReviewItem {
  const expiresAt = Number(row.expires_at);
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    expiresAt,
    status: row.status === "pending" && expiresAt <= now ? "expired" : row.status,
    kind: row.kind,
    fingerprint: row.fingerprint,
    keyId: row.key_id,
    model: row.model,
    route: row.route,
    rule: row.rule,
    reasons: Array.isArray(row.reasons) ? row.reasons.filter((reason): reason is string => typeof reason === "string") : [],
    preview: row.preview,
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decidedBy: row.decided_by,
    note: row.note,
  };
}

const listConditions: Record<ReviewStatus | "all", string> = {
  all: "",
  pending: "WHERE status = 'pending' AND expires_at > $1",
  expired: "WHERE status = 'expired' OR (status = 'pending' AND expires_at <= $1)",
  approved: "WHERE status = 'approved'",
  denied: "WHERE status = 'denied'",
};

/**
 * The review queue in PostgreSQL: any replica may hold a request and any replica may decide it.
 * A decision is one conditional UPDATE, so two reviewers deciding at once cannot both win.
 */
export function createPostgresReviewStore(pool: pg.Pool): ReviewStore {
  return {
    async create(input: ReviewInput): Promise<ReviewItem> {
      const id = input.id ?? createTimeOrderedId(input.createdAt);
      const result = await pool.query<Row>(
        `INSERT INTO reviews (id, created_at, expires_at, status, kind, fingerprint, key_id, model, route, rule, reasons, preview)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
        [id, input.createdAt, input.expiresAt, input.kind, input.fingerprint, input.keyId, input.model, input.route, input.rule, JSON.stringify(input.reasons), input.preview],
      );
      return fromRow(result.rows[0] as Row, input.createdAt);
    },
    async get(id, now) {
      const result = await pool.query<Row>("SELECT * FROM reviews WHERE id = $1", [id]);
      const row = result.rows[0];
      return row === undefined ? undefined : fromRow(row, now);
    },
    async list(query, now) {
      const limit = Math.min(Math.max(0, Math.trunc(query.limit ?? defaultReviewListLimit)), maxReviewListLimit);
      if (limit === 0 || Number.isNaN(limit)) return [];
      const condition = listConditions[query.status ?? "all"];
      if (condition === undefined) throw new RangeError(`Unknown review status: ${String(query.status)}`);
      const usesNow = condition.includes("$1");
      const result = await pool.query<Row>(
        `SELECT * FROM reviews ${condition} ORDER BY created_at DESC, id DESC LIMIT ${usesNow ? "$2" : "$1"}`,
        usesNow ? [now, limit] : [limit],
      );
      return result.rows.map((row) => fromRow(row, now));
    },
    async decide(id: string, decision: ReviewDecision, by: string, note: string | null, now: number) {
      const updated = await pool.query<Row>(
        `UPDATE reviews SET status = $2, decided_at = $3, decided_by = $4, note = $5
         WHERE id = $1 AND status = 'pending' AND expires_at > $3 RETURNING *`,
        [id, decision, now, by, note],
      );
      const row = updated.rows[0];
      if (row !== undefined) return { outcome: "decided", item: fromRow(row, now) };
      const current = await pool.query<Row>("SELECT * FROM reviews WHERE id = $1", [id]);
      const existing = current.rows[0];
      return existing === undefined ? { outcome: "not_found" } : { outcome: "conflict", item: fromRow(existing, now) };
    },
    async findApproved(fingerprint, now, graceMs) {
      const result = await pool.query<Row>(
        "SELECT * FROM reviews WHERE fingerprint = $1 AND status = 'approved' AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        [fingerprint, now - graceMs],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : fromRow(row, now);
    },
    async findPending(fingerprint, now) {
      const result = await pool.query<Row>(
        "SELECT * FROM reviews WHERE fingerprint = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        [fingerprint, now],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : fromRow(row, now);
    },
    async expire(now) {
      const result = await pool.query("UPDATE reviews SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1", [now]);
      return result.rowCount ?? 0;
    },
  };
}

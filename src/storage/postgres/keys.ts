import type pg from "pg";
import type { ApiKeyRecord, KeyStore, Locality } from "../../core/keys/types.ts";

interface Row {
  id: string;
  name: string;
  team: string | null;
  role: "user" | "admin";
  digest: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  models: string[] | null;
  localities: Locality[] | null;
  rpm: number | null;
  tpm: number | null;
  budget_day: number | null;
  budget_month: number | null;
}

function fromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    team: row.team,
    role: row.role,
    digest: row.digest,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    models: row.models,
    localities: row.localities,
    limits: { rpm: row.rpm ?? undefined, tpm: row.tpm ?? undefined, budgetDay: row.budget_day ?? undefined, budgetMonth: row.budget_month ?? undefined },
  };
}

/** Virtual keys in PostgreSQL: shared by every replica. */
export function createPostgresKeyStore(pool: pg.Pool): KeyStore {
  return {
    async insert(record) {
      const result = await pool.query(
        `INSERT INTO api_keys (id, name, team, role, digest, prefix, created_at, expires_at, models, localities, rpm, tpm, budget_day, budget_month)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`,
        [
          record.id,
          record.name,
          record.team,
          record.role,
          record.digest,
          record.prefix,
          record.createdAt,
          record.expiresAt,
          record.models === null ? null : JSON.stringify(record.models),
          record.localities === null ? null : JSON.stringify(record.localities),
          record.limits.rpm ?? null,
          record.limits.tpm ?? null,
          record.limits.budgetDay ?? null,
          record.limits.budgetMonth ?? null,
        ],
      );
      return result.rowCount === 1 ? "inserted" : "name_taken";
    },
    async findByDigest(digest) {
      const result = await pool.query<Row>("SELECT * FROM api_keys WHERE digest = $1", [digest]);
      const row = result.rows[0];
      return row === undefined ? undefined : fromRow(row);
    },
    async list() {
      const result = await pool.query<Row>("SELECT * FROM api_keys ORDER BY created_at DESC, id DESC");
      return result.rows.map(fromRow);
    },
    async revoke(idOrName, at) {
      // One statement: revoking twice keeps the first time.
      const result = await pool.query<Row>(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 OR name = $1 RETURNING *",
        [idOrName, at],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : fromRow(row);
    },
    async countActive() {
      const result = await pool.query<{ count: string }>("SELECT count(*) AS count FROM api_keys WHERE revoked_at IS NULL");
      return Number(result.rows[0]?.count ?? 0);
    },
  };
}

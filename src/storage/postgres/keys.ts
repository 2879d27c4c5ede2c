import type pg from "pg";
import type { KeyStore } from "../../core/keys/types.ts";
import { keyFromRow as fromRow, keyToRow, type KeyRow as Row } from "../sqlite/keys.ts";

/** Virtual keys in PostgreSQL: shared by every replica. */
export function createPostgresKeyStore(pool: pg.Pool): KeyStore {
  return {
    async insert(record) {
      const row = keyToRow(record);
      const columns = ["id", "name", "team", "role", "digest", "prefix", "created_at", "expires_at", "models", "localities", "rpm", "tpm", "budget_day", "budget_month"] as const;
      const result = await pool.query(
        `INSERT INTO api_keys (${columns.join(", ")}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(", ")}) ON CONFLICT DO NOTHING`,
        columns.map((column) => row[column]),
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

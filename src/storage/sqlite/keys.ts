import type Database from "better-sqlite3";
import type { ApiKeyRecord, KeyStore, Locality, NewApiKeyRecord } from "../../core/keys/types.ts";

/** A key row as either adapter reads it: SQLite gives JSON text and numbers, PostgreSQL parsed jsonb and bigint. */
export interface KeyRow {
  id: string;
  name: string;
  team: string | null;
  role: "user" | "admin";
  digest: string;
  prefix: string;
  created_at: number | string;
  revoked_at: number | string | null;
  expires_at: number | string | null;
  models: string | string[] | null;
  localities: string | string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget_day: number | null;
  budget_month: number | null;
}

function stringList(stored: string | string[] | null): string[] | null {
  if (stored === null) return null;
  const value: unknown = typeof stored === "string" ? JSON.parse(stored) : stored;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : null;
}

/** Row ↔ record, shared with the PostgreSQL adapter (same column names). */
export function keyFromRow(row: KeyRow): ApiKeyRecord {
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
    models: stringList(row.models),
    localities: stringList(row.localities) as Locality[] | null,
    limits: {
      rpm: row.rpm ?? undefined,
      tpm: row.tpm ?? undefined,
      budgetDay: row.budget_day ?? undefined,
      budgetMonth: row.budget_month ?? undefined,
    },
  };
}

export function keyToRow(record: NewApiKeyRecord): Omit<KeyRow, "revoked_at"> & { models: string | null; localities: string | null } {
  return {
    id: record.id,
    name: record.name,
    team: record.team,
    role: record.role,
    digest: record.digest,
    prefix: record.prefix,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
    models: record.models === null ? null : JSON.stringify(record.models),
    localities: record.localities === null ? null : JSON.stringify(record.localities),
    rpm: record.limits.rpm ?? null,
    tpm: record.limits.tpm ?? null,
    budget_day: record.limits.budgetDay ?? null,
    budget_month: record.limits.budgetMonth ?? null,
  };
}

/** Virtual keys in the SQLite file (migration 6). */
export function createSqliteKeyStore(database: Database.Database): KeyStore {
  const insert = database.prepare(
    `INSERT INTO api_keys (id, name, team, role, digest, prefix, created_at, expires_at, models, localities, rpm, tpm, budget_day, budget_month)
     VALUES (@id, @name, @team, @role, @digest, @prefix, @created_at, @expires_at, @models, @localities, @rpm, @tpm, @budget_day, @budget_month)
     ON CONFLICT DO NOTHING`,
  );
  const byDigest = database.prepare<[string], KeyRow>("SELECT * FROM api_keys WHERE digest = ?");
  const all = database.prepare<[], KeyRow>("SELECT * FROM api_keys ORDER BY created_at DESC, id DESC");
  const find = database.prepare<[string, string], KeyRow>("SELECT * FROM api_keys WHERE id = ? OR name = ?");
  const revoke = database.prepare<[number, string], unknown>("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  const active = database.prepare<[], { count: number }>("SELECT count(*) AS count FROM api_keys WHERE revoked_at IS NULL");
  return {
    async insert(record) {
      return insert.run(keyToRow(record)).changes === 1 ? "inserted" : "name_taken";
    },
    async findByDigest(digest) {
      const row = byDigest.get(digest);
      return row === undefined ? undefined : keyFromRow(row);
    },
    async list() {
      return all.all().map(keyFromRow);
    },
    async revoke(idOrName, at) {
      const row = find.get(idOrName, idOrName);
      if (row === undefined) return undefined;
      revoke.run(at, row.id);
      const updated = find.get(row.id, row.id);
      return updated === undefined ? undefined : keyFromRow(updated);
    },
    async countActive() {
      return active.get()?.count ?? 0;
    },
  };
}

/**
 * SQL of migration 6, `create-api-keys` (see migrations.ts): virtual keys, stored as SHA-256
 * digests. `models` and `localities` are JSON arrays (NULL = any); budgets are USD.
 */
export const keysMigrationSql = `
  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    team TEXT,
    role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    digest TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    expires_at INTEGER,
    models TEXT,
    localities TEXT,
    rpm INTEGER,
    tpm INTEGER,
    budget_day REAL,
    budget_month REAL
  );
`;

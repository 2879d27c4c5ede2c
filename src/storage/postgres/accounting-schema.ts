/**
 * PostgreSQL tables for keys, usage and reviews (the audit log's tables are in audit's own
 * migration). Same columns as the SQLite adapter; times are bigint epoch ms, money is
 * double precision USD, lists are jsonb.
 */
export const keysTableSql = `
  CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    team text,
    role text NOT NULL CHECK (role IN ('user', 'admin')),
    digest text NOT NULL UNIQUE,
    prefix text NOT NULL,
    created_at bigint NOT NULL,
    revoked_at bigint,
    expires_at bigint,
    models jsonb,
    localities jsonb,
    rpm integer,
    tpm integer,
    budget_day double precision,
    budget_month double precision
  );
`;

export const usageTableSql = `
  CREATE TABLE usage_daily (
    day text NOT NULL,
    key text NOT NULL,
    team text NOT NULL,
    model text NOT NULL,
    provider text NOT NULL,
    locality text NOT NULL,
    endpoint text NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_usd double precision NOT NULL,
    unpriced bigint NOT NULL,
    PRIMARY KEY (day, key, team, model, provider, locality, endpoint)
  );
  CREATE INDEX usage_daily_team_day ON usage_daily (team, day);
  CREATE INDEX usage_daily_key_day ON usage_daily (key, day);
`;

export const reviewsTableSql = `
  CREATE TABLE reviews (
    id text PRIMARY KEY,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    kind text NOT NULL CHECK (kind IN ('request', 'tool_call')),
    fingerprint text NOT NULL,
    key_id text,
    model text NOT NULL,
    route text,
    rule text NOT NULL,
    reasons jsonb NOT NULL,
    preview text NOT NULL,
    decided_at bigint,
    decided_by text,
    note text
  );
  CREATE INDEX reviews_status_expires ON reviews (status, expires_at);
  CREATE INDEX reviews_fingerprint ON reviews (fingerprint, status);
`;

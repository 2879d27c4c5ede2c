/**
 * SQL of PostgreSQL migration 1, `create-audit-log` (see migrations.ts): the same tables as the
 * SQLite migration 5 (docs/decisions/0009-audit-log.md). `seq` is an identity column: a global
 * order across chains, never reused. JSON columns are `text`, not `jsonb`: the verifier must see
 * what was stored, not a normalised copy. Floats are double precision, which PostgreSQL 12+
 * prints in the shortest form that reads back to the same double, so hashes recompute exactly.
 */
export const auditPostgresMigrationSql = `
  CREATE TABLE audit_entries (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain text NOT NULL,
    chain_seq bigint NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    time bigint NOT NULL,
    request_id text NOT NULL,
    kind text NOT NULL,
    action text NOT NULL,
    dialect text NOT NULL,
    key_name text,
    team text,
    model text NOT NULL,
    route text,
    provider text NOT NULL,
    target text NOT NULL,
    locality text,
    policy_rule text,
    policy_action text,
    data_classes text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_usd double precision NOT NULL,
    latency_ms double precision NOT NULL,
    status integer NOT NULL,
    error_code text,
    subject text,
    bodies text
  );
  CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, chain_seq);
  CREATE INDEX audit_entries_time ON audit_entries (time);

  CREATE TABLE audit_chains (
    chain text PRIMARY KEY,
    opened_at bigint NOT NULL,
    genesis_hash text NOT NULL,
    key_id text NOT NULL,
    signature text NOT NULL,
    closed_checkpoint bigint
  );

  CREATE TABLE audit_checkpoints (
    id bigint PRIMARY KEY,
    time bigint NOT NULL,
    reason text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    key_id text NOT NULL,
    signature text NOT NULL,
    body text NOT NULL
  );
  CREATE INDEX audit_checkpoints_reason ON audit_checkpoints (reason, id);
`;

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

/** `content` element of one stored body (`request` or `response`) from migration 1's `bodies` JSON (`b`). */
function migratedBody(part: "request" | "response"): string {
  const at = `b.value -> '${part}'`;
  return `CASE WHEN ${at} IS NULL OR json_typeof(${at}) = 'null' THEN NULL
    WHEN ${at} -> 'sha256' IS NOT NULL THEN json_build_array(${at} ->> 'sha256')
    ELSE json_build_array(${at} ->> 'keyId', ${at} ->> 'iv', ${at} ->> 'tag', ${at} ->> 'data') END`;
}

/**
 * SQL of PostgreSQL migration 3, `audit-content-column`: the same change as SQLite migration 8
 * (see sqlite/audit-schema.ts): the fields other than chain, position, time and hashes move into
 * one JSON array, `content` (text: the verifier hashes what was stored). Existing rows are
 * rewritten with PostgreSQL's JSON functions (equivalent JSON, verified over re-serialised
 * fields); a damaged JSON value goes in as a string and stays damaged. `audit_json` reads text
 * as JSON or NULL (PostgreSQL 15 has no `pg_input_is_valid`), and the queries use it to read a
 * content element without failing on a damaged row. Identity values and the sequence position
 * are kept.
 */
export const auditPostgresContentMigrationSql = `
  CREATE FUNCTION audit_json(value text) RETURNS json LANGUAGE plpgsql IMMUTABLE AS $$
  BEGIN
    RETURN value::json;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END $$;

  CREATE TABLE audit_entries_content (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain text NOT NULL,
    chain_seq bigint NOT NULL,
    time bigint NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    content text NOT NULL
  );
  INSERT INTO audit_entries_content (seq, chain, chain_seq, time, prev_hash, hash, content)
  OVERRIDING SYSTEM VALUE
  SELECT e.seq, e.chain, e.chain_seq, e.time, e.prev_hash, e.hash, json_build_array(
    e.request_id, e.kind, e.action, e.dialect, e.key_name, e.team, e.model, e.route, e.provider, e.target, e.locality, e.policy_rule, e.policy_action,
    CASE WHEN json_typeof(d.value) = 'object'
      THEN (SELECT coalesce(json_agg(json_build_array(p.key, p.value) ORDER BY p.key COLLATE "C"), '[]'::json) FROM json_each(d.value) p)
      ELSE to_json(e.data_classes) END,
    e.input_tokens, e.output_tokens, e.cost_usd, e.latency_ms, e.status, e.error_code, e.subject,
    CASE WHEN e.bodies IS NULL THEN NULL
      WHEN json_typeof(b.value) = 'object' THEN json_build_array(b.value ->> 'mode', ${migratedBody("request")}, ${migratedBody("response")})
      ELSE to_json(e.bodies) END
  )::text
  FROM audit_entries e
  CROSS JOIN LATERAL (SELECT audit_json(e.data_classes) AS value) d
  CROSS JOIN LATERAL (SELECT audit_json(e.bodies) AS value) b
  ORDER BY e.seq;
  SELECT setval(
    pg_get_serial_sequence('audit_entries_content', 'seq'),
    greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence('audit_entries', 'seq')::regclass), 0), coalesce((SELECT max(seq) FROM audit_entries_content), 0), 1),
    coalesce(pg_sequence_last_value(pg_get_serial_sequence('audit_entries', 'seq')::regclass), (SELECT max(seq) FROM audit_entries_content)) IS NOT NULL
  );
  DROP TABLE audit_entries;
  ALTER TABLE audit_entries_content RENAME TO audit_entries;
  CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, chain_seq);
  CREATE INDEX audit_entries_time ON audit_entries (time);
`;

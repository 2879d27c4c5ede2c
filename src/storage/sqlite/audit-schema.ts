/**
 * SQL of migration 5, `create-audit-log` (see migrations.ts): the tamper-evident audit log
 * (docs/decisions/0009-audit-log.md). `seq` is the global order across chains (AUTOINCREMENT, so a
 * number is never reused after rows are deleted); each row also carries its place in its process's
 * hash chain. `data_classes` and `bodies` are JSON text, hashed as parsed values. No index on
 * request_id: random ids made every insert touch a random index page (see migration 3).
 */
export const auditMigrationSql = `
  CREATE TABLE audit_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chain TEXT NOT NULL,
    chain_seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    time INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    dialect TEXT NOT NULL,
    key_name TEXT,
    team TEXT,
    model TEXT NOT NULL,
    route TEXT,
    provider TEXT NOT NULL,
    target TEXT NOT NULL,
    locality TEXT,
    policy_rule TEXT,
    policy_action TEXT,
    data_classes TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_ms REAL NOT NULL,
    status INTEGER NOT NULL,
    error_code TEXT,
    subject TEXT,
    bodies TEXT
  );
  CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, chain_seq);
  CREATE INDEX audit_entries_time ON audit_entries (time);

  CREATE TABLE audit_chains (
    chain TEXT PRIMARY KEY NOT NULL,
    opened_at INTEGER NOT NULL,
    genesis_hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    closed_checkpoint INTEGER
  );

  CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY NOT NULL,
    time INTEGER NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX audit_checkpoints_reason ON audit_checkpoints (reason, id);
`;

/** `content` element of one stored body (`request` or `response`) from migration 5's `bodies` JSON. */
function migratedBody(part: "request" | "response"): string {
  const at = `'$.${part}'`;
  return `CASE WHEN json_type(bodies, ${at}) IS NULL OR json_type(bodies, ${at}) = 'null' THEN NULL
    WHEN json_type(bodies, '$.${part}.sha256') IS NOT NULL THEN json_array(bodies ->> '$.${part}.sha256')
    ELSE json_array(bodies ->> '$.${part}.keyId', bodies ->> '$.${part}.iv', bodies ->> '$.${part}.tag', bodies ->> '$.${part}.data') END`;
}

/**
 * SQL of migration 8, `audit-content-column`: audit_entries keeps the columns it is ordered and
 * filtered by (chain, chain_seq, time) and the hash links; the other fields move into one JSON
 * array, `content`, in canonical order (core/audit/canonical.ts `entryContent`). Inserting a row
 * then binds 6 values instead of 27: 4.0–4.5 instead of 9.1–9.8 µs per row (docs/benchmarks.md).
 *
 * Existing rows are rewritten with SQLite's JSON functions. Their text is equivalent to, not
 * byte-identical with, what the writer would produce (number and escape forms may differ), so
 * the verifier hashes such a row over its re-serialised fields. Damage is kept as damage: a
 * `data_classes` or `bodies` value that is not the JSON the writer stored goes in as a string,
 * which reads back as a damaged entry and fails its hash check. `seq` values and the
 * AUTOINCREMENT high-water mark are kept, so numbers of pruned rows are still never reused.
 */
export const auditContentMigrationSql = `
  CREATE TABLE audit_entries_content (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chain TEXT NOT NULL,
    chain_seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    content TEXT NOT NULL
  );
  INSERT INTO audit_entries_content (seq, chain, chain_seq, time, prev_hash, hash, content)
  SELECT seq, chain, chain_seq, time, prev_hash, hash, json_array(
    request_id, kind, action, dialect, key_name, team, model, route, provider, target, locality, policy_rule, policy_action,
    CASE WHEN json_valid(data_classes) AND json_type(data_classes) = 'object'
      THEN json((SELECT json_group_array(json_array(key, value)) FROM (SELECT key, value FROM json_each(data_classes) ORDER BY key)))
      ELSE data_classes END,
    input_tokens, output_tokens, cost_usd, latency_ms, status, error_code, subject,
    CASE WHEN bodies IS NULL THEN NULL
      WHEN json_valid(bodies) AND json_type(bodies) = 'object' THEN json_array(bodies ->> '$.mode', ${migratedBody("request")}, ${migratedBody("response")})
      ELSE bodies END
  )
  FROM audit_entries ORDER BY seq;
  UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_entries'), 0))
    WHERE name = 'audit_entries_content';
  INSERT INTO sqlite_sequence (name, seq)
    SELECT 'audit_entries_content', seq FROM sqlite_sequence
    WHERE name = 'audit_entries' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_entries_content');
  DROP TABLE audit_entries;
  ALTER TABLE audit_entries_content RENAME TO audit_entries;
  CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, chain_seq);
  CREATE INDEX audit_entries_time ON audit_entries (time);
`;

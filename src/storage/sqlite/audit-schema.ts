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

/**
 * SQL of migration 7, `create-usage` (see migrations.ts): usage and cost rolled up per UTC day
 * and (key, team, model, provider, locality, endpoint); '' stands for "none" so the primary key
 * works. Cost in USD.
 */
export const usageMigrationSql = `
  CREATE TABLE usage_daily (
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    team TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    locality TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced INTEGER NOT NULL,
    PRIMARY KEY (day, key, team, model, provider, locality, endpoint)
  ) WITHOUT ROWID;
  CREATE INDEX usage_daily_team_day ON usage_daily (team, day);
  CREATE INDEX usage_daily_key_day ON usage_daily (key, day);
`;

import type Database from "better-sqlite3";
import { usageDimensions, utcDay, type UsageDimension, type UsageQuery, type UsageRow, type UsageStore } from "../../core/usage/types.ts";
import { createRollupWriter, RollupBuffer, type RollupRow } from "../usage-rollup.ts";

const columnOf: Record<UsageDimension, string> = { key: "key", team: "team", model: "model", provider: "provider", locality: "locality", endpoint: "endpoint", day: "day" };

/** The WHERE clause and parameters of a usage query, shared with PostgreSQL (`$n` placeholders there). */
export function usageFilter(query: UsageQuery, placeholder: (index: number) => string): { where: string; parameters: Array<string> } {
  const conditions: string[] = [];
  const parameters: string[] = [];
  const add = (sql: (name: string) => string, value: string): void => {
    parameters.push(value);
    conditions.push(sql(placeholder(parameters.length)));
  };
  if (query.since !== undefined) add((name) => `day >= ${name}`, utcDay(query.since));
  if (query.until !== undefined) {
    // Exclusive bound: a time inside a day includes that day.
    const until = utcDay(query.until - 1);
    add((name) => `day <= ${name}`, until);
  }
  if (query.key !== undefined) add((name) => `key = ${name}`, query.key);
  if (query.team !== undefined) add((name) => `team = ${name}`, query.team);
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, parameters };
}

/** The grouped dimensions in the order asked (sorted by them in that order), unknown and repeated ones dropped. */
export function groupColumns(groupBy: readonly UsageDimension[] | undefined): UsageDimension[] {
  return [...new Set(groupBy ?? [])].filter((dimension) => usageDimensions.includes(dimension));
}

export interface SummaryRow {
  [column: string]: string | number | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced: number;
}

export function toUsageRow(row: SummaryRow, dimensions: readonly UsageDimension[]): UsageRow {
  const group: Partial<Record<UsageDimension, string>> = {};
  for (const dimension of dimensions) group[dimension] = String(row[columnOf[dimension]] ?? "");
  return {
    group,
    requests: Number(row.requests ?? 0),
    errors: Number(row.errors ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    costUsd: Math.round(Number(row.cost_usd ?? 0) * 1e9) / 1e9,
    unpriced: Number(row.unpriced ?? 0),
  };
}

export function summarySql(dimensions: readonly UsageDimension[], where: string): string {
  const columns = dimensions.map((dimension) => columnOf[dimension]);
  const select = [...columns, "SUM(requests) AS requests", "SUM(errors) AS errors", "SUM(input_tokens) AS input_tokens", "SUM(output_tokens) AS output_tokens", "SUM(cost_usd) AS cost_usd", "SUM(unpriced) AS unpriced"];
  const group = columns.length === 0 ? "" : ` GROUP BY ${columns.join(", ")} ORDER BY ${columns.join(", ")}`;
  return `SELECT ${select.join(", ")} FROM usage_daily ${where}${group}`;
}

/** Usage roll-ups in the SQLite file (migration 7), written ~100 ms after the request. */
export function createSqliteUsageStore(database: Database.Database, options: { intervalMs?: number | undefined; onError?: ((error: unknown) => void) | undefined } = {}) {
  const buffer = new RollupBuffer();
  const upsert = database.prepare<RollupRow, unknown>(`
    INSERT INTO usage_daily (day, key, team, model, provider, locality, endpoint, requests, errors, input_tokens, output_tokens, cost_usd, unpriced)
    VALUES (@day, @key, @team, @model, @provider, @locality, @endpoint, @requests, @errors, @input_tokens, @output_tokens, @cost_usd, @unpriced)
    ON CONFLICT (day, key, team, model, provider, locality, endpoint) DO UPDATE SET
      requests = requests + excluded.requests, errors = errors + excluded.errors,
      input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
      cost_usd = cost_usd + excluded.cost_usd, unpriced = unpriced + excluded.unpriced`);
  const upsertAll = database.transaction((rows: RollupRow[]) => {
    for (const row of rows) upsert.run(row);
  });
  const writer = createRollupWriter(buffer, async (rows) => void upsertAll.immediate(rows), options);
  const spentKey = database.prepare<[string, string], { total: number | null }>("SELECT SUM(cost_usd) AS total FROM usage_daily WHERE key = ? AND day >= ?");
  const spentTeam = database.prepare<[string, string], { total: number | null }>("SELECT SUM(cost_usd) AS total FROM usage_daily WHERE team = ? AND day >= ?");

  const store: UsageStore = {
    record(entry) {
      buffer.add(entry);
      writer.schedule();
    },
    flush: () => writer.flush(),
    async summary(query = {}) {
      const dimensions = groupColumns(query.groupBy);
      const { where, parameters } = usageFilter(query, () => "?");
      const rows = database.prepare<string[], SummaryRow>(summarySql(dimensions, where)).all(...parameters);
      return rows.filter((row) => row.requests !== null).map((row) => toUsageRow(row, dimensions));
    },
    async spent(subject, since) {
      const day = utcDay(since);
      let stored = 0;
      if (subject.key !== undefined) stored = spentKey.get(subject.key, day)?.total ?? 0;
      else if (subject.team !== undefined) stored = spentTeam.get(subject.team, day)?.total ?? 0;
      return stored + buffer.pendingSpent(subject, day);
    },
  };
  return { store, close: () => writer.close() };
}

import type pg from "pg";
import { utcDay, type UsageStore } from "../../core/usage/types.ts";
import { groupColumns, summarySql, toUsageRow, usageFilter, type SummaryRow } from "../sqlite/usage.ts";
import { createRollupWriter, RollupBuffer, type RollupRow } from "../usage-rollup.ts";

const columns = ["day", "key", "team", "model", "provider", "locality", "endpoint", "requests", "errors", "input_tokens", "output_tokens", "cost_usd", "unpriced"] as const;

/**
 * Usage roll-ups in PostgreSQL: each replica sums its own requests in memory for ~100 ms and
 * adds them with one upsert per bucket, so replicas never overwrite each other's counts.
 */
export function createPostgresUsageStore(pool: pg.Pool, options: { intervalMs?: number | undefined; onError?: ((error: unknown) => void) | undefined } = {}) {
  const buffer = new RollupBuffer();
  const write = async (rows: RollupRow[]): Promise<void> => {
    const values: Array<string | number> = [];
    const tuples = rows.map((row) => {
      const placeholders = columns.map((column) => {
        values.push(row[column]);
        return `$${values.length}`;
      });
      return `(${placeholders.join(", ")})`;
    });
    await pool.query(
      `INSERT INTO usage_daily (${columns.join(", ")}) VALUES ${tuples.join(", ")}
       ON CONFLICT (day, key, team, model, provider, locality, endpoint) DO UPDATE SET
         requests = usage_daily.requests + excluded.requests, errors = usage_daily.errors + excluded.errors,
         input_tokens = usage_daily.input_tokens + excluded.input_tokens, output_tokens = usage_daily.output_tokens + excluded.output_tokens,
         cost_usd = usage_daily.cost_usd + excluded.cost_usd, unpriced = usage_daily.unpriced + excluded.unpriced`,
      values,
    );
  };
  const writer = createRollupWriter(buffer, write, options);
  const store: UsageStore = {
    record(entry) {
      buffer.add(entry);
      writer.schedule();
    },
    flush: () => writer.flush(),
    async summary(query = {}) {
      const dimensions = groupColumns(query.groupBy);
      const { where, parameters } = usageFilter(query, (index) => `$${index}`);
      const result = await pool.query<SummaryRow>(summarySql(dimensions, where), parameters);
      return result.rows.filter((row) => row.requests !== null).map((row) => toUsageRow(row, dimensions));
    },
    async spent(subject, since) {
      const day = utcDay(since);
      let stored = 0;
      if (subject.key !== undefined || subject.team !== undefined) {
        const column = subject.key !== undefined ? "key" : "team";
        const result = await pool.query<{ total: number | null }>(`SELECT SUM(cost_usd) AS total FROM usage_daily WHERE ${column} = $1 AND day >= $2`, [subject.key ?? subject.team, day]);
        stored = Number(result.rows[0]?.total ?? 0);
      }
      return stored + buffer.pendingSpent(subject, day);
    },
  };
  return { store, close: () => writer.close() };
}

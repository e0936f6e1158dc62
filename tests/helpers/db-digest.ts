import type { DataSource } from 'typeorm';

/**
 * Tables whose rows change by design whatever a request did: the migrations log, rate-limit
 * counters (rate-limiter-flexible's PostgreSQL store), and the health watcher's cursor and
 * stored levels (derived from domain state by a background job on its own clock, every 2 s).
 * Everything else is domain state that a refused request must leave exactly as it was.
 */
const NOT_DOMAIN_STATE = /^(migrations|typeorm_metadata|health_watch_cursor|sub_account_health_levels)$|rate|limiter|rlflx/i;

/** The public tables a digest covers, sorted. */
export async function domainTables(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await dataSource.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name).filter((name) => !NOT_DOMAIN_STATE.test(name));
}

/**
 * One md5 per table over all of its rows (each row as text, ordered), in one statement:
 * equal digests mean no row was inserted, updated or deleted anywhere.
 */
export async function databaseDigest(dataSource: DataSource, tables: string[]): Promise<Record<string, string>> {
  const parts = tables.map(
    (t) => `'${t}', (SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM "${t}" x)`,
  );
  const [{ digest }] = await dataSource.query(`SELECT json_build_object(${parts.join(', ')}) AS digest`);
  return digest;
}

/** The tables whose digest differs. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}

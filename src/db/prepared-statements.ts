import { createHash } from 'node:crypto';
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * TypeORM's own query path cannot name a statement; its pg pool can. The one place that
 * reaches into the driver for it.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

const names = new Map<string, string>();

/**
 * Runs a read statement as a named prepared statement on TypeORM's pool: PostgreSQL parses
 * it once per connection, and after a few executions plans it once too. The read bench
 * measured why: the dashboard's unnamed statements cost PostgreSQL 1.4–5 ms of CPU per
 * request against 0.5–0.8 ms for the same data through prepared statements. The name is a
 * hash of the text, so every distinct text (a handful per call site: its filter
 * combinations) is its own statement. Counted like TypeORM's queries (QueryCounter).
 * Outside transactions only: a transaction's statements go through its EntityManager.
 */
export async function queryPrepared<Row extends QueryResultRow>(dataSource: DataSource, text: string, values: unknown[]): Promise<Row[]> {
  let name = names.get(text);
  if (!name) {
    name = 'vm_' + createHash('sha1').update(text).digest('hex').slice(0, 24);
    names.set(text, name);
  }
  dataSource.logger.logQuery(text, values);
  const result = await queryOnPool<Row>(pgPoolOf(dataSource), { name, text, values });
  return result.rows;
}

const ignoreLateError = () => {};

/**
 * `pool.query`, but safe against a connection that dies twice: pg-pool listens for one
 * `error` event while its query runs, and a backend terminated by the server can emit a
 * second one (the FATAL message, then the closed socket) after that listener is gone,
 * which Node turns into an uncaught exception that ends the process. Here a listener
 * stays on a connection that failed, until it is gone; a healthy one goes back to the
 * pool, whose own idle listener takes over. The query's own error still reaches the caller.
 */
export async function queryOnPool<Row extends QueryResultRow>(pool: Pool, config: QueryConfig): Promise<QueryResult<Row>> {
  const client = await pool.connect();
  client.on('error', ignoreLateError);
  try {
    const result = await client.query<Row>(config);
    client.removeListener('error', ignoreLateError);
    client.release();
    return result;
  } catch (error) {
    client.release(error as Error); // destroyed, not reused; the listener stays with it
    throw error;
  }
}

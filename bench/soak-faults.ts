import type { Client } from 'pg';

/**
 * The soak's faults, one per interval in this order, each terminating backends of the API's
 * database from the soak's own admin connection: the API's pool, the event hub's listener
 * (a LISTEN connection lost: wake-ups stop until it reconnects), the hub's poll and replay
 * pools, the job runner's and the rate limiter's connections, and finally every connection
 * at once (what a database restart looks like from the API).
 */
export interface SoakFault {
  name: string;
  /** A WHERE condition on pg_stat_activity, beside the database and "not the admin's own". */
  where: string;
  /** At most this many backends (random ones), all when undefined. */
  limit?: number;
}

export const SOAK_FAULTS: readonly SoakFault[] = [
  { name: 'three pool connections', where: `application_name = 'voice-minutes-api'`, limit: 3 },
  { name: 'the event listener', where: `application_name = 'voice-minutes-api-listener'` },
  { name: 'the event poll and replay pools', where: `application_name IN ('voice-minutes-api-events', 'voice-minutes-api-replay')` },
  { name: 'the job runner and rate limiter', where: `application_name NOT LIKE 'voice-minutes-api%'` },
  { name: 'every connection (a restart)', where: 'true' },
];

export interface InjectedFault {
  atSeconds: number;
  name: string;
  terminated: number;
}

/** Terminates the fault's backends of `database`; returns how many were terminated. */
export async function injectFault(admin: Client, database: string, fault: SoakFault): Promise<number> {
  const rows: Array<{ done: boolean }> = (
    await admin.query(
      `SELECT pg_terminate_backend(pid) AS done FROM (
         SELECT pid FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND (${fault.where})
         ORDER BY random() LIMIT $2) victims`,
      [database, fault.limit ?? null],
    )
  ).rows;
  return rows.filter((row) => row.done).length;
}

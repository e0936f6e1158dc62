import type { DataSource } from 'typeorm';

/** Events are kept at least this long: a client may resume from any sequence within it. */
export const EVENT_RETENTION_DAYS = 7;

/** Deletes outbox rows older than the retention period (pg-boss job `outbox-retention`); returns how many. */
export async function deleteExpiredEvents(dataSource: DataSource, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - EVENT_RETENTION_DAYS * 24 * 3600 * 1000);
  const result = await dataSource.query(`DELETE FROM outbox_events WHERE occurred_at < $1`, [cutoff]);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}

import type { DataSource } from 'typeorm';
import type { Cursor } from './outbox.entity';

/** Events are kept at least this long: a client may resume from any sequence within it. */
export const EVENT_RETENTION_DAYS = 7;

/**
 * Deletes outbox rows older than the retention period (pg-boss job `outbox-retention`);
 * returns how many. It deletes a prefix of the (xid, id) order, up to the newest expired
 * row, and moves the mark (table outbox_retention) there in the same transaction, so a
 * resume can tell that it asks for deleted events (RESUME_TOO_OLD) instead of skipping
 * them. A row younger than the period but below an expired one (its transaction started
 * later and took its xid earlier) goes with it: transactions here last milliseconds.
 */
export async function deleteExpiredEvents(dataSource: DataSource, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - EVENT_RETENTION_DAYS * 24 * 3600 * 1000);
  return dataSource.transaction(async (em) => {
    // One job at a time moves the mark (a second replica's run waits, then finds less to do).
    await em.query(`SELECT 1 FROM outbox_retention FOR UPDATE`);
    const [last] = await em.query(
      `SELECT xid::text AS xid, id::text AS id FROM outbox_events WHERE occurred_at < $1 ORDER BY xid DESC, id DESC LIMIT 1`,
      [cutoff],
    );
    if (!last) return 0;
    const deleted = await em.query(`DELETE FROM outbox_events WHERE (xid, id) <= ($1::xid8, $2::bigint)`, [last.xid, last.id]);
    await em.query(
      `UPDATE outbox_retention SET purged_xid = $1::xid8, purged_id = $2::bigint WHERE (purged_xid, purged_id) < ($1::xid8, $2::bigint)`,
      [last.xid, last.id],
    );
    return Array.isArray(deleted) && typeof deleted[1] === 'number' ? deleted[1] : 0;
  });
}

/** The retention mark: every row at or below it may have been deleted. */
export const RETENTION_MARK = `SELECT purged_xid::text AS xid, purged_id::text AS id FROM outbox_retention`;

export function toCursor(raw: { xid: string; id: string }): Cursor {
  return { xid: BigInt(raw.xid), id: BigInt(raw.id) };
}

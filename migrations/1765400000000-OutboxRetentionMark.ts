import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the retention job has deleted the outbox up to: every row at or below
 * (purged_xid, purged_id) may be gone, every row above it is kept. A resume from a sequence
 * below the mark would silently skip the deleted events; the event hub answers it with
 * RESUME_TOO_OLD and the mark as the oldest sequence a client can resume from (issue 17).
 *
 * One row (the `singleton` key allows no second); (0, 0) until the first deletion (no row
 * has xid 0). The job deletes a prefix of the (xid, id) order in the transaction that moves
 * the mark, so the mark is exact.
 */
export class OutboxRetentionMark1765400000000 implements MigrationInterface {
  name = 'OutboxRetentionMark1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_retention (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        purged_xid xid8 NOT NULL,
        purged_id bigint NOT NULL
      )`);
    await q.query(`INSERT INTO outbox_retention (purged_xid, purged_id) VALUES ('0', 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_retention`);
  }
}

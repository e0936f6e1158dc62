import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index of the outbox by agency, in sequence order, for resumes read from the table.
 *
 * A subscription resuming from an `afterSequence` older than the rows its process keeps in
 * memory reads the table, its agency's rows only. Without this index that read walked the
 * primary key (xid, id) from the cursor and filtered by agency, so a quiet agency's monitor
 * resuming after a few hours read every agency's events of those hours to find none of its
 * own. With it, the read is a range of its agency's entries. Every event row pays one more
 * index entry (appended at its agency's end of the range).
 *
 * Built CONCURRENTLY (outside a transaction) so that a deployment on a large outbox does not
 * block its writers; a build that failed half-way leaves an invalid index, dropped first.
 */
export class OutboxByAgency1764900000000 implements MigrationInterface {
  name = 'OutboxByAgency1764900000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS outbox_events_agency_idx`);
    await q.query(`CREATE INDEX CONCURRENTLY outbox_events_agency_idx ON outbox_events (agency_id, xid, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS outbox_events_agency_idx`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * HEALTH_CHANGED events (docs/health-and-statements.md, "Events").
 *
 * - `sub_account_health_levels`: the last level reported per sub-account, so an event is
 *   written only when the level changes. A sub-account without a row has not been assessed
 *   yet: its first assessment is stored without an event (SUB_ACCOUNT_ADDED announced it).
 * - `health_watch_cursor`: how far the health watcher has read the outbox, as the xid frontier
 *   the event hub uses (docs/events.md): every row with a smaller xid has been read. One row,
 *   locked by the watcher (and the periodic sweep) for its transaction, so one replica at a
 *   time assesses and each change is reported once. It starts at the migration's snapshot:
 *   earlier events are never replayed into assessments.
 * - `outbox_events.health_level` / `previous_health_level`: the levels a HEALTH_CHANGED row
 *   reports, as they were when it was written (a subscriber reading `subAccount.health` later
 *   sees the level of its own time). Nullable, no default: adding them rewrites nothing.
 */
export class HealthLevels1765210000000 implements MigrationInterface {
  name = 'HealthLevels1765210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sub_account_health_levels (
        sub_account_id uuid PRIMARY KEY REFERENCES sub_accounts(id),
        level text NOT NULL CHECK (level IN ('HEALTHY', 'WATCH', 'AT_RISK')),
        assessed_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`
      CREATE TABLE health_watch_cursor (
        id int PRIMARY KEY CHECK (id = 1),
        frontier xid8 NOT NULL
      )`);
    await q.query(`INSERT INTO health_watch_cursor (id, frontier) VALUES (1, pg_snapshot_xmin(pg_current_snapshot()))`);
    await q.query(`
      ALTER TABLE outbox_events
        ADD COLUMN health_level text CHECK (health_level IN ('HEALTHY', 'WATCH', 'AT_RISK')),
        ADD COLUMN previous_health_level text CHECK (previous_health_level IN ('HEALTHY', 'WATCH', 'AT_RISK'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM outbox_events WHERE type = 'HEALTH_CHANGED'`);
    await q.query(`ALTER TABLE outbox_events DROP COLUMN previous_health_level, DROP COLUMN health_level`);
    await q.query(`DROP TABLE health_watch_cursor`);
    await q.query(`DROP TABLE sub_account_health_levels`);
  }
}

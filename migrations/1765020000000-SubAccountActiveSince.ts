import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sub_accounts.active_since`: the start of the sub-account's current active period, set
 * by add and by restore. The monthly secondary grant of PARTNER_LEGACY goes only to a
 * secondary active since (at or before) the cycle's start, so a secondary added or
 * restored mid-cycle waits for the next cycle. `removed_at` cannot tell this (restore
 * clears it) and `subscription_started_at` is chosen by the agency admin.
 *
 * Backfill: the later of the row's creation and its last removal or restore still in the
 * outbox (7 days are kept). A restore older than that is lost, which can only matter for
 * the cycle in progress, and the job before this migration granted every active
 * secondary within 10 minutes anyway (the grant is keyed per cycle: nothing is granted twice).
 */
export class SubAccountActiveSince1765020000000 implements MigrationInterface {
  name = 'SubAccountActiveSince1765020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sub_accounts ADD COLUMN active_since timestamptz`);
    await q.query(`
      UPDATE sub_accounts s
         SET active_since = greatest(s.created_at, e.last_change)
        FROM sub_accounts s2
        LEFT JOIN (SELECT sub_account_id, max(occurred_at) AS last_change
                     FROM outbox_events
                    WHERE type IN ('SUB_ACCOUNT_REMOVED', 'SUB_ACCOUNT_RESTORED')
                    GROUP BY sub_account_id) e ON e.sub_account_id = s2.id
       WHERE s2.id = s.id`);
    await q.query(`
      ALTER TABLE sub_accounts
        ALTER COLUMN active_since SET NOT NULL,
        ALTER COLUMN active_since SET DEFAULT date_trunc('milliseconds', now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sub_accounts DROP COLUMN active_since`);
  }
}

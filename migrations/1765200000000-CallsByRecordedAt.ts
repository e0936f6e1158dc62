import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calls by the instant they were recorded, for billing statements (docs/health-and-statements.md).
 *
 * A statement is exact from the ledger, and a call's USAGE debit is dated by the transaction
 * that recorded it (`recorded_at` = the transfer's `created_at`: both are that transaction's
 * `now()`), not by when the call started. So a statement's minutes and calls are the calls
 * *recorded* in its cycle, the same calls its `spent` debited: a call that started on the last
 * evening of a cycle and was pushed after midnight is on the next statement, with its debit.
 * Reading them by (sub_account_id, recorded_at) with the figures INCLUDEd is one index-only
 * range per statement; without it a statement scanned every call of its sub-account.
 * Every call insert pays one more index entry.
 *
 * Built CONCURRENTLY (outside a transaction) so that a deployment on a large calls table does
 * not block ingestion; a build that failed half-way leaves an invalid index, dropped first.
 */
export class CallsByRecordedAt1765200000000 implements MigrationInterface {
  name = 'CallsByRecordedAt1765200000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS calls_sub_account_recorded_idx`);
    await q.query(`CREATE INDEX CONCURRENTLY calls_sub_account_recorded_idx ON calls (sub_account_id, recorded_at)
                   INCLUDE (tier, status, duration_seconds, cost_micros, profit_micros)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS calls_sub_account_recorded_idx`);
  }
}

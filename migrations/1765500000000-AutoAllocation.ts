import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monthly auto allocation (docs/payments.md): per secondary sub-account settings, and
 * payments of kind AUTO_ALLOCATION charged to the agency primary's saved card.
 *
 * - `billing_auto_allocations`: the minutes bought each billing cycle of the sub-account,
 *   `next_run_at` (the cycle start the job waits for), `last_run_at` and `last_error`.
 * - `billing_payments` gains the cycle an allocation pays for and its terms per tier (minutes,
 *   price and markup fixed when the record is written). Exactly once per cycle is the unique
 *   index over the allocation payments that took or may take money (PENDING, REQUIRES_ACTION,
 *   SUCCEEDED) of one (sub-account, cycle): two jobs, two replicas, or a run after a crash
 *   insert one record at most; a declined or failed attempt leaves room for the next retry.
 */
export class AutoAllocation1765500000000 implements MigrationInterface {
  name = 'AutoAllocation1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE billing_auto_allocations (
        sub_account_id uuid PRIMARY KEY REFERENCES sub_accounts (id),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        enabled boolean NOT NULL,
        basic_minutes_units bigint NOT NULL CHECK (basic_minutes_units >= 0),
        premium_minutes_units bigint NOT NULL CHECK (premium_minutes_units >= 0),
        next_run_at timestamptz,
        last_run_at timestamptz,
        last_error text CHECK (length(last_error) <= 500),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (enabled = (next_run_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX billing_auto_allocations_due_idx ON billing_auto_allocations (next_run_at) WHERE enabled`);
    await q.query(`ALTER TABLE billing_payments
      ADD COLUMN allocation_cycle_start timestamptz,
      ADD COLUMN basic_minutes_units bigint CHECK (basic_minutes_units >= 0),
      ADD COLUMN basic_price_micros bigint CHECK (basic_price_micros > 0),
      ADD COLUMN basic_markup_micros bigint CHECK (basic_markup_micros >= 0),
      ADD COLUMN premium_minutes_units bigint CHECK (premium_minutes_units >= 0),
      ADD CONSTRAINT billing_payments_allocation_terms_check CHECK ((kind = 'AUTO_ALLOCATION') = (allocation_cycle_start IS NOT NULL
        AND basic_minutes_units IS NOT NULL AND basic_price_micros IS NOT NULL AND basic_markup_micros IS NOT NULL
        AND premium_minutes_units IS NOT NULL))`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_kind_check`);
    await q.query(`ALTER TABLE billing_payments ADD CONSTRAINT billing_payments_kind_check CHECK (kind IN ('TOP_UP', 'AUTO_RECHARGE', 'AUTO_ALLOCATION'))`);
    await q.query(`CREATE UNIQUE INDEX billing_payments_allocation_once_idx ON billing_payments (sub_account_id, allocation_cycle_start)
                    WHERE kind = 'AUTO_ALLOCATION' AND status IN ('PENDING', 'REQUIRES_ACTION', 'SUCCEEDED')`);
  }

  /** Refused once an allocation was charged: its payment records are the only trace of the money taken. */
  async down(q: QueryRunner): Promise<void> {
    const [used] = await q.query(`SELECT 1 FROM billing_payments WHERE kind = 'AUTO_ALLOCATION' LIMIT 1`);
    if (used) throw new Error('auto allocations were charged: this migration cannot be reverted without losing their payment records');
    await q.query(`DROP INDEX billing_payments_allocation_once_idx`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_kind_check`);
    await q.query(`ALTER TABLE billing_payments ADD CONSTRAINT billing_payments_kind_check CHECK (kind IN ('TOP_UP', 'AUTO_RECHARGE'))`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_allocation_terms_check,
      DROP COLUMN allocation_cycle_start, DROP COLUMN basic_minutes_units, DROP COLUMN basic_price_micros,
      DROP COLUMN basic_markup_micros, DROP COLUMN premium_minutes_units`);
    await q.query(`DROP TABLE billing_auto_allocations`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Auto-recharge (docs/payments.md): per sub-account settings, and payments of kind
 * AUTO_RECHARGE. At most one recharge in flight per wallet is a unique index over the
 * PENDING ones: whatever the concurrency and however many replicas, a second insert
 * while one is pending does nothing.
 */
export class AutoRecharge1765300000001 implements MigrationInterface {
  name = 'AutoRecharge1765300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE billing_auto_recharges (
        sub_account_id uuid PRIMARY KEY REFERENCES sub_accounts (id),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        enabled boolean NOT NULL,
        threshold_micros bigint NOT NULL CHECK (threshold_micros >= 0),
        recharge_amount_micros bigint NOT NULL CHECK (recharge_amount_micros > 0),
        monthly_cap_micros bigint CHECK (monthly_cap_micros > 0),
        consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        last_error text CHECK (length(last_error) <= 500),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX billing_auto_recharges_enabled_idx ON billing_auto_recharges (sub_account_id) WHERE enabled`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_kind_check`);
    await q.query(`ALTER TABLE billing_payments ADD CONSTRAINT billing_payments_kind_check CHECK (kind IN ('TOP_UP', 'AUTO_RECHARGE'))`);
    await q.query(`CREATE UNIQUE INDEX billing_payments_recharge_in_flight_idx ON billing_payments (sub_account_id)
                    WHERE kind = 'AUTO_RECHARGE' AND status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX billing_payments_recharge_in_flight_idx`);
    await q.query(`DELETE FROM billing_payments WHERE kind = 'AUTO_RECHARGE'`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_kind_check`);
    await q.query(`ALTER TABLE billing_payments ADD CONSTRAINT billing_payments_kind_check CHECK (kind IN ('TOP_UP'))`);
    await q.query(`DROP TABLE billing_auto_recharges`);
  }
}

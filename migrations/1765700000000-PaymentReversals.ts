import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds and disputes (docs/payments.md, "Refunds and disputes").
 *
 * - `ledger_transfers.kind` gains REFUND and DISPUTE: money a purchase credited that Stripe
 *   gave back to the card (a refund) or took back for a dispute (and returned when the
 *   dispute is won), between the wallet and PAYMENTS_IN. The earned profit on that money is
 *   reversed by MARKUP_PROFIT rows the other way (AGENCY_PROFIT → PLATFORM_REVENUE).
 * - `billing_payments` keeps what Stripe reported (`refunded_cents`: the charge's cumulative
 *   `amount_refunded`) and what the ledger holds reversed (`reversed_cents` on the wallet,
 *   `reversed_profit_micros` on the agency), so a duplicate, replayed or reordered event
 *   books only the difference, once, under the payment's row lock; `reversal_postings`
 *   numbers the postings (their system keys).
 * - `billing_disputes`: the latest state of each dispute Stripe told us of, with the
 *   `created` of the event that set it, so an older event delivered late never regresses it.
 */
export class PaymentReversals1765700000000 implements MigrationInterface {
  name = 'PaymentReversals1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check`);
    await q.query(`ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check
                     CHECK (kind IN ('TOP_UP', 'MINUTE_TRANSFER', 'USAGE', 'AUTO_ALLOCATION', 'AUTO_RECHARGE', 'PLAN_ALLOCATION',
                                     'SUB_ACCOUNT_CLOSURE', 'PAYOUT', 'ADJUSTMENT', 'MARKUP_PROFIT', 'REFUND', 'DISPUTE'))`);
    await q.query(`
      ALTER TABLE billing_payments
        ADD COLUMN refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
        ADD COLUMN reversed_cents bigint NOT NULL DEFAULT 0 CHECK (reversed_cents >= 0 AND reversed_cents <= amount_cents),
        ADD COLUMN reversed_profit_micros bigint NOT NULL DEFAULT 0 CHECK (reversed_profit_micros >= 0),
        ADD COLUMN reversal_postings integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT billing_payments_reversed_settled_check CHECK (status = 'SUCCEEDED' OR (refunded_cents = 0 AND reversed_cents = 0))`);
    await q.query(`
      CREATE TABLE billing_disputes (
        stripe_dispute_id text PRIMARY KEY CHECK (length(stripe_dispute_id) BETWEEN 1 AND 255),
        payment_id uuid NOT NULL REFERENCES billing_payments (id),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        status text NOT NULL CHECK (length(status) BETWEEN 1 AND 64),
        reason text CHECK (length(reason) <= 200),
        event_created bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX billing_disputes_payment_idx ON billing_disputes (payment_id)`);
  }

  /** Refused once a refund or dispute was booked: the ledger is append-only. */
  async down(q: QueryRunner): Promise<void> {
    const [used] = await q.query(`SELECT 1 FROM ledger_transfers WHERE kind IN ('REFUND', 'DISPUTE') LIMIT 1`);
    if (used) throw new Error('refunds or disputes were booked; the ledger cannot lose them');
    await q.query(`DROP TABLE billing_disputes`);
    await q.query(`ALTER TABLE billing_payments DROP CONSTRAINT billing_payments_reversed_settled_check,
                     DROP COLUMN reversal_postings, DROP COLUMN reversed_profit_micros, DROP COLUMN reversed_cents, DROP COLUMN refunded_cents`);
    await q.query(`ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check`);
    await q.query(`ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check
                     CHECK (kind IN ('TOP_UP', 'MINUTE_TRANSFER', 'USAGE', 'AUTO_ALLOCATION', 'AUTO_RECHARGE', 'PLAN_ALLOCATION',
                                     'SUB_ACCOUNT_CLOSURE', 'PAYOUT', 'ADJUSTMENT', 'MARKUP_PROFIT'))`);
  }
}

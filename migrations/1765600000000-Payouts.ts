import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe Connect and payouts (docs/payments.md, "Connect and payouts").
 *
 * - `PAYOUTS_IN_FLIGHT`: a platform ledger account for profit taken out of an agency's
 *   pending payout and sent to Stripe, not yet confirmed. Paid payouts move on to
 *   `PAYOUTS_OUT`; failed ones come back to the agency. So the ledger alone says what is
 *   pending, in flight and paid (docs/ledger.md).
 * - `payout_connect_accounts`: one Stripe Express account per agency. The row is written
 *   before Stripe is asked for the account (with the agency's own idempotency key), so
 *   two racing requests share one row and one account; `status_event_created` is the
 *   `created` of the `account.updated` event that set the status, so an older event
 *   delivered late never regresses it.
 * - `payouts`: the durable record of a payout, written with its ledger row (in flight) in
 *   one transaction before the Stripe transfer is created under `payout/<id>`. At most one
 *   PENDING per agency (partial unique index); at most one scheduled payout per agency
 *   and billing cycle (`cycle_start`).
 */
export class Payouts1765600000000 implements MigrationInterface {
  name = 'Payouts1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check
                     CHECK (type IN ('WALLET', 'AGENCY_PROFIT', 'PLATFORM_REVENUE', 'PLATFORM_GRANTS', 'PAYMENTS_IN', 'PAYOUTS_OUT', 'PAYOUTS_IN_FLIGHT'))`);
    await q.query(`INSERT INTO ledger_accounts (type) VALUES ('PAYOUTS_IN_FLIGHT')`);
    await q.query(`
      CREATE TABLE payout_connect_accounts (
        agency_id uuid PRIMARY KEY REFERENCES agencies (id),
        stripe_account_id text UNIQUE CHECK (length(stripe_account_id) BETWEEN 1 AND 255),
        status text NOT NULL CHECK (status IN ('PENDING', 'CONNECTED')),
        status_event_created bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (status = 'PENDING' OR stripe_account_id IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE payouts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        trigger text NOT NULL CHECK (trigger IN ('REQUEST', 'CYCLE')),
        cycle_start timestamptz,
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'FAILED', 'REVERSED')),
        sandbox boolean NOT NULL,
        stripe_account_id text NOT NULL,
        stripe_transfer_id text UNIQUE,
        reversed_cents bigint NOT NULL DEFAULT 0 CHECK (reversed_cents >= 0 AND reversed_cents <= amount_cents),
        in_flight_transfer_id uuid NOT NULL UNIQUE REFERENCES ledger_transfers (id),
        settled_transfer_id uuid UNIQUE REFERENCES ledger_transfers (id),
        last_error text CHECK (length(last_error) <= 500),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((trigger = 'CYCLE') = (cycle_start IS NOT NULL)),
        CHECK ((status = 'PENDING') = (settled_transfer_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX payouts_one_in_flight_idx ON payouts (agency_id) WHERE status = 'PENDING'`);
    await q.query(`CREATE UNIQUE INDEX payouts_one_per_cycle_idx ON payouts (agency_id, cycle_start) WHERE cycle_start IS NOT NULL`);
    // Agency.payouts, newest first (keyset on created_at, id).
    await q.query(`CREATE INDEX payouts_agency_created_idx ON payouts (agency_id, created_at DESC, id DESC)`);
  }

  /** Refused once a payout was booked: its ledger rows name PAYOUTS_IN_FLIGHT and the ledger is append-only. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payouts`);
    await q.query(`DROP TABLE payout_connect_accounts`);
    await q.query(`DELETE FROM ledger_accounts WHERE type = 'PAYOUTS_IN_FLIGHT'`);
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check
                     CHECK (type IN ('WALLET', 'AGENCY_PROFIT', 'PLATFORM_REVENUE', 'PLATFORM_GRANTS', 'PAYMENTS_IN', 'PAYOUTS_OUT'))`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payments through Stripe (docs/payments.md).
 *
 * - `billing_customers`: one Stripe customer per sub-account and its saved card (brand,
 *   last4, expiry), with the `created` of the Stripe event that set it, so an older event
 *   delivered late never replaces a newer card.
 * - `billing_payments`: the durable record of a charge, written before Stripe is called
 *   (outside any transaction), keyed by the client's idempotency key with the request's
 *   hash. Its terms (cents, price and markup at purchase time) are fixed at creation.
 *   `wallet_transfer_id` is unique: one payment credits a wallet at most once.
 * - `billing_webhook_events`: every Stripe event id received, once (the primary key), with
 *   its payload until a job has processed it.
 */
export class Payments1765300000000 implements MigrationInterface {
  name = 'Payments1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE billing_customers (
        sub_account_id uuid PRIMARY KEY REFERENCES sub_accounts (id),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        stripe_customer_id text NOT NULL UNIQUE CHECK (length(stripe_customer_id) BETWEEN 1 AND 255),
        payment_method_id text CHECK (length(payment_method_id) BETWEEN 1 AND 255),
        card_brand text CHECK (length(card_brand) <= 40),
        card_last4 text CHECK (card_last4 ~ '^[0-9]{4}$'),
        card_exp_month integer CHECK (card_exp_month BETWEEN 1 AND 12),
        card_exp_year integer CHECK (card_exp_year BETWEEN 2000 AND 2200),
        payment_method_event_created bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((payment_method_id IS NULL) = (card_last4 IS NULL))
      )`);
    await q.query(`
      CREATE TABLE billing_payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        sub_account_id uuid NOT NULL REFERENCES sub_accounts (id),
        kind text NOT NULL CHECK (kind IN ('TOP_UP')),
        idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        request_sha256 bytea NOT NULL,
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        premium_price_micros bigint NOT NULL CHECK (premium_price_micros > 0),
        premium_markup_micros bigint NOT NULL CHECK (premium_markup_micros >= 0),
        sandbox boolean NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'REQUIRES_ACTION', 'SUCCEEDED', 'DECLINED', 'FAILED')),
        stripe_customer_id text,
        stripe_payment_method_id text,
        stripe_payment_intent_id text UNIQUE,
        client_secret text,
        last_error text CHECK (length(last_error) <= 500),
        wallet_transfer_id uuid UNIQUE REFERENCES ledger_transfers (id),
        profit_transfer_id uuid UNIQUE REFERENCES ledger_transfers (id),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (agency_id, idempotency_key),
        CHECK ((status = 'SUCCEEDED') = (wallet_transfer_id IS NOT NULL))
      )`);
    // The reconciliation job's scan: payments not settled yet.
    await q.query(`CREATE INDEX billing_payments_unsettled_idx ON billing_payments (updated_at) WHERE status IN ('PENDING', 'REQUIRES_ACTION')`);
    await q.query(`
      CREATE TABLE billing_webhook_events (
        event_id text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 255),
        type text NOT NULL,
        stripe_created bigint NOT NULL,
        payload jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz
      )`);
    await q.query(`CREATE INDEX billing_webhook_events_unprocessed_idx ON billing_webhook_events (received_at) WHERE processed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE billing_webhook_events`);
    await q.query(`DROP TABLE billing_payments`);
    await q.query(`DROP TABLE billing_customers`);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import type { SavedCard } from './payment-gateway';

type Queryable = Pick<EntityManager, 'query'>;

export type PaymentStatus = 'PENDING' | 'REQUIRES_ACTION' | 'SUCCEEDED' | 'DECLINED' | 'FAILED';

export interface PaymentRecord {
  id: string;
  agencyId: string;
  subAccountId: string;
  idempotencyKey: string;
  requestSha256: Buffer;
  amountCents: bigint;
  premiumPriceMicros: bigint;
  premiumMarkupMicros: bigint;
  sandbox: boolean;
  status: PaymentStatus;
  stripeCustomerId: string | null;
  stripePaymentMethodId: string | null;
  stripePaymentIntentId: string | null;
  clientSecret: string | null;
  lastError: string | null;
  walletTransferId: string | null;
  createdAt: Date;
}

export interface CustomerRecord {
  subAccountId: string;
  agencyId: string;
  stripeCustomerId: string;
  card: SavedCard | null;
}

function toPayment(row: Record<string, any>): PaymentRecord {
  return {
    id: row.id,
    agencyId: row.agency_id,
    subAccountId: row.sub_account_id,
    idempotencyKey: row.idempotency_key,
    requestSha256: row.request_sha256,
    amountCents: BigInt(row.amount_cents),
    premiumPriceMicros: BigInt(row.premium_price_micros),
    premiumMarkupMicros: BigInt(row.premium_markup_micros),
    sandbox: row.sandbox,
    status: row.status,
    stripeCustomerId: row.stripe_customer_id,
    stripePaymentMethodId: row.stripe_payment_method_id,
    stripePaymentIntentId: row.stripe_payment_intent_id,
    clientSecret: row.client_secret,
    lastError: row.last_error,
    walletTransferId: row.wallet_transfer_id,
    createdAt: row.created_at,
  };
}

function toCustomer(row: Record<string, any>): CustomerRecord {
  return {
    subAccountId: row.sub_account_id,
    agencyId: row.agency_id,
    stripeCustomerId: row.stripe_customer_id,
    card: row.payment_method_id
      ? { paymentMethodId: row.payment_method_id, brand: row.card_brand, last4: row.card_last4, expMonth: row.card_exp_month, expYear: row.card_exp_year }
      : null,
  };
}

/** All of the billing tables' SQL. */
export class BillingRepository {
  constructor(private readonly dataSource: DataSource) {}

  async customer(subAccountId: string, em: Queryable = this.dataSource): Promise<CustomerRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_customers WHERE sub_account_id = $1`, [subAccountId]);
    return row ? toCustomer(row) : undefined;
  }

  async customersOf(subAccountIds: readonly string[]): Promise<CustomerRecord[]> {
    const rows = await this.dataSource.query(`SELECT * FROM billing_customers WHERE sub_account_id = ANY($1)`, [[...subAccountIds]]);
    return rows.map(toCustomer);
  }

  /** Stores the sub-account's customer unless one was stored first (then that one is returned). */
  async insertCustomer(input: { subAccountId: string; agencyId: string; stripeCustomerId: string }): Promise<CustomerRecord> {
    await this.dataSource.query(
      `INSERT INTO billing_customers (sub_account_id, agency_id, stripe_customer_id) VALUES ($1, $2, $3) ON CONFLICT (sub_account_id) DO NOTHING`,
      [input.subAccountId, input.agencyId, input.stripeCustomerId],
    );
    return (await this.customer(input.subAccountId))!;
  }

  /**
   * Saves the card set by a Stripe event of `eventCreated`, unless a newer event already set
   * one (events arrive in any order). False when nothing was written.
   */
  async saveCard(em: Queryable, input: { stripeCustomerId: string; subAccountId: string; card: SavedCard; eventCreated: number }): Promise<boolean> {
    const rows = await em.query(
      `UPDATE billing_customers
          SET payment_method_id = $3, card_brand = $4, card_last4 = $5, card_exp_month = $6, card_exp_year = $7,
              payment_method_event_created = $8
        WHERE stripe_customer_id = $1 AND sub_account_id = $2
          AND (payment_method_event_created IS NULL OR payment_method_event_created <= $8)
        RETURNING sub_account_id`,
      [input.stripeCustomerId, input.subAccountId, input.card.paymentMethodId, input.card.brand.slice(0, 40), input.card.last4,
        input.card.expMonth, input.card.expYear, input.eventCreated],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    return Array.isArray(rows[0]) ? rows[0].length > 0 : rows.length > 0;
  }

  async paymentByKey(em: Queryable, agencyId: string, idempotencyKey: string): Promise<PaymentRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_payments WHERE agency_id = $1 AND idempotency_key = $2`, [agencyId, idempotencyKey]);
    return row ? toPayment(row) : undefined;
  }

  /** Inserts a new payment record, or returns undefined when its key was taken first (by a concurrent request). */
  async insertPayment(
    em: Queryable,
    input: Omit<PaymentRecord, 'id' | 'status' | 'stripePaymentIntentId' | 'clientSecret' | 'lastError' | 'walletTransferId' | 'createdAt'>,
  ): Promise<PaymentRecord | undefined> {
    const [row] = await em.query(
      `INSERT INTO billing_payments (agency_id, sub_account_id, kind, idempotency_key, request_sha256, amount_cents, premium_price_micros,
                                     premium_markup_micros, sandbox, status, stripe_customer_id, stripe_payment_method_id)
       VALUES ($1, $2, 'TOP_UP', $3, $4, $5, $6, $7, $8, 'PENDING', $9, $10)
       ON CONFLICT (agency_id, idempotency_key) DO NOTHING
       RETURNING *`,
      [input.agencyId, input.subAccountId, input.idempotencyKey, input.requestSha256, input.amountCents.toString(),
        input.premiumPriceMicros.toString(), input.premiumMarkupMicros.toString(), input.sandbox, input.stripeCustomerId,
        input.stripePaymentMethodId],
    );
    return row ? toPayment(row) : undefined;
  }

  async payment(id: string, em: Queryable = this.dataSource): Promise<PaymentRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_payments WHERE id = $1`, [id]);
    return row ? toPayment(row) : undefined;
  }

  /** The payment row, locked until the transaction ends: one settlement at a time. */
  async lockPayment(em: Queryable, id: string): Promise<PaymentRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_payments WHERE id = $1 FOR UPDATE`, [id]);
    return row ? toPayment(row) : undefined;
  }

  async paymentIdByIntent(em: Queryable, paymentIntentId: string): Promise<string | undefined> {
    const [row] = await em.query(`SELECT id FROM billing_payments WHERE stripe_payment_intent_id = $1`, [paymentIntentId]);
    return row?.id;
  }

  async updatePayment(
    em: Queryable,
    id: string,
    change: { status: PaymentStatus; stripePaymentIntentId?: string | null; clientSecret?: string | null; lastError?: string | null;
      walletTransferId?: string | null; profitTransferId?: string | null; attempted?: boolean },
  ): Promise<void> {
    await em.query(
      `UPDATE billing_payments
          SET status = $2,
              stripe_payment_intent_id = coalesce($3, stripe_payment_intent_id),
              client_secret = coalesce($4, client_secret),
              last_error = $5,
              wallet_transfer_id = coalesce($6, wallet_transfer_id),
              profit_transfer_id = coalesce($7, profit_transfer_id),
              attempts = attempts + $8,
              updated_at = now()
        WHERE id = $1`,
      [id, change.status, change.stripePaymentIntentId ?? null, change.clientSecret ?? null, change.lastError?.slice(0, 500) ?? null,
        change.walletTransferId ?? null, change.profitTransferId ?? null, change.attempted ? 1 : 0],
    );
  }

  /**
   * Payments not settled after `minAgeSeconds`: what a crash, a 5xx or a lost answer left
   * behind. One waiting for its customer's authentication (REQUIRES_ACTION) is asked about
   * at most hourly: the webhook normally settles it, and a customer may never come back.
   */
  async unsettledPaymentIds(minAgeSeconds: number, limit = 100): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM billing_payments
        WHERE (status = 'PENDING' AND updated_at <= now() - make_interval(secs => $1))
           OR (status = 'REQUIRES_ACTION' AND updated_at <= now() - make_interval(secs => greatest($1, 3600)))
        ORDER BY updated_at LIMIT $2`,
      [minAgeSeconds, limit],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  /** Records a received event id once; false when it was received before. */
  async recordEvent(input: { id: string; type: string; created: number; payload: unknown | null }): Promise<boolean> {
    const rows = await this.dataSource.query(
      `INSERT INTO billing_webhook_events (event_id, type, stripe_created, payload, processed_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $4::jsonb IS NULL THEN now() END)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [input.id, input.type, input.created, input.payload === null ? null : JSON.stringify(input.payload)],
    );
    return rows.length > 0;
  }

  async unprocessedEvent(eventId: string): Promise<{ id: string; type: string; created: number; object: Record<string, any> } | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT event_id, type, stripe_created, payload FROM billing_webhook_events WHERE event_id = $1 AND processed_at IS NULL`,
      [eventId],
    );
    return row ? { id: row.event_id, type: row.type, created: Number(row.stripe_created), object: row.payload } : undefined;
  }

  /** Locks the event for processing; false when another worker processed it first. */
  async claimEvent(em: Queryable, eventId: string): Promise<boolean> {
    const rows = await em.query(`SELECT 1 FROM billing_webhook_events WHERE event_id = $1 AND processed_at IS NULL FOR UPDATE`, [eventId]);
    return rows.length > 0;
  }

  async markEventProcessed(em: Queryable, eventId: string): Promise<void> {
    await em.query(`UPDATE billing_webhook_events SET processed_at = now(), payload = NULL WHERE event_id = $1`, [eventId]);
  }

  async unprocessedEventIds(minAgeSeconds: number, limit = 100): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT event_id FROM billing_webhook_events
        WHERE processed_at IS NULL AND received_at <= now() - make_interval(secs => $1) ORDER BY received_at LIMIT $2`,
      [minAgeSeconds, limit],
    );
    return rows.map((r: { event_id: string }) => r.event_id);
  }
}

import type { DataSource } from 'typeorm';
import type { SavedCard } from './payment-gateway';
import type { Queryable } from '../../db/queryable';
import { LedgerTransferEntity } from '../ledger/ledger.entities';

export type PaymentStatus = 'PENDING' | 'REQUIRES_ACTION' | 'SUCCEEDED' | 'DECLINED' | 'FAILED';

export type PaymentKind = 'TOP_UP' | 'AUTO_RECHARGE' | 'AUTO_ALLOCATION';

/** What a monthly auto allocation buys, fixed when its payment record is written (src/modules/auto-allocation/). */
export interface AllocationTerms {
  cycleStart: Date;
  basicMinutesUnits: bigint;
  basicPriceMicros: bigint;
  basicMarkupMicros: bigint;
  premiumMinutesUnits: bigint;
}

export interface PaymentRecord {
  id: string;
  kind: PaymentKind;
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
  profitTransferId: string | null;
  createdAt: Date;
  /** Refunds and disputes (payment-reversal.service.ts): what Stripe reported refunded, and what the ledger holds reversed. */
  refundedCents: bigint;
  reversedCents: bigint;
  reversedProfitMicros: bigint;
  reversalPostings: number;
  /** Only for AUTO_ALLOCATION (the Premium price and markup are the record's premium fields). */
  allocation?: AllocationTerms | null;
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
    kind: row.kind,
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
    profitTransferId: row.profit_transfer_id,
    createdAt: row.created_at,
    refundedCents: BigInt(row.refunded_cents),
    reversedCents: BigInt(row.reversed_cents),
    reversedProfitMicros: BigInt(row.reversed_profit_micros),
    reversalPostings: row.reversal_postings,
    allocation: row.allocation_cycle_start
      ? {
        cycleStart: row.allocation_cycle_start, basicMinutesUnits: BigInt(row.basic_minutes_units), basicPriceMicros: BigInt(row.basic_price_micros),
        basicMarkupMicros: BigInt(row.basic_markup_micros), premiumMinutesUnits: BigInt(row.premium_minutes_units),
      }
      : null,
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

  /**
   * Inserts a new payment record, or returns undefined when its key was taken first (by a
   * concurrent request), or, for an auto-recharge, when one is already in flight for the wallet.
   */
  async insertPayment(
    em: Queryable,
    input: Omit<PaymentRecord, 'id' | 'status' | 'stripePaymentIntentId' | 'clientSecret' | 'lastError' | 'walletTransferId' | 'profitTransferId'
      | 'createdAt' | 'refundedCents' | 'reversedCents' | 'reversedProfitMicros' | 'reversalPostings'>,
  ): Promise<PaymentRecord | undefined> {
    const [row] = await em.query(
      `INSERT INTO billing_payments (agency_id, sub_account_id, kind, idempotency_key, request_sha256, amount_cents, premium_price_micros,
                                     premium_markup_micros, sandbox, status, stripe_customer_id, stripe_payment_method_id,
                                     allocation_cycle_start, basic_minutes_units, basic_price_micros, basic_markup_micros, premium_minutes_units)
       VALUES ($1, $2, $11, $3, $4, $5, $6, $7, $8, 'PENDING', $9, $10, $12, $13, $14, $15, $16)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [input.agencyId, input.subAccountId, input.idempotencyKey, input.requestSha256, input.amountCents.toString(),
        input.premiumPriceMicros.toString(), input.premiumMarkupMicros.toString(), input.sandbox, input.stripeCustomerId,
        input.stripePaymentMethodId, input.kind, input.allocation?.cycleStart ?? null, input.allocation?.basicMinutesUnits.toString() ?? null,
        input.allocation?.basicPriceMicros.toString() ?? null, input.allocation?.basicMarkupMicros.toString() ?? null,
        input.allocation?.premiumMinutesUnits.toString() ?? null],
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

  // ---- auto-recharge -------------------------------------------------------------------

  async autoRecharge(subAccountId: string, em: Queryable = this.dataSource): Promise<AutoRechargeSettings | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_auto_recharges WHERE sub_account_id = $1`, [subAccountId]);
    return row ? toSettings(row) : undefined;
  }

  async autoRechargesOf(subAccountIds: readonly string[]): Promise<AutoRechargeSettings[]> {
    const rows = await this.dataSource.query(`SELECT * FROM billing_auto_recharges WHERE sub_account_id = ANY($1)`, [[...subAccountIds]]);
    return rows.map(toSettings);
  }

  /** Saves the settings; enabling (again) starts the failure count afresh. */
  async saveAutoRecharge(em: Queryable, input: Omit<AutoRechargeSettings, 'consecutiveFailures' | 'lastError'>): Promise<void> {
    await em.query(
      `INSERT INTO billing_auto_recharges (sub_account_id, agency_id, enabled, threshold_micros, recharge_amount_micros, monthly_cap_micros)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sub_account_id) DO UPDATE
          SET enabled = EXCLUDED.enabled, threshold_micros = EXCLUDED.threshold_micros,
              recharge_amount_micros = EXCLUDED.recharge_amount_micros, monthly_cap_micros = EXCLUDED.monthly_cap_micros,
              consecutive_failures = CASE WHEN EXCLUDED.enabled THEN 0 ELSE billing_auto_recharges.consecutive_failures END,
              last_error = CASE WHEN EXCLUDED.enabled THEN NULL ELSE billing_auto_recharges.last_error END,
              updated_at = now()`,
      [input.subAccountId, input.agencyId, input.enabled, input.thresholdMicros.toString(), input.rechargeAmountMicros.toString(),
        input.monthlyCapMicros?.toString() ?? null],
    );
  }

  /** The settings, locked until the transaction ends: one decision to recharge a wallet at a time. */
  async lockAutoRecharge(em: Queryable, subAccountId: string): Promise<AutoRechargeSettings | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_auto_recharges WHERE sub_account_id = $1 FOR UPDATE`, [subAccountId]);
    return row ? toSettings(row) : undefined;
  }

  /** Cents of this sub-account's auto-recharges in the calendar month (UTC) of `at` that took or may take money. */
  async rechargedCentsInMonth(em: Queryable, subAccountId: string, at: Date): Promise<bigint> {
    const [row] = await em.query(
      `SELECT coalesce(sum(amount_cents), 0)::text AS cents FROM billing_payments
        WHERE sub_account_id = $1 AND kind = 'AUTO_RECHARGE' AND status IN ('PENDING', 'REQUIRES_ACTION', 'SUCCEEDED')
          AND created_at >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
      [subAccountId, at],
    );
    return BigInt(row.cents);
  }

  /** The ledger transfer a settled payment credited its wallet with. */
  creditedTransfer(payment: Pick<PaymentRecord, 'walletTransferId'>): Promise<LedgerTransferEntity> {
    return this.dataSource.getRepository(LedgerTransferEntity).findOneByOrFail({ id: payment.walletTransferId! });
  }

  async walletBalance(em: Queryable, subAccountId: string): Promise<bigint> {
    const [row] = await em.query(
      `SELECT a.balance_micros FROM wallets w JOIN ledger_accounts a ON a.id = w.id WHERE w.sub_account_id = $1`,
      [subAccountId],
    );
    return BigInt(row.balance_micros);
  }

  /** Enabled auto-recharges of active sub-accounts whose wallet is below the threshold and has none in flight. */
  async walletsToRecharge(limit = 500): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT r.sub_account_id FROM billing_auto_recharges r
         JOIN sub_accounts s ON s.id = r.sub_account_id AND s.status = 'ACTIVE'
         JOIN wallets w ON w.sub_account_id = r.sub_account_id
         JOIN ledger_accounts a ON a.id = w.id
        WHERE r.enabled AND a.balance_micros < r.threshold_micros
          AND NOT EXISTS (SELECT 1 FROM billing_payments p WHERE p.sub_account_id = r.sub_account_id AND p.kind = 'AUTO_RECHARGE' AND p.status = 'PENDING')
        LIMIT $1`,
      [limit],
    );
    return rows.map((r: { sub_account_id: string }) => r.sub_account_id);
  }

  /**
   * Counts a recharge's outcome: success resets the failures; a failure adds one and, at
   * `maxFailures`, disables the recharge. True when this call disabled it.
   */
  async recordRechargeOutcome(em: Queryable, subAccountId: string, failure: string | null, maxFailures: number): Promise<boolean> {
    const rows = await em.query(
      `UPDATE billing_auto_recharges
          SET consecutive_failures = CASE WHEN $2::text IS NULL THEN 0 ELSE consecutive_failures + 1 END,
              last_error = $2, enabled = enabled AND ($2::text IS NULL OR consecutive_failures + 1 < $3), updated_at = now()
        WHERE sub_account_id = $1
        RETURNING enabled, consecutive_failures`,
      [subAccountId, failure?.slice(0, 500) ?? null, maxFailures],
    );
    const updated = Array.isArray(rows[0]) ? rows[0][0] : rows[0];
    return failure !== null && updated !== undefined && !updated.enabled && updated.consecutive_failures === maxFailures;
  }
}

export interface AutoRechargeSettings {
  subAccountId: string;
  agencyId: string;
  enabled: boolean;
  thresholdMicros: bigint;
  rechargeAmountMicros: bigint;
  monthlyCapMicros: bigint | null;
  consecutiveFailures: number;
  lastError: string | null;
}

function toSettings(row: Record<string, any>): AutoRechargeSettings {
  return {
    subAccountId: row.sub_account_id,
    agencyId: row.agency_id,
    enabled: row.enabled,
    thresholdMicros: BigInt(row.threshold_micros),
    rechargeAmountMicros: BigInt(row.recharge_amount_micros),
    monthlyCapMicros: row.monthly_cap_micros === null ? null : BigInt(row.monthly_cap_micros),
    consecutiveFailures: row.consecutive_failures,
    lastError: row.last_error,
  };
}

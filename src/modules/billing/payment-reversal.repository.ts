import type { Queryable } from '../../db/queryable';

export interface DisputeState {
  stripeDisputeId: string;
  paymentId: string;
  agencyId: string;
  amountCents: bigint;
  status: string;
  reason: string | null;
  eventCreated: number;
}

/** The SQL of refunds and disputes: the payment's reversal columns and `billing_disputes`. Every caller holds the payment's row lock. */
export class PaymentReversalRepository {
  /** Stripe's `amount_refunded` is cumulative: the stored figure only ever rises, so a late or replayed event changes nothing. */
  async raiseRefunded(em: Queryable, paymentId: string, refundedCents: bigint): Promise<void> {
    await em.query(`UPDATE billing_payments SET refunded_cents = greatest(refunded_cents, $2), updated_at = now() WHERE id = $1`,
      [paymentId, refundedCents.toString()]);
  }

  async dispute(em: Queryable, stripeDisputeId: string): Promise<DisputeState | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_disputes WHERE stripe_dispute_id = $1`, [stripeDisputeId]);
    return row
      ? {
        stripeDisputeId: row.stripe_dispute_id, paymentId: row.payment_id, agencyId: row.agency_id, amountCents: BigInt(row.amount_cents),
        status: row.status, reason: row.reason, eventCreated: Number(row.event_created),
      }
      : undefined;
  }

  async saveDispute(em: Queryable, dispute: DisputeState): Promise<void> {
    await em.query(
      `INSERT INTO billing_disputes (stripe_dispute_id, payment_id, agency_id, amount_cents, status, reason, event_created)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (stripe_dispute_id) DO UPDATE
         SET amount_cents = excluded.amount_cents, status = excluded.status, reason = excluded.reason,
             event_created = excluded.event_created, updated_at = now()`,
      [dispute.stripeDisputeId, dispute.paymentId, dispute.agencyId, dispute.amountCents.toString(), dispute.status.slice(0, 64),
        dispute.reason?.slice(0, 200) ?? null, dispute.eventCreated],
    );
  }

  /** Cents of the payment that its disputes in one of `statuses` (those under which Stripe holds the funds) withdraw. */
  async disputedCents(em: Queryable, paymentId: string, statuses: readonly string[]): Promise<bigint> {
    const [row] = await em.query(
      `SELECT coalesce(sum(amount_cents), 0)::text AS cents FROM billing_disputes WHERE payment_id = $1 AND status = ANY($2)`,
      [paymentId, [...statuses]],
    );
    return BigInt(row.cents);
  }

  async transferAmount(em: Queryable, transferId: string): Promise<bigint> {
    const [row] = await em.query(`SELECT amount_micros::text AS amount FROM ledger_transfers WHERE id = $1`, [transferId]);
    return BigInt(row.amount);
  }

  async recordReversal(em: Queryable, paymentId: string, state: { reversedCents: bigint; reversedProfitMicros: bigint; postings: number }): Promise<void> {
    await em.query(
      `UPDATE billing_payments SET reversed_cents = $2, reversed_profit_micros = $3, reversal_postings = $4, updated_at = now() WHERE id = $1`,
      [paymentId, state.reversedCents.toString(), state.reversedProfitMicros.toString(), state.postings],
    );
  }
}

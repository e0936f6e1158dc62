import type { EntityManager } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { postTransfer, requestHash } from '../ledger/ledger.service';
import { agencyProfitAccount, systemAccount } from '../ledger/ledger.repository';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import type { BillingRepository, PaymentRecord } from './billing.repository';
import type { ChargeOutcome, WebhookEvent } from './payment-gateway';
import { PaymentReversalRepository } from './payment-reversal.repository';
import { disputeIsClosed, disputeStage, FUNDS_WITHDRAWN_STATUSES, reversalTarget } from './reversal-terms';
import { MICROS_PER_CENT } from './top-up-terms';
import { walletAccountOf } from '../wallet/wallet.repository';

/** Stripe's events about money taken back from a purchase; they reach this module through billing's one webhook. */
export const REVERSAL_EVENT_TYPES = [
  'charge.refunded',
  'charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated', 'charge.dispute.closed',
] as const;

/**
 * An event about a purchase this API has not settled yet (its charge's answer was lost and
 * the reconciliation has not run): nothing is written, the event stays unprocessed, and the
 * event sweep applies it once the payment is settled.
 */
export class PaymentNotSettled extends Error {
  constructor(paymentId: string) {
    super(`payment ${paymentId} is not settled yet; its refund or dispute is applied once it is`);
  }
}

/** What billing lends this module, inside the event's processing transaction. */
export interface ReversalContext {
  /**
   * Our payment for a PaymentIntent: by its id, else (its create's answer was lost) by the
   * metadata we sent, as Stripe itself reports them, never as the event's object does.
   */
  paymentOf(paymentIntentId: string): Promise<string | undefined>;
  /** Billing's settlement (locks in billing's order), for a charge Stripe reports paid before we learnt it. */
  settle(paymentId: string, outcome: ChargeOutcome): Promise<PaymentRecord>;
}

/**
 * Refunds and disputes (docs/payments.md, "Refunds and disputes"). Stripe reports them on
 * the charge (`amount_refunded`, cumulative) and on each dispute (its status: whether
 * Stripe holds the disputed funds). This module keeps what Stripe reported on the payment
 * and in `billing_disputes`, derives how much of the purchase the ledger must hold
 * reversed (`reversalTarget`), and books only the difference from what it already holds:
 * the wallet gives the money back (REFUND or DISPUTE, to PAYMENTS_IN, even below zero: the
 * money is gone from the platform) and the agency the profit it earned on it
 * (MARKUP_PROFIT, to PLATFORM_REVENUE, even below zero: it is netted from later payouts);
 * a dispute won brings both back. All of it under the payment's row lock, in the event's
 * one processing transaction: a duplicate, replayed, late or reordered event books nothing
 * twice, and the totals are exact whatever the order of arrival.
 */
export class PaymentReversalService {
  private readonly repository = new PaymentReversalRepository();

  constructor(private readonly payments: BillingRepository, private readonly logger?: Logger) {}

  async apply(em: EntityManager, event: WebhookEvent, context: ReversalContext): Promise<void> {
    const object = event.object;
    const intentId = idOf(object.payment_intent);
    const isRefund = event.type === 'charge.refunded';
    const paymentId = intentId ? await context.paymentOf(intentId) : undefined;
    if (!paymentId) return; // not a purchase of ours
    let payment = (await this.payments.payment(paymentId, em))!;
    if (payment.status !== 'SUCCEEDED' && isRefund && intentId && object.paid === true) {
      // A refunded charge was paid: settle it first (credit, then reverse), as the webhook of its success would have.
      payment = await context.settle(paymentId, { status: 'succeeded', paymentIntentId: intentId, amountReceivedCents: BigInt(object.amount_captured ?? object.amount ?? 0) });
    }
    if (payment.status !== 'SUCCEEDED') throw new PaymentNotSettled(paymentId);
    payment = (await this.payments.lockPayment(em, paymentId))!;
    if (isRefund) {
      const refundedCents = BigInt(object.amount_refunded ?? 0);
      if (refundedCents > payment.amountCents) {
        this.logger?.error('Stripe reports more refunded than the payment charged; not booked', { paymentId, refundedCents: refundedCents.toString() });
        return;
      }
      if (refundedCents <= payment.refundedCents) return; // a duplicate or an older snapshot of the charge
      await this.repository.raiseRefunded(em, paymentId, refundedCents);
      payment = { ...payment, refundedCents };
      if (await this.book(em, payment, 'REFUND', `Stripe refund on payment ${intentId}: ${refundedCents} of ${payment.amountCents} cents refunded`)) {
        await writeOutboxEvent(em, { type: EventType.PAYMENT_REFUNDED, agencyId: payment.agencyId, subAccountId: payment.subAccountId, refId: payment.id });
      }
      return;
    }
    await this.applyDispute(em, payment, object, event.created);
  }

  /** Stores the dispute's state unless a later one is stored, then books the change its funds make. */
  private async applyDispute(em: EntityManager, payment: PaymentRecord, dispute: Record<string, any>, created: number): Promise<void> {
    if (typeof dispute.id !== 'string' || typeof dispute.status !== 'string') return;
    const amountCents = BigInt(dispute.amount ?? 0);
    if (amountCents <= 0n || amountCents > payment.amountCents) {
      this.logger?.error('a dispute of another amount than its payment can hold; not booked', { paymentId: payment.id, disputeId: dispute.id });
      return;
    }
    const stored = await this.repository.dispute(em, dispute.id);
    if (stored && (stored.paymentId !== payment.id
      || stored.eventCreated > created || (stored.eventCreated === created && disputeStage(stored.status) > disputeStage(dispute.status)))) {
      return; // an older event delivered late: it never regresses a newer state
    }
    await this.repository.saveDispute(em, {
      stripeDisputeId: dispute.id, paymentId: payment.id, agencyId: payment.agencyId, amountCents, status: dispute.status,
      reason: typeof dispute.reason === 'string' ? dispute.reason : null, eventCreated: created,
    });
    await this.book(em, payment, 'DISPUTE', `Stripe dispute ${dispute.id} on payment ${payment.stripePaymentIntentId ?? payment.id} (${dispute.status})`);
    const event = { agencyId: payment.agencyId, subAccountId: payment.subAccountId, refId: payment.id };
    if (!stored) await writeOutboxEvent(em, { type: EventType.PAYMENT_DISPUTED, ...event });
    if (disputeIsClosed(dispute.status) && !(stored && disputeIsClosed(stored.status))) {
      await writeOutboxEvent(em, { type: EventType.PAYMENT_DISPUTE_CLOSED, ...event });
    }
  }

  /**
   * Books the difference between what the ledger holds reversed for the payment and what
   * it must hold now; true when the wallet gave money back. Keys number the postings of
   * the payment: a second posting of one step could not be written even without the lock.
   */
  private async book(em: EntityManager, payment: PaymentRecord, kind: 'REFUND' | 'DISPUTE', memo: string): Promise<boolean> {
    const profitMicros = payment.profitTransferId ? await this.repository.transferAmount(em, payment.profitTransferId) : 0n;
    const target = reversalTarget({
      amountCents: payment.amountCents, profitMicros, refundedCents: payment.refundedCents,
      disputedHeldCents: await this.repository.disputedCents(em, payment.id, FUNDS_WITHDRAWN_STATUSES),
    });
    const walletMicros = (target.reversedCents - payment.reversedCents) * MICROS_PER_CENT;
    const profitDelta = target.reversedProfitMicros - payment.reversedProfitMicros;
    if (walletMicros === 0n && profitDelta === 0n) return false;
    const postings = payment.reversalPostings + 1;
    const key = `system/payment/${payment.id}/reversal/${postings}`;
    if (walletMicros !== 0n) {
      const walletAccount = await walletAccountOf(em, payment.subAccountId);
      const outside = await systemAccount(em, 'PAYMENTS_IN');
      await postTransfer(em, {
        agencyId: payment.agencyId, kind,
        ...(walletMicros > 0n ? { debit: walletAccount, credit: outside } : { debit: outside, credit: walletAccount }),
        amountMicros: walletMicros > 0n ? walletMicros : -walletMicros,
        allowOverdraft: true, idempotencyKey: key, requestSha256: requestHash(kind, [payment.id, postings]),
        memo: walletMicros > 0n ? memo : `${memo}: returned`,
      });
    }
    if (profitDelta !== 0n) {
      const profit = await agencyProfitAccount(em, payment.agencyId);
      const revenue = await systemAccount(em, 'PLATFORM_REVENUE');
      await postTransfer(em, {
        agencyId: payment.agencyId, kind: 'MARKUP_PROFIT',
        ...(profitDelta > 0n ? { debit: profit, credit: revenue } : { debit: revenue, credit: profit }),
        amountMicros: profitDelta > 0n ? profitDelta : -profitDelta,
        allowOverdraft: true, idempotencyKey: `${key}/profit`, requestSha256: requestHash('MARKUP_PROFIT_REVERSAL', [payment.id, postings]),
        memo: profitDelta > 0n ? `Markup reversed: ${memo}` : `Markup restored: ${memo}`,
      });
    }
    await this.repository.recordReversal(em, payment.id, { ...target, postings });
    return walletMicros > 0n;
  }
}

/** A Stripe reference as an id: a string, or an expanded object's `id`. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return undefined;
}

import type { EntityManager } from 'typeorm';

/** Event types written to the outbox. */
export const EventType = {
  SUB_ACCOUNT_ADDED: 'SUB_ACCOUNT_ADDED',
  SUB_ACCOUNT_UPDATED: 'SUB_ACCOUNT_UPDATED',
  SUB_ACCOUNT_REMOVED: 'SUB_ACCOUNT_REMOVED',
  SUB_ACCOUNT_RESTORED: 'SUB_ACCOUNT_RESTORED',
  /** Written by the database functions ledger_post_batch / outbox_usage_debits. */
  BALANCE_CHANGED: 'BALANCE_CHANGED',
  USAGE_RECORDED: 'USAGE_RECORDED',
  LOW_BALANCE: 'LOW_BALANCE',
  BALANCE_DEPLETED: 'BALANCE_DEPLETED',
  BALANCE_RECOVERED: 'BALANCE_RECOVERED',
  /** Written by the health watcher and sweep (src/modules/health/health-monitor.ts) when a level changes. */
  HEALTH_CHANGED: 'HEALTH_CHANGED',
  /** Auto-recharge disabled after its 3rd consecutive failed charge (billing module). */
  AUTO_RECHARGE_FAILED: 'AUTO_RECHARGE_FAILED',
  /** A monthly auto allocation's charge failed (auto-allocation module); `ref_id` is the payment when there was one. */
  AUTO_ALLOCATION_FAILED: 'AUTO_ALLOCATION_FAILED',
  /** A payout reached the agency's Connect account (payout module); `ref_id` is the payout. */
  PAYOUT_PAID: 'PAYOUT_PAID',
  /** Stripe refunded (part of) a purchase: the wallet and the earned profit gave it back (billing module); `ref_id` is the payment. */
  PAYMENT_REFUNDED: 'PAYMENT_REFUNDED',
  /** A cardholder disputed a purchase (billing module; respond in Stripe's dashboard); `ref_id` is the payment. */
  PAYMENT_DISPUTED: 'PAYMENT_DISPUTED',
  /** A dispute was closed (won: the money came back; lost: it stays reversed); `ref_id` is the payment. */
  PAYMENT_DISPUTE_CLOSED: 'PAYMENT_DISPUTE_CLOSED',
  /** Internal: ends the streams opened with that key; never delivered. */
  API_KEY_REVOKED: 'API_KEY_REVOKED',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * Writes one event in the caller's transaction (`em` must be inside `dataSource.transaction`):
 * committed with the change or not at all. Listeners are woken after the commit by the
 * event hub (a TypeORM after-commit hook), never by a NOTIFY inside the transaction.
 */
export async function writeOutboxEvent(
  em: Pick<EntityManager, 'query'>,
  event: { type: EventType; agencyId: string | null; subAccountId?: string | null; refId?: string | null },
): Promise<void> {
  await em.query(`INSERT INTO outbox_events (type, agency_id, sub_account_id, ref_id) VALUES ($1, $2, $3, $4)`, [
    event.type, event.agencyId, event.subAccountId ?? null, event.refId ?? null,
  ]);
}

/**
 * The hook for usage ingestion: USAGE debits posted with the multi-row UPDATE of
 * `postUsageDebits` (which bypasses `ledger_post_batch`) get their BALANCE_CHANGED,
 * USAGE_RECORDED and threshold events from this call, made right after that UPDATE in the
 * same transaction, with the debits in posting order.
 */
export async function writeUsageDebitEvents(
  em: Pick<EntityManager, 'query'>,
  debits: ReadonlyArray<{ transferId: string; walletId: string; amountMicros: bigint }>,
): Promise<void> {
  if (debits.length === 0) return;
  await em.query(`SELECT outbox_usage_debits($1::uuid[], $2::uuid[], $3::bigint[])`, [
    debits.map((d) => d.transferId), debits.map((d) => d.walletId), debits.map((d) => d.amountMicros.toString()),
  ]);
}

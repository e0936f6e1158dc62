import type { EntityManager } from 'typeorm';
import { accrueMarkupProfit, postTransfer, requestHash } from '../ledger/ledger.service';
import { systemAccount, type AccountRef } from '../ledger/ledger.repository';
import type { PaymentRecord } from './billing.repository';
import { SANDBOX_MEMO } from './sandbox-gateway';
import { allocationCharge } from './allocation-terms';

/**
 * The ledger rows of a settled auto allocation, in the settlement's transaction (called by
 * BillingService.settleIn with the payment locked): one AUTO_ALLOCATION transfer per tier
 * bought, PAYMENTS_IN → the secondary's wallet, and the earned profit PLATFORM_REVENUE → the
 * agency. System keys per payment and tier: a second credit of one payment could not post.
 */
export async function creditAllocation(em: EntityManager, payment: PaymentRecord, wallet: AccountRef, paymentIntentId: string) {
  const allocation = payment.allocation!;
  const terms = allocationCharge(
    { minutesUnits: allocation.basicMinutesUnits, priceMicros: allocation.basicPriceMicros, markupMicros: allocation.basicMarkupMicros },
    { minutesUnits: allocation.premiumMinutesUnits, priceMicros: payment.premiumPriceMicros, markupMicros: payment.premiumMarkupMicros },
  );
  const memo = payment.sandbox ? SANDBOX_MEMO : `Monthly auto allocation, Stripe payment ${paymentIntentId}`;
  const key = `system/payment/${payment.id}`;
  const tiers = [
    { tier: 'BASIC' as const, amountMicros: terms.basicCreditMicros, minutesUnits: allocation.basicMinutesUnits },
    { tier: 'PREMIUM' as const, amountMicros: terms.premiumCreditMicros, minutesUnits: allocation.premiumMinutesUnits },
  ];
  let walletTransferId: string | undefined;
  for (const part of tiers) {
    if (part.amountMicros === 0n) continue;
    const posted = await postTransfer(em, {
      agencyId: payment.agencyId,
      kind: 'AUTO_ALLOCATION',
      debit: await systemAccount(em, 'PAYMENTS_IN'),
      credit: wallet,
      amountMicros: part.amountMicros,
      tier: part.tier,
      minutesReceivedUnits: part.minutesUnits,
      idempotencyKey: `${key}/${part.tier.toLowerCase()}`,
      requestSha256: requestHash('AUTO_ALLOCATION', [payment.id, part.tier]),
      memo,
    });
    walletTransferId ??= posted.transfer.id;
  }
  const profit = await accrueMarkupProfit(em, {
    agencyId: payment.agencyId,
    amountMicros: terms.profitMicros,
    memo: payment.sandbox ? SANDBOX_MEMO : `Markup on monthly auto allocation, Stripe payment ${paymentIntentId}`,
    idempotencyKey: `${key}/profit`,
    requestSha256: requestHash('MARKUP_PROFIT', [payment.id]),
  });
  return { walletTransferId: walletTransferId!, profitTransferId: profit?.transfer.id ?? null };
}

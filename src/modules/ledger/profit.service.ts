import type { DataSource } from 'typeorm';
import { ProfitRepository } from './profit.repository';

/** Unpaid profit at which a payout is made: $100. */
export const PAYOUT_THRESHOLD_MICROS = 100_000_000n;

export interface AgencyProfitFigures {
  earnedMicros: bigint;
  paidOutMicros: bigint;
  pendingPayoutMicros: bigint;
  payoutThresholdMicros: bigint;
}

/**
 * The agency profit account: credited with markup on purchases (MARKUP_PROFIT), debited by
 * the markup of purchases refunded or disputed (MARKUP_PROFIT the other way: earned is net of
 * them, docs/payments.md "Refunds and disputes") and by payouts (PAYOUT rows to PAYOUTS_IN_FLIGHT, moved on to PAYOUTS_OUT when Stripe paid, or
 * back to the agency when it failed or was reversed). Earned and paid out follow the range;
 * pending is what is owed now, and earned − paid out − in flight = pending over all time.
 */
export class ProfitService {
  private readonly repository: ProfitRepository;

  constructor(dataSource: DataSource) {
    this.repository = new ProfitRepository(dataSource);
  }

  async figures(agencyId: string, range?: { from: Date; to: Date }): Promise<AgencyProfitFigures> {
    const sums = await this.repository.sums(agencyId, range);
    return {
      earnedMicros: sums.earnedMicros,
      paidOutMicros: sums.paidOutMicros,
      pendingPayoutMicros: sums.balanceMicros,
      payoutThresholdMicros: PAYOUT_THRESHOLD_MICROS,
    };
  }
}

import type { DataSource } from 'typeorm';

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
  constructor(private readonly dataSource: DataSource) {}

  async figures(agencyId: string, range?: { from: Date; to: Date }): Promise<AgencyProfitFigures> {
    const [row] = await this.dataSource.query(
      `SELECT a.balance_micros,
              (SELECT coalesce(sum(CASE WHEN t.credit_account_id = a.id THEN t.amount_micros ELSE -t.amount_micros END), 0)
                 FROM ledger_transfers t
                WHERE (t.credit_account_id = a.id AND t.kind <> 'PAYOUT' OR t.debit_account_id = a.id AND t.kind = 'MARKUP_PROFIT')
                  AND ($2::timestamptz IS NULL OR t.created_at >= $2) AND ($3::timestamptz IS NULL OR t.created_at < $3)) AS earned,
              (SELECT coalesce(sum(CASE WHEN t.credit_account_id = o.id THEN t.amount_micros ELSE -t.amount_micros END), 0)
                 FROM ledger_transfers t
                WHERE t.agency_id = a.agency_id AND t.kind = 'PAYOUT' AND (t.credit_account_id = o.id OR t.debit_account_id = o.id)
                  AND ($2::timestamptz IS NULL OR t.created_at >= $2) AND ($3::timestamptz IS NULL OR t.created_at < $3)) AS paid_out
         FROM ledger_accounts a
         CROSS JOIN (SELECT id FROM ledger_accounts WHERE type = 'PAYOUTS_OUT') o
        WHERE a.type = 'AGENCY_PROFIT' AND a.agency_id = $1`,
      [agencyId, range?.from ?? null, range?.to ?? null],
    );
    return {
      earnedMicros: BigInt(row?.earned ?? 0),
      paidOutMicros: BigInt(row?.paid_out ?? 0),
      pendingPayoutMicros: BigInt(row?.balance_micros ?? 0),
      payoutThresholdMicros: PAYOUT_THRESHOLD_MICROS,
    };
  }
}

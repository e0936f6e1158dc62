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
 * The agency profit account: credited with markup on purchases (MARKUP_PROFIT), debited
 * by payouts. Earned and paid out follow the range; pending is what is owed now.
 */
export class ProfitService {
  constructor(private readonly dataSource: DataSource) {}

  async figures(agencyId: string, range?: { from: Date; to: Date }): Promise<AgencyProfitFigures> {
    const [row] = await this.dataSource.query(
      `SELECT a.balance_micros,
              coalesce(sum(t.amount_micros) FILTER (WHERE t.credit_account_id = a.id), 0) AS earned,
              coalesce(sum(t.amount_micros) FILTER (WHERE t.debit_account_id = a.id), 0) AS paid_out
         FROM ledger_accounts a
         LEFT JOIN ledger_transfers t
           ON (t.credit_account_id = a.id OR t.debit_account_id = a.id)
          AND ($2::timestamptz IS NULL OR t.created_at >= $2) AND ($3::timestamptz IS NULL OR t.created_at < $3)
        WHERE a.type = 'AGENCY_PROFIT' AND a.agency_id = $1
        GROUP BY a.id, a.balance_micros`,
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

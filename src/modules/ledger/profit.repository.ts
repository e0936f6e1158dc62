import type { DataSource } from 'typeorm';

/** An agency's profit sums over a range (all time without one), from its profit account's ledger rows. */
export interface ProfitSums {
  earnedMicros: bigint;
  paidOutMicros: bigint;
  balanceMicros: bigint;
}

/** The SQL of agency profit (ProfitService holds what the figures mean). */
export class ProfitRepository {
  constructor(private readonly dataSource: DataSource) {}

  async sums(agencyId: string, range?: { from: Date; to: Date }): Promise<ProfitSums> {
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
      balanceMicros: BigInt(row?.balance_micros ?? 0),
    };
  }
}

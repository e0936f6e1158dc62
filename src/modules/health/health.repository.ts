import type { DataSource, EntityManager } from 'typeorm';
import { SubAccountEntity } from '../sub-account/sub-account.entity';

/** What health reads of a sub-account besides its usage figures. */
export interface HealthRow {
  balanceMicros: bigint;
  lastCallAt: Date | null;
}

/**
 * The SQL of the health module. Each function is one statement whatever the number of
 * sub-accounts: a dashboard page of 50 with their health costs the same as one.
 */
export class HealthRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /**
   * Balance now and start of the latest call, per sub-account. The latest call is the first
   * entry of `calls_sub_account_started_idx` (sub_account_id, started_at DESC): one index
   * probe each, never a scan of the calls.
   */
  async healthRows(subAccountIds: readonly string[]): Promise<Map<string, HealthRow>> {
    const rows: Array<{ sub_account_id: string; balance_micros: string; last_call_at: Date | null }> = await this.db.query(
      `SELECT w.sub_account_id, a.balance_micros, lc.started_at AS last_call_at
         FROM wallets w
         JOIN ledger_accounts a ON a.id = w.id
         LEFT JOIN LATERAL (
           SELECT c.started_at FROM calls c WHERE c.sub_account_id = w.sub_account_id
            ORDER BY c.started_at DESC, c.id DESC LIMIT 1) lc ON true
        WHERE w.sub_account_id = ANY($1::uuid[])`,
      [[...subAccountIds]],
    );
    return new Map(rows.map((r) => [r.sub_account_id, { balanceMicros: BigInt(r.balance_micros), lastCallAt: r.last_call_at }]));
  }

  /** The active sub-accounts (the primary included) of the agencies, oldest first. */
  activeSubAccounts(agencyIds: readonly string[]): Promise<SubAccountEntity[]> {
    return this.db
      .getRepository(SubAccountEntity)
      .createQueryBuilder('s')
      .where('s.agency_id = ANY(CAST(:agencyIds AS uuid[])) AND s.status = :status', { agencyIds: [...agencyIds], status: 'ACTIVE' })
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .getMany();
  }
}

import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { AgencyEntity } from '../modules/agency/agency.entity';
import { PlanEntity } from '../modules/plan/plan.entity';
import { SubAccountEntity } from '../modules/sub-account/sub-account.entity';
import { WalletEntity } from '../modules/wallet/wallet.entity';
import { LedgerAccountEntity, LedgerTransferEntity } from '../modules/ledger/ledger.entities';
import { createUsageLoaders } from '../modules/usage/usage.loaders';
import { createReportingLoaders } from '../modules/reporting/reporting.loaders';

/** Orders `rows` like `keys`, with undefined where a key has no row. */
function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): Array<V | undefined> {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

/**
 * One set per request (and per subscription event): caches never outlive the request,
 * so no viewer ever reads another's cached row and no read is stale across requests.
 * Loaders do not check tenancy; services and resolvers do before exposing a row.
 */
export function createLoaders(dataSource: DataSource) {
  return {
    agency: new DataLoader<string, AgencyEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(AgencyEntity).findBy({ id: In([...ids]) }), (a) => a.id),
    ),
    subAccount: new DataLoader<string, SubAccountEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(SubAccountEntity).findBy({ id: In([...ids]) }), (s) => s.id),
    ),
    primarySubAccount: new DataLoader<string, SubAccountEntity | undefined>(async (agencyIds) =>
      byKey(
        agencyIds,
        await dataSource.getRepository(SubAccountEntity).findBy({ agencyId: In([...agencyIds]), kind: 'PRIMARY' }),
        (s) => s.agencyId,
      ),
    ),
    activeSubAccountCount: new DataLoader<string, number>(async (agencyIds) => {
      const rows: Array<{ agency_id: string; count: string }> = await dataSource.query(
        `SELECT agency_id, count(*) AS count FROM sub_accounts
          WHERE agency_id = ANY($1) AND status = 'ACTIVE' GROUP BY agency_id`,
        [[...agencyIds]],
      );
      const counts = new Map(rows.map((r) => [r.agency_id, Number(r.count)]));
      return agencyIds.map((id) => counts.get(id) ?? 0);
    }),
    walletBySubAccount: new DataLoader<string, WalletEntity | undefined>(async (subAccountIds) =>
      byKey(
        subAccountIds,
        await dataSource.getRepository(WalletEntity).findBy({ subAccountId: In([...subAccountIds]) }),
        (w) => w.subAccountId,
      ),
    ),
    wallet: new DataLoader<string, WalletEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(WalletEntity).findBy({ id: In([...ids]) }), (w) => w.id),
    ),
    /** Wallet balances live in their ledger accounts (same id as the wallet). */
    ledgerAccount: new DataLoader<string, LedgerAccountEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(LedgerAccountEntity).findBy({ id: In([...ids]) }), (a) => a.id),
    ),
    transfer: new DataLoader<string, LedgerTransferEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(LedgerTransferEntity).findBy({ id: In([...ids]) }), (t) => t.id),
    ),
    /** Plans are a handful of seeded rows: one query loads them all for the request. */
    plan: new DataLoader<string, PlanEntity | undefined>(async (codes) =>
      byKey(codes, await dataSource.getRepository(PlanEntity).find(), (p) => p.code),
    ),
    ...createUsageLoaders(dataSource),
    ...createReportingLoaders(dataSource),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

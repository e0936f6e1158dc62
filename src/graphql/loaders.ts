import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { AgencyEntity } from '../modules/agency/agency.entity';
import type { PlanEntity } from '../modules/plan/plan.entity';
import { planCatalog } from '../modules/plan/plan-catalog';
import { SubAccountEntity } from '../modules/sub-account/sub-account.entity';
import { WalletEntity } from '../modules/wallet/wallet.entity';
import { LedgerAccountEntity, LedgerTransferEntity } from '../modules/ledger/ledger.entities';
import { usageLoaders } from '../modules/usage/usage.loaders';
import { reportingLoaders } from '../modules/reporting/reporting.loaders';
import { healthLoaders } from '../modules/health/health.loaders';
import { statementLoaders } from '../modules/statement/statement.loaders';
import { billingLoaders } from '../modules/billing/billing.loaders';
import { subAccountLoaders } from '../modules/sub-account/sub-account.loaders';
import { payoutLoaders } from '../modules/payout/payout.loaders';
import { autoAllocationLoaders } from '../modules/auto-allocation/auto-allocation.loaders';

import { byKey } from '../shared/by-key';
import { PeekableLoader } from '../shared/peekable-loader';
import { queryPrepared } from '../db/prepared-statements';
import { lazyRecord } from '../shared/lazy-record';

/**
 * One set per request (and per subscription event): caches never outlive the request,
 * so no viewer ever reads another's cached row and no read is stale across requests.
 * Loaders do not check tenancy; services and resolvers do before exposing a row. Each is
 * built on first use (most requests use none or one of them).
 */
const LOADER_FACTORIES = {
  agency: (dataSource: DataSource) => new PeekableLoader<string, AgencyEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(AgencyEntity).findBy({ id: In([...ids]) }), (a) => a.id),
  ),
  subAccount: (dataSource: DataSource) => new PeekableLoader<string, SubAccountEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(SubAccountEntity).findBy({ id: In([...ids]) }), (s) => s.id),
  ),
  primarySubAccount: (dataSource: DataSource) => new PeekableLoader<string, SubAccountEntity | undefined>(async (agencyIds) =>
    byKey(
      agencyIds,
      await dataSource.getRepository(SubAccountEntity).findBy({ agencyId: In([...agencyIds]), kind: 'PRIMARY' }),
      (s) => s.agencyId,
    ),
  ),
  activeSubAccountCount: (dataSource: DataSource) => new DataLoader<string, number>(async (agencyIds) => {
    const rows = await queryPrepared<{ agency_id: string; count: string }>(
      dataSource,
      `SELECT agency_id, count(*) AS count FROM sub_accounts
        WHERE agency_id = ANY($1) AND status = 'ACTIVE' GROUP BY agency_id`,
      [[...agencyIds]],
    );
    const counts = new Map(rows.map((r) => [r.agency_id, Number(r.count)]));
    return agencyIds.map((id) => counts.get(id) ?? 0);
  }),
  walletBySubAccount: (dataSource: DataSource) => new PeekableLoader<string, WalletEntity | undefined>(async (subAccountIds) =>
    byKey(
      subAccountIds,
      await dataSource.getRepository(WalletEntity).findBy({ subAccountId: In([...subAccountIds]) }),
      (w) => w.subAccountId,
    ),
  ),
  wallet: (dataSource: DataSource) => new PeekableLoader<string, WalletEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(WalletEntity).findBy({ id: In([...ids]) }), (w) => w.id),
  ),
  /** Wallet balances live in their ledger accounts (same id as the wallet). */
  ledgerAccount: (dataSource: DataSource) => new PeekableLoader<string, LedgerAccountEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(LedgerAccountEntity).findBy({ id: In([...ids]) }), (a) => a.id),
  ),
  transfer: (dataSource: DataSource) => new DataLoader<string, LedgerTransferEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(LedgerTransferEntity).findBy({ id: In([...ids]) }), (t) => t.id),
  ),
  /** Plans are a handful of rows only migrations write: read from the process's catalog (plan-catalog.ts). */
  plan: (dataSource: DataSource) => new PeekableLoader<string, PlanEntity | undefined>(async (codes) =>
    byKey(codes, await planCatalog(dataSource), (p) => p.code),
  ),
  ...subAccountLoaders,
  ...usageLoaders,
  ...reportingLoaders,
  ...healthLoaders,
  ...statementLoaders,
  ...billingLoaders,
  ...payoutLoaders,
  ...autoAllocationLoaders,
};

export const createLoaders = lazyRecord<DataSource, typeof LOADER_FACTORIES>(LOADER_FACTORIES);

export type Loaders = ReturnType<typeof createLoaders>;

import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Health } from './health-rules';
import { assessHealth } from './health-assessment';
import { HealthRepository } from './health.repository';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';

/**
 * Per-request loaders of health (merged into `createLoaders`, built on first use); no tenancy
 * checks here. The health of any number of sub-accounts asked for in one tick costs two
 * statements (`assessHealth`).
 */
export const healthLoaders = {
  /** Keyed by sub-account id. "Now" is the batch's own instant, the same for every sub-account in it. */
  subAccountHealth: (dataSource: DataSource) => new DataLoader<string, Health>(async (ids) => {
    const healths = await assessHealth(dataSource, ids, new Date());
    return healths.map((health, i) => health ?? new Error(`sub-account ${ids[i]} has no wallet`));
  }),
  /** An agency's active sub-accounts, oldest first (Agency.health and subAccountsAtRisk share one read). */
  activeSubAccountsOfAgency: (dataSource: DataSource) => new DataLoader<string, SubAccountEntity[]>(async (agencyIds) => {
    const subs = await new HealthRepository(dataSource).activeSubAccounts(agencyIds);
    return agencyIds.map((agencyId) => subs.filter((s) => s.agencyId === agencyId));
  }),
};

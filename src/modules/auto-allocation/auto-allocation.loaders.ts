import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { AutoAllocationRepository, type AutoAllocationSettings } from './auto-allocation.repository';

/** Per-request loaders of the auto allocation module (merged into `createLoaders`); no tenancy checks here. */
export const autoAllocationLoaders = {
  /** Settings by sub-account id: one query for a page of sub-accounts. */
  autoAllocation: (dataSource: DataSource) => new DataLoader<string, AutoAllocationSettings | null>(async (subAccountIds) => {
    const rows = new Map((await new AutoAllocationRepository(dataSource).settingsOf(subAccountIds)).map((r) => [r.subAccountId, r]));
    return subAccountIds.map((id) => rows.get(id) ?? null);
  }),
};

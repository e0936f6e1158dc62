import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { SubAccountRepository, type SubAccountPageQuery, type SubAccountPageRows } from './sub-account.repository';

/** The same page asked twice reads once; the key is every part of the query. */
export const pageQueryKey = (query: SubAccountPageQuery): string =>
  JSON.stringify([query.agencyId, query.status ?? null, query.pattern ?? null, query.after ?? null, query.take]);

/** Per-request loaders of the sub-account module (merged into `createLoaders`); no tenancy checks here. */
export const subAccountLoaders = {
  /**
   * Pages of sub-accounts by their exact query: the `subAccounts` field reads here, and an
   * `agency(id)` that read its page ahead (agency-read-ahead.ts) primed it.
   */
  subAccountPage: (dataSource: DataSource) => {
    const repository = new SubAccountRepository(dataSource);
    return new DataLoader<SubAccountPageQuery, SubAccountPageRows, string>(
      (queries) => Promise.all(queries.map((query) => repository.page(query))),
      { cacheKeyFn: pageQueryKey },
    );
  },
};

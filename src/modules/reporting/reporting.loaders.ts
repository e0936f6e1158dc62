import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import { loadUsageFigures, type UsageFigures, type UsageScope } from './usage-figures';

/**
 * Per-request loaders of reports (merged into `createLoaders`). Every usage figure a
 * request asks for — any number of sub-accounts, each with its own range — is answered by
 * one SQL statement. No tenancy checks here: resolvers check before loading.
 */
export function createReportingLoaders(dataSource: DataSource) {
  return {
    usageFigures: new DataLoader<UsageScope, UsageFigures, string>((scopes) => loadUsageFigures(dataSource, scopes), {
      cacheKeyFn: (scope) => `${scope.subAccountId}|${scope.from.toISOString()}|${scope.to.toISOString()}`,
    }),
    /** Every sub-account of an agency, removed ones included: the primary first, then oldest first. */
    subAccountsOfAgency: new DataLoader<string, SubAccountEntity[]>(async (agencyIds) => {
      const rows = await dataSource
        .getRepository(SubAccountEntity)
        .find({ where: { agencyId: In([...agencyIds]) }, order: { kind: 'ASC', createdAt: 'ASC', id: 'ASC' } });
      return agencyIds.map((id) => rows.filter((row) => row.agencyId === id));
    }),
  };
}

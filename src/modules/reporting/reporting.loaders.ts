import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadAgencyUsage, type AgencyUsageKey, type SubAccountUsage } from './agency-usage';
import { loadUsageFigures, type UsageFigures, type UsageScope } from './usage-figures';

/**
 * Per-request loaders of reports (merged into `createLoaders`, built on first use). Every usage figure a
 * request asks for — any number of sub-accounts, each with its own range — is answered by
 * one SQL statement, and every agency-wide figure (sub-accounts, balances and figures of any
 * number of agencies) by one more. No tenancy checks here: resolvers check before loading.
 */
export const reportingLoaders = {
  usageFigures: (dataSource: DataSource) => new DataLoader<UsageScope, UsageFigures, string>((scopes) => loadUsageFigures(dataSource, scopes), {
    cacheKeyFn: (scope) => `${scope.subAccountId}|${scope.from.getTime()}|${scope.to.getTime()}`,
  }),
  /** Every sub-account of the agency (removed ones included) with its balance now and its figures over the range. */
  agencyUsage: (dataSource: DataSource) => new DataLoader<AgencyUsageKey, SubAccountUsage[], string>((keys) => loadAgencyUsage(dataSource, keys), {
    cacheKeyFn: (key) => `${key.agencyId}|${key.from.getTime()}|${key.to.getTime()}`,
  }),
};

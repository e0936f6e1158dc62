import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { StatementRepository, type StatementData, type StatementScope } from './statement.repository';

/**
 * Per-request loader of statements (merged into `createLoaders`, built on first use); no tenancy
 * checks here. Any number of statements asked for in one tick (a page of sub-accounts with their
 * current statement, or one sub-account's list of cycles) costs two statements.
 */
export const statementLoaders = {
  statement: (dataSource: DataSource) =>
    new DataLoader<StatementScope, StatementData, string>((scopes) => new StatementRepository(dataSource).load(scopes), {
      cacheKeyFn: (scope) => `${scope.subAccountId}|${scope.from.getTime()}|${scope.to.getTime()}`,
    }),
};

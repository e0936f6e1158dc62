import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { CallEntity } from './call.entity';
import { callFilterKey, CallRepository, type CallFilter } from './call.repository';
import { ScenarioEntity } from './scenario.entity';
import { MAX_SCENARIOS_PER_SUB_ACCOUNT } from './scenario.service';

import { byKey } from '../../shared/by-key';

/** Per-request loaders of the usage module (merged into `createLoaders`, built on first use); no tenancy checks here. */
export const usageLoaders = {
  scenario: (dataSource: DataSource) => new DataLoader<string, ScenarioEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(ScenarioEntity).findBy({ id: In([...ids]) }), (s) => s.id),
  ),
  /**
   * A sub-account's scenarios, oldest first, at most MAX_SCENARIOS_PER_SUB_ACCOUNT of each
   * (the number `SubAccount.scenarios` is costed at; creation refuses more, this holds even
   * if concurrent creates slipped one past).
   */
  scenariosOfSubAccount: (dataSource: DataSource) => new DataLoader<string, ScenarioEntity[]>(async (subAccountIds) => {
    const rows = await dataSource
      .getRepository(ScenarioEntity)
      .createQueryBuilder('s')
      .where(
        `s.id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY sub_account_id ORDER BY created_at, id) AS n
                   FROM scenarios WHERE sub_account_id = ANY(CAST(:ids AS uuid[]))) ranked WHERE ranked.n <= :max)`,
        { ids: [...subAccountIds], max: MAX_SCENARIOS_PER_SUB_ACCOUNT },
      )
      .orderBy('s.createdAt', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .getMany();
    return subAccountIds.map((id) => rows.filter((row) => row.subAccountId === id));
  }),
  /**
   * Calls of sub-accounts by filter: the sub-accounts of one request asked with the same
   * filter (a page of them, each showing its calls) are read in one statement.
   */
  callsOfSubAccount: (dataSource: DataSource) => {
    const repository = new CallRepository(dataSource);
    return new DataLoader<{ subAccountId: string; filter: CallFilter }, CallEntity[], string>(
      async (keys) => {
        const groups = new Map<string, { filter: CallFilter; ids: string[] }>();
        for (const { subAccountId, filter } of keys) {
          const key = callFilterKey(filter);
          const group = groups.get(key) ?? groups.set(key, { filter, ids: [] }).get(key)!;
          group.ids.push(subAccountId);
        }
        const loaded = new Map<string, Map<string, CallEntity[]>>();
        await Promise.all([...groups].map(async ([key, { filter, ids }]) => loaded.set(key, await repository.newestOf([...new Set(ids)], filter))));
        return keys.map(({ subAccountId, filter }) => loaded.get(callFilterKey(filter))!.get(subAccountId) ?? []);
      },
      { cacheKeyFn: ({ subAccountId, filter }) => `${subAccountId} ${callFilterKey(filter)}` },
    );
  },
  /** The call a usage debit recorded (USAGE_RECORDED events): by sub-account, recording instant and transfer. */
  callOfUsageDebit: (dataSource: DataSource) => {
    const repository = new CallRepository(dataSource);
    return new DataLoader<{ subAccountId: string; transferId: string; recordedAt: Date }, CallEntity | undefined, string>(
      (debits) => repository.byUsageDebits(debits),
      { cacheKeyFn: (debit) => `${debit.subAccountId}|${debit.transferId}` },
    );
  },
  call: (dataSource: DataSource) => new DataLoader<string, CallEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(CallEntity).findBy({ id: In([...ids]) }), (c) => c.id),
  ),
};

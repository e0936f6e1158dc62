import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { CallEntity } from './call.entity';
import { ScenarioEntity } from './scenario.entity';

import { byKey } from '../../shared/by-key';

/** Per-request loaders of the usage module (merged into `createLoaders`, built on first use); no tenancy checks here. */
export const usageLoaders = {
  scenario: (dataSource: DataSource) => new DataLoader<string, ScenarioEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(ScenarioEntity).findBy({ id: In([...ids]) }), (s) => s.id),
  ),
  /** A sub-account's scenarios, oldest first. */
  scenariosOfSubAccount: (dataSource: DataSource) => new DataLoader<string, ScenarioEntity[]>(async (subAccountIds) => {
    const rows = await dataSource
      .getRepository(ScenarioEntity)
      .find({ where: { subAccountId: In([...subAccountIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
    return subAccountIds.map((id) => rows.filter((row) => row.subAccountId === id));
  }),
  call: (dataSource: DataSource) => new DataLoader<string, CallEntity | undefined>(async (ids) =>
    byKey(ids, await dataSource.getRepository(CallEntity).findBy({ id: In([...ids]) }), (c) => c.id),
  ),
};

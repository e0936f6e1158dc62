import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { CallEntity } from './call.entity';
import { ScenarioEntity } from './scenario.entity';

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): Array<V | undefined> {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

/** Per-request loaders of the usage module (merged into `createLoaders`); no tenancy checks here. */
export function createUsageLoaders(dataSource: DataSource) {
  return {
    scenario: new DataLoader<string, ScenarioEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(ScenarioEntity).findBy({ id: In([...ids]) }), (s) => s.id),
    ),
    /** A sub-account's scenarios, oldest first. */
    scenariosOfSubAccount: new DataLoader<string, ScenarioEntity[]>(async (subAccountIds) => {
      const rows = await dataSource
        .getRepository(ScenarioEntity)
        .find({ where: { subAccountId: In([...subAccountIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
      return subAccountIds.map((id) => rows.filter((row) => row.subAccountId === id));
    }),
    call: new DataLoader<string, CallEntity | undefined>(async (ids) =>
      byKey(ids, await dataSource.getRepository(CallEntity).findBy({ id: In([...ids]) }), (c) => c.id),
    ),
  };
}

import type { EntityManager } from 'typeorm';
import { ScenarioEntity } from './scenario.entity';

/** The sub-account's scenario of that name, whatever its case (names are unique per sub-account that way). */
export function scenarioNamed(em: EntityManager, subAccountId: string, name: string): Promise<ScenarioEntity | null> {
  return em
    .createQueryBuilder(ScenarioEntity, 'c')
    .where('c.sub_account_id = :subAccountId AND lower(c.name) = lower(:name)', { subAccountId, name })
    .getOne();
}

export function countScenarios(em: EntityManager, subAccountId: string): Promise<number> {
  return em.countBy(ScenarioEntity, { subAccountId });
}

export function insertScenario(em: EntityManager, subAccountId: string, name: string): Promise<ScenarioEntity> {
  return em.save(em.create(ScenarioEntity, { subAccountId, name }));
}

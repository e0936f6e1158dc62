import type { DataSource, EntityManager } from 'typeorm';
import { PlanEntity } from './plan.entity';

/** The plan of a code, in the caller's transaction (a plan change or an add reads it with the agency locked). */
export async function findPlan(em: EntityManager, code: string): Promise<PlanEntity | null> {
  return em.findOneBy(PlanEntity, { code });
}

/** The price list, in its display order, `take` plans at most. */
export function listPlans(dataSource: DataSource, take: number): Promise<PlanEntity[]> {
  return dataSource.getRepository(PlanEntity).find({ order: { sortOrder: 'ASC' }, take });
}

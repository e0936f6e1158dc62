import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../../shared/domain-error';
import { PlanEntity } from './plan.entity';

export async function findPlanOrThrow(em: EntityManager, code: string, field: string[]): Promise<PlanEntity> {
  // Only a code's shape reaches SQL: a NUL in a text parameter would fail the query as a server error.
  const plan = typeof code === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(code) ? await em.findOneBy(PlanEntity, { code }) : null;
  if (!plan) throw new DomainError(ErrorCode.UNKNOWN_PLAN, `There is no plan "${String(code).slice(0, 64)}"`, field);
  return plan;
}

/** Whether `activeCount` sub-accounts (primary included) fit the plan's cap. */
export function fitsPlan(plan: Pick<PlanEntity, 'subAccountLimit'>, activeCount: number): boolean {
  return plan.subAccountLimit === null || activeCount <= plan.subAccountLimit;
}

/** The price list is short: `plans` answers at most this many (the cost limit counts them). */
export const MAX_PLANS = 20;

export class PlanService {
  constructor(private readonly dataSource: DataSource) {}

  /** Plans are public to every authenticated caller: they are the price list. */
  list(): Promise<PlanEntity[]> {
    return this.dataSource.getRepository(PlanEntity).find({ order: { sortOrder: 'ASC' }, take: MAX_PLANS });
  }
}

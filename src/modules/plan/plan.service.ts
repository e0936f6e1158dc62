import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '../../shared/domain-error';
import type { PlanEntity } from './plan.entity';
import { findPlan, listPlans } from './plan.repository';

export async function findPlanOrThrow(em: EntityManager, code: string, field: string[]): Promise<PlanEntity> {
  // Only a code's shape reaches SQL: a NUL in a text parameter would fail the query as a server error.
  const plan = typeof code === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(code) ? await findPlan(em, code) : null;
  if (!plan) throw new DomainError(ErrorCode.UNKNOWN_PLAN, `There is no plan "${String(code).slice(0, 64)}"`, field);
  return plan;
}

/** Whether `activeCount` sub-accounts (primary included) fit the plan's cap. */
export function fitsPlan(plan: Pick<PlanEntity, 'subAccountLimit'>, activeCount: number): boolean {
  return plan.subAccountLimit === null || activeCount <= plan.subAccountLimit;
}

/** The price list is short: `plans` answers at most this many (the cost limit counts them). */
export const MAX_PLANS = 20;

/**
 * Whether `changeAgencyPlan` may move an agency now on `currentPlanCode` to `target`: never
 * onto a legacy plan, whoever asks (its monthly grants are for the partners migrated onto
 * it by `createAgency`). Asking for the plan the agency is already on moves nothing, so a
 * legacy agency re-saving its settings is not refused.
 */
export function canChangeToPlan(target: Pick<PlanEntity, 'code' | 'legacy'>, currentPlanCode: string): boolean {
  return !target.legacy || target.code === currentPlanCode;
}

export const planNotAvailable = (plan: Pick<PlanEntity, 'name'>, field: string[]) =>
  new DomainError(
    ErrorCode.PLAN_NOT_AVAILABLE,
    `${plan.name} is a legacy plan: no agency can be moved onto it; choose a current plan`,
    field,
  );

export class PlanService {
  constructor(private readonly dataSource: DataSource) {}

  /** Plans are public to every authenticated caller: they are the price list. */
  list(): Promise<PlanEntity[]> {
    return listPlans(this.dataSource, MAX_PLANS);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import type { Keyset } from '../../shared/pagination';
import { PlanEntity } from '../plan/plan.entity';
import { AgencyEntity } from './agency.entity';

/** The agency by id, unlocked, in the caller's transaction. */
export function findAgency(em: EntityManager, id: string): Promise<AgencyEntity | null> {
  return em.findOneBy(AgencyEntity, { id });
}

/** The agency and its plan, which price its minutes (both exist: the agency's plan is a foreign key). */
export async function agencyWithPlan(em: EntityManager, agencyId: string): Promise<{ agency: AgencyEntity; plan: PlanEntity }> {
  const agency = await em.findOneByOrFail(AgencyEntity, { id: agencyId });
  const plan = await em.findOneByOrFail(PlanEntity, { code: agency.planCode });
  return { agency, plan };
}

/** The agency row locked for the rest of the transaction (FOR UPDATE): adds, restores and plan changes serialize on it. */
export function lockAgency(em: EntityManager, id: string): Promise<AgencyEntity | null> {
  return em.createQueryBuilder(AgencyEntity, 'a').setLock('pessimistic_write').where('a.id = :id', { id }).getOne();
}

export function insertAgency(
  em: EntityManager,
  fields: Pick<AgencyEntity, 'name' | 'planCode' | 'planStartedAt' | 'defaultMarkupBasicMicros' | 'defaultMarkupPremiumMicros'>,
): Promise<AgencyEntity> {
  return em.save(em.create(AgencyEntity, fields));
}

/** Writes the agency's changed columns (its row is locked by the caller). */
export function saveAgency(em: EntityManager, agency: AgencyEntity): Promise<AgencyEntity> {
  return em.save(agency);
}

/** Agencies outside a transaction. */
export class AgencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: string): Promise<AgencyEntity | null> {
    return findAgency(this.dataSource.manager, id);
  }

  exists(id: string): Promise<boolean> {
    return this.dataSource.getRepository(AgencyEntity).existsBy({ id });
  }

  /** Oldest first after `after`, `take` at most, and how many agencies there are in all. */
  async page(after: Keyset | undefined, take: number): Promise<{ rows: AgencyEntity[]; totalCount: number }> {
    const query = this.dataSource.getRepository(AgencyEntity).createQueryBuilder('a');
    const totalCount = await query.clone().getCount();
    if (after) query.where('(a.created_at, a.id) > (:createdAt, :id)', after);
    const rows = await query.orderBy('a.created_at', 'ASC').addOrderBy('a.id', 'ASC').take(take).getMany();
    return { rows, totalCount };
  }
}

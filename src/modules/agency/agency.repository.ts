import type { DataSource, EntityManager } from 'typeorm';
import type { Keyset } from '../../shared/pagination';
import { AgencyEntity } from './agency.entity';

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

  async findById(id: string): Promise<AgencyEntity | null> {
    return this.dataSource.getRepository(AgencyEntity).findOneBy({ id });
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

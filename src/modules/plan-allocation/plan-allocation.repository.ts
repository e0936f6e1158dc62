import type { DataSource, EntityManager } from 'typeorm';
import { AgencyEntity } from '../agency/agency.entity';
import { PlanEntity } from '../plan/plan.entity';
import { SubAccountEntity } from '../sub-account/sub-account.entity';

/** The SQL of the monthly plan allocation job (plan-allocation.service.ts holds the rules). */

/** Agencies on a plan that includes minutes every month (the job's work list, read without locks). */
export function agenciesWithMonthlyMinutes(dataSource: DataSource): Promise<AgencyEntity[]> {
  return dataSource
    .getRepository(AgencyEntity)
    .createQueryBuilder('a')
    .innerJoin(PlanEntity, 'p', 'p.code = a.plan_code')
    .where('p.included_minutes_monthly')
    .getMany();
}

/** The agency re-read under a share lock (its plan or markups may have changed since the listing), with its plan. */
export async function shareLockAgencyWithPlan(em: EntityManager, agencyId: string): Promise<{ agency: AgencyEntity; plan: PlanEntity } | undefined> {
  const agency = await em.createQueryBuilder(AgencyEntity, 'a').setLock('pessimistic_read').where('a.id = :id', { id: agencyId }).getOne();
  const plan = agency && (await em.findOneBy(PlanEntity, { code: agency.planCode }));
  return agency && plan ? { agency, plan } : undefined;
}

/**
 * The agency's ACTIVE sub-accounts with their wallet ids, share-locked, so a removal (which
 * sweeps the wallet) either waits for the grant and sweeps it, or goes first and the
 * re-checked status skips the removed sub-account: no grant is stranded. A racing restore is
 * either committed (the job reads its new active_since) or not yet (the row is still
 * REMOVED). Wallet-id order is the order postings take ledger rows in: racing runs and
 * batches queue, never deadlock.
 */
export function shareLockActiveWithWallets(em: EntityManager, agencyId: string): Promise<Array<SubAccountEntity & { walletId: string }>> {
  return em
    .getRepository(SubAccountEntity)
    .createQueryBuilder('s')
    .innerJoin('wallets', 'w', 'w.sub_account_id = s.id')
    .addSelect('w.id', 'walletId')
    .where(`s.agency_id = :agencyId AND s.status = 'ACTIVE'`, { agencyId })
    .orderBy('w.id')
    .setLock('pessimistic_read', undefined, ['s'])
    .getRawAndEntities()
    .then(({ entities, raw }) => entities.map((e, i) => Object.assign(e, { walletId: raw[i].walletId as string })));
}

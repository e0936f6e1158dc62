import type { DataSource, EntityManager } from 'typeorm';
import type { AgencyEntity } from '../agency/agency.entity';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import { postTransfer, requestHash, type PostedTransfer } from '../ledger/ledger.service';
import { systemAccount } from '../ledger/ledger.repository';
import type { PlanEntity } from '../plan/plan.entity';
import { minutePriceMicros, type MinuteTier } from '../pricing/pricing';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { agenciesWithMonthlyMinutes, shareLockActiveWithWallets, shareLockAgencyWithPlan } from './plan-allocation.repository';
import type { WalletEntity } from '../wallet/wallet.entity';
import { monthlyGrantMinutes, planGrantFigures } from './plan-grant';

/**
 * Plan allocations: minutes the platform grants, valued at the plan's base price whatever
 * the receiving wallet pays (plan-grant.ts). Keys are derived from the grant itself (the
 * cycle and the sub-account), so running the job twice, or on two replicas at once, grants
 * once: the second insert meets the unique key and replays. Keys contain "/", which client
 * keys may not, so no client key can collide with them.
 */
export function allocationKey(scope: string, subAccountId: string, tier: MinuteTier): string {
  return `system/plan-allocation/${scope}/${subAccountId}/${tier}`;
}

async function grantMinutes(
  em: EntityManager,
  input: {
    agencyId: string;
    plan: PlanEntity;
    walletId: string;
    tier: MinuteTier;
    minutes: number;
    walletPriceMicros: bigint;
    key: string;
  },
): Promise<PostedTransfer | undefined> {
  if (input.minutes <= 0) return undefined;
  const figures = planGrantFigures(input.plan, input.tier, input.minutes, input.walletPriceMicros);
  return postTransfer(em, {
    agencyId: input.agencyId,
    kind: 'PLAN_ALLOCATION',
    debit: await systemAccount(em, 'PLATFORM_GRANTS'),
    credit: { id: input.walletId, type: 'WALLET' },
    amountMicros: figures.amountMicros,
    tier: input.tier,
    minutesSentUnits: figures.minutesSentUnits,
    minutesReceivedUnits: figures.minutesReceivedUnits,
    idempotencyKey: input.key,
    // Terms that identify the grant; prices are left out so a later markup change never makes a rerun conflict.
    requestSha256: requestHash('PLAN_ALLOCATION', [input.walletId, input.tier, input.minutes]),
    memo: 'Plan included minutes',
  });
}

/** At agency creation: the plan's included minutes to the primary, once (or for the first cycle on a monthly plan). */
export async function grantIncludedMinutes(
  em: EntityManager,
  input: { agency: AgencyEntity; plan: PlanEntity; primary: SubAccountEntity; wallet: WalletEntity; at: Date },
): Promise<void> {
  const { agency, plan, primary, wallet } = input;
  const scope = plan.includedMinutesMonthly ? billingCycleAt(agency.planStartedAt, input.at).start.toISOString() : 'initial';
  for (const [tier, minutes] of [['BASIC', plan.includedBasicMinutes], ['PREMIUM', plan.includedPremiumMinutes]] as const) {
    await grantMinutes(em, {
      agencyId: agency.id,
      plan,
      walletId: wallet.id,
      tier,
      minutes,
      walletPriceMicros: minutePriceMicros(plan, agency, primary, tier),
      key: allocationKey(scope, primary.id, tier),
    });
  }
}

export interface AllocationRunResult {
  agencies: number;
  granted: number;
  alreadyGranted: number;
}

/**
 * The monthly job: for every agency on a plan with monthly minutes (PARTNER_LEGACY), the
 * current cycle's grant to the primary (2,000 Premium minutes) and to each secondary active
 * since the cycle's start (200), as `monthlyGrantMinutes` decides. One transaction per
 * agency; safe to run any number of times.
 */
export async function runMonthlyAllocations(dataSource: DataSource, at: Date): Promise<AllocationRunResult> {
  const result: AllocationRunResult = { agencies: 0, granted: 0, alreadyGranted: 0 };
  const agencies = await agenciesWithMonthlyMinutes(dataSource);
  for (const agencyRow of agencies) {
    await dataSource.transaction(async (em) => {
      const locked = await shareLockAgencyWithPlan(em, agencyRow.id);
      if (!locked?.plan.includedMinutesMonthly) return;
      const { agency, plan } = locked;
      result.agencies += 1;
      const cycle = billingCycleAt(agency.planStartedAt, at);
      const subs = await shareLockActiveWithWallets(em, agency.id);
      for (const sub of subs) {
        const posted = await grantMinutes(em, {
          agencyId: agency.id,
          plan,
          walletId: sub.walletId,
          tier: 'PREMIUM',
          minutes: monthlyGrantMinutes(plan, sub, cycle.start, at),
          walletPriceMicros: minutePriceMicros(plan, agency, sub, 'PREMIUM'),
          key: allocationKey(cycle.start.toISOString(), sub.id, 'PREMIUM'),
        });
        if (posted?.replayed) result.alreadyGranted += 1;
        else if (posted) result.granted += 1;
      }
    });
  }
  return result;
}

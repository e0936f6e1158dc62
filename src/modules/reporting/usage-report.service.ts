import type { Loaders } from '../../graphql/loaders';
import { Money, type MinuteTierEnum } from '../../graphql/common.types';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { requireAgencyWideAccess } from '../auth/access';
import { assertCanReadUsage } from '../usage/usage-access';
import type { Viewer } from '../auth/role';
import type { AgencyEntity } from '../agency/agency.entity';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import { MINUTE_TIERS } from '../pricing/pricing';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { CALL_STATUSES } from '../usage/call.entity';
import { minuteUnitsFromSeconds } from '../usage/call-cost';
import { ALL_TIME } from './range-plan';
import { addFigures, emptyFigures, type UsageFigures } from './usage-figures';
import type { SubAccountUsageRow, UsageSummaryType } from './usage-report.type';

export interface Range {
  from: Date;
  to: Date;
}

/** Minutes for display: exact seconds summed first, then one rounding (never a sum of rounded values). */
export const formatMinutes = (seconds: bigint): string => formatScaled(minuteUnitsFromSeconds(seconds), MINUTES_SCALE);

export function toUsageSummary(range: Range, figures: UsageFigures): UsageSummaryType {
  return {
    from: range.from,
    to: range.to,
    totalMinutes: formatMinutes(figures.durationSeconds),
    minutesByTier: MINUTE_TIERS.map((tier) => ({
      tier: tier as MinuteTierEnum,
      minutes: formatMinutes(figures.secondsByTier[tier]),
      callCount: Number(figures.callsByTier[tier]),
    })),
    callCount: Number(figures.callCount),
    callsByStatus: CALL_STATUSES.map((status) => ({ status, count: Number(figures.callsByStatus[status]) })),
    spent: Money.ofMicros(figures.costMicros),
    profit: Money.ofMicros(figures.profitMicros),
  };
}

/**
 * Usage reports. Figures come from the per-request `usageFigures` loader, so a page of
 * sub-accounts with their usage, or an agency report over any number of sub-accounts,
 * costs one figures statement.
 */
export class UsageReportService {
  /** The range asked for, or the sub-account's current billing cycle. */
  subAccountRange(sub: SubAccountEntity, range: Range | undefined, now = new Date()): Range {
    if (range) return range;
    const cycle = billingCycleAt(sub.subscriptionStartedAt, now);
    return { from: cycle.start, to: cycle.end };
  }

  async subAccountUsage(viewer: Viewer, loaders: Loaders, sub: SubAccountEntity, range: Range | undefined): Promise<UsageSummaryType> {
    assertCanReadUsage(viewer, sub);
    const effective = this.subAccountRange(sub, range);
    return toUsageSummary(effective, await loaders.usageFigures.load({ subAccountId: sub.id, ...effective }));
  }

  /** What the wallet's sub-account spent on calls in the range (its current cycle without one). */
  async spentMicros(viewer: Viewer, loaders: Loaders, sub: SubAccountEntity, range: Range | undefined): Promise<bigint> {
    assertCanReadUsage(viewer, sub);
    const effective = this.subAccountRange(sub, range);
    return (await loaders.usageFigures.load({ subAccountId: sub.id, ...effective })).costMicros;
  }

  /** Every sub-account of the agency, the primary and removed ones included; all time without a range. */
  async agencyTotalSeconds(viewer: Viewer, loaders: Loaders, agency: AgencyEntity, range: Range | undefined): Promise<bigint> {
    requireAgencyWideAccess(viewer, agency.id);
    const effective = range ?? ALL_TIME;
    const subs = await loaders.subAccountsOfAgency.load(agency.id);
    const figures = await loaders.usageFigures.loadMany(subs.map((sub) => ({ subAccountId: sub.id, ...effective })));
    return figures.reduce<bigint>((sum, f) => {
      if (f instanceof Error) throw f;
      return sum + f.durationSeconds;
    }, 0n);
  }

  /**
   * Totals over every sub-account of the agency, and one row per active sub-account plus
   * each removed one with calls in the range. Constant SQL: the sub-accounts, one figures
   * statement, and (for `walletBalance`) one batch of wallets and one of balances.
   */
  async agencyReport(
    viewer: Viewer,
    loaders: Loaders,
    agency: AgencyEntity,
    range: Range,
  ): Promise<{ from: Date; to: Date; totals: UsageSummaryType; bySubAccount: SubAccountUsageRow[] }> {
    requireAgencyWideAccess(viewer, agency.id);
    const subs = await loaders.subAccountsOfAgency.load(agency.id);
    for (const sub of subs) loaders.subAccount.prime(sub.id, sub);
    const figures = await loaders.usageFigures.loadMany(subs.map((sub) => ({ subAccountId: sub.id, ...range })));
    const totals = emptyFigures();
    const bySubAccount: SubAccountUsageRow[] = [];
    subs.forEach((sub, i) => {
      const f = figures[i];
      if (f instanceof Error) throw f;
      addFigures(totals, f);
      if (sub.status === 'ACTIVE' || f.callCount > 0n) bySubAccount.push({ subAccount: sub, usage: toUsageSummary(range, f) });
    });
    return { from: range.from, to: range.to, totals: toUsageSummary(range, totals), bySubAccount };
  }
}

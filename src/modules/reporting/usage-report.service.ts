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

/**
 * A summary whose fields are computed when read: a dashboard asks each of 50 sub-accounts
 * for `totalMinutes` and `spent` only, and building every tier's and status's figures and
 * their decimal strings for each was most of that field's cost. `spentMicros` replaces
 * the calls' cost (a statement reads the ledger's figure instead).
 */
class LazyUsageSummary implements UsageSummaryType {
  constructor(
    readonly from: Date,
    readonly to: Date,
    private readonly figures: UsageFigures,
    private readonly spentMicros: bigint,
  ) {}

  get totalMinutes(): string {
    return formatMinutes(this.figures.durationSeconds);
  }

  get minutesByTier() {
    return MINUTE_TIERS.map((tier) => ({
      tier: tier as MinuteTierEnum,
      minutes: formatMinutes(this.figures.secondsByTier[tier]),
      callCount: Number(this.figures.callsByTier[tier]),
    }));
  }

  get callCount(): number {
    return Number(this.figures.callCount);
  }

  get callsByStatus() {
    return CALL_STATUSES.map((status) => ({ status, count: Number(this.figures.callsByStatus[status]) }));
  }

  get spent(): Money {
    return Money.ofMicros(this.spentMicros);
  }

  get profit(): Money {
    return Money.ofMicros(this.figures.profitMicros);
  }
}

export function toUsageSummary(range: Range, figures: UsageFigures, options: { spentMicros?: bigint } = {}): UsageSummaryType {
  return new LazyUsageSummary(range.from, range.to, figures, options.spentMicros ?? figures.costMicros);
}

/**
 * Usage reports. Figures come from the per-request `usageFigures` loader, so a page of
 * sub-accounts with their usage, or an agency report over any number of sub-accounts,
 * costs one figures statement.
 */
/**
 * Rows of `UsageReport.bySubAccount` (the primary first, then oldest first); the totals
 * still cover every sub-account. The cost limit counts every row, so the list has a bound.
 */
export const MAX_REPORT_ROWS = 100;

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
    const subs = await loaders.agencyUsage.load({ agencyId: agency.id, ...(range ?? ALL_TIME) });
    return subs.reduce((sum, sub) => sum + sub.figures.durationSeconds, 0n);
  }

  /**
   * Totals over every sub-account of the agency, and one row per active sub-account plus
   * each removed one with calls in the range. One statement (`agencyUsage`: sub-accounts,
   * balances and figures), shared with `totalMinutesUsed` over the same range.
   */
  async agencyReport(
    viewer: Viewer,
    loaders: Loaders,
    agency: AgencyEntity,
    range: Range,
  ): Promise<{ from: Date; to: Date; totals: UsageSummaryType; bySubAccount: SubAccountUsageRow[] }> {
    requireAgencyWideAccess(viewer, agency.id);
    const subs = await loaders.agencyUsage.load({ agencyId: agency.id, ...range });
    const totals = emptyFigures();
    const bySubAccount: SubAccountUsageRow[] = [];
    for (const { subAccount, walletBalanceMicros, figures } of subs) {
      loaders.subAccount.prime(subAccount.id, subAccount);
      addFigures(totals, figures);
      if ((subAccount.status === 'ACTIVE' || figures.callCount > 0n) && bySubAccount.length < MAX_REPORT_ROWS) {
        bySubAccount.push({ subAccount, usage: toUsageSummary(range, figures), walletBalance: Money.ofMicros(walletBalanceMicros) });
      }
    }
    return { from: range.from, to: range.to, totals: toUsageSummary(range, totals), bySubAccount };
  }
}

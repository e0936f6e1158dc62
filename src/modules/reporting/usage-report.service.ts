import type { BatchedRead, PrimedRead } from '../../shared/batched-read';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { requireAgencyWideAccess } from '../auth/access';
import { assertCanReadUsage } from '../usage/usage-access';
import type { Viewer } from '../auth/role';
import type { AgencyEntity } from '../agency/agency.entity';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { minuteUnitsFromSeconds } from '../usage/call-cost';
import { ALL_TIME, type TimeRange } from '../../shared/time-range';
import { addFigures, emptyFigures, type UsageFigures, type UsageScope } from './usage-figures';
import type { AgencyUsageKey, SubAccountUsage } from './agency-usage';

export type Range = TimeRange;

/** The request's batched reads the reports need (the request's loaders satisfy it). */
export interface UsageReads {
  usageFigures: BatchedRead<UsageScope, UsageFigures>;
  agencyUsage: BatchedRead<AgencyUsageKey, SubAccountUsage[]>;
  subAccount: PrimedRead<string, SubAccountEntity | undefined>;
}

/** Figures over a range (the GraphQL UsageSummary is built from it in usage-report.type.ts). */
export interface UsageOverRange extends TimeRange {
  figures: UsageFigures;
}

/** An agency's report: totals over every sub-account, and the rows a report lists. */
export interface AgencyUsageReport extends TimeRange {
  totals: UsageFigures;
  bySubAccount: Array<{ subAccount: SubAccountEntity; figures: UsageFigures; walletBalanceMicros: bigint }>;
}

/** Minutes for display: exact seconds summed first, then one rounding (never a sum of rounded values). */
export const formatMinutes = (seconds: bigint): string => formatScaled(minuteUnitsFromSeconds(seconds), MINUTES_SCALE);

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

  async subAccountUsage(viewer: Viewer, reads: UsageReads, sub: SubAccountEntity, range: Range | undefined): Promise<UsageOverRange> {
    assertCanReadUsage(viewer, sub);
    const effective = this.subAccountRange(sub, range);
    return { ...effective, figures: await reads.usageFigures.load({ subAccountId: sub.id, ...effective }) };
  }

  /** What the wallet's sub-account spent on calls in the range (its current cycle without one). */
  async spentMicros(viewer: Viewer, reads: UsageReads, sub: SubAccountEntity, range: Range | undefined): Promise<bigint> {
    assertCanReadUsage(viewer, sub);
    const effective = this.subAccountRange(sub, range);
    return (await reads.usageFigures.load({ subAccountId: sub.id, ...effective })).costMicros;
  }

  /** Every sub-account of the agency, the primary and removed ones included; all time without a range. */
  async agencyTotalSeconds(viewer: Viewer, reads: UsageReads, agency: AgencyEntity, range: Range | undefined): Promise<bigint> {
    requireAgencyWideAccess(viewer, agency.id);
    const subs = await reads.agencyUsage.load({ agencyId: agency.id, ...(range ?? ALL_TIME) });
    return subs.reduce((sum, sub) => sum + sub.figures.durationSeconds, 0n);
  }

  /**
   * Totals over every sub-account of the agency, and one row per active sub-account plus
   * each removed one with calls in the range. One statement (`agencyUsage`: sub-accounts,
   * balances and figures), shared with `totalMinutesUsed` over the same range.
   */
  async agencyReport(viewer: Viewer, reads: UsageReads, agency: AgencyEntity, range: Range): Promise<AgencyUsageReport> {
    requireAgencyWideAccess(viewer, agency.id);
    const subs = await reads.agencyUsage.load({ agencyId: agency.id, ...range });
    const totals = emptyFigures();
    const bySubAccount: AgencyUsageReport['bySubAccount'] = [];
    for (const { subAccount, walletBalanceMicros, figures } of subs) {
      reads.subAccount.prime(subAccount.id, subAccount);
      addFigures(totals, figures);
      if ((subAccount.status === 'ACTIVE' || figures.callCount > 0n) && bySubAccount.length < MAX_REPORT_ROWS) {
        bySubAccount.push({ subAccount, figures, walletBalanceMicros });
      }
    }
    return { from: range.from, to: range.to, totals, bySubAccount };
  }
}

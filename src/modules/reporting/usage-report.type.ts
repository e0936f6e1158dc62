import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { MinuteTierEnum, Money } from '../../graphql/common.types';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { CallStatusEnum } from '../usage/call.type';
import { CALL_STATUSES, type CallStatus } from '../usage/call.entity';
import { MaxItems } from '../../graphql/list-size';
import { formatMinutes, MAX_REPORT_ROWS, type AgencyUsageReport } from './usage-report.service';
import { MINUTE_TIERS } from '../pricing/pricing';
import type { UsageFigures } from './usage-figures';
import type { TimeRange } from '../../shared/time-range';
const MINUTE_TIER_COUNT = Object.keys(MinuteTierEnum).length;

@ObjectType('TierMinutes', { simpleResolvers: true })
export class TierMinutesType {
  @Field(() => MinuteTierEnum) tier!: MinuteTierEnum;
  @Field(() => DecimalScalar, { description: 'Seconds / 60, rounded to the nearest 1/10,000 minute' }) minutes!: string;
  @Field(() => Int) callCount!: number;
}

@ObjectType('StatusCount', { simpleResolvers: true })
export class StatusCountType {
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => Int) count!: number;
}

/**
 * Report types are plain data: `simpleResolvers` lets graphql-js read their fields directly
 * instead of through type-graphql's per-field middleware wrapper (a 50-row report has ~1,500 fields).
 */
@ObjectType('UsageSummary', { description: 'Usage of calls that started in [from, to), exact: see docs/usage.md.', simpleResolvers: true })
export class UsageSummaryType {
  @Field(() => DateTimeScalar) from!: Date;
  @Field(() => DateTimeScalar) to!: Date;
  @Field(() => DecimalScalar, { description: 'All seconds / 60, rounded to the nearest 1/10,000 minute' }) totalMinutes!: string;
  @MaxItems(MINUTE_TIER_COUNT)
  @Field(() => [TierMinutesType], { description: 'Every tier, zeros included' }) minutesByTier!: TierMinutesType[];
  @Field(() => Int) callCount!: number;
  @MaxItems(CALL_STATUSES.length)
  @Field(() => [StatusCountType], { description: 'Every status, zeros included' }) callsByStatus!: StatusCountType[];
  @Field(() => Money, { description: 'Cost of the calls: what left the wallets' }) spent!: Money;
  @Field(() => Money, {
    description:
      'Consumed markup: the markup part of `spent` in the range (what usage used up). Not earned profit, which accrues on purchases: see Agency.profit',
  })
  profit!: Money;
}

/** Root of a `SubAccountUsage`: the balance is read with the report's sub-accounts, in the same statement. */
export interface SubAccountUsageRow {
  subAccount: SubAccountEntity;
  usage: UsageSummaryType;
  walletBalance: Money;
}

/**
 * Plain data like the summaries: the balance is a field, not a field resolver, since
 * type-graphql copies the root into a new instance of the type for every field resolver call.
 */
@ObjectType('SubAccountUsage', { simpleResolvers: true })
export class SubAccountUsageType {
  @Field(() => SubAccountType) subAccount!: SubAccountType;
  @Field(() => UsageSummaryType) usage!: UsageSummaryType;
  @Field(() => Money, { description: 'The wallet balance now (not at the end of the range)' }) walletBalance!: Money;
}

@ObjectType('UsageReport', { description: "An agency's usage over [from, to): totals and one row per sub-account.", simpleResolvers: true })
export class UsageReportType {
  @Field(() => DateTimeScalar) from!: Date;
  @Field(() => DateTimeScalar) to!: Date;
  @Field(() => UsageSummaryType, { description: 'All sub-accounts, the primary and removed ones included' }) totals!: UsageSummaryType;
  @MaxItems(MAX_REPORT_ROWS)
  @Field(() => [SubAccountUsageType], {
    description: 'Every active sub-account (the primary first), and removed ones that have calls in the range',
  })
  bySubAccount!: SubAccountUsageRow[];
}

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

/** The GraphQL UsageSummary of figures over a range. */
export function toUsageSummary(range: TimeRange, figures: UsageFigures, options: { spentMicros?: bigint } = {}): UsageSummaryType {
  return new LazyUsageSummary(range.from, range.to, figures, options.spentMicros ?? figures.costMicros);
}

/** The GraphQL UsageReport of an agency's report. */
export function toUsageReport(report: AgencyUsageReport): UsageReportType {
  return {
    from: report.from,
    to: report.to,
    totals: toUsageSummary(report, report.totals),
    bySubAccount: report.bySubAccount.map(({ subAccount, figures, walletBalanceMicros }) => ({
      subAccount,
      usage: toUsageSummary(report, figures),
      walletBalance: Money.ofMicros(walletBalanceMicros),
    })),
  };
}

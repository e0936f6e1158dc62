import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { DateRangeInput, validRange } from '../../graphql/date-range';
import { AgencyType } from '../agency/agency.type';
import type { AgencyEntity } from '../agency/agency.entity';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { WalletType } from '../wallet/wallet.type';
import type { WalletEntity } from '../wallet/wallet.entity';
import { formatMinutes } from './usage-report.service';
import { toUsageReport, toUsageSummary, UsageReportType, UsageSummaryType } from './usage-report.type';

@Resolver(() => SubAccountType)
export class SubAccountUsageFieldResolver {
  @FieldResolver(() => UsageSummaryType, { description: 'Calls that started in the range; the current billing cycle without one' })
  async usage(
    @Root() sub: SubAccountEntity,
    @Arg('range', () => DateRangeInput, { nullable: true }) range: DateRangeInput | null,
    @Ctx() ctx: RequestContext,
  ): Promise<UsageSummaryType> {
    const usage = await ctx.services.usageReport.subAccountUsage(ctx.viewer, ctx.loaders, sub, validRange(range));
    return toUsageSummary(usage, usage.figures);
  }
}

@Resolver(() => WalletType)
export class WalletSpentResolver {
  @FieldResolver(() => Money, { description: 'Cost of the calls that started in the range; the current billing cycle without one' })
  async spent(
    @Root() wallet: WalletEntity,
    @Arg('range', () => DateRangeInput, { nullable: true }) range: DateRangeInput | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Money> {
    const sub = (await ctx.loaders.subAccount.load(wallet.subAccountId))!;
    return Money.ofMicros(await ctx.services.usageReport.spentMicros(ctx.viewer, ctx.loaders, sub, validRange(range)));
  }
}

@Resolver(() => AgencyType)
export class AgencyUsageResolver {
  @FieldResolver(() => DecimalScalar, {
    description: 'Minutes of every sub-account, the primary and removed ones included, in the range; all time without one',
  })
  async totalMinutesUsed(
    @Root() agency: AgencyEntity,
    @Arg('range', () => DateRangeInput, { nullable: true }) range: DateRangeInput | null,
    @Ctx() ctx: RequestContext,
  ): Promise<string> {
    return formatMinutes(await ctx.services.usageReport.agencyTotalSeconds(ctx.viewer, ctx.loaders, agency, validRange(range)));
  }

  @FieldResolver(() => UsageReportType, { description: 'Totals and one row per sub-account, from rollups: any range is exact' })
  async usageReport(
    @Root() agency: AgencyEntity,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
    @Ctx() ctx: RequestContext,
  ): Promise<UsageReportType> {
    return toUsageReport(await ctx.services.usageReport.agencyReport(ctx.viewer, ctx.loaders, agency, validRange(range)!));
  }
}

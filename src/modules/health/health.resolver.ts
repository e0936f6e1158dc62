import { Args, ArgsType, Ctx, Field, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Money } from '../../graphql/common.types';
import { PageArgs } from '../../graphql/page.args';
import type { Page } from '../../shared/pagination';
import { formatScaled } from '../../shared/money';
import { AgencyType } from '../agency/agency.type';
import type { AgencyEntity } from '../agency/agency.entity';
import { SubAccountConnection, SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { HEALTH_RATIO_SCALE, type Health, type HealthLevel } from './health-rules';
import { AgencyHealthType, HealthLevelEnum, SubAccountHealthType } from './health.type';
import type { AgencyHealthCounts } from './health.service';
import { AgencyEventType } from '../events/event.types';
import type { OutboxRow } from '../outbox/outbox.entity';

const ratio = (units: bigint | null): string | null => (units === null ? null : formatScaled(units, HEALTH_RATIO_SCALE));

export function toHealthType(health: Health): SubAccountHealthType {
  return {
    level: health.level,
    signals: health.signals,
    burnRatePerDay: Money.ofMicros(health.burnRatePerDayMicros),
    runwayDays: ratio(health.runwayDaysUnits),
    projectedDepletionAt: health.projectedDepletionAt,
    successRate: ratio(health.successRateUnits),
    usageTrend: ratio(health.usageTrendUnits),
    lastCallAt: health.lastCallAt,
  };
}

@Resolver(() => SubAccountType)
export class SubAccountHealthResolver {
  @FieldResolver(() => SubAccountHealthType, { description: 'Level, signals and the figures that set them' })
  async health(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<SubAccountHealthType> {
    return toHealthType(await ctx.services.health.subAccountHealth(ctx.viewer, ctx.loaders, sub));
  }
}

@ArgsType()
class AtRiskArgs extends PageArgs {
  @Field(() => HealthLevelEnum, { nullable: true, description: 'The least severe level listed; WATCH when omitted' })
  minLevel?: HealthLevel | null;
}

@Resolver(() => AgencyType)
export class AgencyHealthResolver {
  @FieldResolver(() => AgencyHealthType, { description: 'Active sub-accounts per health level' })
  health(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Promise<AgencyHealthCounts> {
    return ctx.services.health.agencyHealth(ctx.viewer, ctx.loaders, agency);
  }

  @FieldResolver(() => SubAccountConnection, { description: 'Active sub-accounts at minLevel or worse: worst first, then oldest first' })
  subAccountsAtRisk(@Root() agency: AgencyEntity, @Args() args: AtRiskArgs, @Ctx() ctx: RequestContext): Promise<Page<SubAccountEntity>> {
    return ctx.services.health.subAccountsAtRisk(ctx.viewer, ctx.loaders, agency, args);
  }
}

/** The levels a HEALTH_CHANGED event reports, as they were when it was written (the event hub's row). */
@Resolver(() => AgencyEventType)
export class AgencyEventHealthResolver {
  @FieldResolver(() => HealthLevelEnum, { nullable: true, description: 'HEALTH_CHANGED: the new level; null for other types' })
  healthLevel(@Root() row: OutboxRow): string | null {
    return row.healthLevel;
  }

  @FieldResolver(() => HealthLevelEnum, { nullable: true, description: 'HEALTH_CHANGED: the level before; null for other types' })
  previousHealthLevel(@Root() row: OutboxRow): string | null {
    return row.previousHealthLevel;
  }
}

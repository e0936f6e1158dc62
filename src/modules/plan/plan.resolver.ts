import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';
import { MinuteTierEnum, Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { MaxItems } from '../../graphql/list-size';
import { PlanEntity } from './plan.entity';
import { MAX_PLANS } from './plan.service';
import { PlanType } from './plan.type';
import { basePriceMicros } from '../pricing/pricing';

@Resolver(() => PlanType)
export class PlanResolver {
  @MaxItems(MAX_PLANS)
  @Query(() => [PlanType], { description: 'Every plan, cheapest first. Any authenticated caller.' })
  async plans(@Ctx() ctx: RequestContext): Promise<PlanEntity[]> {
    return ctx.services.plan.list();
  }

  @FieldResolver(() => Money, { description: 'Platform price per minute of the tier' })
  basePrice(@Root() plan: PlanEntity, @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum): Money {
    return Money.ofMicros(basePriceMicros(plan, tier));
  }

  @FieldResolver(() => DecimalScalar, {
    description: 'Minutes of the tier credited to the primary: once at creation, or every month on PARTNER_LEGACY',
  })
  includedMinutes(@Root() plan: PlanEntity, @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum): string {
    return String(tier === 'BASIC' ? plan.includedBasicMinutes : plan.includedPremiumMinutes);
  }
}

import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { AutoAllocationType, SetAutoAllocationInput, SetAutoAllocationPayload } from './auto-allocation.type';

@Resolver()
export class AutoAllocationResolver {
  @Mutation(() => SetAutoAllocationPayload, {
    description: "Buys Basic and Premium minutes for a secondary every billing cycle of it with the primary's saved card (platform and agency admins).",
  })
  setAutoAllocation(@Arg('input', () => SetAutoAllocationInput) input: SetAutoAllocationInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('subAccount', () => ctx.services.autoAllocation.setAutoAllocation(ctx.viewer, input));
  }
}

@Resolver(() => SubAccountType)
export class SubAccountAutoAllocationResolver {
  @FieldResolver(() => AutoAllocationType, { nullable: true, description: 'Null until set' })
  async autoAllocation(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<AutoAllocationType | null> {
    const settings = await ctx.services.autoAllocation.autoAllocation(ctx.viewer, sub, (id) => ctx.loaders.autoAllocation.load(id));
    if (!settings) return null;
    return {
      enabled: settings.enabled,
      basicMinutes: formatScaled(settings.basicMinutesUnits, MINUTES_SCALE),
      premiumMinutes: formatScaled(settings.premiumMinutesUnits, MINUTES_SCALE),
      nextRunAt: settings.nextRunAt,
      lastRunAt: settings.lastRunAt,
      lastError: settings.lastError,
    };
  }
}

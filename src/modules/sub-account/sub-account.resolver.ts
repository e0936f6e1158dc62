import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MinuteTierEnum, Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { toGlobalId } from '../../shared/global-id';
import { READER_ROLES, requireRole } from '../auth/access';
import { AgencyType } from '../agency/agency.type';
import type { AgencyEntity } from '../agency/agency.entity';
import { billingCycleAt, type BillingCycle } from '../billing-cycle/billing-cycle';
import { effectiveMarkupMicros, minutePriceMicros } from '../pricing/pricing';
import { WalletType } from '../wallet/wallet.type';
import type { WalletEntity } from '../wallet/wallet.entity';
import type { SubAccountEntity } from './sub-account.entity';
import {
  AddSubAccountInput, AddSubAccountPayload, BillingCycleType, RemoveSubAccountInput, RemoveSubAccountPayload,
  RestoreSubAccountInput, RestoreSubAccountPayload, SubAccountType, UpdateSubAccountInput, UpdateSubAccountPayload,
} from './sub-account.type';

@Resolver(() => SubAccountType)
export class SubAccountResolver {
  @Query(() => SubAccountType, { nullable: true, description: 'Null when it does not exist or is not yours.' })
  subAccount(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<SubAccountEntity | null> {
    requireRole(ctx.viewer, READER_ROLES);
    return ctx.services.subAccount.find(ctx.viewer, id, (key) => ctx.loaders.subAccount.load(key));
  }

  @Mutation(() => AddSubAccountPayload, { description: 'Adds a client sub-account; PLAN_LIMIT_REACHED past the cap.' })
  addSubAccount(@Arg('input', () => AddSubAccountInput) input: AddSubAccountInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('subAccount', () => ctx.services.subAccount.add(ctx.viewer, input));
  }

  @Mutation(() => UpdateSubAccountPayload)
  updateSubAccount(@Arg('input', () => UpdateSubAccountInput) input: UpdateSubAccountInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('subAccount', () => ctx.services.subAccount.update(ctx.viewer, input));
  }

  @Mutation(() => RemoveSubAccountPayload, { description: 'Soft removal: frees a slot, keeps the history.' })
  async removeSubAccount(@Arg('input', () => RemoveSubAccountInput) input: RemoveSubAccountInput, @Ctx() ctx: RequestContext) {
    const result = await mutationPayload('removed', () => ctx.services.subAccount.remove(ctx.viewer, input));
    return {
      removedSubAccountId: result.removed ? toGlobalId('SubAccount', result.removed.id) : null,
      agency: result.removed ? await ctx.loaders.agency.load(result.removed.agencyId) : null,
      userErrors: result.userErrors,
    };
  }

  @Mutation(() => RestoreSubAccountPayload, { description: 'Brings a removed sub-account back while a slot is free.' })
  restoreSubAccount(@Arg('input', () => RestoreSubAccountInput) input: RestoreSubAccountInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('subAccount', () => ctx.services.subAccount.restore(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() sub: SubAccountEntity): string {
    return toGlobalId('SubAccount', sub.id);
  }

  @FieldResolver(() => AgencyType)
  async agency(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<AgencyEntity> {
    return (await ctx.loaders.agency.load(sub.agencyId))!;
  }

  @FieldResolver(() => Boolean, { description: 'true: no markup (always true for the primary)' })
  applyBasePrice(@Root() sub: SubAccountEntity): boolean {
    return sub.kind === 'PRIMARY' || sub.applyBasePrice;
  }

  @FieldResolver(() => Money, { description: 'Flat $ per minute over the base price; 0 with applyBasePrice' })
  async markup(
    @Root() sub: SubAccountEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Promise<Money> {
    const agency = (await ctx.loaders.agency.load(sub.agencyId))!;
    return Money.ofMicros(effectiveMarkupMicros(sub, agency, tier));
  }

  @FieldResolver(() => Money, { description: 'Base price + markup: what this sub-account pays per minute' })
  async minutePrice(
    @Root() sub: SubAccountEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Promise<Money> {
    const agency = (await ctx.loaders.agency.load(sub.agencyId))!;
    const plan = (await ctx.loaders.plan.load(agency.planCode))!;
    return Money.ofMicros(minutePriceMicros(plan, agency, sub, tier));
  }

  @FieldResolver(() => WalletType)
  async wallet(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<WalletEntity> {
    return (await ctx.loaders.walletBySubAccount.load(sub.id))!;
  }

  @FieldResolver(() => BillingCycleType, { description: 'The current monthly cycle, UTC' })
  billingCycle(@Root() sub: SubAccountEntity): BillingCycle {
    return billingCycleAt(sub.subscriptionStartedAt, new Date());
  }
}

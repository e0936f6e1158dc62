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

  // The rows these read were primed with the page (agency-read-ahead.ts): answered at once,
  // without a promise per node, when they are at hand (PeekableLoader).
  @FieldResolver(() => AgencyType)
  agency(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): AgencyEntity | Promise<AgencyEntity> {
    return ctx.loaders.agency.now(sub.agencyId, (agency) => agency!);
  }

  @FieldResolver(() => Boolean, { description: 'true: no markup (always true for the primary)' })
  applyBasePrice(@Root() sub: SubAccountEntity): boolean {
    return sub.kind === 'PRIMARY' || sub.applyBasePrice;
  }

  @FieldResolver(() => Money, { description: 'Flat $ per minute over the base price; 0 with applyBasePrice' })
  markup(
    @Root() sub: SubAccountEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Money | Promise<Money> {
    return ctx.loaders.agency.now(sub.agencyId, (agency) => Money.ofMicros(effectiveMarkupMicros(sub, agency!, tier)));
  }

  @FieldResolver(() => Money, { description: 'Base price + markup: what this sub-account pays per minute' })
  minutePrice(
    @Root() sub: SubAccountEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Money | Promise<Money> {
    return ctx.loaders.agency.now(sub.agencyId, (agency) =>
      ctx.loaders.plan.now(agency!.planCode, (plan) => Money.ofMicros(minutePriceMicros(plan!, agency!, sub, tier))),
    );
  }

  @FieldResolver(() => WalletType)
  wallet(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): WalletEntity | Promise<WalletEntity> {
    return ctx.loaders.walletBySubAccount.now(sub.id, (wallet) => wallet!);
  }

  @FieldResolver(() => BillingCycleType, { description: 'The current monthly cycle, UTC' })
  billingCycle(@Root() sub: SubAccountEntity): BillingCycle {
    return billingCycleAt(sub.subscriptionStartedAt, new Date());
  }
}

import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar } from '../../graphql/scalars';
import { MinuteTierEnum, Money, SubAccountStatusEnum } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import type { Page } from '../../shared/pagination';
import { PageArgs } from '../../graphql/page.args';
import { toGlobalId } from '../../shared/global-id';
import { READER_ROLES, requireAgencyDetailsAccess, requireAgencyWideAccess, requireRole } from '../auth/access';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import { PlanType } from '../plan/plan.type';
import type { PlanEntity } from '../plan/plan.entity';
import { agencyDefaultMarkupMicros } from '../pricing/pricing';
import { SubAccountConnection, SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { AgencyEntity } from './agency.entity';
import { AgencyProfitType } from './agency-profit.type';
import { agencyLoaderFor } from './agency-read-ahead';
import { DateRangeInput, validRange } from '../../graphql/date-range';
import {
  AgencyConnection, AgencyType, ChangeAgencyPlanInput, ChangeAgencyPlanPayload, CreateAgencyInput, CreateAgencyPayload,
  SetAgencyMarkupInput, SetAgencyMarkupPayload,
} from './agency.type';

@ArgsType()
class SubAccountListArgs extends PageArgs {
  @Field(() => SubAccountStatusEnum, { nullable: true }) status?: SubAccountStatusEnum | null;
  @Field(() => String, { nullable: true, description: 'Case-insensitive match on name or login email' })
  @MaxLength(100)
  search?: string | null;
}

@Resolver(() => AgencyType)
export class AgencyResolver {
  @Query(() => AgencyConnection, { description: 'Every agency, oldest first. Platform admins only.' })
  agencies(@Args() args: PageArgs, @Ctx() ctx: RequestContext): Promise<Page<AgencyEntity>> {
    return ctx.services.agency.list(ctx.viewer, args);
  }

  @Query(() => AgencyType, { nullable: true, description: 'Null when it does not exist or is not yours.' })
  agency(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo): Promise<AgencyEntity | null> {
    requireRole(ctx.viewer, READER_ROLES);
    return ctx.services.agency.find(ctx.viewer, id, agencyLoaderFor(ctx, info));
  }

  @Mutation(() => CreateAgencyPayload, { description: 'Platform admins: a new agency with its primary sub-account.' })
  createAgency(@Arg('input', () => CreateAgencyInput) input: CreateAgencyInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('agency', () => ctx.services.agency.create(ctx.viewer, input));
  }

  @Mutation(() => ChangeAgencyPlanPayload, {
    description: 'Moves the agency to a current plan: PLAN_NOT_AVAILABLE onto a legacy plan, PLAN_TOO_SMALL below the active sub-accounts.',
  })
  changeAgencyPlan(@Arg('input', () => ChangeAgencyPlanInput) input: ChangeAgencyPlanInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('agency', () => ctx.services.agency.changePlan(ctx.viewer, input));
  }

  @Mutation(() => SetAgencyMarkupPayload)
  setAgencyMarkup(@Arg('input', () => SetAgencyMarkupInput) input: SetAgencyMarkupInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('agency', () => ctx.services.agency.setMarkup(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() agency: AgencyEntity): string {
    return toGlobalId('Agency', agency.id);
  }

  @FieldResolver(() => DateTimeScalar)
  createdAt(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Date {
    requireAgencyDetailsAccess(ctx.viewer, agency.id);
    return agency.createdAt;
  }

  @FieldResolver(() => PlanType)
  async plan(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Promise<PlanEntity> {
    requireAgencyDetailsAccess(ctx.viewer, agency.id);
    return (await ctx.loaders.plan.load(agency.planCode))!;
  }

  @FieldResolver(() => DateTimeScalar, { description: 'Next monthly renewal, anchored on the plan start date' })
  planRenewsAt(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Date {
    requireAgencyDetailsAccess(ctx.viewer, agency.id);
    return billingCycleAt(agency.planStartedAt, new Date()).end;
  }

  @FieldResolver(() => SubAccountType)
  async primarySubAccount(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    requireAgencyWideAccess(ctx.viewer, agency.id);
    return (await ctx.loaders.primarySubAccount.load(agency.id))!;
  }

  @FieldResolver(() => SubAccountConnection, { description: 'Oldest first, the primary included' })
  async subAccounts(@Root() agency: AgencyEntity, @Args() args: SubAccountListArgs, @Ctx() ctx: RequestContext) {
    const page = await ctx.services.subAccount.list(ctx.viewer, agency, args, (query) => ctx.loaders.subAccountPage.load(query));
    // Read with the page: the nodes' wallet and balance fields then cost no statement of their own.
    for (const wallet of page.wallets) {
      ctx.loaders.walletBySubAccount.prime(wallet.subAccountId, wallet);
      ctx.loaders.wallet.prime(wallet.id, wallet);
    }
    for (const account of page.ledgerAccounts) ctx.loaders.ledgerAccount.prime(account.id, account);
    for (const { node } of page.edges) ctx.loaders.subAccount.prime(node.id, node);
    return page;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Sub-accounts that can still be added; null: no cap' })
  async subAccountSlotsRemaining(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Promise<number | null> {
    requireAgencyWideAccess(ctx.viewer, agency.id);
    const [plan, active] = await Promise.all([
      ctx.loaders.plan.load(agency.planCode),
      ctx.loaders.activeSubAccountCount.load(agency.id),
    ]);
    return plan!.subAccountLimit === null ? null : Math.max(0, plan!.subAccountLimit - active);
  }

  @FieldResolver(() => Money, { description: 'Flat $ per minute added to the base price unless a sub-account overrides it' })
  defaultMarkup(
    @Root() agency: AgencyEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Money {
    requireAgencyWideAccess(ctx.viewer, agency.id);
    return Money.ofMicros(agencyDefaultMarkupMicros(agency, tier));
  }

  @FieldResolver(() => AgencyProfitType, { description: 'Markup earned and paid out; all time without a range' })
  async profit(
    @Root() agency: AgencyEntity,
    @Arg('range', () => DateRangeInput, { nullable: true }) range: DateRangeInput | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AgencyProfitType> {
    requireAgencyWideAccess(ctx.viewer, agency.id);
    const figures = await ctx.services.profit.figures(agency.id, validRange(range));
    return {
      earned: Money.ofMicros(figures.earnedMicros),
      paidOut: Money.ofMicros(figures.paidOutMicros),
      pendingPayout: Money.ofMicros(figures.pendingPayoutMicros),
      payoutThreshold: Money.ofMicros(figures.payoutThresholdMicros),
    };
  }
}

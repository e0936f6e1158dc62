import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { PageArgs } from '../../graphql/page.args';
import { mutationPayload } from '../../graphql/payload';
import type { AgencyEntity } from '../agency/agency.entity';
import { AgencyType } from '../agency/agency.type';
import { PayoutConnection, RequestPayoutPayload, StripeConnectLinkPayload, toPayoutType } from './payout.type';

@Resolver()
export class PayoutResolver {
  @Mutation(() => StripeConnectLinkPayload, {
    description: "Creates the agency's Stripe Express account (once) and answers an onboarding link; account.updated then sets stripeConnectStatus.",
  })
  createStripeConnectLink(@Arg('agencyId', () => ID) agencyId: string, @Ctx() ctx: RequestContext) {
    return mutationPayload('url', () => ctx.services.payout.createStripeConnectLink(ctx.viewer, agencyId));
  }

  @Mutation(() => RequestPayoutPayload, {
    description: 'Pays the pending profit (whole cents) to the Connect account now, when it is at least the threshold and Connect is CONNECTED.',
  })
  requestPayout(@Arg('agencyId', () => ID) agencyId: string, @Ctx() ctx: RequestContext) {
    return mutationPayload('payout', async () => toPayoutType(await ctx.services.payout.requestPayout(ctx.viewer, agencyId)));
  }
}

@Resolver(() => AgencyType)
export class AgencyPayoutResolver {
  @FieldResolver(() => String, { description: 'NOT_CONNECTED, PENDING (onboarding not finished), CONNECTED (payouts can be made)' })
  stripeConnectStatus(@Root() agency: AgencyEntity, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.services.payout.stripeConnectStatus(ctx.viewer, agency.id, (id) => ctx.loaders.stripeConnectStatus.load(id));
  }

  @FieldResolver(() => PayoutConnection, { description: 'Payouts of earned profit, newest first' })
  async payouts(@Root() agency: AgencyEntity, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: RequestContext): Promise<PayoutConnection> {
    const page = await ctx.services.payout.payouts(ctx.viewer, agency.id, args);
    return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toPayoutType(node) })) };
  }
}

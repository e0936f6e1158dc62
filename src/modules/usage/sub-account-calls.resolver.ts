import { Args, ArgsType, Ctx, Field, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import type { RequestContext } from '../../graphql/context';
import { MaxItems } from '../../graphql/list-size';
import { PageArgs } from '../../graphql/page.args';
import { DateRangeInput, validRange } from '../../graphql/date-range';
import { ALL_TIME } from '../../shared/time-range';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { CallStatus } from './call.entity';
import { CallConnection, CallOrderEnum, CallStatusEnum } from './call.type';
import type { CallOrder } from './call.repository';
import type { CallPage } from './call.service';
import type { ScenarioEntity } from './scenario.entity';
import { ScenarioType } from './scenario.type';
import { MAX_SCENARIOS_PER_SUB_ACCOUNT } from './scenario.service';
import { assertCanReadUsage } from './usage-access';

@ArgsType()
class CallListArgs extends PageArgs {
  @Field(() => DateRangeInput, { nullable: true, description: 'Calls that started in [from, to)' }) range?: DateRangeInput | null;
  @Field(() => CallStatusEnum, { nullable: true }) status?: CallStatus | null;
  @Field(() => ID, { nullable: true }) @MaxLength(200) scenarioId?: string | null;
  @Field(() => CallOrderEnum, { defaultValue: 'STARTED_AT', description: 'STARTED_AT (the default) or RECORDED: see CallOrder' })
  order!: CallOrder;
}

@Resolver(() => SubAccountType)
export class SubAccountCallsResolver {
  @FieldResolver(() => CallConnection, { description: 'Newest first: by start instant, or in recording order (`order: RECORDED`)' })
  async calls(
    @Root() sub: SubAccountEntity,
    @Args() args: CallListArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<CallPage & { readonly totalCount: Promise<number> }> {
    assertCanReadUsage(ctx.viewer, sub);
    const range = validRange(args.range);
    const page = await ctx.services.call.list(sub.id, { ...args, range }, (subAccountId, filter) =>
      ctx.loaders.callsOfSubAccount.load({ subAccountId, filter }),
    );
    const count = async (): Promise<number> => {
      if (args.scenarioId) return ctx.services.call.countForScenario(sub.id, args.scenarioId, { range, status: args.status });
      // Without a scenario filter the rollups know the count: no scan of the calls.
      const figures = await ctx.loaders.usageFigures.load({ subAccountId: sub.id, ...(range ?? ALL_TIME) });
      return Number(args.status ? figures.callsByStatus[args.status] : figures.callCount);
    };
    // Counted only when asked for.
    return {
      ...page,
      get totalCount() {
        return count();
      },
    };
  }

  @MaxItems(MAX_SCENARIOS_PER_SUB_ACCOUNT)
  @FieldResolver(() => [ScenarioType], { description: 'Oldest first' })
  scenarios(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<ScenarioEntity[]> {
    assertCanReadUsage(ctx.viewer, sub);
    return ctx.loaders.scenariosOfSubAccount.load(sub.id);
  }
}

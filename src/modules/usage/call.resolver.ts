import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Money, type UserError } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { SizedBy } from '../../graphql/list-size';
import type { DomainError } from '../../shared/domain-error';
import { toGlobalId } from '../../shared/global-id';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { WalletEntity } from '../wallet/wallet.entity';
import type { CallEntity } from './call.entity';
import { CallType, RecordCallUsageBatchPayload, RecordCallUsageInput, RecordCallUsagePayload } from './call.type';
import type { ScenarioEntity } from './scenario.entity';
import { ScenarioType } from './scenario.type';
import { assertCanReadUsage } from './usage-access';
import { canReadMoney, requireMoneyAccess } from '../auth/access';

const toUserError = (error: DomainError, prefix: string[]): UserError => ({
  code: error.code,
  message: error.message,
  field: [...prefix, ...(error.field ?? [])],
});

@Resolver(() => CallType)
export class CallResolver {
  @Mutation(() => RecordCallUsagePayload, {
    description: 'Records one finished call and debits its cost; idempotent by (sub-account, externalCallId).',
  })
  async recordCallUsage(
    @Arg('input', () => RecordCallUsageInput, { validate: false }) input: RecordCallUsageInput,
    @Ctx() ctx: RequestContext,
  ): Promise<{ call: CallEntity | null; wallet: WalletEntity | null; userErrors: UserError[] }> {
    const [outcome] = await ctx.services.usageIngest.record(ctx.viewer, [input]);
    if ('error' in outcome) return { call: null, wallet: null, userErrors: [toUserError(outcome.error, [])] };
    // The service checked the sub-account is the caller's to record for; its balance is for readers of money only.
    const wallet = canReadMoney(ctx.viewer) ? (await ctx.loaders.walletBySubAccount.load(outcome.call.subAccountId))! : null;
    return { call: outcome.call, wallet, userErrors: [] };
  }

  @SizedBy('inputs')
  @Mutation(() => RecordCallUsageBatchPayload, {
    description: 'Up to 1,000 calls: the good ones are recorded, each bad one gets a userError with its index.',
  })
  async recordCallUsageBatch(
    @Arg('inputs', () => [RecordCallUsageInput], { validate: false }) inputs: RecordCallUsageInput[],
    @Ctx() ctx: RequestContext,
  ): Promise<{ calls: CallEntity[]; userErrors: UserError[] }> {
    const outcomes = await ctx.services.usageIngest.record(ctx.viewer, inputs);
    const calls: CallEntity[] = [];
    const userErrors: UserError[] = [];
    outcomes.forEach((outcome, index) => {
      if ('error' in outcome) userErrors.push(toUserError(outcome.error, ['inputs', String(index)]));
      else calls.push(outcome.call);
    });
    return { calls, userErrors };
  }

  @FieldResolver(() => ID)
  id(@Root() call: CallEntity): string {
    return toGlobalId('Call', call.id);
  }

  @FieldResolver(() => SubAccountType)
  async subAccount(@Root() call: CallEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    const sub = (await ctx.loaders.subAccount.load(call.subAccountId))!;
    assertCanReadUsage(ctx.viewer, sub);
    return sub;
  }

  @FieldResolver(() => ScenarioType, { nullable: true })
  async scenario(@Root() call: CallEntity, @Ctx() ctx: RequestContext): Promise<ScenarioEntity | null> {
    if (!call.scenarioId) return null;
    assertCanReadUsage(ctx.viewer, (await ctx.loaders.subAccount.load(call.subAccountId))!);
    return (await ctx.loaders.scenario.load(call.scenarioId)) ?? null;
  }

  @FieldResolver(() => Money, { description: 'Debited from the wallet: seconds / 60 × minutePrice, rounded up to the micro-dollar' })
  cost(@Root() call: CallEntity, @Ctx() ctx: RequestContext): Money {
    requireMoneyAccess(ctx.viewer);
    return Money.ofMicros(call.costMicros);
  }

  @FieldResolver(() => Money, { description: 'The price per minute in force when the call was recorded' })
  minutePrice(@Root() call: CallEntity, @Ctx() ctx: RequestContext): Money {
    requireMoneyAccess(ctx.viewer);
    return Money.ofMicros(call.priceMicros);
  }
}

import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { MinuteTierEnum, Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { toGlobalId } from '../../shared/global-id';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { availableMinuteUnits, minutePriceMicros } from '../pricing/pricing';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { WalletEntity } from './wallet.entity';
import { SetLowBalanceThresholdInput, SetLowBalanceThresholdPayload, WalletType } from './wallet.type';
import { mutationPayload } from '../../graphql/payload';

async function walletBalanceMicros(ctx: RequestContext, wallet: WalletEntity): Promise<bigint> {
  return (await ctx.loaders.ledgerAccount.load(wallet.id))!.balanceMicros;
}

@Resolver(() => WalletType)
export class WalletResolver {
  @Mutation(() => SetLowBalanceThresholdPayload, {
    description:
      'Sets the balance below which the wallet is low. Emits no event itself: the next balance change is judged against it.',
  })
  setLowBalanceThreshold(
    @Arg('input', () => SetLowBalanceThresholdInput) input: SetLowBalanceThresholdInput,
    @Ctx() ctx: RequestContext,
  ) {
    return mutationPayload('wallet', () => ctx.services.wallet.setLowBalanceThreshold(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() wallet: WalletEntity): string {
    return toGlobalId('Wallet', wallet.id);
  }

  @FieldResolver(() => SubAccountType)
  async subAccount(@Root() wallet: WalletEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    return (await ctx.loaders.subAccount.load(wallet.subAccountId))!;
  }

  @FieldResolver(() => Money)
  balance(@Root() wallet: WalletEntity, @Ctx() ctx: RequestContext): Money | Promise<Money> {
    // Primed with the page of sub-accounts: at once, without a promise per wallet (PeekableLoader).
    return ctx.loaders.ledgerAccount.now(wallet.id, (account) => Money.ofMicros(account!.balanceMicros));
  }

  @FieldResolver(() => Money, { description: 'LOW_BALANCE / BALANCE_RECOVERED events cross it; $5 by default' })
  lowBalanceThreshold(@Root() wallet: WalletEntity): Money {
    return Money.ofMicros(wallet.lowBalanceThresholdMicros);
  }

  @FieldResolver(() => DecimalScalar, { description: 'balance / minutePrice(tier), rounded down to 1/10,000 minute' })
  async availableMinutes(
    @Root() wallet: WalletEntity,
    @Arg('tier', () => MinuteTierEnum) tier: MinuteTierEnum,
    @Ctx() ctx: RequestContext,
  ): Promise<string> {
    const sub = (await ctx.loaders.subAccount.load(wallet.subAccountId))!;
    const agency = (await ctx.loaders.agency.load(sub.agencyId))!;
    const plan = (await ctx.loaders.plan.load(agency.planCode))!;
    const balance = await walletBalanceMicros(ctx, wallet);
    return formatScaled(availableMinuteUnits(balance, minutePriceMicros(plan, agency, sub, tier)), MINUTES_SCALE);
  }
}

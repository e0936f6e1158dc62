import { Arg, Ctx, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import { MinuteTierEnum, Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { toGlobalId } from '../../shared/global-id';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { availableMinuteUnits, minutePriceMicros } from '../pricing/pricing';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { WalletEntity } from './wallet.entity';
import { WalletType } from './wallet.type';

@Resolver(() => WalletType)
export class WalletResolver {
  @FieldResolver(() => ID)
  id(@Root() wallet: WalletEntity): string {
    return toGlobalId('Wallet', wallet.id);
  }

  @FieldResolver(() => SubAccountType)
  async subAccount(@Root() wallet: WalletEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    return (await ctx.loaders.subAccount.load(wallet.subAccountId))!;
  }

  @FieldResolver(() => Money)
  balance(@Root() wallet: WalletEntity): Money {
    return Money.ofMicros(wallet.balanceMicros);
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
    return formatScaled(availableMinuteUnits(wallet.balanceMicros, minutePriceMicros(plan, agency, sub, tier)), MINUTES_SCALE);
  }
}

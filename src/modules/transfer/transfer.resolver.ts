import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../graphql/common.types';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { DecimalScalar } from '../../graphql/scalars';
import { toGlobalId } from '../../shared/global-id';
import { formatScaled, MINUTES_SCALE } from '../../shared/money';
import { canReadSubAccount } from '../auth/access';
import type { LedgerTransferEntity } from '../ledger/ledger.entities';
import { WalletType } from '../wallet/wallet.type';
import type { WalletEntity } from '../wallet/wallet.entity';
import type { TransferQuoteResult } from './transfer.service';
import {
  AdjustWalletBalanceInput, AdjustWalletBalancePayload, TransferMinutesInput, TransferMinutesPayload, TransferQuoteType,
  TransferType,
} from './transfer.type';

const minutes = (units: bigint | null) => (units === null ? null : formatScaled(units, MINUTES_SCALE));

@Resolver(() => TransferType)
export class TransferResolver {
  @Query(() => TransferQuoteType, { description: 'Both sides of a minute transfer before making it.' })
  async transferQuote(@Arg('input', () => TransferMinutesInput) input: TransferMinutesInput, @Ctx() ctx: RequestContext) {
    const quote: TransferQuoteResult = await ctx.services.transfer.quote(ctx.viewer, input);
    return {
      tier: quote.tier,
      minutesSent: minutes(quote.minutesSentUnits),
      amount: Money.ofMicros(quote.amountMicros),
      fromMinutePrice: Money.ofMicros(quote.fromPriceMicros),
      toMinutePrice: Money.ofMicros(quote.toPriceMicros),
      minutesReceived: minutes(quote.minutesReceivedUnits),
    };
  }

  @Mutation(() => TransferMinutesPayload, {
    description: 'Moves minutes between two active sub-accounts of one agency at equal dollar value.',
  })
  transferMinutes(@Arg('input', () => TransferMinutesInput) input: TransferMinutesInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('transfer', () => ctx.services.transfer.transfer(ctx.viewer, input));
  }

  @Mutation(() => AdjustWalletBalancePayload, { description: 'Platform admins: a manual credit or debit with a reason.' })
  adjustWalletBalance(@Arg('input', () => AdjustWalletBalanceInput) input: AdjustWalletBalanceInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('transfer', () => ctx.services.wallet.adjust(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() transfer: LedgerTransferEntity): string {
    return toGlobalId('Transfer', transfer.id);
  }

  @FieldResolver(() => Money)
  amount(@Root() transfer: LedgerTransferEntity): Money {
    return Money.ofMicros(transfer.amountMicros);
  }

  @FieldResolver(() => DecimalScalar, { nullable: true })
  minutesSent(@Root() transfer: LedgerTransferEntity): string | null {
    return minutes(transfer.minutesSentUnits);
  }

  @FieldResolver(() => DecimalScalar, { nullable: true })
  minutesReceived(@Root() transfer: LedgerTransferEntity): string | null {
    return minutes(transfer.minutesReceivedUnits);
  }

  @FieldResolver(() => WalletType, { nullable: true, description: 'Null when money came from outside the wallets, or the wallet is not yours' })
  fromWallet(@Root() transfer: LedgerTransferEntity, @Ctx() ctx: RequestContext): Promise<WalletEntity | null> {
    return visibleWallet(ctx, transfer.debitAccountId);
  }

  @FieldResolver(() => WalletType, { nullable: true, description: 'Null when money left the wallets, or the wallet is not yours' })
  toWallet(@Root() transfer: LedgerTransferEntity, @Ctx() ctx: RequestContext): Promise<WalletEntity | null> {
    return visibleWallet(ctx, transfer.creditAccountId);
  }
}

/** A client admin sees its own side of a transfer, never the sibling's wallet. */
async function visibleWallet(ctx: RequestContext, accountId: string): Promise<WalletEntity | null> {
  const wallet = await ctx.loaders.wallet.load(accountId);
  if (!wallet) return null;
  const sub = await ctx.loaders.subAccount.load(wallet.subAccountId);
  return sub && canReadSubAccount(ctx.viewer, sub) ? wallet : null;
}

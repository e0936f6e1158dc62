import { Args, ArgsType, Ctx, Field, FieldResolver, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../../graphql/page.args';
import { DateRangeInput, validRange } from '../../graphql/date-range';
import type { RequestContext } from '../../graphql/context';
import type { TransferKind } from '../ledger/ledger.entities';
import { WalletType } from '../wallet/wallet.type';
import type { WalletEntity } from '../wallet/wallet.entity';
import { TransferConnection, TransferKindEnum } from './transfer.type';

@ArgsType()
class TransferListArgs extends PageArgs {
  @Field(() => DateRangeInput, { nullable: true }) range?: DateRangeInput | null;
  @Field(() => TransferKindEnum, { nullable: true }) kind?: TransferKind | null;
}

/**
 * `Wallet.transfers`, declared here rather than in wallet/: a transfer names its wallets, so
 * the wallet module would otherwise import transfer types while transfers import wallets.
 */
@Resolver(() => WalletType)
export class WalletTransfersResolver {
  @FieldResolver(() => TransferConnection, { description: 'Transfers in and out of this wallet, newest first' })
  transfers(@Root() wallet: WalletEntity, @Args() args: TransferListArgs, @Ctx() ctx: RequestContext) {
    return ctx.services.wallet.listTransfers(wallet, { ...args, range: validRange(args.range) });
  }
}

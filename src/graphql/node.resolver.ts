import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { fromGlobalId } from '../shared/global-id';
import { canManageAgency, canReadSubAccount, READER_ROLES, requireRole } from '../modules/auth/access';
import { Node } from './common.types';
import { toPayoutType } from '../modules/payout/payout.type';
import type { RequestContext } from './context';

/**
 * `node(id:)` goes through the same tenancy checks as the typed queries: an id of another
 * tenant returns null, exactly like an id that never existed.
 */
@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null when missing or not yours.' })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    requireRole(ctx.viewer, READER_ROLES);
    const decoded = fromGlobalId(id);
    if (!decoded) return null;
    const { viewer, loaders, services } = ctx;
    switch (decoded.type) {
      case 'Agency':
        return services.agency.find(viewer, id, (key) => loaders.agency.load(key));
      case 'SubAccount':
        return services.subAccount.find(viewer, id, (key) => loaders.subAccount.load(key));
      case 'Wallet': {
        const wallet = await loaders.wallet.load(decoded.id);
        const sub = wallet && (await loaders.subAccount.load(wallet.subAccountId));
        return wallet && sub && canReadSubAccount(viewer, sub) ? wallet : null;
      }
      case 'Transfer': {
        const transfer = await loaders.transfer.load(decoded.id);
        if (!transfer) return null;
        if (canManageAgency(viewer, transfer.agencyId)) return transfer;
        // A client admin sees the transfers of its own wallet only.
        const own = viewer.role === 'CLIENT_ADMIN' && viewer.subAccountId ? await loaders.walletBySubAccount.load(viewer.subAccountId) : undefined;
        return own && (own.id === transfer.debitAccountId || own.id === transfer.creditAccountId) ? transfer : null;
      }
      case 'Scenario': {
        const scenario = await loaders.scenario.load(decoded.id);
        const sub = scenario && (await loaders.subAccount.load(scenario.subAccountId));
        return scenario && sub && canReadSubAccount(viewer, sub) ? scenario : null;
      }
      case 'Call': {
        const call = await loaders.call.load(decoded.id);
        const sub = call && (await loaders.subAccount.load(call.subAccountId));
        return call && sub && canReadSubAccount(viewer, sub) ? call : null;
      }
      case 'Payout': {
        const payout = await services.payout.find(viewer, decoded.id);
        return payout && toPayoutType(payout);
      }
      case 'ApiKey':
        return viewer.role === 'CLIENT_ADMIN' ? null : services.apiKey.find(viewer, decoded.id);
      default:
        return null;
    }
  }
}


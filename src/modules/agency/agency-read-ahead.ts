import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../../graphql/context';
import { childFieldArgs } from '../../graphql/look-ahead';
import type { SubAccountListArgs } from '../sub-account/sub-account.service';
import type { SubAccountPageQuery } from '../sub-account/sub-account.repository';
import type { AgencyEntity } from './agency.entity';

/**
 * How `agency(id)` loads its row. A dashboard asks for the agency with a page of its
 * sub-accounts (and often its free slots): read all of it in one statement, and prime the
 * request's loaders so that `subAccounts` and `subAccountSlotsRemaining` find their rows
 * there instead of sending two or three statements of their own after this one.
 */
export function agencyLoaderFor(ctx: RequestContext, info: GraphQLResolveInfo): (id: string) => Promise<AgencyEntity | undefined> {
  const pageArgs = childFieldArgs(info, 'subAccounts') as SubAccountListArgs | undefined;
  if (!pageArgs) return (id) => ctx.loaders.agency.load(id);
  const activeCount = childFieldArgs(info, 'subAccountSlotsRemaining') !== undefined;
  return (id) => loadWithPage(ctx, id, pageArgs, activeCount);
}

async function loadWithPage(ctx: RequestContext, agencyId: string, pageArgs: SubAccountListArgs, activeCount: boolean) {
  let query: SubAccountPageQuery;
  try {
    query = ctx.services.subAccount.pageQuery(ctx.viewer, agencyId, pageArgs);
  } catch {
    // Not this viewer's to list, or bad arguments: the field itself says so, as without the read-ahead.
    return ctx.loaders.agency.load(agencyId);
  }
  const read = await ctx.services.subAccount.agencyWithPage(query, { activeCount });
  if (!read) return undefined;
  ctx.loaders.agency.prime(agencyId, read.agency);
  ctx.loaders.subAccountPage.prime(query, read.page);
  if (read.activeCount !== null) ctx.loaders.activeSubAccountCount.prime(agencyId, read.activeCount);
  // The plan (prices, slots) from the process's catalog, so that the page's fields find it at hand.
  await ctx.loaders.plan.load(read.agency.planCode);
  return read.agency;
}

import { Arg, Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Money } from '../../graphql/common.types';
import { PageArgs } from '../../graphql/page.args';
import type { Page } from '../../shared/pagination';
import { DateTimeScalar } from '../../graphql/scalars';
import { toUsageSummary } from '../reporting/usage-report.type';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { Statement } from './statement.service';
import { BillingStatementConnection, BillingStatementType } from './statement.type';

export function toStatementType(s: Statement): BillingStatementType {
  const f = s.figures;
  // `spent` is the ledger's USAGE debits: the same figure as the recorded calls' costs (one transaction wrote both), and the one the equation uses.
  const usage = toUsageSummary({ from: s.cycle.start, to: s.cycle.end }, s.usage, { spentMicros: f.spentMicros });
  return {
    subAccount: s.subAccount,
    cycle: s.cycle,
    closed: s.closed,
    openingBalance: Money.ofMicros(f.openingMicros),
    purchases: Money.ofMicros(f.purchasesMicros),
    transfersIn: Money.ofMicros(f.transfersInMicros),
    transfersOut: Money.ofMicros(f.transfersOutMicros),
    adjustments: Money.ofMicros(f.adjustmentsMicros),
    usage,
    closingBalance: Money.ofMicros(f.closingMicros),
    consumedMarkup: Money.ofMicros(s.usage.profitMicros),
  };
}

@Resolver(() => SubAccountType)
export class SubAccountStatementResolver {
  @FieldResolver(() => BillingStatementType, { description: 'The billing cycle starting at cycleStart; the current cycle without it' })
  async statement(
    @Root() sub: SubAccountEntity,
    @Arg('cycleStart', () => DateTimeScalar, { nullable: true }) cycleStart: Date | null,
    @Ctx() ctx: RequestContext,
  ): Promise<BillingStatementType> {
    return toStatementType(await ctx.services.statement.statement(ctx.viewer, ctx.loaders, sub, cycleStart));
  }

  @FieldResolver(() => BillingStatementConnection, {
    description: 'Every cycle since the one it was created in, newest first: the current one (closed: false), then the past ones',
  })
  async statements(@Root() sub: SubAccountEntity, @Args() args: PageArgs, @Ctx() ctx: RequestContext): Promise<Page<BillingStatementType>> {
    const page = await ctx.services.statement.statements(ctx.viewer, ctx.loaders, sub, args);
    return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toStatementType(e.node) })) };
  }
}

import { Field, Int, ObjectType } from 'type-graphql';
import { Money, PageInfo, MAX_PAGE_SIZE } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { UsageSummaryType } from '../reporting/usage-report.type';
import { BillingCycleType, SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { BillingCycle } from '../billing-cycle/billing-cycle';

/** Plain data built by the resolver (no per-field resolvers); `subAccount` holds the entity. */
@ObjectType('BillingStatement', {
  simpleResolvers: true,
  description:
    'One billing cycle of a sub-account, exact from the ledger: opening + purchases + transfersIn − transfersOut + adjustments − usage.spent = closing. ' +
    'Money is dated by when it moved: a call is on the statement of the cycle it was recorded (and debited) in.',
})
export class BillingStatementType {
  @Field(() => SubAccountType) subAccount!: SubAccountEntity;
  @Field(() => BillingCycleType) cycle!: BillingCycle;
  @Field(() => Boolean, { description: 'false for the cycle in progress' }) closed!: boolean;
  @Field(() => Money, { description: 'The balance at the cycle start' }) openingBalance!: Money;
  @Field(() => Money, { description: 'Top-ups, auto-recharges, auto allocations and plan grants (included and monthly minutes)' })
  purchases!: Money;
  @Field(() => Money, { description: 'Minute transfers received, and removed sub-accounts swept into this one (the primary)' })
  transfersIn!: Money;
  @Field(() => Money, { description: 'Minute transfers sent, and the sweep to the primary on removal' }) transfersOut!: Money;
  @Field(() => Money, { description: 'Manual adjustments, signed' }) adjustments!: Money;
  @Field(() => UsageSummaryType, { description: 'The calls recorded in the cycle; spent is what their USAGE debits took' })
  usage!: UsageSummaryType;
  @Field(() => Money, { description: 'The balance at the cycle end (now, for the cycle in progress)' }) closingBalance!: Money;
  @Field(() => Money, { description: 'The markup part of usage.spent (what the agency earned on it)' }) consumedMarkup!: Money;
}

@ObjectType('BillingStatementEdge', { simpleResolvers: true })
export class BillingStatementEdge {
  @Field(() => String) cursor!: string;
  @Field(() => BillingStatementType) node!: BillingStatementType;
}

@ObjectType('BillingStatementConnection', { simpleResolvers: true })
export class BillingStatementConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [BillingStatementEdge]) edges!: BillingStatementEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

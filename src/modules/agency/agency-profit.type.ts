import { Field, ObjectType } from 'type-graphql';
import { Money } from '../../graphql/common.types';

@ObjectType('AgencyProfit', {
  description:
    'Earned profit: minutes its clients bought × the markup at purchase time, booked in the ledger with each purchase; payouts draw it down. Not the consumed markup of usage reports (UsageSummary.profit).',
})
export class AgencyProfitType {
  @Field(() => Money, { description: 'Markup earned on purchases in the range (all time without one), less the markup of purchases refunded or disputed' }) earned!: Money;
  @Field(() => Money, { description: 'Paid out in the range (all time without one)' }) paidOut!: Money;
  @Field(() => Money, { description: 'Earned and not yet paid out, now' }) pendingPayout!: Money;
  @Field(() => Money, { description: 'Unpaid profit at which a payout is made' }) payoutThreshold!: Money;
}

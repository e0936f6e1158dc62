import { Field, ObjectType } from 'type-graphql';
import { Money } from '../../graphql/common.types';

@ObjectType('AgencyProfit', { description: 'Markup the agency earned on its clients’ purchases.' })
export class AgencyProfitType {
  @Field(() => Money, { description: 'Markup earned in the range (all time without one)' }) earned!: Money;
  @Field(() => Money, { description: 'Paid out in the range (all time without one)' }) paidOut!: Money;
  @Field(() => Money, { description: 'Earned and not yet paid out, now' }) pendingPayout!: Money;
  @Field(() => Money, { description: 'Unpaid profit at which a payout is made' }) payoutThreshold!: Money;
}

import { Field, Int, ObjectType } from 'type-graphql';
import { Money, Node, PageInfo, UserError, MAX_PAGE_SIZE, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { DateTimeScalar } from '../../graphql/scalars';
import { toGlobalId } from '../../shared/global-id';
import type { PayoutRecord } from './payout.repository';

@ObjectType('Payout', { implements: Node, description: "A transfer of the agency's earned profit to its Stripe Connect account." })
export class PayoutType extends Node {
  @Field(() => Money, { description: 'Whole cents of the pending profit at the time; the sub-cent rest stays pending' }) amount!: Money;
  @Field(() => String, {
    description: 'PENDING (sent, or being reconciled), PAID, FAILED (the amount went back to pending), REVERSED (Stripe reversed the transfer; back to pending)',
  })
  status!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
  /** Lets the Node interface resolve this object's GraphQL type. */
  readonly __typename = 'Payout' as const;
}

export function toPayoutType(payout: PayoutRecord): PayoutType {
  return Object.assign(new PayoutType(), {
    id: toGlobalId('Payout', payout.id),
    amount: Money.ofMicros(payout.amountCents * 10_000n),
    status: payout.status,
    createdAt: payout.createdAt,
  });
}

@ObjectType('PayoutEdge')
export class PayoutEdge {
  @Field(() => String) cursor!: string;
  @Field(() => PayoutType) node!: PayoutType;
}

@ObjectType('PayoutConnection')
export class PayoutConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [PayoutEdge]) edges!: PayoutEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType('StripeConnectLinkPayload')
export class StripeConnectLinkPayload {
  @Field(() => String, { nullable: true, description: "Stripe's onboarding page for the agency's Express account (single use, expires)" })
  url!: string | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('RequestPayoutPayload')
export class RequestPayoutPayload {
  @Field(() => PayoutType, { nullable: true, description: 'The payout made (or the one already in flight)' }) payout!: PayoutType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

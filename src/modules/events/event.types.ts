import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { Money } from '../../graphql/common.types';
import { SubAccountType } from '../sub-account/sub-account.type';
import { TransferType } from '../transfer/transfer.type';
import { AgencyType } from '../agency/agency.type';
import { CallType } from '../usage/call.type';

// Each event type's root value is an OutboxRow; every field is resolved in event.resolver.ts.

@ObjectType('BalanceEvent', { description: "A change of a wallet's balance by one ledger transfer." })
export class BalanceEventType {
  @Field(() => String, { description: 'Strictly increasing within a stream; pass the last one seen as afterSequence to resume' })
  sequence!: string;
  @Field(() => SubAccountType) subAccount!: SubAccountType;
  @Field(() => Money, { description: 'The balance right after this transfer' }) balance!: Money;
  @Field(() => Money, { description: 'Signed: negative for a debit' }) delta!: Money;
  @Field(() => TransferType) transfer!: TransferType;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}

@ObjectType('UsageEvent', { description: 'A recorded call and its debit.' })
export class UsageEventType {
  @Field(() => String) sequence!: string;
  @Field(() => SubAccountType) subAccount!: SubAccountType;
  @Field(() => CallType) call!: CallType;
  @Field(() => DecimalScalar, { description: "Minutes used in the sub-account's current billing cycle" }) cycleMinutes!: string;
  @Field(() => Money, { description: 'The balance right after this call' }) balance!: Money;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}

@ObjectType('AgencyEvent', { description: "Anything that happened in an agency's account." })
export class AgencyEventType {
  @Field(() => String) sequence!: string;
  @Field(() => String, {
    description: 'SUB_ACCOUNT_ADDED, SUB_ACCOUNT_UPDATED, SUB_ACCOUNT_REMOVED, SUB_ACCOUNT_RESTORED, BALANCE_CHANGED, ' +
      'USAGE_RECORDED, LOW_BALANCE, BALANCE_DEPLETED, BALANCE_RECOVERED, HEALTH_CHANGED, AUTO_RECHARGE_FAILED, AUTO_ALLOCATION_FAILED, PAYOUT_PAID, ' +
      'PAYMENT_REFUNDED, PAYMENT_DISPUTED, PAYMENT_DISPUTE_CLOSED',
  })
  type!: string;
  @Field(() => AgencyType) agency!: AgencyType;
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @Field(() => BalanceEventType, { nullable: true, description: 'For balance events and threshold crossings' })
  balanceEvent!: BalanceEventType | null;
  @Field(() => UsageEventType, { nullable: true, description: 'For USAGE_RECORDED' }) usageEvent!: UsageEventType | null;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}

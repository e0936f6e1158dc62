import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { MinuteTierEnum, Money, Node, PageInfo, UserError, MAX_PAGE_SIZE, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { TRANSFER_KINDS, type TransferKind } from '../ledger/ledger.entities';

export const TransferKindEnum = Object.fromEntries(TRANSFER_KINDS.map((k) => [k, k])) as { [K in TransferKind]: K };
registerEnumType(TransferKindEnum, {
  name: 'TransferKind',
  description: 'Why money moved. MARKUP_PROFIT: the agency earns its markup on a purchase (or gives it back when the purchase is refunded or disputed). REFUND: Stripe refunded a purchase, the wallet gives it back. DISPUTE: a cardholder disputed a purchase, the wallet gives it back while Stripe holds the funds (and gets it back when the dispute is won).',
});

@ObjectType('Transfer', { implements: Node, description: 'One immutable movement of money in the ledger.' })
export class TransferType extends Node {
  @Field(() => TransferKindEnum) kind!: TransferKind;
  @Field(() => MinuteTierEnum, { nullable: true }) tier!: MinuteTierEnum | null;
  @Field(() => String, { nullable: true }) idempotencyKey!: string | null;
  @Field(() => String, { nullable: true }) memo!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType('TransferEdge')
export class TransferEdge {
  @Field(() => String) cursor!: string;
  @Field(() => TransferType) node!: TransferType;
}

@ObjectType('TransferConnection')
export class TransferConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [TransferEdge]) edges!: TransferEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType('TransferQuote', { description: 'What a minute transfer would move right now.' })
export class TransferQuoteType {
  @Field(() => MinuteTierEnum) tier!: MinuteTierEnum;
  @Field(() => DecimalScalar) minutesSent!: string;
  @Field(() => Money, { description: 'What leaves the source wallet' }) amount!: Money;
  @Field(() => Money) fromMinutePrice!: Money;
  @Field(() => Money) toMinutePrice!: Money;
  @Field(() => DecimalScalar, { description: "Recalculated at the destination's markup" }) minutesReceived!: string;
}

@InputType('TransferMinutesInput')
export class TransferMinutesInput {
  @Field(() => ID) @MaxLength(200) fromSubAccountId!: string;
  @Field(() => ID) @MaxLength(200) toSubAccountId!: string;
  @Field(() => MinuteTierEnum) tier!: MinuteTierEnum;
  @Field(() => DecimalScalar, { description: 'Positive, at most 4 decimals' }) minutes!: string;
  @Field(() => String, { description: 'Required; ignored by transferQuote. The same key and input return the first transfer.' })
  @MaxLength(1000)
  idempotencyKey!: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'From a quote; QUOTE_CHANGED when prices moved' })
  expectedMinutesReceived?: string | null;
  @Field(() => String, { nullable: true }) @MaxLength(1000) memo?: string | null;
}

@ObjectType('TransferMinutesPayload')
export class TransferMinutesPayload {
  @Field(() => TransferType, { nullable: true }) transfer!: TransferType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('AdjustWalletBalanceInput')
export class AdjustWalletBalanceInput {
  @Field(() => ID) @MaxLength(200) subAccountId!: string;
  @Field(() => DecimalScalar, { description: 'Signed: credit when positive, debit when negative' }) amount!: string;
  @Field(() => String) @MaxLength(1000) reason!: string;
  @Field(() => String) @MaxLength(1000) idempotencyKey!: string;
}

@ObjectType('AdjustWalletBalancePayload')
export class AdjustWalletBalancePayload {
  @Field(() => TransferType, { nullable: true }) transfer!: TransferType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

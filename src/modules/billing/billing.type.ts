import { MaxLength } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Money, UserError, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { SubAccountType } from '../sub-account/sub-account.type';
import { MaxItems } from '../../graphql/list-size';
import { DecimalScalar } from '../../graphql/scalars';
import { TransferType } from '../transfer/transfer.type';

@ObjectType('PaymentMethod', { description: "The sub-account's saved card (Stripe); only its owner's readers see it." })
export class PaymentMethodType {
  @Field(() => String, { description: 'visa, mastercard, amex, …' }) brand!: string;
  @Field(() => String) last4!: string;
  @Field(() => Int) expMonth!: number;
  @Field(() => Int) expYear!: number;
}

@InputType('TopUpWalletInput')
export class TopUpWalletInput {
  @Field(() => ID) @MaxLength(200) subAccountId!: string;
  @Field(() => DecimalScalar, {
    description: 'Dollars, 0.50 to 10,000; charged rounded up to the cent, and the wallet credited exactly what was charged',
  })
  amount!: string;
  @Field(() => String, { description: 'The same key and amount never charge twice; another amount under it is IDEMPOTENCY_CONFLICT' })
  @MaxLength(1000)
  idempotencyKey!: string;
}

@ObjectType('TopUpWalletPayload')
export class TopUpWalletPayload {
  @Field(() => TransferType, { nullable: true, description: 'The TOP_UP transfer, once Stripe confirmed the money' })
  transfer!: TransferType | null;
  @Field(() => String, {
    nullable: true,
    description: 'With PAYMENT_ACTION_REQUIRED: the PaymentIntent client secret for Stripe.js (the customer authenticates; the webhook credits)',
  })
  clientSecret!: string | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('PaymentMethodSetupPayload')
export class PaymentMethodSetupPayload {
  @Field(() => String, { nullable: true, description: 'The SetupIntent client secret: confirm it with Stripe.js to save the card' })
  clientSecret!: string | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('AutoRecharge', { description: 'Charges the saved card when the wallet falls below a threshold.' })
export class AutoRechargeType {
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => Money, { description: 'A balance below this is recharged (checked every minute and on saving)' }) threshold!: Money;
  @Field(() => Money, { description: 'Charged per recharge; buys Premium minutes at the client price' }) rechargeAmount!: Money;
  @Field(() => Money, { nullable: true, description: 'Null: no cap on recharges per calendar month (UTC)' }) monthlyCap!: Money | null;
  @Field(() => Int, { description: 'Disabled automatically after 3 failed charges in a row' }) consecutiveFailures!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
}

@InputType('SetAutoRechargeInput')
export class SetAutoRechargeInput {
  @Field(() => ID) @MaxLength(200) subAccountId!: string;
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => DecimalScalar, { description: 'Dollars, 0 to 1,000,000' }) threshold!: string;
  @Field(() => DecimalScalar, { description: 'Dollars, 0.50 to 10,000, whole cents' }) rechargeAmount!: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'Dollars per calendar month (UTC), at least rechargeAmount; null: no cap' })
  monthlyCap?: string | null;
}

@ObjectType('SetAutoRechargePayload')
export class SetAutoRechargePayload {
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

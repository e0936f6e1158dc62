import { MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Node, UserError, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { DecimalScalar } from '../../graphql/scalars';

@ObjectType('Wallet', { implements: Node, description: 'The dollar value of the minutes a sub-account can still use.' })
export class WalletType extends Node {}

@InputType('SetLowBalanceThresholdInput')
export class SetLowBalanceThresholdInput {
  @Field(() => ID) @MaxLength(200) subAccountId!: string;
  @Field(() => DecimalScalar, { description: 'Dollars, 0 to 1,000,000, at most 6 decimals; 0 turns LOW_BALANCE off' })
  threshold!: string;
}

@ObjectType('SetLowBalanceThresholdPayload')
export class SetLowBalanceThresholdPayload {
  @Field(() => WalletType, { nullable: true }) wallet!: WalletType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

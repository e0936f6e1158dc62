import { MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MAX_USER_ERRORS_PER_MUTATION, UserError } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { SubAccountType } from '../sub-account/sub-account.type';

@ObjectType('AutoAllocation', {
  description: "Minutes bought for a secondary every billing cycle of it, charged to the agency primary's saved card at the client price.",
})
export class AutoAllocationType {
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => DecimalScalar, { description: 'Basic minutes bought each cycle' }) basicMinutes!: string;
  @Field(() => DecimalScalar, { description: 'Premium minutes bought each cycle' }) premiumMinutes!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The cycle start of the next purchase (runs within 10 minutes of it); null when disabled' })
  nextRunAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the last purchase was run, whatever its outcome' }) lastRunAt!: Date | null;
  @Field(() => String, { nullable: true, description: "The last run's failure (declined card, no saved card); null after a success" })
  lastError!: string | null;
}

@InputType('SetAutoAllocationInput')
export class SetAutoAllocationInput {
  @Field(() => ID, { description: 'A secondary sub-account (not the primary, whose card pays)' }) @MaxLength(200) subAccountId!: string;
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => DecimalScalar, { description: 'Minutes per cycle, 0 to 1,000,000, at most 4 decimals' }) basicMinutes!: string;
  @Field(() => DecimalScalar, { description: 'Minutes per cycle, 0 to 1,000,000, at most 4 decimals' }) premiumMinutes!: string;
}

@ObjectType('SetAutoAllocationPayload')
export class SetAutoAllocationPayload {
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

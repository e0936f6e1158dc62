import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { Node, PageInfo, SubAccountKindEnum, SubAccountStatusEnum, UserError, MAX_PAGE_SIZE, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { AgencyType } from '../agency/agency.type';

@ObjectType('SubAccount', { implements: Node, description: "An agency's own (PRIMARY) or client (SECONDARY) account." })
export class SubAccountType extends Node {
  @Field(() => SubAccountKindEnum) kind!: SubAccountKindEnum;
  @Field(() => SubAccountStatusEnum) status!: SubAccountStatusEnum;
  @Field(() => String) name!: string;
  @Field(() => String) loginEmail!: string;
  @Field(() => DateTimeScalar, { description: 'Anchor of the monthly billing cycle' }) subscriptionStartedAt!: Date;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) removedAt!: Date | null;
}

@ObjectType('BillingCycle')
export class BillingCycleType {
  @Field(() => DateTimeScalar) start!: Date;
  @Field(() => DateTimeScalar) end!: Date;
  @Field(() => DateTimeScalar) nextBillingDate!: Date;
}

@ObjectType('SubAccountEdge')
export class SubAccountEdge {
  @Field(() => String) cursor!: string;
  @Field(() => SubAccountType) node!: SubAccountType;
}

@ObjectType('SubAccountConnection')
export class SubAccountConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [SubAccountEdge]) edges!: SubAccountEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@InputType('AddSubAccountInput')
export class AddSubAccountInput {
  @Field(() => ID) @MaxLength(200) agencyId!: string;
  @Field(() => String) @MaxLength(1000) name!: string;
  @Field(() => String) @MaxLength(1000) loginEmail!: string;
  @Field(() => DecimalScalar, { nullable: true, description: '$ per minute; the agency default when omitted' })
  markupBasic?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) markupPremium?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: no markup at all' }) applyBasePrice?: boolean | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Billing cycle anchor; now when omitted' })
  subscriptionStartedAt?: Date | null;
}

@ObjectType('AddSubAccountPayload')
export class AddSubAccountPayload {
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('UpdateSubAccountInput', {
  description: 'Omitted fields stay as they are. A markup set to null follows the agency default again.',
})
export class UpdateSubAccountInput {
  @Field(() => ID) @MaxLength(200) id!: string;
  @Field(() => String, { nullable: true }) @MaxLength(1000) name?: string | null;
  @Field(() => String, { nullable: true }) @MaxLength(1000) loginEmail?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) markupBasic?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) markupPremium?: string | null;
  @Field(() => Boolean, { nullable: true }) applyBasePrice?: boolean | null;
}

@ObjectType('UpdateSubAccountPayload')
export class UpdateSubAccountPayload {
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('RemoveSubAccountInput')
export class RemoveSubAccountInput {
  @Field(() => ID) @MaxLength(200) id!: string;
}

@ObjectType('RemoveSubAccountPayload')
export class RemoveSubAccountPayload {
  @Field(() => ID, { nullable: true }) removedSubAccountId!: string | null;
  @Field(() => AgencyType, { nullable: true }) agency!: AgencyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('RestoreSubAccountInput')
export class RestoreSubAccountInput {
  @Field(() => ID) @MaxLength(200) id!: string;
}

@ObjectType('RestoreSubAccountPayload')
export class RestoreSubAccountPayload {
  @Field(() => SubAccountType, { nullable: true }) subAccount!: SubAccountType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { Node, PageInfo, UserError, MAX_PAGE_SIZE, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';

@ObjectType('Agency', { implements: Node, description: 'A reseller: one primary sub-account and its clients.' })
export class AgencyType extends Node {
  @Field(() => String) name!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType('AgencyEdge')
export class AgencyEdge {
  @Field(() => String) cursor!: string;
  @Field(() => AgencyType) node!: AgencyType;
}

@ObjectType('AgencyConnection')
export class AgencyConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [AgencyEdge]) edges!: AgencyEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@InputType('CreateAgencyInput')
export class CreateAgencyInput {
  @Field(() => String) @MaxLength(1000) name!: string;
  @Field(() => String) @MaxLength(64) planCode!: string;
  @Field(() => String) @MaxLength(1000) primaryLoginEmail!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Anchor of the billing cycle; now when omitted' })
  planStartedAt?: Date | null;
}

@ObjectType('CreateAgencyPayload')
export class CreateAgencyPayload {
  @Field(() => AgencyType, { nullable: true }) agency!: AgencyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('ChangeAgencyPlanInput')
export class ChangeAgencyPlanInput {
  @Field(() => ID) @MaxLength(200) agencyId!: string;
  @Field(() => String) @MaxLength(64) planCode!: string;
}

@ObjectType('ChangeAgencyPlanPayload')
export class ChangeAgencyPlanPayload {
  @Field(() => AgencyType, { nullable: true }) agency!: AgencyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('SetAgencyMarkupInput')
export class SetAgencyMarkupInput {
  @Field(() => ID) @MaxLength(200) agencyId!: string;
  @Field(() => DecimalScalar, { description: '$ per Basic minute over the base price' }) basic!: string;
  @Field(() => DecimalScalar, { description: '$ per Premium minute over the base price' }) premium!: string;
}

@ObjectType('SetAgencyMarkupPayload')
export class SetAgencyMarkupPayload {
  @Field(() => AgencyType, { nullable: true }) agency!: AgencyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

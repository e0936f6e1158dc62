import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar } from '../../graphql/scalars';
import { Node, RoleEnum, UserError, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { AgencyType } from '../agency/agency.type';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { Role } from './role';

@ObjectType('ApiKey', { implements: Node, description: 'A credential; its secret is shown once, at creation.' })
export class ApiKeyType extends Node {
  @Field(() => String) name!: string;
  @Field(() => RoleEnum) role!: Role;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType('Viewer', { description: 'Who the credentials of this request belong to.' })
export class ViewerType {
  @Field(() => RoleEnum) role!: Role;
  @Field(() => AgencyType, { nullable: true }) agency!: unknown;
  @Field(() => SubAccountType, { nullable: true }) subAccount!: unknown;
}

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field(() => String) @MaxLength(1000) name!: string;
  @Field(() => RoleEnum) role!: Role;
  @Field(() => ID, { nullable: true, description: 'Required for AGENCY_ADMIN and USAGE_INGEST keys' })
  @MaxLength(200)
  agencyId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Required for CLIENT_ADMIN keys' })
  @MaxLength(200)
  subAccountId?: string | null;
}

@ObjectType('CreateApiKeyPayload')
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: 'Shown once, never stored in clear' }) secret!: string | null;
  @Field(() => ApiKeyType, { nullable: true }) apiKey!: ApiKeyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType('RevokeApiKeyInput')
export class RevokeApiKeyInput {
  @Field(() => ID) @MaxLength(200) id!: string;
}

@ObjectType('RevokeApiKeyPayload')
export class RevokeApiKeyPayload {
  @Field(() => ApiKeyType, { nullable: true }) apiKey!: ApiKeyType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

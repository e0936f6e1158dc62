import { Field, ID, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from './scalars';
import { formatMicros } from '../shared/money';
import { ROLES } from '../modules/auth/role';
import { MaxItems } from './list-size';
import { nodeTypeName } from './node-types';

export enum MinuteTierEnum { BASIC = 'BASIC', PREMIUM = 'PREMIUM' }
registerEnumType(MinuteTierEnum, { name: 'MinuteTier', description: 'Minute quality tiers, each with its own price.' });

export enum SubAccountKindEnum { PRIMARY = 'PRIMARY', SECONDARY = 'SECONDARY' }
registerEnumType(SubAccountKindEnum, { name: 'SubAccountKind' });

export enum SubAccountStatusEnum { ACTIVE = 'ACTIVE', REMOVED = 'REMOVED' }
registerEnumType(SubAccountStatusEnum, { name: 'SubAccountStatus' });

export const RoleEnum = Object.fromEntries(ROLES.map((r) => [r, r])) as { [K in (typeof ROLES)[number]]: K };
registerEnumType(RoleEnum, { name: 'Role', description: 'What an API key or token may do; see the README.' });

/** Relay's object identification: any object with a global id can be fetched with `node(id:)`. */
@InterfaceType('Node', {
  resolveType: (value: object) => nodeTypeName(value),
})
export abstract class Node {
  @Field(() => ID) id!: string;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

/** Plain data (`simpleResolvers`): graphql-js reads both fields directly, with no per-field wrapper. */
@ObjectType({ description: 'An amount of US dollars, exact to the micro-dollar.', simpleResolvers: true })
export class Money {
  @Field(() => DecimalScalar, { description: 'USD, up to 6 fractional digits (micro-dollars)' }) amount!: string;
  @Field(() => String) currencyCode!: string;

  static ofMicros(micros: bigint): Money {
    return Object.assign(new Money(), { amount: formatMicros(micros), currencyCode: 'USD' });
  }
}

/** A mutation's payload reports one business failure (mutationPayload stops at the first). */
export const MAX_USER_ERRORS_PER_MUTATION = 1;
/** Segments of a `UserError.field` path: the deepest is ["inputs", "<index>", "<field>"]. */
export const MAX_USER_ERROR_PATH_SEGMENTS = 8;

@ObjectType({ description: 'A business-rule failure of a mutation: nothing was changed.' })
export class UserError {
  @Field(() => String, { description: 'Stable machine code, e.g. PLAN_LIMIT_REACHED' }) code!: string;
  @Field(() => String, { description: 'For people' }) message!: string;
  @MaxItems(MAX_USER_ERROR_PATH_SEGMENTS)
  @Field(() => [String], { nullable: true, description: 'Path into the input, where one field is at fault' })
  field!: string[] | null;
}

/** Upper bound of `first` on every connection, and the default (defined beside the pagination helpers). */
export { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../shared/pagination';

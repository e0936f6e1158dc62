import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../graphql/scalars';
import { MinuteTierEnum, Node, PageInfo, UserError, MAX_PAGE_SIZE, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { WalletType } from '../wallet/wallet.type';
import { CALL_STATUSES, type CallStatus } from './call.entity';
import { MAX_CALLS_PER_BATCH } from './call-input';
import { CALL_ORDERS, type CallOrder } from './call.repository';

export const CallStatusEnum = Object.fromEntries(CALL_STATUSES.map((s) => [s, s])) as { [K in CallStatus]: K };
registerEnumType(CallStatusEnum, { name: 'CallStatus', description: 'How a call ended.' });

export const CallOrderEnum = Object.fromEntries(CALL_ORDERS.map((o) => [o, o])) as { [K in CallOrder]: K };
registerEnumType(CallOrderEnum, {
  name: 'CallOrder',
  description: 'The order of a sub-account\'s calls, newest first.',
  valuesConfig: {
    STARTED_AT: { description: "By start instant (the voice platform's clock). A call pushed late lands among older ones." },
    RECORDED: {
      description:
        'By when the API recorded it (commit order). A call never lands behind one already served: poll the first page until the last call you saw to miss none.',
    },
  },
});

@ObjectType('Call', { implements: Node, description: 'One finished call, with the cost debited from its wallet.' })
export class CallType extends Node {
  @Field(() => String, { description: "The voice platform's id: the same call is recorded once per sub-account" })
  externalCallId!: string;
  @Field(() => MinuteTierEnum) tier!: MinuteTierEnum;
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => DateTimeScalar, { description: 'Reports count a call in the range and UTC day it started in' }) startedAt!: Date;
  @Field(() => Int) durationSeconds!: number;
  @Field(() => DateTimeScalar, { description: 'When it was recorded; its price is the one in force then' }) recordedAt!: Date;
}

@ObjectType('CallEdge')
export class CallEdge {
  @Field(() => String) cursor!: string;
  @Field(() => CallType) node!: CallType;
}

@ObjectType('CallConnection')
export class CallConnection {
  @MaxItems(MAX_PAGE_SIZE, { sizedByParent: true }) @Field(() => [CallEdge]) edges!: CallEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

/**
 * No class-validator constraints: `validCallOrThrow` checks every field of every call
 * (ids, the 200-character externalCallId, duration, dates), so a bad call is refused on
 * its own with a userError instead of failing its whole batch, and a batch of 1,000 is not
 * walked a second time by class-validator. The 1 MB body limit bounds the strings.
 */
@InputType('RecordCallUsageInput')
export class RecordCallUsageInput {
  @Field(() => ID) subAccountId!: string;
  @Field(() => String, { description: 'Idempotency: the same call twice is recorded once; other terms under it: IDEMPOTENCY_CONFLICT' })
  externalCallId!: string;
  @Field(() => ID, { nullable: true, description: 'A scenario of the same sub-account' }) scenarioId?: string | null;
  @Field(() => MinuteTierEnum) tier!: MinuteTierEnum;
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => DateTimeScalar) startedAt!: Date;
  @Field(() => Int, { description: 'Whole seconds, 0 to 86,400' }) durationSeconds!: number;
}

@ObjectType('RecordCallUsagePayload')
export class RecordCallUsagePayload {
  @Field(() => CallType, { nullable: true, description: 'The call recorded, or the first record of a retried one' }) call!: CallType | null;
  @Field(() => WalletType, { nullable: true, description: 'The debited wallet; null for usage-ingest keys, which read nothing' })
  wallet!: WalletType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('RecordCallUsageBatchPayload')
export class RecordCallUsageBatchPayload {
  @MaxItems(MAX_CALLS_PER_BATCH, { sizedByParent: true })
  @Field(() => [CallType], { description: 'The calls recorded (or first records of retried ones), in input order' })
  calls!: CallType[];
  @MaxItems(MAX_CALLS_PER_BATCH, { sizedByParent: true })
  @Field(() => [UserError], { description: 'One per refused call; `field` starts with ["inputs", "<index>"]' })
  userErrors!: UserError[];
}

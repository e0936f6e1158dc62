import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { BadUserInputError, ForbiddenError } from '../../graphql/errors';
import { Money } from '../../graphql/common.types';
import { DecimalScalar } from '../../graphql/scalars';
import { decodeId } from '../../shared/global-id';
import { canManageAgency, canReadSubAccount, READER_ROLES, requireRole } from '../auth/access';
import type { AgencyEntity } from '../agency/agency.entity';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { LedgerTransferEntity } from '../ledger/ledger.entities';
import type { CallEntity } from '../usage/call.entity';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import { formatMinutes } from '../reporting/usage-report.service';
import { AgencyEventType, BalanceEventType, UsageEventType } from './event.types';
import { EventType } from '../outbox/outbox-writer';
import { decodeSequence, encodeSequence, type OutboxRow } from '../outbox/outbox.entity';
import type { StreamItem, StreamScope } from './event-stream';

const BALANCE_TYPES = new Set<string>([EventType.BALANCE_CHANGED]);
const USAGE_TYPES = new Set<string>([EventType.USAGE_RECORDED]);
const AGENCY_TYPES = new Set<string>(Object.values(EventType).filter((type) => type !== EventType.API_KEY_REVOKED));
const WITH_BALANCE_EVENT = new Set<string>([
  EventType.BALANCE_CHANGED, EventType.USAGE_RECORDED, EventType.LOW_BALANCE, EventType.BALANCE_DEPLETED, EventType.BALANCE_RECOVERED,
]);

/** Arguments of walletBalanceChanged and usageUpdated (read by `subscribe`, declared here for the schema). */
@ArgsType()
class StreamArgs {
  @Field(() => ID, { nullable: true }) subAccountId?: string | null;
  @Field(() => ID, { nullable: true }) agencyId?: string | null;
  @Field(() => String, { nullable: true }) afterSequence?: string | null;
}

type SubscribeArgs = StreamArgs;

function afterCursor(afterSequence: string | null | undefined) {
  if (afterSequence == null) return undefined;
  const cursor = decodeSequence(afterSequence);
  if (!cursor) throw new BadUserInputError('afterSequence is not a sequence this API sent', 'afterSequence');
  return cursor;
}

const notFound = (what: string, field: string) => new BadUserInputError(`No ${what} with this id`, field);

/**
 * The scope of walletBalanceChanged / usageUpdated: one sub-account (which the viewer may
 * read, and which is active), or a whole agency (agency admins); without arguments, the
 * viewer's own sub-account (client admin) or agency (agency admin).
 */
async function resolveScope(ctx: RequestContext, args: SubscribeArgs, types: ReadonlySet<string>): Promise<StreamScope> {
  const { viewer, loaders } = ctx;
  requireRole(viewer, READER_ROLES);
  // A client admin who names nothing watches its own sub-account.
  const ownSubAccount = args.subAccountId == null && args.agencyId == null && viewer.role === 'CLIENT_ADMIN';
  if (args.subAccountId != null || ownSubAccount) {
    const id = ownSubAccount ? viewer.subAccountId : decodeId(args.subAccountId!, 'SubAccount');
    const sub = id ? await loaders.subAccount.load(id) : undefined;
    if (!sub || !canReadSubAccount(viewer, sub)) throw notFound('sub-account', 'subAccountId');
    if (args.agencyId != null && decodeId(args.agencyId, 'Agency') !== sub.agencyId) throw notFound('sub-account', 'subAccountId');
    if (sub.status !== 'ACTIVE') throw new ForbiddenError('The sub-account is removed');
    return { agencyId: sub.agencyId, subAccountId: sub.id, types, agencyWide: false };
  }
  const agencyId = args.agencyId != null ? decodeId(args.agencyId, 'Agency') : viewer.agencyId;
  if (!agencyId) throw new BadUserInputError('Pass subAccountId or agencyId', 'agencyId');
  return agencyScope(ctx, agencyId, types);
}

async function agencyScope(ctx: RequestContext, agencyId: string | undefined, types: ReadonlySet<string>): Promise<StreamScope> {
  requireRole(ctx.viewer, READER_ROLES);
  const agency = agencyId ? await ctx.loaders.agency.load(agencyId) : undefined;
  if (!agency) throw notFound('agency', 'agencyId');
  if (!canManageAgency(ctx.viewer, agency.id)) {
    if (ctx.viewer.role === 'CLIENT_ADMIN' && ctx.viewer.agencyId === agency.id) {
      throw new ForbiddenError('Only the agency admin sees agency-wide events');
    }
    throw notFound('agency', 'agencyId');
  }
  return { agencyId: agency.id, types, agencyWide: true };
}

async function open(ctx: RequestContext, scope: Promise<StreamScope>, afterSequence: string | null | undefined) {
  try {
    if (!ctx.events) throw new BadUserInputError('Subscriptions are served over WebSocket on /graphql (graphql-transport-ws)');
    const after = afterCursor(afterSequence);
    // A refusal (RESUME_TOO_OLD from the hub, FORBIDDEN from the scope's access check) reaches
    // clients through the error formatter, like any resolver's.
    return await ctx.events.open(await scope, ctx.viewer, after);
  } finally {
    // The scope check is already running: when a bad afterSequence is refused first, its
    // rejection must not go unhandled (Node ends the process on an unhandled rejection).
    scope.catch(() => undefined);
  }
}

/**
 * The event of one stream item, or the end of the stream. Each event's execution gets fresh
 * loaders from `subscribeShared` (one set per event, like one per request), and its result is
 * shared by subscriptions with the same document and viewer: per-event resolvers must read
 * nothing but the row, the viewer and their own field arguments (never the root field's
 * arguments, which only choose the stream).
 */
function eventRow(item: StreamItem): OutboxRow {
  if (item.end) throw item.end; // a Refusal: the error formatter gives it its code and details
  return item.row;
}

@Resolver()
export class EventSubscriptionResolver {
  @Subscription(() => BalanceEventType, {
    description: "Balance changes of one sub-account's wallet, or of all an agency's wallets",
    subscribe: ({ args, context }) => open(context, resolveScope(context, args, BALANCE_TYPES), args.afterSequence),
  })
  walletBalanceChanged(
    @Root() item: StreamItem,
    @Args(() => StreamArgs) _args: StreamArgs,
  ): OutboxRow {
    return eventRow(item);
  }

  @Subscription(() => UsageEventType, {
    description: "Calls recorded for one sub-account, or for all an agency's sub-accounts",
    subscribe: ({ args, context }) => open(context, resolveScope(context, args, USAGE_TYPES), args.afterSequence),
  })
  usageUpdated(
    @Root() item: StreamItem,
    @Args(() => StreamArgs) _args: StreamArgs,
  ): OutboxRow {
    return eventRow(item);
  }

  @Subscription(() => AgencyEventType, {
    description: "Everything that happens in an agency's account (agency admins)",
    subscribe: ({ args, context }) =>
      open(context, agencyScope(context, decodeId(args.agencyId, 'Agency'), AGENCY_TYPES), args.afterSequence),
  })
  agencyActivity(
    @Root() item: StreamItem,
    @Arg('agencyId', () => ID) _agencyId: string,
    @Arg('afterSequence', () => String, { nullable: true }) _afterSequence?: string,
  ): OutboxRow {
    return eventRow(item);
  }
}

async function subAccountOf(row: OutboxRow, ctx: RequestContext): Promise<SubAccountEntity> {
  return (await ctx.loaders.subAccount.load(row.subAccountId!))!;
}

async function transferOf(row: OutboxRow, ctx: RequestContext): Promise<LedgerTransferEntity> {
  return (await ctx.loaders.transfer.load(row.transferId!))!;
}

@Resolver(() => BalanceEventType)
export class BalanceEventResolver {
  @FieldResolver(() => String)
  sequence(@Root() row: OutboxRow): string {
    return encodeSequence(row);
  }

  @FieldResolver()
  subAccount(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    return subAccountOf(row, ctx);
  }

  @FieldResolver(() => Money)
  balance(@Root() row: OutboxRow): Money {
    return Money.ofMicros(row.balanceMicros!);
  }

  @FieldResolver(() => Money)
  delta(@Root() row: OutboxRow): Money {
    return Money.ofMicros(row.deltaMicros!);
  }

  @FieldResolver()
  transfer(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<LedgerTransferEntity> {
    return transferOf(row, ctx);
  }

  @FieldResolver()
  occurredAt(@Root() row: OutboxRow): Date {
    return row.occurredAt;
  }
}

@Resolver(() => UsageEventType)
export class UsageEventResolver {
  @FieldResolver(() => String)
  sequence(@Root() row: OutboxRow): string {
    return encodeSequence(row);
  }

  @FieldResolver()
  subAccount(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    return subAccountOf(row, ctx);
  }

  @FieldResolver()
  async call(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<CallEntity> {
    const debit = { subAccountId: row.subAccountId!, transferId: row.transferId!, recordedAt: row.occurredAt };
    return (await ctx.loaders.callOfUsageDebit.load(debit))!;
  }

  @FieldResolver(() => DecimalScalar)
  async cycleMinutes(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<string> {
    const sub = await subAccountOf(row, ctx);
    const cycle = billingCycleAt(sub.subscriptionStartedAt, row.occurredAt);
    const figures = await ctx.loaders.usageFigures.load({ subAccountId: sub.id, from: cycle.start, to: cycle.end });
    return formatMinutes(figures.durationSeconds);
  }

  @FieldResolver(() => Money)
  balance(@Root() row: OutboxRow): Money {
    return Money.ofMicros(row.balanceMicros!);
  }

  @FieldResolver()
  occurredAt(@Root() row: OutboxRow): Date {
    return row.occurredAt;
  }
}

@Resolver(() => AgencyEventType)
export class AgencyEventResolver {
  @FieldResolver(() => String)
  sequence(@Root() row: OutboxRow): string {
    return encodeSequence(row);
  }

  @FieldResolver(() => String)
  type(@Root() row: OutboxRow): string {
    return row.type;
  }

  @FieldResolver()
  async agency(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<AgencyEntity> {
    return (await ctx.loaders.agency.load(row.agencyId!))!;
  }

  @FieldResolver()
  async subAccount(@Root() row: OutboxRow, @Ctx() ctx: RequestContext): Promise<SubAccountEntity | null> {
    return row.subAccountId ? subAccountOf(row, ctx) : null;
  }

  @FieldResolver()
  balanceEvent(@Root() row: OutboxRow): OutboxRow | null {
    return WITH_BALANCE_EVENT.has(row.type) && row.transferId ? row : null;
  }

  @FieldResolver()
  usageEvent(@Root() row: OutboxRow): OutboxRow | null {
    return row.type === EventType.USAGE_RECORDED ? row : null;
  }

  @FieldResolver()
  occurredAt(@Root() row: OutboxRow): Date {
    return row.occurredAt;
  }
}

export const EVENT_RESOLVERS = [EventSubscriptionResolver, BalanceEventResolver, UsageEventResolver, AgencyEventResolver] as const;

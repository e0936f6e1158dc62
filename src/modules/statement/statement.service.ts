import type { DataSource } from 'typeorm';
import type { BatchedRead } from '../../shared/batched-read';
import { pageSize, type Page } from '../../shared/pagination';
import type { BillingCycle } from '../billing-cycle/billing-cycle';
import type { Viewer } from '../auth/role';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { assertCanReadUsage } from '../usage/usage-access';
import { cycleIndexOfStart, nthCycle, statementCycleRange, type StatementFigures } from './statement-rules';
import type { UsageFigures } from '../reporting/usage-figures';
import { StatementRepository, type StatementData, type StatementScope } from './statement.repository';
import { systemClock, type Clock } from '../../shared/clock';
import { badUserInput } from '../../shared/refusal';

/** The request's batched read of statements (the request's loaders satisfy it). */
export interface StatementReads {
  statement: BatchedRead<StatementScope, StatementData>;
}

/** A statement as the domain sees it; the resolver maps it to the GraphQL type. */
export interface Statement {
  subAccount: SubAccountEntity;
  cycle: BillingCycle;
  /** The cycle has ended: its figures no longer change. */
  closed: boolean;
  figures: StatementFigures;
  usage: UsageFigures;
}

const encodeCycleCursor = (index: number) => Buffer.from(JSON.stringify(['cycle', index]), 'utf8').toString('base64url');

function decodeCycleCursor(cursor: string | null | undefined): number | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  try {
    const [tag, index] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, number];
    if (tag !== 'cycle' || !Number.isSafeInteger(index) || index < 0) throw new Error();
    return index;
  } catch {
    throw badUserInput('`after` is not a cursor returned by this API', 'after');
  }
}

/** Sub-accounts per page of the CSV export: each page is two statements for all their cycles. */
export const EXPORT_PAGE_SUB_ACCOUNTS = 200;

/**
 * Billing statements per sub-account and cycle, exact from the ledger (statement-rules.ts).
 * Tenancy: whoever may read the sub-account's usage reads its statements (its agency's admins,
 * the platform, its own client admin).
 */
export class StatementService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The cycle starting at `cycleStart`, or the one in progress without it. */
  async statement(viewer: Viewer, reads: StatementReads, sub: SubAccountEntity, cycleStart: Date | null | undefined): Promise<Statement> {
    assertCanReadUsage(viewer, sub);
    const now = this.clock.now();
    const range = statementCycleRange(sub, now);
    let index = range.current;
    if (cycleStart) {
      const found = cycleIndexOfStart(sub.subscriptionStartedAt, cycleStart);
      if (found === undefined || found < range.first || found > range.current) {
        throw badUserInput(
          '`cycleStart` is not the start of one of this sub-account\'s billing cycles (from the one it was created in to the current one)',
          'cycleStart',
        );
      }
      index = found;
    }
    return this.load(reads, sub, index, now);
  }

  /** Every cycle from the current one (not closed yet) back to the one the sub-account was created in, newest first. */
  async statements(viewer: Viewer, reads: StatementReads, sub: SubAccountEntity, args: { first?: number | null; after?: string | null }): Promise<Page<Statement>> {
    assertCanReadUsage(viewer, sub);
    const limit = pageSize(args.first);
    const after = decodeCycleCursor(args.after);
    const now = this.clock.now();
    const range = statementCycleRange(sub, now);
    const top = after === undefined ? range.current : after - 1;
    const indexes: number[] = [];
    for (let n = Math.min(top, range.current); n >= range.first && indexes.length < limit + 1; n -= 1) indexes.push(n);
    const page = indexes.slice(0, limit);
    const nodes = await Promise.all(page.map((n) => this.load(reads, sub, n, now)));
    const edges = nodes.map((node, i) => ({ cursor: encodeCycleCursor(page[i]), node }));
    return {
      edges,
      totalCount: range.current - range.first + 1,
      pageInfo: {
        hasNextPage: indexes.length > limit,
        hasPreviousPage: after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  /**
   * The statements of every sub-account of the agency (removed ones included) whose cycle ends
   * in [from, to), sub-account by sub-account (oldest first), each one's cycles oldest first.
   * Read in pages of EXPORT_PAGE_SUB_ACCOUNTS sub-accounts, so memory holds one page whatever
   * the agency's size. The caller has checked the viewer's access to the agency.
   */
  async *agencyStatements(agencyId: string, range: { from: Date; to: Date }): AsyncGenerator<Statement[]> {
    const repository = new StatementRepository(this.dataSource);
    const now = this.clock.now();
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const subs = await repository.subAccountsPage(agencyId, after, EXPORT_PAGE_SUB_ACCOUNTS);
      if (subs.length === 0) return;
      const wanted: Array<{ sub: SubAccountEntity; cycle: BillingCycle }> = [];
      for (const sub of subs) {
        const cycles = statementCycleRange(sub, now);
        for (let n = cycles.first; n <= cycles.current; n += 1) {
          const cycle = nthCycle(sub.subscriptionStartedAt, n);
          if (cycle.end.getTime() >= range.to.getTime()) break;
          if (cycle.end.getTime() >= range.from.getTime()) wanted.push({ sub, cycle });
        }
      }
      const data = await repository.load(wanted.map(({ sub, cycle }) => ({ subAccountId: sub.id, from: cycle.start, to: cycle.end })));
      yield wanted.map(({ sub, cycle }, i) => ({ subAccount: sub, cycle, closed: cycle.end.getTime() <= now.getTime(), ...data[i] }));
      if (subs.length < EXPORT_PAGE_SUB_ACCOUNTS) return;
      const last = subs[subs.length - 1];
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  private async load(reads: StatementReads, sub: SubAccountEntity, index: number, now: Date): Promise<Statement> {
    const cycle = nthCycle(sub.subscriptionStartedAt, index);
    const data = await reads.statement.load({ subAccountId: sub.id, from: cycle.start, to: cycle.end });
    return { subAccount: sub, cycle, closed: cycle.end.getTime() <= now.getTime(), ...data };
  }
}

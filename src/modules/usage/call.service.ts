import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, pageSize } from '../../graphql/pagination';
import type { PageInfo } from '../../graphql/common.types';
import { decodeId } from '../../shared/global-id';
import { CallEntity, type CallStatus } from './call.entity';

export interface CallListArgs {
  first?: number | null;
  after?: string | null;
  range?: { from: Date; to: Date };
  status?: CallStatus | null;
  scenarioId?: string | null;
}

export interface CallPage {
  edges: Array<{ cursor: string; node: CallEntity }>;
  pageInfo: PageInfo;
}

/** Calls of one sub-account, newest first by start instant. The caller has authorized the sub-account. */
export class CallService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Keyset pages over (started_at, id) descending, served by the index of the same shape.
   * A scenario id that is not a scenario of this sub-account simply matches no call.
   */
  async list(subAccountId: string, args: CallListArgs): Promise<CallPage> {
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const scenarioId = args.scenarioId == null ? undefined : decodeId(args.scenarioId, 'Scenario') ?? null;
    if (scenarioId === null) return { edges: [], pageInfo: emptyPageInfo(after !== undefined) };
    const query = this.dataSource
      .getRepository(CallEntity)
      .createQueryBuilder('c')
      .where('c.sub_account_id = :subAccountId', { subAccountId });
    if (args.range) query.andWhere('c.started_at >= :from AND c.started_at < :to', args.range);
    if (args.status) query.andWhere('c.status = :status', { status: args.status });
    if (scenarioId) query.andWhere('c.scenario_id = :scenarioId', { scenarioId });
    if (after) query.andWhere('(c.started_at, c.id) < (:startedAt, :id)', { startedAt: after.createdAt, id: after.id });
    const rows = await query.orderBy('c.started_at', 'DESC').addOrderBy('c.id', 'DESC').limit(limit + 1).getMany();
    const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor({ createdAt: node.startedAt, id: node.id }), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > limit,
        hasPreviousPage: after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  /** Calls of one scenario (the rollups are not per scenario, so this count reads the calls). */
  async countForScenario(subAccountId: string, scenarioGlobalId: string, args: Pick<CallListArgs, 'range' | 'status'>): Promise<number> {
    const scenarioId = decodeId(scenarioGlobalId, 'Scenario');
    if (!scenarioId) return 0;
    const query = this.dataSource
      .getRepository(CallEntity)
      .createQueryBuilder('c')
      .where('c.sub_account_id = :subAccountId AND c.scenario_id = :scenarioId', { subAccountId, scenarioId });
    if (args.range) query.andWhere('c.started_at >= :from AND c.started_at < :to', args.range);
    if (args.status) query.andWhere('c.status = :status', { status: args.status });
    return query.getCount();
  }
}

function emptyPageInfo(hadCursor: boolean): PageInfo {
  return { hasNextPage: false, hasPreviousPage: hadCursor, startCursor: null, endCursor: null };
}

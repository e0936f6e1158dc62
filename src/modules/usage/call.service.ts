import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, pageSize } from '../../shared/pagination';
import type { PageInfo } from '../../shared/pagination';
import { decodeId } from '../../shared/global-id';
import type { CallEntity, CallStatus } from './call.entity';
import { CallRepository, type CallFilter, type CallOrder } from './call.repository';

export interface CallListArgs {
  first?: number | null;
  after?: string | null;
  range?: { from: Date; to: Date };
  status?: CallStatus | null;
  scenarioId?: string | null;
  order?: CallOrder | null;
}

export interface CallPage {
  edges: Array<{ cursor: string; node: CallEntity }>;
  pageInfo: PageInfo;
}

/** Loads the calls of one sub-account that a filter names (the request's batching loader, or the repository directly). */
export type LoadCalls = (subAccountId: string, filter: CallFilter) => Promise<CallEntity[]>;

/** Calls of one sub-account, newest first (by start instant, or in recording order). The caller has authorized the sub-account. */
export class CallService {
  private readonly repository: CallRepository;

  constructor(dataSource: DataSource) {
    this.repository = new CallRepository(dataSource);
  }

  /**
   * Keyset pages over (started_at, id) descending, or `seq` descending in recording order,
   * each served by the index of the same shape.
   * A scenario id that is not a scenario of this sub-account simply matches no call.
   * `load` is the request's loader when the field is resolved on many sub-accounts at once
   * (one statement for the lot); alone, the repository.
   */
  async list(
    subAccountId: string,
    args: CallListArgs,
    load: LoadCalls = async (id, filter) => (await this.repository.newestOf([id], filter)).get(id) ?? [],
  ): Promise<CallPage> {
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const scenarioId = args.scenarioId == null ? undefined : decodeId(args.scenarioId, 'Scenario') ?? null;
    if (scenarioId === null) return { edges: [], pageInfo: emptyPageInfo(after !== undefined) };
    const rows = await load(subAccountId, {
      order: args.order ?? 'STARTED_AT',
      range: args.range,
      status: args.status ?? undefined,
      scenarioId,
      before: after && { startedAt: after.createdAt, id: after.id },
      take: limit + 1,
    });
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
    return this.repository.countForScenario(subAccountId, scenarioId, { range: args.range, status: args.status ?? undefined });
  }
}

function emptyPageInfo(hadCursor: boolean): PageInfo {
  return { hasNextPage: false, hasPreviousPage: hadCursor, startCursor: null, endCursor: null };
}

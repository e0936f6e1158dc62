import type { DataSource } from 'typeorm';
import { CallEntity, callColumns, toCallEntity, type CallStatus } from './call.entity';

/**
 * The two orders of a sub-account's calls, newest first:
 * - STARTED_AT: by (started_at, id), the voice platform's clock: a call pushed late lands
 *   among older ones, so a reader polling the top for new calls can miss it;
 * - RECORDED: by `seq`, commit order within the sub-account (drawn under the wallet's lock):
 *   a call never lands behind a row already served, so polling the top until the last call
 *   seen is gap-free (docs/faults.md, "Late commits and keyset paging").
 */
export const CALL_ORDERS = ['STARTED_AT', 'RECORDED'] as const;
export type CallOrder = (typeof CALL_ORDERS)[number];

/** Which of a sub-account's calls a page holds, newest first in `order`, below `before` when set. */
export interface CallFilter {
  order: CallOrder;
  range?: { from: Date; to: Date };
  status?: CallStatus;
  /** A scenario's row id (a scenario of another sub-account simply matches nothing). */
  scenarioId?: string;
  /** The keyset of the previous page's last call. */
  before?: { startedAt: Date; id: string };
  /** Rows per sub-account: the page size plus one, which says whether there is a next page. */
  take: number;
}

/** The same filter written the same way: the key that groups sub-accounts into one statement. */
export const callFilterKey = (filter: CallFilter): string =>
  JSON.stringify([
    filter.order, filter.range?.from.toISOString() ?? null, filter.range?.to.toISOString() ?? null, filter.status ?? null, filter.scenarioId ?? null,
    filter.before?.startedAt.toISOString() ?? null, filter.before?.id ?? null, filter.take,
  ]);

/** The SQL of reading calls (recording them is usage-ingest.repository.ts). */
export class CallRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The call each usage debit recorded, in one statement for any number of events. A
   * USAGE_RECORDED event names the debit's sub-account and transfer, and its `occurred_at` is
   * the call's `recorded_at`: ingestion writes both in one transaction, each defaulting to
   * `date_trunc('milliseconds', now())`, the transaction's start. So each lookup is one range
   * of calls_sub_account_recorded_idx (that transaction's calls, a batch at most), exact for an
   * event of any age; calls have no index on transfer_id, and the first lookup, by it alone,
   * read the whole table per event.
   */
  async byUsageDebits(
    debits: ReadonlyArray<{ subAccountId: string; transferId: string; recordedAt: Date }>,
  ): Promise<Array<CallEntity | undefined>> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT k.n AS k, ${callColumns('c')}
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) WITH ORDINALITY AS k(sub, transfer, recorded_at, n)
         JOIN calls c ON c.sub_account_id = k.sub AND c.recorded_at = k.recorded_at AND c.transfer_id = k.transfer`,
      [debits.map((d) => d.subAccountId), debits.map((d) => d.transferId), debits.map((d) => d.recordedAt)],
    );
    const found = new Map(rows.map((row) => [Number(row.k) - 1, toCallEntity(row)]));
    return debits.map((_, k) => found.get(k));
  }

  /**
   * The newest calls of each sub-account that pass the filter, `take` at most each, in one
   * statement for all of them: a page of 50 sub-accounts that each show their calls costs
   * one round trip, not 50. Each sub-account's part is an index range scan of
   * (sub_account_id, started_at DESC, id DESC), or (sub_account_id, seq DESC) in recording
   * order, that stops after `take` rows. Only the conditions the filter has are written, so
   * every plan can use the index's bounds. In recording order the cursor's id names the row
   * to continue below; a call of another sub-account matches nothing (an empty page).
   */
  async newestOf(subAccountIds: readonly string[], filter: CallFilter): Promise<Map<string, CallEntity[]>> {
    const params: unknown[] = [[...subAccountIds]];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = ['c.sub_account_id = s.id'];
    if (filter.range) conditions.push(`c.started_at >= ${param(filter.range.from)} AND c.started_at < ${param(filter.range.to)}`);
    if (filter.status) conditions.push(`c.status = ${param(filter.status)}`);
    if (filter.scenarioId) conditions.push(`c.scenario_id = ${param(filter.scenarioId)}::uuid`);
    if (filter.before && filter.order === 'RECORDED') {
      conditions.push(`c.seq < (SELECT b.seq FROM calls b WHERE b.id = ${param(filter.before.id)}::uuid AND b.sub_account_id = s.id)`);
    } else if (filter.before) {
      conditions.push(`(c.started_at, c.id) < (${param(filter.before.startedAt)}::timestamptz, ${param(filter.before.id)}::uuid)`);
    }
    const order = filter.order === 'RECORDED' ? 'c.seq DESC' : 'c.started_at DESC, c.id DESC';
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${callColumns('c')}
         FROM unnest($1::uuid[]) AS s(id)
         CROSS JOIN LATERAL (
           SELECT * FROM calls c WHERE ${conditions.join(' AND ')}
            ORDER BY ${order} LIMIT ${param(filter.take)}
         ) c`,
      params,
    );
    const bySubAccount = new Map<string, CallEntity[]>(subAccountIds.map((id) => [id, []]));
    for (const row of rows) bySubAccount.get(row.sub_account_id as string)?.push(toCallEntity(row));
    return bySubAccount;
  }

  /** Calls of one scenario of a sub-account (the rollups are not per scenario, so this count reads the calls). */
  countForScenario(subAccountId: string, scenarioId: string, filter: Pick<CallFilter, 'range' | 'status'>): Promise<number> {
    const query = this.dataSource
      .getRepository(CallEntity)
      .createQueryBuilder('c')
      .where('c.sub_account_id = :subAccountId AND c.scenario_id = :scenarioId', { subAccountId, scenarioId });
    if (filter.range) query.andWhere('c.started_at >= :from AND c.started_at < :to', filter.range);
    if (filter.status) query.andWhere('c.status = :status', { status: filter.status });
    return query.getCount();
  }
}

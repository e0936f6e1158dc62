import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from './helpers/test-app';
import { REPLAY_FROM_TABLE } from '../src/modules/events/event-hub';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

/**
 * A resume older than the rows a process keeps reads its scope's page from the table. For a
 * quiet agency among busy ones, that read must be a range of its own rows, not a walk through
 * everyone's events since its cursor.
 */
describe('replaying a scope from the outbox table', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('reads only the agency’s own rows, in sequence order, whatever other agencies wrote since the cursor', async () => {
    const quiet = randomUUID();
    const busy = randomUUID();
    const sub = randomUUID();
    const insert = (agency: string, count: number) =>
      app.dataSource.query(
        `INSERT INTO outbox_events (type, agency_id, sub_account_id, balance_micros, delta_micros)
         SELECT 'USAGE_RECORDED', $1, $2, 0, -1 FROM generate_series(1, $3)`,
        [agency, sub, count],
      );
    await insert(quiet, 2);
    await insert(busy, 30_000);
    await insert(quiet, 1);
    await app.dataSource.query('ANALYZE outbox_events');
    const [{ frontier }] = await app.dataSource.query(`SELECT (pg_current_xact_id()::text::bigint + 1)::text AS frontier`);
    // The cursor (0, -1), the read position (frontier, -1), the agency, no sub-account, the types.
    const params = ['0', '-1', frontier, quiet, null, ['USAGE_RECORDED'], '-1'];

    const rows: Array<{ agency_id: string; id: string }> = await app.dataSource.query(REPLAY_FROM_TABLE, params);
    expect(rows.map((row) => row.agency_id)).toEqual([quiet, quiet, quiet]);
    const ids = rows.map((row) => BigInt(row.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);

    const [{ 'QUERY PLAN': [{ Plan: plan }] }] = await app.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${REPLAY_FROM_TABLE}`, params);
    const scans = nodes(plan).filter((node) => /Scan/.test(node['Node Type']));
    expect(scans.map((node) => node['Index Name'])).toEqual(['outbox_events_agency_idx']);
    // Rows read from the table: the agency's three, none of the busy agency's 30,000.
    expect(scans[0]['Actual Rows'] + (scans[0]['Rows Removed by Filter'] ?? 0) + (scans[0]['Rows Removed by Index Recheck'] ?? 0)).toBe(3);
  });
});

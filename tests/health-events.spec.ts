import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { ago, fund, recordCalls } from './helpers/usage';
import { sleep, subscribe, wsClient } from './helpers/ws';
import { runHealthSweep, runHealthWatch, type HealthRun } from '../src/modules/health/health-monitor';

/**
 * HEALTH_CHANGED on agencyActivity: written when a re-assessment finds another level than the
 * last one reported, never when the level stays, delivered and resumed like every other event.
 * The watcher and the sweep run in the worker's timers in production; here the test runs them
 * itself, at the moments it chooses (the sweep with a clock moved forward).
 */
const ACTIVITY = `subscription($id: ID!, $after: String) {
  agencyActivity(agencyId: $id, afterSequence: $after) { sequence type subAccount { id } healthLevel previousHealthLevel }
}`;
const DAY_MINUTES = 24 * 60;

interface Activity {
  agencyActivity: { sequence: string; type: string; subAccount: { id: string } | null; healthLevel: string | null; previousHealthLevel: string | null };
}

describe('HEALTH_CHANGED events', () => {
  jest.setTimeout(120_000);
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  /**
   * Runs the watcher until its cursor has passed everything committed before this call, and
   * sums what those runs did. A run reads only rows below the cluster's snapshot xmin, so a
   * transaction open elsewhere on the shared PostgreSQL can hold a change back for a run or two.
   */
  async function watchAll(): Promise<HealthRun> {
    const [{ x }] = await app.dataSource.query(`SELECT pg_current_xact_id()::text AS x`);
    const total: HealthRun = { assessed: 0, changed: 0 };
    for (;;) {
      const run = await runHealthWatch(app.dataSource);
      total.assessed += run?.assessed ?? 0;
      total.changed += run?.changed ?? 0;
      const [{ frontier }] = await app.dataSource.query(`SELECT frontier::text AS frontier FROM health_watch_cursor`);
      if (BigInt(frontier) > BigInt(x)) return total;
      await sleep(50);
    }
  }

  const healthRows = async (subAccountId: string) =>
    (await app.dataSource.query(
      `SELECT health_level, previous_health_level FROM outbox_events WHERE type = 'HEALTH_CHANGED' AND sub_account_id = $1 ORDER BY xid, id`,
      [rawId(subAccountId)],
    )) as Array<{ health_level: string; previous_health_level: string }>;

  it('should report a level change where balances and usage change, none when the level stays, and resume', async () => {
    const { agencyId } = await createAgency(app);
    const client = await addSubAccount(app, agencyId);
    // The first assessment (unfunded: AT_RISK) is stored without an event.
    await watchAll();
    expect(await healthRows(client)).toEqual([]);

    const token = await createKey(app, 'AGENCY_ADMIN', { agencyId });
    const socket = wsClient(app.wsUrl, token);
    try {
      // From the agency's first event: replayed from the outbox, then live, with no race against the changes below.
      const stream = subscribe<Activity>(socket, ACTIVITY, { id: agencyId, after: '0-0' });
      const healthEvents = () => stream.events.map((e) => e.agencyActivity).filter((e) => e.type === 'HEALTH_CHANGED');
      await fund(app, client, '100');
      expect(await watchAll()).toEqual({ assessed: 1, changed: 1 });

      await fund(app, client, '1'); // still HEALTHY
      expect(await watchAll()).toEqual({ assessed: 1, changed: 0 });

      await recordCalls(app, [{ subAccountId: client, durationSeconds: 86_400, startedAt: ago(25 * 60) }]); // $230.40: negative
      expect(await watchAll()).toEqual({ assessed: 1, changed: 1 });
      // Nothing touched since: nothing assessed.
      expect(await watchAll()).toEqual({ assessed: 0, changed: 0 });

      while (healthEvents().length < 2) await stream.waitFor(stream.events.length + 1);
      expect(healthEvents().map(({ type, subAccount, healthLevel, previousHealthLevel }) => ({ type, subAccount, healthLevel, previousHealthLevel }))).toEqual([
        { type: 'HEALTH_CHANGED', subAccount: { id: client }, healthLevel: 'HEALTHY', previousHealthLevel: 'AT_RISK' },
        { type: 'HEALTH_CHANGED', subAccount: { id: client }, healthLevel: 'AT_RISK', previousHealthLevel: 'HEALTHY' },
      ]);
      expect(await healthRows(client)).toEqual([
        { health_level: 'HEALTHY', previous_health_level: 'AT_RISK' },
        { health_level: 'AT_RISK', previous_health_level: 'HEALTHY' },
      ]);
      stream.stop();

      // Resuming after the first one replays the second, from the outbox.
      const resumed = subscribe<Activity>(socket, ACTIVITY, { id: agencyId, after: healthEvents()[0].sequence });
      const replayed = () => resumed.events.map((e) => e.agencyActivity).filter((e) => e.type === 'HEALTH_CHANGED');
      while (replayed().length < 1) await resumed.waitFor(resumed.events.length + 1);
      expect(replayed()[0]).toEqual(healthEvents()[1]);
      resumed.stop();
    } finally {
      await socket.dispose();
    }
  });

  it('should report what time alone changes in the sweep, and nothing when only the signals change', async () => {
    const { agencyId } = await createAgency(app);
    const fading = await addSubAccount(app, agencyId);
    const quiet = await addSubAccount(app, agencyId);
    await fund(app, fading, '8');
    await fund(app, quiet, '100');
    await recordCalls(app, [
      // $7.04 six days ago: $0.96 left at about $1 a day, AT_RISK (LOW_RUNWAY).
      { subAccountId: fading, durationSeconds: 2640, startedAt: ago(6 * DAY_MINUTES) },
      // One call 13 days ago: nothing this week against a minute the week before, WATCH (USAGE_DROP).
      { subAccountId: quiet, startedAt: ago(13 * DAY_MINUTES) },
    ]);
    await watchAll();
    const level = async (id: string) =>
      ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { level signals } } }`, { id })).subAccount.health;
    expect(await level(fading)).toEqual({ level: 'AT_RISK', signals: ['LOW_RUNWAY'] });
    expect(await level(quiet)).toEqual({ level: 'WATCH', signals: ['USAGE_DROP'] });

    // Two days later: the spend left the window (WATCH, USAGE_DROP); the quiet one has had no call
    // for 15 days (still WATCH, now NO_RECENT_CALLS): one event, for the level that changed.
    const later = () => new Date(Date.now() + 2 * 86_400_000);
    const sweep = await runHealthSweep(app.dataSource, later);
    expect(sweep.changed).toBeGreaterThanOrEqual(1);
    expect(await healthRows(fading)).toEqual([{ health_level: 'WATCH', previous_health_level: 'AT_RISK' }]);
    expect(await healthRows(quiet)).toEqual([]);
    // Nothing changed since: the same sweep again reports nothing for them.
    await runHealthSweep(app.dataSource, later);
    expect((await healthRows(fading)).length + (await healthRows(quiet)).length).toBe(1);
  });

  it('should not assess removed sub-accounts', async () => {
    const { agencyId } = await createAgency(app);
    const gone = await addSubAccount(app, agencyId);
    await fund(app, gone, '50');
    await watchAll();
    ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: gone }));
    // The sweep to the primary is a balance change of both; only the primary is assessed.
    expect(await watchAll()).toEqual({ assessed: 1, changed: 0 });
    expect(await healthRows(gone)).toEqual([]);
  });
});

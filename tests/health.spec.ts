import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { ago, fund, recordCalls, type CallInput } from './helpers/usage';

/**
 * SubAccount.health, Agency.health and Agency.subAccountsAtRisk through the GraphQL endpoint
 * (the rules' every boundary is table-tested in src/modules/health/health-rules.spec.ts; here:
 * that the real figures reach them). AGENCY_UNLIMITED with no markup: a Premium minute costs
 * $0.16, a Basic one $0.09.
 */
const HEALTH = `level signals burnRatePerDay { amount } runwayDays projectedDepletionAt successRate usageTrend lastCallAt`;
const DAY_MINUTES = 24 * 60;

describe('account health', () => {
  jest.setTimeout(120_000);
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const healthOf = async (id: string, token?: string) =>
    ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { ${HEALTH} } } }`, { id }, token)).subAccount.health;

  const calls = (subAccountId: string, n: number, over: Partial<CallInput> = {}): CallInput[] =>
    Array.from({ length: n }, () => ({ subAccountId, ...over }));

  it('should call an unfunded sub-account that never called AT_RISK for its depleted balance, with no figures', async () => {
    const { agencyId } = await createAgency(app);
    const sub = await addSubAccount(app, agencyId);
    expect(await healthOf(sub)).toEqual({
      level: 'AT_RISK', signals: ['BALANCE_DEPLETED'], burnRatePerDay: { amount: '0.00' }, runwayDays: null,
      projectedDepletionAt: null, successRate: null, usageTrend: null, lastCallAt: null,
    });
  });

  it('should give the burn rate, runway, depletion, success rate and last call of the last 7 days', async () => {
    const { agencyId } = await createAgency(app);
    const sub = await addSubAccount(app, agencyId);
    await fund(app, sub, '10');
    const last = ago(60);
    // 7 Premium minutes in the last 7 days ($1.12: $0.16 a day), one of them NO_ANSWER; 8 days ago one more, outside.
    await recordCalls(app, [
      ...calls(sub, 6, { startedAt: ago(3 * DAY_MINUTES) }),
      { subAccountId: sub, status: 'NO_ANSWER', startedAt: last },
      { subAccountId: sub, startedAt: ago(8 * DAY_MINUTES) },
    ]);
    const before = Date.now();
    const health = await healthOf(sub);
    // Balance 10 − 8 × 0.16 = 8.72; 8.72 / 0.16 = 54.5 days.
    expect(health).toMatchObject({
      level: 'HEALTHY', signals: [], burnRatePerDay: { amount: '0.16' }, runwayDays: '54.5', successRate: '0.8571', lastCallAt: last,
    });
    // One minute in the week before, seven in this one: +600%.
    expect(health.usageTrend).toBe('6');
    const depletion = Date.parse(health.projectedDepletionAt);
    expect(depletion).toBeGreaterThanOrEqual(before + 54.5 * 86_400_000 - 1000);
    expect(depletion).toBeLessThanOrEqual(Date.now() + 54.5 * 86_400_000);
  });

  it('should watch a runway under 7 days and put one under 2 days at risk', async () => {
    const { agencyId } = await createAgency(app);
    const watch = await addSubAccount(app, agencyId);
    const risk = await addSubAccount(app, agencyId);
    // 70 Premium minutes over the week: $11.20, $1.60 a day.
    await fund(app, watch, '20.8'); // left after the usage: 9.60, 6 days
    await fund(app, risk, '14.4'); // left: 3.20, exactly 2 days: still WATCH
    await recordCalls(app, [...calls(watch, 70, { startedAt: ago(DAY_MINUTES) }), ...calls(risk, 70, { startedAt: ago(DAY_MINUTES) })]);
    expect(await healthOf(watch)).toMatchObject({ level: 'WATCH', signals: ['LOW_RUNWAY'], runwayDays: '6', burnRatePerDay: { amount: '1.60' } });
    expect(await healthOf(risk)).toMatchObject({ level: 'WATCH', signals: ['LOW_RUNWAY'], runwayDays: '2' });
    // One more second of Premium: the runway drops just under 2 days.
    await recordCalls(app, [{ subAccountId: risk, startedAt: ago(DAY_MINUTES), durationSeconds: 1 }]);
    expect(await healthOf(risk)).toMatchObject({ level: 'AT_RISK', signals: ['LOW_RUNWAY'] });
  });

  it('should put a negative balance at risk, with a runway of 0', async () => {
    const { agencyId } = await createAgency(app);
    const sub = await addSubAccount(app, agencyId);
    await recordCalls(app, [{ subAccountId: sub, startedAt: ago(30) }]);
    expect(await healthOf(sub)).toMatchObject({ level: 'AT_RISK', signals: ['NEGATIVE_BALANCE'], runwayDays: '0' });
  });

  it('should watch a failure rate over 50% of at least 20 calls, and not at exactly 50%', async () => {
    const { agencyId } = await createAgency(app);
    const failing = await addSubAccount(app, agencyId);
    const even = await addSubAccount(app, agencyId);
    for (const sub of [failing, even]) await fund(app, sub, '100');
    const shortCalls = { startedAt: ago(120), durationSeconds: 6 };
    await recordCalls(app, [
      ...calls(failing, 9, shortCalls), ...calls(failing, 11, { ...shortCalls, status: 'FAILED' }),
      ...calls(even, 10, shortCalls), ...calls(even, 10, { ...shortCalls, status: 'BUSY' }),
    ]);
    expect(await healthOf(failing)).toMatchObject({ level: 'WATCH', signals: ['HIGH_FAILURE_RATE'], successRate: '0.45' });
    expect(await healthOf(even)).toMatchObject({ level: 'HEALTHY', signals: [], successRate: '0.5' });
  });

  it('should watch usage down more than half against the week before, and no call for 14 days', async () => {
    const { agencyId } = await createAgency(app);
    const dropping = await addSubAccount(app, agencyId);
    const halved = await addSubAccount(app, agencyId);
    const silent = await addSubAccount(app, agencyId);
    const recent = await addSubAccount(app, agencyId);
    for (const sub of [dropping, halved, silent, recent]) await fund(app, sub, '100');
    await recordCalls(app, [
      { subAccountId: dropping, startedAt: ago(10 * DAY_MINUTES), durationSeconds: 600 },
      { subAccountId: dropping, startedAt: ago(DAY_MINUTES), durationSeconds: 299 },
      { subAccountId: halved, startedAt: ago(10 * DAY_MINUTES), durationSeconds: 600 },
      { subAccountId: halved, startedAt: ago(DAY_MINUTES), durationSeconds: 300 },
      { subAccountId: silent, startedAt: ago(14 * DAY_MINUTES + 1) },
      { subAccountId: recent, startedAt: ago(14 * DAY_MINUTES - 1) },
    ]);
    expect(await healthOf(dropping)).toMatchObject({ level: 'WATCH', signals: ['USAGE_DROP'], usageTrend: '-0.5016' });
    expect(await healthOf(halved)).toMatchObject({ level: 'HEALTHY', signals: [], usageTrend: '-0.5' });
    // 14 days + 1 minute ago: also nothing this week and nothing the week before it (no trend, no drop).
    expect(await healthOf(silent)).toMatchObject({ level: 'WATCH', signals: ['NO_RECENT_CALLS'], usageTrend: null });
    expect(await healthOf(recent)).toMatchObject({ level: 'WATCH', signals: ['USAGE_DROP'], usageTrend: '-1' });
  });

  describe('agency-wide', () => {
    let agencyId: string;
    let primaryId: string;
    const subs: Record<'risk1' | 'risk2' | 'watch' | 'healthy' | 'removed', string> = {} as never;

    beforeAll(async () => {
      ({ agencyId, primaryId } = await createAgency(app));
      subs.risk1 = await addSubAccount(app, agencyId); // unfunded
      subs.watch = await addSubAccount(app, agencyId);
      subs.healthy = await addSubAccount(app, agencyId);
      subs.risk2 = await addSubAccount(app, agencyId); // unfunded
      subs.removed = await addSubAccount(app, agencyId);
      await fund(app, subs.watch, '100');
      await fund(app, subs.healthy, '100');
      await recordCalls(app, [{ subAccountId: subs.watch, startedAt: ago(20 * DAY_MINUTES) }]);
      ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: subs.removed }));
    });

    const AT_RISK = `query($id: ID!, $first: Int, $after: String, $min: HealthLevel) {
      agency(id: $id) {
        health { healthy watch atRisk }
        subAccountsAtRisk(first: $first, after: $after, minLevel: $min) {
          totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id health { level } } }
        }
      }
    }`;

    it('should count active sub-accounts per level, the primary included and removed ones left out', async () => {
      const data = ok(await app.gql(AT_RISK, { id: agencyId }));
      expect(data.agency.health).toEqual({ healthy: 2, watch: 1, atRisk: 2 });
    });

    it('should list the worst first, then the oldest first, and page through them without gap or repeat', async () => {
      const all = ok(await app.gql(AT_RISK, { id: agencyId })).agency.subAccountsAtRisk;
      expect(all.totalCount).toBe(3);
      expect(all.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([subs.risk1, subs.risk2, subs.watch]);
      const first = ok(await app.gql(AT_RISK, { id: agencyId, first: 2 })).agency.subAccountsAtRisk;
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const second = ok(await app.gql(AT_RISK, { id: agencyId, first: 2, after: first.pageInfo.endCursor })).agency.subAccountsAtRisk;
      expect(second.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([subs.watch]);
      expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    });

    it('should filter by minLevel', async () => {
      const atRisk = ok(await app.gql(AT_RISK, { id: agencyId, min: 'AT_RISK' })).agency.subAccountsAtRisk;
      expect(atRisk.edges.map((e: { node: { health: { level: string } } }) => e.node.health.level)).toEqual(['AT_RISK', 'AT_RISK']);
      const everyone = ok(await app.gql(AT_RISK, { id: agencyId, min: 'HEALTHY', first: 100 })).agency.subAccountsAtRisk;
      expect(everyone.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([subs.risk1, subs.risk2, subs.watch, primaryId, subs.healthy]);
    });

    it('should refuse a cursor it did not issue and a page size over 100', async () => {
      expect(errorCode(await app.gql(AT_RISK, { id: agencyId, after: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await app.gql(AT_RISK, { id: agencyId, first: 101 }))).toBe('BAD_USER_INPUT');
    });

    it('should show a client admin its own health only, and none of the agency-wide figures', async () => {
      const token = await createKey(app, 'CLIENT_ADMIN', { subAccountId: subs.watch });
      expect(await healthOf(subs.watch, token)).toMatchObject({ level: 'WATCH', signals: ['NO_RECENT_CALLS'] });
      const sibling = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { level } } }`, { id: subs.healthy }, token));
      expect(sibling.subAccount).toBeNull();
      for (const field of ['health { atRisk }', 'subAccountsAtRisk { totalCount }']) {
        const response = await app.gql(`query($id: ID!) { agency(id: $id) { ${field} } }`, { id: agencyId }, token);
        expect(errorCode(response)).toBe('FORBIDDEN');
      }
    });

    it("should not show another agency's admin anything of this agency", async () => {
      const other = await createAgency(app);
      const token = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
      expect(ok(await app.gql(AT_RISK, { id: agencyId }, token)).agency).toBeNull();
      expect(ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { level } } }`, { id: subs.watch }, token)).subAccount).toBeNull();
    });
  });

  it('should answer a page of 50 sub-accounts with their health in as many SQL statements as a page of 5', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const ids = [primaryId];
    const DASHBOARD = `query($id: ID!) {
      agency(id: $id) {
        subAccounts(first: 100) { edges { node { id name wallet { balance { amount } } health { ${HEALTH} } } } }
      }
    }`;
    const countFor = async () => {
      const before = app.queryCount();
      const data = ok(await app.gql(DASHBOARD, { id: agencyId }));
      return { statements: app.queryCount() - before, data };
    };
    while (ids.length < 5) ids.push(await addSubAccount(app, agencyId));
    await recordCalls(app, ids.map((subAccountId, i) => ({ subAccountId, startedAt: ago(100 + i) })));
    await countFor(); // warm-up: the plan catalog is read once a minute per process, not per request
    const small = await countFor();
    expect(small.data.agency.subAccounts.edges).toHaveLength(5);
    while (ids.length < 50) ids.push(await addSubAccount(app, agencyId));
    await recordCalls(app, ids.map((subAccountId, i) => ({ subAccountId, startedAt: ago(9 * DAY_MINUTES + i) })));
    const large = await countFor();
    expect(large.data.agency.subAccounts.edges).toHaveLength(50);
    expect(large.statements).toBe(small.statements);
    // The key, the agency, the page and its count, wallets, balances; health: balances with last calls, and both weeks' figures.
    expect(large.statements).toBeLessThanOrEqual(8);
    const levels = large.data.agency.subAccounts.edges.map((e: { node: { health: { level: string } } }) => e.node.health.level);
    // Every secondary is unfunded and used minutes: negative; the primary spends from its included minutes.
    expect(levels).toEqual(['HEALTHY', ...Array(49).fill('AT_RISK')]);
  });
});

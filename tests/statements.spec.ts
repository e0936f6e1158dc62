import { randomBytes } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { fund, recordCalls, setAgencyMarkup, balanceOf } from './helpers/usage';
import { addMonthsClamped } from '../src/modules/billing-cycle/billing-cycle';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';

/**
 * SubAccount.statement and statements over a real cycle boundary, with real operations on both
 * sides of it: the sub-accounts' billing anchor is set 12 months before an instant a few seconds
 * ahead, the test works, waits for that instant to pass, and works again. The ledger dates money
 * by PostgreSQL's clock, so this is the only honest way to put real postings in two cycles.
 * (Random histories over many cycles and month-end anchors: statements.property.spec.ts.)
 *
 * Prices: AGENCY_UNLIMITED, agency markup $0.01 Basic / $0.04 Premium, so the client pays
 * $0.10 / $0.20 a minute and the primary the base $0.09 / $0.16.
 */
const STATEMENT = `closed cycle { start end } openingBalance { amount } purchases { amount } transfersIn { amount }
  transfersOut { amount } adjustments { amount } closingBalance { amount } consumedMarkup { amount }
  usage { from to callCount totalMinutes minutesByTier { tier minutes } callsByStatus { status count } spent { amount } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('billing statements', () => {
  jest.setTimeout(120_000);
  let app: TestApp;
  let agencyId: string;
  let primaryId: string;
  let client: string;
  let sibling: string;
  let boundary: Date;
  let anchor: Date;

  const statementOf = async (id: string, cycleStart?: string, token?: string) =>
    ok(await app.gql(`query($id: ID!, $c: DateTime) { subAccount(id: $id) { statement(cycleStart: $c) { ${STATEMENT} } } }`,
      { id, c: cycleStart ?? null }, token)).subAccount?.statement;

  const transfer = async (from: string, to: string, minutes: string) => {
    const data = ok(await app.gql(
      `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { userErrors { code } } }`,
      { input: { fromSubAccountId: from, toSubAccountId: to, tier: 'PREMIUM', minutes, idempotencyKey: randomBytes(8).toString('hex') } },
    ));
    expect(data.transferMinutes.userErrors).toEqual([]);
  };

  beforeAll(async () => {
    app = await startTestApp();
    boundary = new Date(Date.now() + 4000);
    anchor = addMonthsClamped(boundary, -12);
    expect(addMonthsClamped(anchor, 12)).toEqual(boundary); // not on a Feb 29
    ({ agencyId, primaryId } = await createAgency(app, { planStartedAt: anchor.toISOString() }));
    await setAgencyMarkup(app, agencyId, '0.01', '0.04');
    client = await addSubAccount(app, agencyId, { subscriptionStartedAt: anchor.toISOString() });
    sibling = await addSubAccount(app, agencyId, { subscriptionStartedAt: anchor.toISOString() });

    // The cycle before the boundary.
    await fund(app, client, '10');
    await transfer(primaryId, client, '50'); // $8.00 at the primary's $0.16
    await transfer(client, primaryId, '10'); // $2.00 at the client's $0.20
    await recordCalls(app, [{ subAccountId: client, durationSeconds: 3600, startedAt: new Date(Date.now() - 3_700_000).toISOString() }]); // $12.00
    const lateCallStart = new Date(Date.now() - 120_000).toISOString();
    while (Date.now() < boundary.getTime() + 200) await sleep(100);

    // The cycle after it: calls that started before the boundary but are recorded after it (a call is
    // pushed when it ends), usage into the negative, a refund, removal (the sweep to the primary) and restore.
    await recordCalls(app, [
      { subAccountId: client, durationSeconds: 1800, startedAt: new Date(Date.now() - 1_900_000).toISOString() }, // $6.00
      { subAccountId: client, durationSeconds: 60, tier: 'BASIC', status: 'NO_ANSWER', startedAt: lateCallStart }, // $0.10
    ]);
    expect(await balanceOf(app, client)).toBe('-2.10');
    await fund(app, client, '5');
    for (const mutation of ['removeSubAccount', 'restoreSubAccount']) {
      const data = ok(await app.gql(`mutation($id: ID!) { r: ${mutation}(input: { id: $id }) { userErrors { code } } }`, { id: client }));
      expect(data.r.userErrors).toEqual([]);
    }
  });
  afterAll(() => app.close());

  it('should close the cycle before the boundary with its exact lines', async () => {
    const previousStart = addMonthsClamped(anchor, 11).toISOString();
    expect(await statementOf(client, previousStart)).toEqual({
      closed: true,
      cycle: { start: previousStart, end: boundary.toISOString() },
      openingBalance: { amount: '0.00' },
      purchases: { amount: '0.00' },
      transfersIn: { amount: '8.00' },
      transfersOut: { amount: '2.00' },
      adjustments: { amount: '10.00' },
      closingBalance: { amount: '4.00' },
      consumedMarkup: { amount: '2.40' },
      usage: {
        from: previousStart, to: boundary.toISOString(), callCount: 1, totalMinutes: '60',
        minutesByTier: [{ tier: 'BASIC', minutes: '0' }, { tier: 'PREMIUM', minutes: '60' }],
        callsByStatus: expect.arrayContaining([{ status: 'COMPLETED', count: 1 }, { status: 'NO_ANSWER', count: 0 }]),
        spent: { amount: '12.00' },
      },
    });
  });

  it('should open the current cycle at the previous closing, count a late call where it was recorded, and close at the balance', async () => {
    const current = await statementOf(client);
    expect(current).toMatchObject({
      closed: false,
      cycle: { start: boundary.toISOString(), end: addMonthsClamped(anchor, 13).toISOString() },
      openingBalance: { amount: '4.00' },
      purchases: { amount: '0.00' },
      transfersIn: { amount: '0.00' },
      transfersOut: { amount: '2.90' }, // the sweep on removal; restore brings nothing back
      adjustments: { amount: '5.00' },
      closingBalance: { amount: '0.00' },
      consumedMarkup: { amount: '1.21' }, // 30 × $0.04 + 1 × $0.01
      usage: { callCount: 2, totalMinutes: '31', spent: { amount: '6.10' } },
    });
    expect(current.usage.callsByStatus).toEqual(expect.arrayContaining([{ status: 'NO_ANSWER', count: 1 }, { status: 'COMPLETED', count: 1 }]));
    expect(await balanceOf(app, client)).toBe('0.00');
  });

  it("should put the primary's included minutes in purchases and the sweep in its transfers in", async () => {
    const previous = await statementOf(primaryId, addMonthsClamped(anchor, 11).toISOString());
    expect(previous).toMatchObject({
      purchases: { amount: '160.00' }, transfersIn: { amount: '2.00' }, transfersOut: { amount: '8.00' }, closingBalance: { amount: '154.00' },
    });
    const current = await statementOf(primaryId);
    expect(current).toMatchObject({ openingBalance: { amount: '154.00' }, transfersIn: { amount: '2.90' }, closingBalance: { amount: '156.90' } });
    expect(await balanceOf(app, primaryId)).toBe('156.90');
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });

  it('should list the cycles since creation newest first, and page through them', async () => {
    const LIST = `query($id: ID!, $after: String) { subAccount(id: $id) { statements(first: 1, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { closed cycle { start } closingBalance { amount } } } } } }`;
    const first = ok(await app.gql(LIST, { id: client })).subAccount.statements;
    expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    expect(first.edges.map((e: any) => e.node)).toEqual([{ closed: false, cycle: { start: boundary.toISOString() }, closingBalance: { amount: '0.00' } }]);
    const second = ok(await app.gql(LIST, { id: client, after: first.pageInfo.endCursor })).subAccount.statements;
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(second.edges.map((e: any) => e.node)).toEqual([
      { closed: true, cycle: { start: addMonthsClamped(anchor, 11).toISOString() }, closingBalance: { amount: '4.00' } },
    ]);
  });

  it('should refuse a cycleStart that is no cycle start, before creation or in the future, and a foreign cursor', async () => {
    for (const c of [
      new Date(boundary.getTime() + 1).toISOString(),
      addMonthsClamped(anchor, 10).toISOString(),
      addMonthsClamped(anchor, 13).toISOString(),
    ]) {
      const response = await app.gql(`query($id: ID!, $c: DateTime) { subAccount(id: $id) { statement(cycleStart: $c) { closed } } }`, { id: client, c });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
    }
    const bad = await app.gql(`query($id: ID!) { subAccount(id: $id) { statements(after: "WyJjeWNsZSIsLTFd") { totalCount } } }`, { id: client });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  });

  it('should show a client admin its own statements only, and another agency nothing', async () => {
    const own = await createKey(app, 'CLIENT_ADMIN', { subAccountId: client });
    expect(await statementOf(client, undefined, own)).toMatchObject({ closingBalance: { amount: '0.00' } });
    expect(await statementOf(sibling, undefined, own)).toBeUndefined();
    const other = await createAgency(app);
    const foreign = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
    expect(await statementOf(client, undefined, foreign)).toBeUndefined();
    const ingest = await createKey(app, 'USAGE_INGEST', { agencyId });
    const refused = await app.gql(`query($id: ID!) { subAccount(id: $id) { statement { closed } } }`, { id: client }, ingest);
    expect(errorCode(refused)).toBe('FORBIDDEN');
  });

  it('should answer the current statement of many sub-accounts in as many SQL statements as of one', async () => {
    const QUERY = `query($id: ID!) { agency(id: $id) { subAccounts(first: 100) { edges { node { id statement { closingBalance { amount } } } } } } }`;
    const count = async () => {
      const before = app.queryCount();
      ok(await app.gql(QUERY, { id: agencyId }));
      return app.queryCount() - before;
    };
    await count(); // warm-up: the plan catalog is read once a minute per process, not per request
    const small = await count();
    for (let i = 0; i < 20; i += 1) await addSubAccount(app, agencyId);
    expect(await count()).toBe(small);
  });

  it('should make ledger:verify report a call whose debit is not dated at its recording (a statement would miscount it)', async () => {
    const [call] = await app.dataSource.query(`SELECT id FROM calls WHERE transfer_id IS NOT NULL LIMIT 1`);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
    await app.dataSource.query(`UPDATE calls SET recorded_at = recorded_at + interval '1 millisecond' WHERE id = $1`, [call.id]);
    try {
      expect((await verifyLedger(app.dataSource)).problems).toEqual(['1 calls do not match their USAGE debit (wallet, amount or instant)']);
    } finally {
      await app.dataSource.query(`UPDATE calls SET recorded_at = recorded_at - interval '1 millisecond' WHERE id = $1`, [call.id]);
    }
  });
});

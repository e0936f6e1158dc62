import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { fund, recordCalls } from './helpers/usage';
import { parseCsvStrict } from './helpers/csv';
import { addMonthsClamped } from '../src/modules/billing-cycle/billing-cycle';
import { EXPORT_PAGE_SUB_ACCOUNTS } from '../src/modules/statement/statement.service';

/** GET /exports/statements.csv: the same figures as the GraphQL statements, strict RFC 4180, formulas neutralised, tenancy. */
const HEADER = [
  'sub_account_id', 'sub_account_name', 'login_email', 'sub_account_status', 'cycle_start', 'cycle_end', 'closed',
  'opening_balance', 'purchases', 'transfers_in', 'transfers_out', 'adjustments', 'spent', 'closing_balance', 'consumed_markup',
  'minutes_basic', 'minutes_premium', 'calls', 'calls_completed', 'calls_no_answer', 'calls_busy', 'calls_failed', 'calls_voicemail',
  'calls_canceled',
];

describe('the statements CSV export', () => {
  jest.setTimeout(180_000);
  let app: TestApp;
  let agencyId: string;
  let anchor: Date;
  let subs: string[];
  const names = ['=HYPERLINK("http://evil.example")', 'Acme, "Inc"', '@SUM(A1)', '-1+2', '+33 1 23', 'Plain client'];

  const get = (query: string, token: string | null = app.platformKey, method = 'GET') =>
    fetch(`${app.url.replace('/graphql', '/exports/statements.csv')}?${query}`, {
      method,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  const params = (p: Record<string, string>) => new URLSearchParams(p).toString();
  const cycleStart = (n: number) => addMonthsClamped(anchor, n).toISOString();

  beforeAll(async () => {
    app = await startTestApp();
    // Anchored 3 months and 2 days ago, created back then: cycles 0, 1, 2 closed, 3 in progress.
    anchor = addMonthsClamped(new Date(Date.now() - 2 * 86_400_000), -3);
    let primaryId: string;
    ({ agencyId, primaryId } = await createAgency(app, { planStartedAt: anchor.toISOString() }));
    subs = [primaryId];
    for (const name of names) subs.push(await addSubAccount(app, agencyId, { name, subscriptionStartedAt: anchor.toISOString() }));
    await app.dataSource.query(`UPDATE sub_accounts SET created_at = $2 WHERE agency_id = $1`, [rawId(agencyId), anchor]);
    await fund(app, subs[6], '3');
    await recordCalls(app, [{ subAccountId: subs[6], durationSeconds: 120, startedAt: new Date(Date.now() - 600_000).toISOString() }]);
    ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: subs[5] }));
  });
  afterAll(() => app.close());

  it('should stream one strict RFC 4180 row per sub-account and cycle ending in the range, with the statements\' figures', async () => {
    // Cycles ending in [start of cycle 2, start of cycle 4]: cycles 1, 2 and 3 (the one in progress).
    const response = await get(params({ agencyId, from: cycleStart(2), to: new Date(Date.parse(cycleStart(4)) + 1).toISOString() }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers.get('content-length')).toBeNull(); // streamed, chunked
    const records = parseCsvStrict(await response.text());
    expect(records[0]).toEqual(HEADER);
    const rows = records.slice(1).map((r) => Object.fromEntries(HEADER.map((h, i) => [h, r[i]])));
    // Sub-account by sub-account (same creation instant here: by id), each one's cycles oldest first; the removed one included.
    const ordered = [...subs].sort((a, b) => (rawId(a) < rawId(b) ? -1 : 1));
    expect(rows.map((r) => [r.sub_account_id, r.cycle_start, r.closed])).toEqual(
      ordered.flatMap((id) => [[id, cycleStart(1), 'true'], [id, cycleStart(2), 'true'], [id, cycleStart(3), 'false']]),
    );
    // Client text is neutralised (a leading quote) and quoted where needed; the parser gives it back exactly.
    const nameOf = (id: string) => rows.find((r) => r.sub_account_id === id)!.sub_account_name;
    expect(subs.slice(1).map(nameOf)).toEqual([
      "'=HYPERLINK(\"http://evil.example\")", 'Acme, "Inc"', "'@SUM(A1)", "'-1+2", "'+33 1 23", 'Plain client',
    ]);
    expect(rows.find((r) => r.sub_account_id === subs[5])!.sub_account_status).toBe('REMOVED');

    // The funded client's current cycle: the same figures as SubAccount.statement.
    const csv = rows.find((r) => r.sub_account_id === subs[6] && r.closed === 'false')!;
    const gql = ok(await app.gql(
      `query($id: ID!) { subAccount(id: $id) { loginEmail statement { openingBalance { amount } adjustments { amount } closingBalance { amount }
        usage { spent { amount } } consumedMarkup { amount } } } }`,
      { id: subs[6] },
    )).subAccount;
    expect(csv).toMatchObject({
      login_email: gql.loginEmail, opening_balance: gql.statement.openingBalance.amount, adjustments: '3.00', spent: '0.32',
      closing_balance: gql.statement.closingBalance.amount, consumed_markup: gql.statement.consumedMarkup.amount,
      minutes_premium: '2', calls: '1', calls_completed: '1',
    });
    expect(gql.statement.closingBalance.amount).toBe('2.68');
  });

  it('should export an agency larger than one page without losing or repeating a row', async () => {
    const big = await createAgency(app);
    const ids = [big.primaryId];
    while (ids.length < EXPORT_PAGE_SUB_ACCOUNTS + 5) {
      ids.push(...(await Promise.all(Array.from({ length: 10 }, () => addSubAccount(app, big.agencyId)))));
    }
    const token = await createKey(app, 'AGENCY_ADMIN', { agencyId: big.agencyId });
    const response = await get(params({ agencyId: big.agencyId, from: new Date().toISOString(), to: new Date(Date.now() + 40 * 86_400_000).toISOString() }), token);
    expect(response.status).toBe(200);
    const rows = parseCsvStrict(await response.text()).slice(1);
    expect(rows.map((r) => r[0]).sort()).toEqual([...ids].sort());
  });

  describe('refusals', () => {
    const range = () => ({ from: cycleStart(0), to: cycleStart(3) });
    const expectError = async (response: Response, status: number, code: string) => {
      expect(response.status).toBe(status);
      const body = (await response.json()) as { errors: Array<{ message: string }> };
      expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
      return body.errors[0].message as string;
    };

    it('should answer 401 without a credential or with a wrong one', async () => {
      await expectError(await get(params({ agencyId, ...range() }), null), 401, 'UNAUTHENTICATED');
      await expectError(await get(params({ agencyId, ...range() }), 'vmk_not-a-key'), 401, 'UNAUTHENTICATED');
    });

    it("should answer 403 to another agency's admin, a client admin, a usage key, and for an agency that does not exist", async () => {
      const other = await createAgency(app);
      for (const token of [
        await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId }),
        await createKey(app, 'CLIENT_ADMIN', { subAccountId: subs[6] }),
        await createKey(app, 'USAGE_INGEST', { agencyId }),
      ]) {
        await expectError(await get(params({ agencyId, ...range() }), token), 403, 'FORBIDDEN');
      }
      const admin = await createKey(app, 'AGENCY_ADMIN', { agencyId });
      const missing = Buffer.from('Agency:00000000-0000-4000-8000-000000000000').toString('base64url');
      const foreignMessage = await expectError(await get(params({ agencyId: other.agencyId, ...range() }), admin), 403, 'FORBIDDEN');
      expect(await expectError(await get(params({ agencyId: missing, ...range() }), admin), 403, 'FORBIDDEN')).toBe(foreignMessage);
      expect((await get(params({ agencyId, ...range() }), admin)).status).toBe(200);
    });

    it.each([
      ['no agencyId', () => params(range())],
      ['a sub-account id as agencyId', () => params({ agencyId: subs[1], ...range() })],
      ['no to', () => params({ agencyId, from: cycleStart(0) })],
      ['from after to', () => params({ agencyId, from: cycleStart(3), to: cycleStart(0) })],
      ['from equal to to', () => params({ agencyId, from: cycleStart(1), to: cycleStart(1) })],
      ['a date without a zone', () => params({ agencyId, from: '2026-01-01T00:00:00', to: cycleStart(3) })],
      ['a date that does not exist', () => params({ agencyId, from: '2026-02-30T00:00:00Z', to: cycleStart(3) })],
      ['a range over 5 years', () => params({ agencyId, from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })],
      ['from twice', () => `${params({ agencyId, ...range() })}&from=${encodeURIComponent(cycleStart(1))}`],
    ])('should answer 400 for %s', async (_name, query) => {
      await expectError(await get(query()), 400, 'BAD_USER_INPUT');
    });

    it('should answer 405 to another method', async () => {
      expect((await get(params({ agencyId, ...range() }), app.platformKey, 'POST')).status).toBe(405);
    });
  });
});

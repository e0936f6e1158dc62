import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';

/**
 * `agency(id)` reads its page of sub-accounts ahead, in its own statement, when the
 * selection asks for one (src/modules/agency/agency-read-ahead.ts). These pin the cases
 * where reading ahead could answer something else than the field would on its own.
 */
describe('agency read-ahead of its sub-account page', () => {
  let app: TestApp;
  let agencyId: string;
  let names: string[];
  beforeAll(async () => {
    app = await startTestApp();
    ({ agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' }));
    for (let i = 0; i < 6; i++) await addSubAccount(app, agencyId, { name: `Client ${i}` });
    const all = ok(await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(first: 100) { edges { node { name } } } } }`, { id: agencyId }));
    names = all.agency.subAccounts.edges.map((e: any) => e.node.name);
    expect(names).toHaveLength(7);
  });
  afterAll(() => app.close());

  const statements = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const before = app.queryCount();
    const response = await app.gql(query, variables, token);
    return { response, count: app.queryCount() - before };
  };

  it('should read the agency, its page, wallets, balances, count and free slots in one statement', async () => {
    const query = `query($id: ID!) { agency(id: $id) { name subAccountSlotsRemaining subAccounts(first: 3) { totalCount edges { node { name wallet { balance { amount } } } } } } }`;
    await app.gql(query, { id: agencyId }); // the plan catalog is read once a minute per process, not per request
    const { response, count } = await statements(query, { id: agencyId });
    const data = ok(response);
    expect(data.agency.subAccounts.totalCount).toBe(7);
    expect(data.agency.subAccounts.edges.map((e: any) => e.node.name)).toEqual(names.slice(0, 3));
    expect(data.agency.subAccountSlotsRemaining).toBeNull(); // unlimited plan
    expect(count).toBe(1);
  });

  it('should answer the dashboard (prices, cycle usage, slots) of 50 sub-accounts in as many statements as of 5', async () => {
    const { agencyId: dashboardAgency } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
    const query = `query($id: ID!, $first: Int!) { agency(id: $id) { name subAccountSlotsRemaining subAccounts(first: $first) { totalCount edges { node {
      id name status wallet { balance { amount } } markup(tier: PREMIUM) { amount } minutePrice(tier: PREMIUM) { amount } usage { totalMinutes spent { amount } } } } } } }`;
    for (let i = 0; i < 49; i++) await addSubAccount(app, dashboardAgency);
    await app.gql(query, { id: dashboardAgency, first: 5 }); // warm-up: the plan catalog is read once a minute per process
    const small = await statements(query, { id: dashboardAgency, first: 5 });
    const large = await statements(query, { id: dashboardAgency, first: 50 });
    expect(ok(large.response).agency.subAccounts.edges).toHaveLength(50);
    expect(ok(small.response).agency.subAccounts.edges).toHaveLength(5);
    // The agency with its page, counts, wallets and balances; then every sub-account's cycle usage.
    expect(large.count).toBe(small.count);
    expect(large.count).toBe(2);
  });

  it('should answer two aliased pages with different arguments each with its own rows', async () => {
    const data = ok(await app.gql(
      `query($id: ID!) { agency(id: $id) { a: subAccounts(first: 2) { edges { node { name } } } b: subAccounts(first: 4) { totalCount edges { node { name } } } } }`,
      { id: agencyId },
    ));
    expect(data.agency.a.edges.map((e: any) => e.node.name)).toEqual(names.slice(0, 2));
    expect(data.agency.b.edges.map((e: any) => e.node.name)).toEqual(names.slice(0, 4));
    expect(data.agency.b.totalCount).toBe(7);
  });

  it('should follow fragments, variables and @include / @skip', async () => {
    const query = `query($id: ID!, $n: Int!, $with: Boolean!, $after: String) {
      agency(id: $id) { ...A skipped: subAccounts(first: 1) @skip(if: $with) { edges { node { name } } } }
    }
    fragment A on Agency { ... on Agency { subAccounts(first: $n, after: $after) @include(if: $with) { totalCount pageInfo { endCursor hasNextPage } edges { node { name } } } } }`;
    const first = await statements(query, { id: agencyId, n: 2, with: true });
    const page1 = ok(first.response).agency.subAccounts;
    expect(page1.edges.map((e: any) => e.node.name)).toEqual(names.slice(0, 2));
    expect(first.count).toBe(1);
    const page2 = ok(await app.gql(query, { id: agencyId, n: 2, with: true, after: page1.pageInfo.endCursor })).agency.subAccounts;
    expect(page2.edges.map((e: any) => e.node.name)).toEqual(names.slice(2, 4));
    const skipped = ok(await app.gql(query, { id: agencyId, n: 2, with: false })).agency.skipped;
    expect(skipped.edges.map((e: any) => e.node.name)).toEqual(names.slice(0, 1));
  });

  it('should answer a page past the end with the right count and no rows, and filters like the field', async () => {
    const page = ok(await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(first: 5) { pageInfo { endCursor } } } }`, { id: agencyId }));
    const after = page.agency.subAccounts.pageInfo.endCursor;
    const rest = ok(await app.gql(
      `query($id: ID!, $after: String) { agency(id: $id) { subAccounts(first: 5, after: $after) { totalCount edges { node { name } } } } }`,
      { id: agencyId, after },
    ));
    expect(rest.agency.subAccounts.edges.map((e: any) => e.node.name)).toEqual(names.slice(5));
    const last = ok(await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(first: 100) { pageInfo { endCursor } } } }`, { id: agencyId })).agency.subAccounts.pageInfo.endCursor;
    const past = ok(await app.gql(
      `query($id: ID!, $after: String) { agency(id: $id) { subAccounts(first: 5, after: $after, search: "client 1") { totalCount edges { node { name } } } } }`,
      { id: agencyId, after: last },
    ));
    expect(past.agency.subAccounts).toEqual({ totalCount: 1, edges: [] });
    const empty = ok(await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(first: 0) { totalCount edges { node { name } } } } }`, { id: agencyId }));
    expect(empty.agency.subAccounts).toEqual({ totalCount: 7, edges: [] });
  });

  it('should keep the field\'s own errors for bad arguments and answer the agency', async () => {
    const response = await app.gql(`query($id: ID!) { agency(id: $id) { name subAccounts(first: 1000) { totalCount } } }`, { id: agencyId });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.data?.agency).toBeNull(); // subAccounts is non-null: the error nulls the agency, as before
    const badCursor = await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(after: "nope") { totalCount } } }`, { id: agencyId });
    expect(errorCode(badCursor)).toBe('BAD_USER_INPUT');
  });

  it('should read nothing ahead for a viewer who may not list the agency, and null for another agency', async () => {
    const other = await createAgency(app);
    const clientId = await addSubAccount(app, agencyId);
    const client = await createKey(app, 'CLIENT_ADMIN', { subAccountId: clientId });
    const foreignAdmin = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
    const query = `query($id: ID!) { agency(id: $id) { name subAccounts(first: 5) { totalCount edges { node { name } } } } }`;
    const asClient = await app.gql(query, { id: agencyId }, client);
    expect(errorCode(asClient)).toBe('FORBIDDEN');
    expect(JSON.stringify(asClient.data ?? {})).not.toContain('Client 0');
    const asForeign = await app.gql(query, { id: agencyId }, foreignAdmin);
    expect(asForeign.errors).toBeUndefined();
    expect(asForeign.data).toEqual({ agency: null });
    const missing = await app.gql(query, { id: Buffer.from('Agency:00000000-0000-4000-8000-000000000000').toString('base64url') });
    expect(missing.data).toEqual({ agency: null });
  });
});

import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { ago, createScenario, recordCalls, type CallInput } from './helpers/usage';

/**
 * `SubAccount.calls` on a page of sub-accounts: the calls of every sub-account asked with
 * the same arguments are read in one statement (the request's `callsOfSubAccount` loader,
 * src/modules/usage/call.repository.ts), and each sub-account's answer is exactly what
 * the field answers alone.
 */
describe('calls of a page of sub-accounts', () => {
  let app: TestApp;
  let agencyId: string;
  let subAccountIds: string[];
  let scenarioOf: Map<string, string>;

  const STATUSES = ['COMPLETED', 'NO_ANSWER', 'FAILED'] as const;

  beforeAll(async () => {
    app = await startTestApp();
    ({ agencyId } = await createAgency(app));
    subAccountIds = [];
    for (let i = 0; i < 8; i++) subAccountIds.push(await addSubAccount(app, agencyId, { name: `Client ${i}` }));
    scenarioOf = new Map();
    const inputs: CallInput[] = [];
    for (const [i, subAccountId] of subAccountIds.entries()) {
      const scenario = ok(await createScenario(app, subAccountId, `Campaign ${i}`)).createScenario.scenario.id;
      scenarioOf.set(subAccountId, scenario);
      // i + 3 calls each (a different number per sub-account), some at the same instant (the id breaks the tie).
      for (let j = 0; j < i + 3; j++) {
        inputs.push({
          subAccountId, externalCallId: `c-${i}-${j}`, status: STATUSES[j % 3], startedAt: ago(10 + Math.floor(j / 2)),
          scenarioId: j % 2 ? scenario : null, durationSeconds: 30 + j,
        });
      }
    }
    await recordCalls(app, inputs);
  });
  afterAll(() => app.close());

  // Depth 8 (DESIGN.md) leaves no room for `scenario { name }` under a page of sub-accounts.
  const CALLS = `edges { cursor node { id externalCallId status startedAt durationSeconds } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

  const TYPES: Record<string, string> = { range: 'DateRangeInput', status: 'CallStatus', scenarioId: 'ID', after: 'String' };
  const declare = (variables: Record<string, unknown>) => Object.keys(variables).map((name) => `, $${name}: ${TYPES[name]}`).join('');

  /** The page of sub-accounts with `calls(<args>)` on each, and the statements it took. */
  async function throughPage(first: number, args: string, variables: Record<string, unknown> = {}) {
    const declared = declare(variables);
    const before = app.queryCount();
    const data = ok(await app.gql(
      `query($id: ID!, $first: Int!${declared}) { agency(id: $id) { subAccounts(first: $first) { edges { node { id calls(${args}) { ${CALLS} } } } } } }`,
      { id: agencyId, first, ...variables },
    ));
    const count = app.queryCount() - before;
    const byId = new Map<string, unknown>(data.agency.subAccounts.edges.map((e: any) => [e.node.id, e.node.calls]));
    return { byId, count };
  }

  /** The same field on one sub-account alone. */
  async function alone(subAccountId: string, args: string, variables: Record<string, unknown> = {}) {
    const declared = declare(variables);
    const data = ok(await app.gql(
      `query($id: ID!${declared}) { subAccount(id: $id) { calls(${args}) { ${CALLS} } } }`,
      { id: subAccountId, ...variables },
    ));
    return data.subAccount.calls;
  }

  it('should read the calls of 9 sub-accounts in as many statements as of 2, each exactly as alone', async () => {
    await throughPage(2, 'first: 3'); // warm-up: the plan catalog is read once a minute per process
    const small = await throughPage(2, 'first: 3');
    const large = await throughPage(9, 'first: 3');
    expect(large.byId.size).toBe(9);
    expect(large.count).toBe(small.count);
    for (const id of subAccountIds) {
      const calls = large.byId.get(id) as any;
      expect(calls).toEqual(await alone(id, 'first: 3'));
      expect(calls.edges).toHaveLength(3);
    }
    // The primary has no calls: an empty page, not a missing one.
    const primary = [...large.byId.entries()].find(([id]) => !subAccountIds.includes(id))![1] as any;
    expect(primary.edges).toEqual([]);
    expect(primary.pageInfo.hasNextPage).toBe(false);
  });

  it('should apply status, scenario, range and cursor filters per sub-account as the field does alone', async () => {
    const from = ago(12);
    const to = ago(10);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['first: 2, status: $status', { status: 'FAILED' }],
      ['first: 20, range: $range', { range: { from, to } }],
      ['first: 1, status: $status, range: $range', { status: 'COMPLETED', range: { from, to } }],
    ];
    for (const [args, variables] of cases) {
      const { byId } = await throughPage(9, args, variables);
      for (const id of subAccountIds) expect(byId.get(id)).toEqual(await alone(id, args, variables));
    }
    // A scenario filter names one sub-account's scenario: its calls there, nothing on the others.
    const [first, second] = subAccountIds;
    const scenarioId = scenarioOf.get(second)!;
    const { byId } = await throughPage(9, 'first: 10, scenarioId: $scenarioId', { scenarioId });
    expect((byId.get(second) as any).edges.length).toBeGreaterThan(0);
    // Calls number 1, 3 (odd) of the second sub-account carry its scenario.
    expect((byId.get(second) as any).edges.map((e: any) => e.node.externalCallId).sort()).toEqual(['c-1-1', 'c-1-3']);
    expect((byId.get(first) as any).edges).toEqual([]);
  });

  it('should page each sub-account through its calls with its own cursor, no call skipped or repeated', async () => {
    const last = subAccountIds[7]; // 10 calls
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const calls: any = await alone(last, 'first: 3, after: $after', { after });
      seen.push(...calls.edges.map((e: any) => e.node.externalCallId));
      if (!calls.pageInfo.hasNextPage) break;
      after = calls.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    // The same cursor through the page: the sub-account it came from continues after it.
    const firstPage: any = await alone(last, 'first: 3');
    const { byId } = await throughPage(9, 'first: 3, after: $after', { after: firstPage.pageInfo.endCursor });
    expect(byId.get(last)).toEqual(await alone(last, 'first: 3, after: $after', { after: firstPage.pageInfo.endCursor }));
  });

  it('should give two aliased calls fields with different arguments each their own rows', async () => {
    const data = ok(await app.gql(
      `query($id: ID!) { subAccount(id: $id) { a: calls(first: 1) { edges { node { externalCallId } } } b: calls(first: 4, status: FAILED) { edges { node { externalCallId status } } } } }`,
      { id: subAccountIds[7] },
    ));
    expect(data.subAccount.a.edges).toHaveLength(1);
    expect(data.subAccount.b.edges.length).toBeGreaterThan(0);
    expect(data.subAccount.b.edges.every((e: any) => e.node.status === 'FAILED')).toBe(true);
  });

  it("should not let a client admin read another sub-account's calls through a page it cannot list", async () => {
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: subAccountIds[0] });
    const response = await app.gql(
      `query($id: ID!) { agency(id: $id) { subAccounts(first: 9) { edges { node { calls(first: 3) { edges { node { externalCallId } } } } } } } }`,
      { id: agencyId },
      clientKey,
    );
    const edges = response.data?.agency?.subAccounts?.edges ?? [];
    const visible = edges.flatMap((e: any) => e.node?.calls?.edges ?? []).map((e: any) => e.node.externalCallId);
    expect(visible.every((id: string) => id.startsWith('c-0-'))).toBe(true);
  });
});

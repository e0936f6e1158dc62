import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { httpGraphQL } from '../src/demo/graphql-client';
import { setUpDemo, type DemoSetup } from '../src/demo/demo-setup';
import { CallSimulator, seededRandom } from '../src/demo/call-simulator';

const AGENCY = `query($id: ID!) {
  agency(id: $id) {
    name
    plan { code }
    subAccounts(first: 20) {
      totalCount
      edges { node {
        id name kind applyBasePrice billingCycle { start }
        premium: markup(tier: PREMIUM) { amount }
        wallet { balance { amount } lowBalanceThreshold { amount } }
        calls(first: 100) { totalCount edges { node { externalCallId } } }
        usage { callCount }
      } }
    }
  }
}`;

describe('the demo setup (npm run demo)', () => {
  let app: TestApp;
  let demo: DemoSetup;
  beforeAll(async () => {
    app = await startTestApp();
    demo = await setUpDemo(httpGraphQL(app.url), app.platformKey);
  });
  afterAll(() => app?.close());

  it('should create an agency with its primary and four clients of different markups, balances, thresholds and billing cycles', async () => {
    const { agency } = ok(await app.gql(AGENCY, { id: demo.agencyId }, demo.keys.AGENCY_ADMIN));
    expect(agency.name).toBe(demo.agencyName);
    expect(agency.plan.code).toBe('AGENCY_UNLIMITED');
    const rows = agency.subAccounts.edges.map(({ node }: any) => ({
      name: node.name, kind: node.kind, applyBasePrice: node.applyBasePrice, premiumMarkup: node.premium.amount,
      balance: node.wallet.balance.amount, threshold: node.wallet.lowBalanceThreshold.amount,
    }));
    expect(rows).toEqual([
      // The primary keeps what its plan granted, plus the demo's $250.
      expect.objectContaining({ name: demo.agencyName, kind: 'PRIMARY', applyBasePrice: true, premiumMarkup: '0.00' }),
      { name: 'Acme Dental', kind: 'SECONDARY', applyBasePrice: false, premiumMarkup: '0.04', balance: '40.00', threshold: '10.00' },
      { name: 'Bright Realty', kind: 'SECONDARY', applyBasePrice: false, premiumMarkup: '0.08', balance: '12.00', threshold: '10.00' },
      { name: 'Cobalt Legal', kind: 'SECONDARY', applyBasePrice: true, premiumMarkup: '0.00', balance: '100.00', threshold: '20.00' },
      { name: 'Delta Fitness', kind: 'SECONDARY', applyBasePrice: false, premiumMarkup: '0.02', balance: '6.00', threshold: '5.00' },
    ]);
    const cycleStarts = new Set(agency.subAccounts.edges.map(({ node }: any) => node.billingCycle.start.slice(0, 10)));
    expect(cycleStarts.size).toBe(5);
    expect(cycleStarts).not.toContain(new Date().toISOString().slice(0, 10));
    expect(demo.subAccounts.map((s) => s.id)).toEqual(agency.subAccounts.edges.map(({ node }: any) => node.id));
  });

  it('should give one working key per role, each with its role and scope', async () => {
    const viewer = async (key: string) => ok(await app.gql(`{ viewer { role agency { id } subAccount { id } } }`, {}, key)).viewer;
    expect(await viewer(demo.keys.PLATFORM_ADMIN)).toEqual({ role: 'PLATFORM_ADMIN', agency: null, subAccount: null });
    expect(await viewer(demo.keys.AGENCY_ADMIN)).toEqual({ role: 'AGENCY_ADMIN', agency: { id: demo.agencyId }, subAccount: null });
    expect(await viewer(demo.keys.CLIENT_ADMIN)).toEqual({
      role: 'CLIENT_ADMIN', agency: { id: demo.agencyId }, subAccount: { id: demo.clientAdminSubAccount.id },
    });
    expect(await viewer(demo.keys.USAGE_INGEST)).toEqual({ role: 'USAGE_INGEST', agency: { id: demo.agencyId }, subAccount: null });
    // The client admin reads its own sub-account only.
    const other = demo.subAccounts.find((s) => s.id !== demo.clientAdminSubAccount.id)!;
    const read = (id: string) => app.gql(`query($id: ID!) { subAccount(id: $id) { id } }`, { id }, demo.keys.CLIENT_ADMIN);
    expect(ok(await read(demo.clientAdminSubAccount.id)).subAccount.id).toBe(demo.clientAdminSubAccount.id);
    const refused = await read(other.id);
    expect(refused.data?.subAccount ?? null).toBeNull();
  });

  it('should record simulated calls through the ingest key, each once, in the sub-accounts it picked', async () => {
    const simulator = new CallSimulator(httpGraphQL(app.url), demo, seededRandom(42));
    const recorded = [];
    // Past the tenth call, the top-up check runs too.
    for (let i = 0; i < 12; i += 1) recorded.push(await simulator.step());
    expect(simulator.recorded).toBe(12);
    const { agency } = ok(await app.gql(AGENCY, { id: demo.agencyId }, demo.keys.AGENCY_ADMIN));
    const callsOf = new Map<string, string[]>(agency.subAccounts.edges.map(({ node }: any) => [node.id, node.calls.edges.map((e: any) => e.node.externalCallId)]));
    for (const call of recorded) expect(callsOf.get(call.subAccount.id)).toContain(call.externalCallId);
    expect([...callsOf.values()].flat().sort()).toEqual(recorded.map((c) => c.externalCallId).sort());
    expect(new Set(recorded.map((c) => c.externalCallId)).size).toBe(12);
    // Each in its sub-account's current billing cycle (the monitor's minutes this cycle), the primary's included.
    expect(agency.subAccounts.edges.reduce((sum: number, { node }: any) => sum + node.usage.callCount, 0)).toBe(12);
  });

  it('should create a fresh agency and keys on every run, leaving the earlier one as it was', async () => {
    const again = await setUpDemo(httpGraphQL(app.url), app.platformKey);
    expect(again.agencyId).not.toBe(demo.agencyId);
    expect(again.runId).not.toBe(demo.runId);
    expect(again.keys.AGENCY_ADMIN).not.toBe(demo.keys.AGENCY_ADMIN);
    const first = ok(await app.gql(AGENCY, { id: demo.agencyId }, demo.keys.AGENCY_ADMIN)).agency;
    expect(first.subAccounts.totalCount).toBe(5);
    // The new agency admin cannot read the earlier agency.
    const other = await app.gql(AGENCY, { id: demo.agencyId }, again.keys.AGENCY_ADMIN);
    expect(other.data?.agency ?? null).toBeNull();
  });
});

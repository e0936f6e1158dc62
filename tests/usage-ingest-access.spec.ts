import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { callId, callInput } from './helpers/usage';
import { subscribe, wsClient } from './helpers/ws';

/**
 * What a USAGE_INGEST key may read: only what recording needs (the list is in docs/security.md,
 * "What a USAGE_INGEST key reads", and in src/modules/auth/access.ts). Every other field
 * of every object it can get hold of is refused, and every answer is checked for the
 * agency's markups, which all end in "1337" here, so a leak through any path shows.
 */
const MARK = '1337';

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

/** Fields of the objects an ingest key can hold (Query, its payloads and what they contain) that it may read. */
const ALLOWED: Record<string, string[]> = {
  Query: ['viewer', 'plans'],
  Viewer: ['role', 'agency', 'subAccount'],
  Agency: ['id', 'name'],
  Plan: ['code', 'name', 'subAccountLimit', 'basePrice', 'includedMinutes', 'legacy'],
  RecordCallUsagePayload: ['call', 'userErrors'],
  RecordCallUsageBatchPayload: ['calls', 'userErrors'],
  CreateScenarioPayload: ['scenario', 'userErrors'],
  Call: ['id', 'externalCallId', 'tier', 'status', 'startedAt', 'durationSeconds', 'recordedAt'],
  Scenario: ['id', 'name', 'createdAt'],
};

/** Nullable fields it gets as null, without an error (the recording payload's wallet). */
const NULLED = ['RecordCallUsagePayload.wallet'];

describe('what a usage-ingest key may read', () => {
  let app: TestApp;
  let ingestKey: string;
  const ids = {} as Record<'agency' | 'primary' | 'client' | 'wallet' | 'transfer' | 'scenario' | 'call' | 'apiKey', string>;
  let recorded: Record<string, unknown>;

  const CALL_TERMS = 'id externalCallId tier status startedAt durationSeconds recordedAt';
  const record = (selection: string): Operation => ({
    query: `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { ${selection} } }`,
    variables: { input: recorded },
  });
  const recordBatch = (selection: string): Operation => ({
    query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { ${selection} } }`,
    variables: { inputs: [recorded] },
  });
  const scenario = (selection: string): Operation => ({
    query: `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { scenario { id ${selection} } userErrors { code } } }`,
    variables: { input: { subAccountId: ids.client, name: 'Spring campaign' } },
  });
  const ownAgency = (selection: string): Operation => ({ query: `{ viewer { agency { id ${selection} } } }` });
  const node = (key: keyof typeof ids, fragment: string): Operation => ({
    query: `query($id: ID!) { node(id: $id) { id ${fragment} } }`,
    variables: { id: ids[key] },
  });
  const range = '{ from: "2025-01-01T00:00:00Z", to: "2028-01-01T00:00:00Z" }';

  /** Every field the key may not read, by how it would reach it. */
  const REFUSED: Record<string, () => Operation> = {
    'Agency.createdAt': () => ownAgency('createdAt'),
    'Agency.plan': () => ownAgency('plan { code basePrice(tier: PREMIUM) { amount } }'),
    'Agency.planRenewsAt': () => ownAgency('planRenewsAt'),
    'Agency.defaultMarkup': () => ownAgency('defaultMarkup(tier: PREMIUM) { amount }'),
    'Agency.primarySubAccount': () => ownAgency('primarySubAccount { id minutePrice(tier: PREMIUM) { amount } }'),
    'Agency.profit': () => ownAgency('profit { earned { amount } pendingPayout { amount } }'),
    'Agency.payouts': () => ownAgency('payouts { totalCount edges { node { amount { amount } } } }'),
    'Agency.stripeConnectStatus': () => ownAgency('stripeConnectStatus'),
    'Agency.subAccountSlotsRemaining': () => ownAgency('subAccountSlotsRemaining'),
    'Agency.subAccounts': () => ownAgency('subAccounts(first: 10) { edges { node { id markup(tier: PREMIUM) { amount } } } }'),
    'Agency.totalMinutesUsed': () => ownAgency('totalMinutesUsed'),
    'Agency.health': () => ownAgency('health { atRisk }'),
    'Agency.subAccountsAtRisk': () => ownAgency('subAccountsAtRisk { edges { node { id health { burnRatePerDay { amount } } } } }'),
    'Agency.usageReport': () => ownAgency(`usageReport(range: ${range}) { totals { profit { amount } } bySubAccount { walletBalance { amount } } }`),
    'Call.cost': () => record('call { id cost { amount } }'),
    'Call.minutePrice': () => record('call { id minutePrice { amount } }'),
    'Call.subAccount': () => record('call { id subAccount { id markup(tier: PREMIUM) { amount } } }'),
    'Call.scenario': () => record('call { id scenario { id } }'),
    'Call.minutePrice (batch)': () => recordBatch('calls { id minutePrice { amount } }'),
    'Call.cost (batch)': () => recordBatch('calls { id cost { amount } }'),
    'Scenario.subAccount': () => scenario('subAccount { id wallet { balance { amount } } }'),
    'Query.agencies': () => ({ query: '{ agencies(first: 10) { edges { node { id } } } }' }),
    'Query.agency': () => ({ query: 'query($id: ID!) { agency(id: $id) { id } }', variables: { id: ids.agency } }),
    'Query.subAccount': () => ({
      query: 'query($id: ID!) { subAccount(id: $id) { id markup(tier: PREMIUM) { amount } } }',
      variables: { id: ids.client },
    }),
    'Query.transferQuote': () => ({
      query: `query($input: TransferMinutesInput!) { transferQuote(input: $input) { fromMinutePrice { amount } toMinutePrice { amount } } }`,
      variables: { input: { fromSubAccountId: ids.primary, toSubAccountId: ids.client, tier: 'PREMIUM', minutes: '1', idempotencyKey: 'q' } },
    }),
    'Query.node (Agency)': () => node('agency', '... on Agency { name }'),
    'Query.node (SubAccount)': () => node('client', '... on SubAccount { markup(tier: PREMIUM) { amount } }'),
    'Query.node (Wallet)': () => node('wallet', '... on Wallet { balance { amount } }'),
    'Query.node (Transfer)': () => node('transfer', '... on Transfer { amount { amount } }'),
    'Query.node (Scenario)': () => node('scenario', '... on Scenario { name }'),
    'Query.node (Call)': () => node('call', '... on Call { cost { amount } }'),
    'Query.node (ApiKey)': () => node('apiKey', '... on ApiKey { name role }'),
  };

  async function as(token: string, operation: Operation): Promise<{ response: GraphQLResponse; body: string }> {
    const response = await app.gql(operation.query, operation.variables ?? {}, token);
    return { response, body: JSON.stringify(response) };
  }

  beforeAll(async () => {
    app = await startTestApp();
    const agency = await createAgency(app);
    ids.agency = agency.agencyId;
    ids.primary = agency.primaryId;
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.031337", premium: "0.041337" }) { userErrors { code } } }`, { id: ids.agency }));
    ids.client = await addSubAccount(app, ids.agency, { markupPremium: '0.051337' });
    ingestKey = await createKey(app, 'USAGE_INGEST', { agencyId: ids.agency });
    ids.scenario = ok(await app.gql(scenario('').query, scenario('').variables)).createScenario.scenario.id;
    const walletOf = ok(
      await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { id transfers(first: 1) { edges { node { id } } } } } }`, { id: ids.primary }),
    ).subAccount.wallet;
    ids.wallet = walletOf.id;
    ids.transfer = walletOf.transfers.edges[0].node.id;
    ids.apiKey = ok(
      await app.gql(`mutation($id: ID) { createApiKey(input: { name: "admin", role: AGENCY_ADMIN, agencyId: $id }) { apiKey { id } } }`, { id: ids.agency }),
    ).createApiKey.apiKey.id;
    // The call every recording case replays: recorded once, so the refused reads move no money.
    recorded = callInput({ subAccountId: ids.client, externalCallId: callId('ingest'), scenarioId: ids.scenario });
    const first = ok(await as(ingestKey, record(`call { ${CALL_TERMS} } wallet { id } userErrors { code }`)).then((r) => r.response));
    expect(first.recordCallUsage.userErrors).toEqual([]);
    ids.call = first.recordCallUsage.call.id;
  });
  afterAll(() => app.close());

  it('should record a call and read back only its terms, with no wallet', async () => {
    const { response, body } = await as(ingestKey, record(`call { ${CALL_TERMS} } wallet { id balance { amount } } userErrors { code }`));
    expect(ok(response).recordCallUsage).toEqual({
      call: {
        id: ids.call, externalCallId: recorded.externalCallId, tier: 'PREMIUM', status: 'COMPLETED', startedAt: recorded.startedAt,
        durationSeconds: 60, recordedAt: expect.any(String),
      },
      wallet: null,
      userErrors: [],
    });
    expect(body).not.toContain(MARK);
  });

  it('should record a batch and read back only the terms of its calls', async () => {
    const fresh = callInput({ subAccountId: ids.client });
    const response = await app.gql(
      `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { ${CALL_TERMS} } userErrors { code field } } }`,
      { inputs: [recorded, fresh, { ...fresh, externalCallId: callId(), subAccountId: 'nope' }] },
      ingestKey,
    );
    const payload = ok(response).recordCallUsageBatch;
    expect(payload.calls.map((c: any) => c.externalCallId)).toEqual([recorded.externalCallId, fresh.externalCallId]);
    expect(payload.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['inputs', '2', 'subAccountId'] }]);
  });

  it('should create a scenario and read its id, name and creation date', async () => {
    const payload = ok((await as(ingestKey, scenario('name createdAt'))).response).createScenario;
    expect(payload).toEqual({ scenario: { id: ids.scenario, name: 'Spring campaign', createdAt: expect.any(String) }, userErrors: [] });
  });

  it("should read its own role and agency's id and name in viewer, and the plan catalog", async () => {
    const viewer = await as(ingestKey, { query: '{ viewer { role agency { id name } subAccount { id } } }' });
    expect(ok(viewer.response).viewer).toEqual({ role: 'USAGE_INGEST', agency: { id: ids.agency, name: expect.any(String) }, subAccount: null });
    const plans = await as(ingestKey, { query: '{ plans { code name subAccountLimit basePrice(tier: PREMIUM) { amount } includedMinutes(tier: PREMIUM) } }' });
    expect(ok(plans.response).plans.length).toBeGreaterThan(0);
    expect(plans.body).not.toContain(MARK);
  });

  it.each(Object.keys(REFUSED))('should refuse %s with FORBIDDEN and leak nothing', async (name) => {
    const { response, body } = await as(ingestKey, REFUSED[name]());
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(body).not.toContain(MARK);
    // The platform admin reads the same without an error: the case tests the role, not a broken query.
    expect((await as(app.platformKey, REFUSED[name]())).response.errors).toBeUndefined();
  });

  it.each([
    ['usageUpdated', 'subscription($id: ID) { usageUpdated(agencyId: $id) { call { cost { amount } } } }'],
    ['walletBalanceChanged', 'subscription($id: ID) { walletBalanceChanged(agencyId: $id) { balance { amount } } }'],
    ['agencyActivity', 'subscription($id: ID!) { agencyActivity(agencyId: $id) { type } }'],
  ])('should refuse the %s subscription with FORBIDDEN', async (_name, query) => {
    const client = wsClient(app.wsUrl, ingestKey);
    try {
      const stream = subscribe(client, query, { id: ids.agency });
      await stream.done;
      expect(stream.events).toEqual([]);
      expect(stream.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    } finally {
      await client.dispose();
    }
  });

  it('should have decided every field of every object it can hold: allowed, nulled or refused by a case above', () => {
    const schema = buildSchema(readFileSync(path.join(__dirname, '../schema/schema.graphql'), 'utf8'));
    const refused = new Set(Object.keys(REFUSED).map((name) => name.split(' ')[0]));
    for (const [typeName, allowed] of Object.entries(ALLOWED)) {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
      const undecided = Object.keys(type.getFields()).filter((field) => {
        const name = `${typeName}.${field}`;
        return !allowed.includes(field) && !NULLED.includes(name) && !refused.has(name);
      });
      expect({ type: typeName, undecided }).toEqual({ type: typeName, undecided: [] });
    }
  });
});

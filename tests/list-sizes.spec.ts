import {
  execute, getNamedType, getOperationAST, GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, isObjectType, parse,
} from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { capListFields, isListField, listSizeOf } from '../src/graphql/list-size';
import { operationCost } from '../src/graphql/operation-cost';
import { MAX_SCENARIOS_PER_SUB_ACCOUNT } from '../src/modules/usage/scenario.service';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';

/** Objects in an answer (the root `data` excluded): what the cost bounds. */
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countObjects(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Object.values(value).reduce((sum: number, child) => sum + countObjects(child), 0);
}

describe('list sizes', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });

  it('should declare a maximum size on every list field of the schema, connection edges sized by their page', () => {
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListField(field)) continue;
        const { maxItems, sizedByParent } = listSizeOf(field);
        if (!Number.isInteger(maxItems) || maxItems! < 1) undeclared.push(`${type.name}.${field.name}`);
        if (type.name.endsWith('Connection') && field.name === 'edges' && !sizedByParent) undeclared.push(`${type.name}.edges (not sized by first)`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('should size the lists of every field that returns sized lists: connections by first, the batch by its inputs', () => {
    const unsized: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        if (!isObjectType(named)) continue;
        const sizedLists = Object.values(named.getFields()).filter((child) => listSizeOf(child).sizedByParent);
        if (sizedLists.length === 0) continue;
        const argument = listSizeOf(field).sizeArgument ?? (named.name.endsWith('Connection') ? 'first' : undefined);
        if (!argument || !field.args.some((arg) => arg.name === argument)) unsized.push(`${type.name}.${field.name}`);
      }
    }
    expect(unsized).toEqual([]);
  });

  it('should cut the answer of a list field at its maxItems, whether its resolver is synchronous or not', async () => {
    const capped = capListFields(new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          now: { type: new GraphQLList(GraphQLInt), extensions: { maxItems: 2 }, resolve: () => [1, 2, 3, 4, 5] },
          later: { type: new GraphQLList(GraphQLInt), extensions: { maxItems: 3 }, resolve: async () => [1, 2, 3, 4, 5] },
          free: { type: new GraphQLList(GraphQLInt), resolve: () => [1, 2, 3, 4, 5] },
        },
      }),
    }));
    const result = await execute({ schema: capped, document: parse('{ now later free }') });
    expect(result.data).toEqual({ now: [1, 2], later: [1, 2, 3], free: [1, 2, 3, 4, 5] });
  });

  describe('against the server', () => {
    let app: TestApp;
    let agencyId: string;
    let subAccountId: string;
    beforeAll(async () => {
      app = await startTestApp();
      ({ agencyId, primaryId: subAccountId } = await createAgency(app));
    });
    afterAll(() => app.close());

    it(`should answer at most ${MAX_SCENARIOS_PER_SUB_ACCOUNT} scenarios even when more rows exist`, async () => {
      // More than creation allows (concurrent creates, an import): the list still stops at its maximum.
      await app.dataSource.query(
        `INSERT INTO scenarios (sub_account_id, name, created_at)
         SELECT $1, 'Scenario ' || n, now() - make_interval(secs => 5000 - n) FROM generate_series(1, $2::int) AS n`,
        [rawId(subAccountId), MAX_SCENARIOS_PER_SUB_ACCOUNT + 5],
      );
      const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { scenarios { name } } }`, { id: subAccountId }));
      expect(data.subAccount.scenarios).toHaveLength(MAX_SCENARIOS_PER_SUB_ACCOUNT);
      expect(data.subAccount.scenarios[0].name).toBe('Scenario 1');
      expect(data.subAccount.scenarios.at(-1).name).toBe(`Scenario ${MAX_SCENARIOS_PER_SUB_ACCOUNT}`);
    });

    it('should refuse by cost, before running it, a document nesting scenarios twice', async () => {
      const before = app.queryCount();
      const response = await app.gql(`query($id: ID!) { subAccount(id: $id) { scenarios { subAccount { scenarios { id } } } } }`, { id: subAccountId });
      expect(response.status).toBe(400);
      expect(response.errors![0]).toMatchObject({ message: expect.stringMatching(/cost/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
      expect(app.queryCount()).toBe(before);
    });

    it.each([
      ['the dashboard', `query($id: ID!) { agency(id: $id) { id plan { code } subAccounts(first: 100) { totalCount edges { node { id markup(tier: BASIC) { amount } wallet { balance { amount } } billingCycle { start } } } } } }`],
      ['a usage report', `query($id: ID!) { agency(id: $id) { usageReport(range: { from: "2026-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" }) {
        totals { minutesByTier { tier } callsByStatus { status } spent { amount } }
        bySubAccount { subAccount { id } usage { minutesByTier { tier } callsByStatus { count } } walletBalance { amount } } } } }`],
      ['the plans', `{ plans { code basePrice(tier: BASIC) { amount } } }`],
      ['scenarios with their sub-account', `query($sub: ID!) { subAccount(id: $sub) { scenarios { id subAccount { id wallet { id } } } } }`],
    ])('should answer %s with no more objects than its admitted cost', async (_label, query) => {
      for (let i = 0; i < 3; i += 1) await addSubAccount(app, agencyId);
      const variables = { id: agencyId, sub: subAccountId };
      const document = parse(query);
      const cost = operationCost(schema, document, getOperationAST(document), variables)!;
      const data = ok(await app.gql(query, variables));
      const objects = countObjects(data) - 1; // not the root
      expect(objects).toBeGreaterThan(0);
      expect(objects).toBeLessThanOrEqual(cost);
    });
  });
});

import 'reflect-metadata';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { createSchema } from './schema';
import { operationCost } from './operation-cost';

describe('operationCost', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });

  const cost = (query: string) => {
    const document = parse(query);
    const operation = getOperationAST(document);
    return (variables: Record<string, unknown>) => operationCost(schema, document, operation, variables);
  };

  it('should cost a page by its size, for every request of one document whose `first` is a variable', () => {
    const ofDocument = cost(`query($n: Int) { agencies(first: $n) { edges { node { id name } } } }`);
    const small = ofDocument({ n: 2 })!;
    const large = ofDocument({ n: 100 })!;
    expect(large).toBeGreaterThan(small);
    expect(ofDocument({ n: 2 })).toBe(small);
  });

  it('should coerce one request\'s variables once, however many limits ask for its cost', () => {
    const ofDocument = cost(`query($n: Int) { agencies(first: $n) { edges { node { id } } } }`);
    let reads = 0;
    const variables = { get n() { reads += 1; return 7; } };
    const first = ofDocument(variables);
    const readsForOne = reads;
    expect(ofDocument(variables)).toBe(first);
    expect(reads).toBe(readsForOne);
    // Another request's variables (another object) are costed on their own.
    expect(ofDocument({ n: 90 })).toBeGreaterThan(first!);
  });

  it('should remember a refusal to coerce too, and still answer undefined', () => {
    const ofDocument = cost(`query($n: Int) { agencies(first: $n) { edges { node { id } } } }`);
    const bad = { n: 'many' };
    expect(ofDocument(bad)).toBeUndefined();
    expect(ofDocument(bad)).toBeUndefined();
    expect(ofDocument({ n: 3 })).toBeGreaterThan(0);
  });

  it('should let @include with a variable change the cost of one document', () => {
    const ofDocument = cost(`query($all: Boolean!) { agencies(first: 50) { edges { node { id subAccounts(first: 50) @include(if: $all) { totalCount } } } } }`);
    expect(ofDocument({ all: true })).toBeGreaterThan(ofDocument({ all: false })!);
    expect(ofDocument({ all: false })).toBeLessThan(ofDocument({ all: true })!);
  });

  it('should give a document whose cost no variable changes the same cost whatever its variables', () => {
    const ofDocument = cost(`query($id: ID!) { node(id: $id) { id } }`);
    const first = ofDocument({ id: 'a' });
    expect(first).toEqual(expect.any(Number));
    expect(ofDocument({ id: 'b' })).toBe(first);
  });

  it('should return undefined, not throw, for variables that do not coerce', () => {
    expect(cost(`query($n: Int) { agencies(first: $n) { totalCount } }`)({ n: 'many' })).toBeUndefined();
    expect(cost(`query($id: ID!) { node(id: $id) { id } }`)({})).toBeUndefined();
  });

  it('should cost a fragment once, however often it is spread: 25 levels of doubling in well under a second', () => {
    const fragments = Array.from({ length: 25 }, (_, i) =>
      `fragment F${i} on SubAccount { agency { primarySubAccount { ...F${i + 1} } } wallet { subAccount { ...F${i + 1} } } }`);
    const query = `query($id: ID!) { subAccount(id: $id) { ...F0 } } ${fragments.join(' ')} fragment F25 on SubAccount { id }`;
    const started = performance.now();
    const estimate = cost(query)({ id: 'x' })!;
    expect(performance.now() - started).toBeLessThan(500);
    expect(estimate).toBeGreaterThan(2 ** 25); // the answer it describes: 2^25 sub-accounts and more
  });

  it('should count objects only, and every list by its declared maximum', () => {
    expect(cost(`{ viewer { role } }`)({})).toBe(1);
    expect(cost(`query($id: ID!) { subAccount(id: $id) { id name } }`)({ id: 'x' })).toBe(1);
    // 1 sub-account + 1,000 scenarios, each with its sub-account
    expect(cost(`query($id: ID!) { subAccount(id: $id) { scenarios { subAccount { id } } } }`)({ id: 'x' })).toBe(1 + 1_000 * 2);
    // 20 plans at most, each with one Money
    expect(cost(`{ plans { code basePrice(tier: BASIC) { amount } } }`)({})).toBe(20 * 2);
  });

  it('should cost a connection by first (20 without it), edges and nodes', () => {
    expect(cost(`{ agencies(first: 10) { totalCount edges { node { id } } } }`)({})).toBe(1 + 10 * 2);
    expect(cost(`{ agencies { edges { node { id } } } }`)({})).toBe(1 + 20 * 2);
    expect(cost(`{ agencies(first: 10) { a: edges { node { id } } b: edges { cursor } } }`)({})).toBe(1 + 10 * 3);
  });

  it('should cost a batch by its inputs, its calls and errors sharing them', () => {
    const ofDocument = cost(`mutation($inputs: [RecordCallUsageInput!]!) {
      recordCallUsageBatch(inputs: $inputs) { calls { id cost { amount } } userErrors { code } } }`);
    const input = { durationSeconds: 1, externalCallId: 'c', startedAt: '2026-01-01T00:00:00Z', status: 'COMPLETED', subAccountId: 's', tier: 'BASIC' };
    // the payload + per input the costlier of a call (with its Money) and an error
    expect(ofDocument({ inputs: Array.from({ length: 1_000 }, () => input) })).toBe(1 + 1_000 * 2);
    expect(ofDocument({ inputs: [input] })).toBe(1 + 2);
  });

  it('should not cost introspection, and leave out what @skip / @include leave out', () => {
    expect(cost(`{ __schema { types { name fields { name type { name } } } } }`)({})).toBe(0);
    expect(cost(`{ agencies(first: 10) @skip(if: true) { edges { node { id } } } viewer @include(if: false) { role } }`)({})).toBe(0);
  });
});

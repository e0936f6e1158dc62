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
});

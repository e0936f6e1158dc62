import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { startTestApp, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { subscribe, wsClient } from './helpers/ws';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';

/**
 * Hostile documents, over HTTP and over WebSocket: each is refused before it runs, with
 * its documented code, in bounded time (the fragment attack used to take 4.8 s of CPU at
 * 21 levels and minutes at 25); normal traffic and GraphiQL's introspection still pass.
 */

/** Generous for a loaded 2-core machine; the refusals take a few ms. */
const BOUND_MS = 1_500;

/** `levels` fragments, each spreading the next twice, under two different fields: an answer of 2^levels objects. */
function nestedDoubling(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    `fragment F${i} on SubAccount { agency { primarySubAccount { ...F${i + 1} } } wallet { subAccount { ...F${i + 1} } } }`);
  fragments.push(`fragment F${levels} on SubAccount { id }`);
  return `query Attack($id: ID!) { subAccount(id: $id) { ...F0 } }\n${fragments.join('\n')}`;
}

/** `levels` fragments, each spreading the next twice in one selection set: harmless, but walked 2^levels times by the old depth rule. */
function flatDoubling(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on SubAccount { id ...F${i + 1} ...F${i + 1} }`);
  fragments.push(`fragment F${levels} on SubAccount { name }`);
  return `query Flat($id: ID!) { subAccount(id: $id) { ...F0 } }\n${fragments.join('\n')}`;
}

/** Fields alternating agency / primarySubAccount below `agency(id:)`: depth `levels` + 1. */
function deepQuery(levels: number): string {
  let selection = 'id';
  for (let level = levels; level >= 2; level -= 1) selection = `${level % 2 === 0 ? 'primarySubAccount' : 'agency'} { ${selection} }`;
  return `query Deep($id: ID!) { agency(id: $id) { ${selection} } }`;
}

const aliasFan = (count: number) =>
  `query Aliases($id: ID!) { ${Array.from({ length: count }, (_, i) => `a${i}: agency(id: $id) { id }`).join(' ')} }`;
/** One directive per inline fragment (a directive may appear once per location). */
const directiveFan = (count: number) =>
  `query Directives($id: ID!) { agency(id: $id) { ${Array.from({ length: count }, () => '... @include(if: true) { id }').join(' ')} } }`;
const tokenFlood = (tokens: number) => `query Flood { ${Array.from({ length: tokens - 3 }, () => '__typename').join(' ')} }`;
/** Scenarios of a sub-account's scenarios' sub-account, three deep: 1,000^3 objects if it ran. */
const scenarioBomb = `query Bomb($id: ID!) {
  subAccount(id: $id) { scenarios { subAccount { scenarios { subAccount { scenarios { id name } } } } } }
}`;
/** Every row of the usage report (100) with all its sub-account's scenarios (1,000). */
const reportBomb = `query Report($id: ID!, $range: DateRangeInput!) {
  agency(id: $id) { usageReport(range: $range) { bySubAccount { subAccount { scenarios { subAccount { id } } } } } }
}`;
const hugePage = `query Huge { agencies(first: 1000000) { edges { node { id } } } }`;

const RANGE = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };

const operations = readFileSync(join(__dirname, '..', 'schema', 'operations', 'agency.graphql'), 'utf8');

interface Outcome {
  data?: unknown;
  errors: Array<{ message: string; extensions?: { code?: string } }>;
  elapsedMs: number;
}

describe('abuse limits', () => {
  let app: TestApp;
  let socket: Client;
  let agencyId: string;
  let subAccountId: string;

  beforeAll(async () => {
    app = await startTestApp();
    ({ agencyId, primaryId: subAccountId } = await createAgency(app));
    socket = wsClient(app.wsUrl, app.platformKey);
  });
  afterAll(async () => {
    await socket.dispose();
    await app.close();
  });

  async function overHttp(query: string, variables: Record<string, unknown> = {}): Promise<Outcome> {
    const started = performance.now();
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.platformKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as GraphQLResponse;
    return { data: body.data, errors: body.errors ?? [], elapsedMs: performance.now() - started };
  }

  async function overWebSocket(query: string, variables: Record<string, unknown> = {}): Promise<Outcome> {
    const started = performance.now();
    const received = subscribe(socket, query, variables);
    await received.done;
    return { data: received.events[0], errors: received.errors, elapsedMs: performance.now() - started };
  }

  const transports = [
    ['HTTP', (...args: Parameters<typeof overHttp>) => overHttp(...args)],
    ['WebSocket', (...args: Parameters<typeof overWebSocket>) => overWebSocket(...args)],
  ] as const;

  const vars = () => ({ id: subAccountId });
  const agencyVars = () => ({ id: agencyId });
  const shapes: Array<[string, () => string, () => Record<string, unknown>, string, RegExp]> = [
    ['fragments doubling under two fields, 21 levels', () => nestedDoubling(21), vars, 'GRAPHQL_VALIDATION_FAILED', /depth limit of 8/],
    ['fragments doubling under two fields, 25 levels', () => nestedDoubling(25), vars, 'GRAPHQL_VALIDATION_FAILED', /depth limit of 8/],
    ['a query of depth 9', () => deepQuery(8), agencyVars, 'GRAPHQL_VALIDATION_FAILED', /depth limit of 8 exceeded, found 9/],
    ['16 aliases', () => aliasFan(16), agencyVars, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15/],
    ['51 directives', () => directiveFan(51), agencyVars, 'GRAPHQL_VALIDATION_FAILED', /Directives limit of 50/],
    ['1,001 tokens', () => tokenFlood(1_001), () => ({}), 'GRAPHQL_PARSE_FAILED', /token/i],
    ['scenarios nested three deep', () => scenarioBomb, vars, 'GRAPHQL_VALIDATION_FAILED', /cost \d+ exceeds the limit of 5000/],
    ['the scenarios of every row of a usage report', () => reportBomb, () => ({ id: agencyId, range: RANGE }), 'GRAPHQL_VALIDATION_FAILED', /cost/],
    ['first: 1,000,000', () => hugePage, () => ({}), 'GRAPHQL_VALIDATION_FAILED', /cost/],
  ];

  describe.each(transports)('over %s', (_transport, send) => {
    it.each(shapes)('should refuse %s before running it, in bounded time, with its code', async (_label, query, variables, code, message) => {
      const before = app.queryCount();
      const outcome = await send(query(), variables());
      expect(outcome.data).toBeUndefined();
      expect(outcome.errors.length).toBeGreaterThan(0);
      expect(outcome.errors[0].extensions?.code).toBe(code);
      expect(outcome.errors[0].message).toMatch(message);
      expect(outcome.elapsedMs).toBeLessThan(BOUND_MS);
      expect(app.queryCount()).toBe(before);
    });

    it('should answer fragments spread twice in one selection set at 25 levels, in bounded time', async () => {
      const outcome = await send(flatDoubling(25), vars());
      expect(outcome.errors).toEqual([]);
      expect(outcome.data).toEqual({ subAccount: { id: subAccountId, name: expect.any(String) } });
      expect(outcome.elapsedMs).toBeLessThan(BOUND_MS);
    });

    it('should answer one field repeated up to the token limit in bounded time (field merging is quadratic)', async () => {
      const outcome = await send(`query Same { ${Array.from({ length: 195 }, () => 'viewer { role }').join(' ')} }`);
      expect(outcome.errors).toEqual([]);
      expect(outcome.data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
      expect(outcome.elapsedMs).toBeLessThan(BOUND_MS);
    });

    it('should run the agency dashboard at its largest page', async () => {
      await addSubAccount(app, agencyId);
      const outcome = await send(dashboardOnly(), { id: agencyId, first: 100 });
      expect(outcome.errors).toEqual([]);
      expect((outcome.data as any).agency.subAccounts.totalCount).toBeGreaterThanOrEqual(2);
    });

    it("should answer the introspection query GraphiQL sends", async () => {
      const outcome = await send(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }));
      expect(outcome.errors).toEqual([]);
      expect((outcome.data as any).__schema.queryType.name).toBe('Query');
      expect(outcome.elapsedMs).toBeLessThan(BOUND_MS);
    });

    it('should run a query at the limits: depth 8, 15 aliases, 50 directives', async () => {
      expect((await send(deepQuery(7), agencyVars())).errors).toEqual([]);
      expect((await send(aliasFan(15), agencyVars())).errors).toEqual([]);
      expect((await send(directiveFan(50), agencyVars())).errors).toEqual([]);
    });
  });

  it('should refuse the same documents for a low-privilege key', async () => {
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId });
    const response = await app.gql(scenarioBomb, { id: subAccountId }, clientKey);
    expect(response.status).toBe(400);
    expect(response.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

/** The dashboard operation of schema/operations/agency.graphql, without the other operations. */
function dashboardOnly(): string {
  const start = operations.indexOf('query AgencyDashboard');
  const end = operations.indexOf('\nmutation', start);
  return operations.slice(start, end);
}

describe('abuse limits in production', () => {
  let app: TestApp;
  let socket: Client;
  beforeAll(async () => {
    app = await startTestApp({ production: true, introspectionEnabled: false });
    socket = wsClient(app.wsUrl, app.platformKey);
  });
  afterAll(async () => {
    await socket.dispose();
    await app.close();
  });

  async function overWebSocket(query: string) {
    const received = subscribe(socket, query);
    await received.done;
    return received.errors;
  }

  it('should refuse introspection over HTTP and WebSocket', async () => {
    const query = getIntrospectionQuery();
    const http = await app.gql(query);
    expect(http.status).toBe(400);
    expect(http.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/Introspection is disabled/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED', requestId: expect.any(String) } })]);
    const ws = await overWebSocket(query);
    expect(ws).toEqual([expect.objectContaining({ message: expect.stringMatching(/Introspection is disabled/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED', requestId: expect.any(String) } })]);
  });

  it('should still answer __typename', async () => {
    expect((await app.gql(`{ __typename }`)).data).toEqual({ __typename: 'Query' });
  });

  it.each([
    ['a misspelt field', `{ viewer { rol } }`],
    ['a misspelt argument', `{ agencies(frist: 1) { totalCount } }`],
    ['a misspelt enum value', `{ plans { basePrice(tier: BASICC) { amount } } }`],
  ])('should not suggest names for %s over HTTP or WebSocket', async (_label, query) => {
    const http = await app.gql(query);
    expect(http.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(http.errors)).not.toMatch(/Did you mean/);
    const ws = await overWebSocket(query);
    expect(ws.length).toBeGreaterThan(0);
    expect(JSON.stringify(ws)).not.toMatch(/Did you mean/);
  });

  it('should not suggest an enum value for a variable either', async () => {
    const response = await app.gql(`query($t: MinuteTier!) { plans { basePrice(tier: $t) { amount } } }`, { t: 'BASICC' });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(response.errors)).not.toMatch(/Did you mean/);
  });
});

import fc from 'fast-check';
import WebSocket from 'ws';
import type { GraphQLSchema } from 'graphql';
import { randomUUID } from 'node:crypto';
import { createSchema } from '../src/graphql/schema';
import { toGlobalId } from '../src/shared/global-id';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { fund, recordCall, createScenario } from './helpers/usage';
import { changedTables, databaseDigest, domainTables } from './helpers/db-digest';
import { wsClient } from './helpers/ws';
import {
  anyJsonArb, fanOut, fragmentTree, operationArb, rootFields, textArb, type FuzzWorld, type GeneratedOperation, type RootField,
} from './helpers/schema-fuzz';

/**
 * Hostile input to every root field of the schema with every role: generated documents and
 * variables (wrong types, huge and deeply nested values, unicode oddities, decimals as
 * numbers, absurd amounts, other tenants' ids), broken bodies, alias fans and fragment
 * trees, over HTTP and WebSocket. Each answer must be a 4xx or a 200 whose every error has a
 * message and a code other than INTERNAL_SERVER_ERROR, arrive within TIME_BOUND_MS, and the
 * process must answer a normal query afterwards. Requests go in small concurrent groups;
 * when every mutation of a group was refused, every table must be byte-for-byte unchanged.
 *
 * Reproducible: the seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_GROUPS=<n> sizes it.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const GROUPS = Number(process.env.FUZZ_GROUPS ?? 250);
const GROUP_SIZE = 8;
const WS_CASES = Number(process.env.FUZZ_WS_CASES ?? 240);
const TIME_BOUND_MS = Number(process.env.FUZZ_TIME_BOUND_MS ?? 2000);

type Role = 'platform' | 'agencyA' | 'clientA1' | 'usageA' | 'anonymous' | 'bogus';
const ROLES: Role[] = ['platform', 'agencyA', 'clientA1', 'usageA', 'anonymous', 'bogus'];

interface Failure {
  case: string;
  role: Role;
  what: string;
  request: string;
  answer: string;
}

const clip = (text: string, max = 400) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
const show = (value: unknown) => {
  try {
    return clip(JSON.stringify(value) ?? String(value));
  } catch {
    return clip(String(value));
  }
};

/** What a response must look like, whatever was sent; the list of what is wrong with it. */
function problemsOf(status: number, body: any, elapsedMs: number): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);
  if (elapsedMs > TIME_BOUND_MS) problems.push(`answered after ${Math.round(elapsedMs)} ms`);
  if (body === undefined) {
    problems.push('body is not JSON');
    return problems;
  }
  const errors: any[] = Array.isArray(body?.errors) ? body.errors : [];
  if (status >= 400 && errors.length === 0) problems.push(`HTTP ${status} without a GraphQL error`);
  for (const error of errors) {
    const code = error?.extensions?.code;
    if (typeof error?.message !== 'string' || error.message.trim().length < 3) problems.push(`error without a message: ${show(error)}`);
    if (typeof code !== 'string' || !code) problems.push(`error without a code: ${show(error)}`);
    if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${error.message}`);
    if (error?.extensions?.stacktrace || error?.extensions?.exception) problems.push('error carries a stack trace');
  }
  const text = JSON.stringify(body ?? null);
  if (/\.ts:\d+|node_modules|\bat \w+ \(|QueryFailedError|duplicate key|violates/.test(text)) problems.push('answer leaks internals');
  const visit = (value: any) => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value.userErrors)) {
      for (const e of value.userErrors) {
        if (typeof e?.code !== 'string' || !e.code || ('message' in e && (typeof e.message !== 'string' || !e.message))) {
          problems.push(`userError without code or message: ${show(e)}`);
        }
      }
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(body?.data);
  return problems;
}

/**
 * Whether a mutation answer proves nothing was changed: refused before execution, its
 * resolver threw (an error at the root field itself), or a payload with userErrors and
 * nothing else. Anything else may legitimately have changed the database.
 */
function refused(operation: GeneratedOperation | undefined, status: number, body: any): boolean {
  if (!operation || operation.kind !== 'mutation') return true;
  if (status >= 400 || body === undefined || body?.data == null) return true;
  const errors: any[] = body.errors ?? [];
  return operation.responseKeys.every((key) => {
    const payload = body.data[key];
    if (payload == null) return errors.some((e) => Array.isArray(e.path) && e.path.length === 1 && e.path[0] === key);
    if (!Array.isArray(payload.userErrors) || payload.userErrors.length === 0) return false;
    return Object.entries(payload).every(([k, v]) => k === 'userErrors' || k === '__typename' || v == null || (Array.isArray(v) && v.length === 0));
  });
}

type HttpCase =
  | { type: 'operation'; role: Role; operation: GeneratedOperation; label: string }
  | { type: 'raw'; role: Role; body: string | Buffer; contentType?: string; method?: 'GET' | 'POST'; search?: string; label: string };

describe('fuzzing every field with hostile input', () => {
  let app: TestApp;
  let schema: GraphQLSchema;
  let roots: RootField[];
  let tables: string[];
  const world: FuzzWorld = { ids: [] };
  const tokens = {} as Record<Role, string | undefined>;
  const failures: Failure[] = [];

  beforeAll(async () => {
    process.stdout.write(`\nfuzz seed ${SEED} (replay: FUZZ_SEED=${SEED})\n`);
    schema = await createSchema();
    roots = rootFields(schema);
    app = await startTestApp();

    // Two tenants with one object of every node type each.
    const a = await createAgency(app, { name: 'Fuzz A' });
    const b = await createAgency(app, { name: 'Fuzz B' });
    const a1 = await addSubAccount(app, a.agencyId, { name: 'Fuzz A1' });
    const a2 = await addSubAccount(app, a.agencyId, { name: 'Fuzz A2' });
    const b1 = await addSubAccount(app, b.agencyId, { name: 'Fuzz B1' });
    for (const sub of [a1, a2, b1]) await fund(app, sub, '50');
    const scenarioA = ok(await createScenario(app, a1, 'Fuzz campaign')).createScenario.scenario.id;
    const scenarioB = ok(await createScenario(app, b1, 'Fuzz campaign')).createScenario.scenario.id;
    const callA = ok(await recordCall(app, { subAccountId: a1 })).recordCallUsage.call.id;
    const callB = ok(await recordCall(app, { subAccountId: b1 })).recordCallUsage.call.id;
    Object.assign(tokens, {
      platform: app.platformKey,
      agencyA: await createKey(app, 'AGENCY_ADMIN', { agencyId: a.agencyId }),
      clientA1: await createKey(app, 'CLIENT_ADMIN', { subAccountId: a1 }),
      usageA: await createKey(app, 'USAGE_INGEST', { agencyId: a.agencyId }),
      anonymous: undefined,
      bogus: 'vmk_' + 'f'.repeat(40),
    });
    const walletsAndTransfers = await Promise.all(
      [a.primaryId, a1, a2, b.primaryId, b1].map(async (id) => {
        const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { id transfers(first: 3) { edges { node { id } } } } } }`, { id }));
        return [data.subAccount.wallet.id, ...data.subAccount.wallet.transfers.edges.map((e: any) => e.node.id)];
      }),
    );
    const keys = ok(await app.gql(`{ agencies(first: 5) { edges { node { id } } } }`));
    expect(keys.agencies.edges.length).toBeGreaterThanOrEqual(2);
    world.ids = [
      a.agencyId, b.agencyId, a.primaryId, a1, a2, b.primaryId, b1, scenarioA, scenarioB, callA, callB, ...walletsAndTransfers.flat(),
      toGlobalId('SubAccount', randomUUID()), toGlobalId('Agency', randomUUID()), toGlobalId('Transfer', randomUUID()),
    ];
    tables = await domainTables(app.dataSource);
  });

  afterAll(async () => {
    await app?.close();
  });

  function record(label: string, role: Role, what: string[], request: unknown, answer: unknown) {
    if (what.length) failures.push({ case: label, role, what: [...new Set(what)].join('; '), request: show(request), answer: show(answer) });
  }

  async function send(c: HttpCase): Promise<{ status: number; body: any; elapsedMs: number }> {
    const token = tokens[c.role];
    const started = performance.now();
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    let response: Response;
    if (c.type === 'operation') {
      response = await fetch(app.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query: c.operation.query, variables: c.operation.variables }),
      });
    } else {
      response = await fetch(app.url + (c.search ?? ''), {
        method: c.method ?? 'POST',
        headers: { ...headers, ...(c.contentType ? { 'content-type': c.contentType } : {}), 'apollo-require-preflight': 'true' },
        body: c.method === 'GET' ? undefined : c.body,
      });
    }
    const text = await response.text();
    const elapsedMs = performance.now() - started;
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body, elapsedMs };
  }

  /** A normal dashboard query still works (429 also proves the process is alive). */
  async function expectAlive(after: string): Promise<void> {
    const response = await app.gql(`{ viewer { role } plans { code } }`);
    if (response.status === 429) return;
    if (response.data?.viewer?.role !== 'PLATFORM_ADMIN') {
      failures.push({ case: after, role: 'platform', what: 'the follow-up normal query failed', request: '{ viewer { role } }', answer: show(response) });
    }
  }

  /** Runs cases in concurrent groups with a digest of every table around each group. */
  async function runGroups<C>(
    cases: C[],
    size: number,
    run: (c: C) => Promise<{ refused: boolean; label: string; role: Role; request: unknown }>,
  ): Promise<void> {
    for (let i = 0; i < cases.length; i += size) {
      const group = cases.slice(i, i + size);
      const before = await databaseDigest(app.dataSource, tables);
      const results = await Promise.all(group.map(run));
      if (results.every((r) => r.refused)) {
        const changed = changedTables(before, await databaseDigest(app.dataSource, tables));
        if (changed.length) {
          failures.push({
            case: results.map((r) => r.label).join(', '),
            role: results[0].role,
            what: `a group of refused requests changed ${changed.join(', ')}`,
            request: show(results.map((r) => r.request)),
            answer: '',
          });
        }
      }
      await expectAlive(results.map((r) => r.label).join(', '));
    }
  }

  function report(title: string): void {
    if (failures.length === 0) return;
    // One line per distinct failure (field, role, problem); the first request of each as the example.
    const distinct = new Map<string, Failure & { count: number }>();
    for (const f of failures) {
      const key = `${f.case.split('#')[0]}|${f.role}|${f.what.replace(/\d+ ms/, 'N ms')}`;
      const seen = distinct.get(key);
      if (seen) seen.count += 1;
      else distinct.set(key, { ...f, count: 1 });
    }
    const lines = [...distinct.values()].map(
      (f) => `- ${f.case} as ${f.role} (${f.count}×): ${f.what}\n    request: ${f.request}\n    answer:  ${f.answer}`,
    );
    const message = `${title}: ${failures.length} failing cases with FUZZ_SEED=${SEED}\n${lines.join('\n')}`;
    failures.length = 0;
    throw new Error(message);
  }

  // ---------------------------------------------------------------------------------------

  const roleArb = fc.constantFrom(...ROLES);

  const rawBodyArb: fc.Arbitrary<Omit<Extract<HttpCase, { type: 'raw' }>, 'role' | 'label' | 'type'>> = fc.oneof(
    fc.constantFrom(
      '{', '{"query": ', 'null', '[]', '"text"', '0', 'true', '{"query": 5}', '{"query": null}', '{"query": ""}', '{"query": ["{ viewer { role } }"]}',
      '{"query": "{ viewer { role } }", "variables": "x"}', '{"query": "{ viewer { role } }", "variables": [1]}',
      '{"query": "{ viewer { role } }", "operationName": 5}', '{"query": "{ viewer { role } }", "operationName": "Nope"}',
      '{"query": "{ viewer { role } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
      '[{"query": "{ viewer { role } }"}, {"query": "{ plans { code } }"}]', '{"query": "\\ud800"}', '{"query": "{ viewer { role } }\\u0000"}',
      '{"query": "query { viewer { role } } mutation { revokeApiKey(input: {id: \\"x\\"}) { userErrors { code } } }"}',
      '{"query": "{ viewer { role } }", "query": "mutation { x }"}', '\ufeff{"query": "{ viewer { role } }"}', '{"query": "{ viewer { role } }",}',
      '{"query": "subscription { walletBalanceChanged { sequence } }"}', '{"__proto__": {"query": "{ viewer { role } }"}}',
    ).map((body) => ({ body, contentType: 'application/json' })),
    fc.constantFrom('[', '{"a":').chain((open) =>
      fc.integer({ min: 1000, max: 200_000 }).map((n) => ({ body: open.repeat(n), contentType: 'application/json' })),
    ),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => ({
      body: `{"query": "query($x: String) { viewer { role } }", "variables": {"x": ${'['.repeat(n)}1${']'.repeat(n)}}}`,
      contentType: 'application/json',
    })),
    fc.constant({ body: `{"query": "{ viewer { role } }", "variables": {"x": "${'y'.repeat(1_100_000)}"}}`, contentType: 'application/json' }),
    fc.constant({ body: Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d]), contentType: 'application/json' }),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data', undefined).map(
      (contentType) => ({ body: '{"query": "mutation { revokeApiKey(input: {id: \\"x\\"}) { userErrors { code } } }"}', contentType }),
    ),
    fc.constantFrom(
      '?query=mutation%20%7B%20revokeApiKey(input%3A%7Bid%3A%22x%22%7D)%20%7B%20userErrors%20%7B%20code%20%7D%20%7D%20%7D',
      '?query=%7Bviewer%7Brole%7D%7D&variables=%7B',
      '?query=%7Bviewer%7Brole%7D%7D&variables=%5B%5D',
      '?query=' + '%7B'.repeat(3000),
      '?query=%7Bviewer%7Brole%7D%7D&extensions=x',
    ).map((search) => ({ body: '', method: 'GET' as const, search })),
    textArb.map((text) => ({ body: text, contentType: 'application/json' })),
  );

  function httpCaseArb(): fc.Arbitrary<HttpCase> {
    const ops = fc.constantFrom(...roots).chain((root) => operationArb(schema, root, world).map((operation) => ({ root, operation })));
    return fc.oneof(
      {
        weight: 16,
        arbitrary: fc.tuple(roleArb, ops).map(([role, { operation }]) => ({ type: 'operation', role, operation, label: operation.coordinate }) as HttpCase),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(roleArb, rawBodyArb).map(([role, raw]) => ({ type: 'raw', role, ...raw, label: 'raw body' }) as HttpCase),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(roleArb, ops, fc.integer({ min: 2, max: 40 })).map(
          ([role, { operation }, count]) => ({ type: 'operation', role, operation: fanOut(operation, count), label: `${operation.coordinate}#fan${count}` }) as HttpCase,
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(roleArb, ops, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 2 }))
          .map(([role, { root, operation }, levels, fan]) => ({
            type: 'operation',
            role,
            operation: fragmentTree(operation, rootTypeName(root), levels, fan),
            label: `${operation.coordinate}#tree${levels}x${fan}`,
          }) as HttpCase),
      },
    );
  }

  const rootTypeName = (root: RootField) => root.coordinate.split('.')[0];

  it.each(['walletBalanceChanged { sequence }', 'usageUpdated { sequence }'])(
    'should refuse a subscription sent over HTTP (%s) with a 400 that points to the WebSocket',
    async (selection) => {
      const response = await app.gql(`subscription { ${selection} }`, {}, tokens.agencyA);
      expect(response.status).toBe(400);
      expect(response.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/WebSocket/), extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } })]);
    },
  );

  it('should answer a variable it cannot coerce over WebSocket with BAD_USER_INPUT, as over HTTP', async () => {
    const client = wsClient(app.wsUrl, tokens.agencyA);
    try {
      const result = await wsOnce(client, `subscription($a: String) { usageUpdated(afterSequence: $a) { sequence } }`, { a: false });
      expect(result.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/String cannot represent/), extensions: { code: 'BAD_USER_INPUT', requestId: expect.any(String) } })]);
      const query = await wsOnce(client, `query($id: ID!) { subAccount(id: $id) { id } }`, { id: [1] });
      expect(query.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', requestId: expect.any(String) } })]);
    } finally {
      await client.dispose();
    }
  });

  it('should refuse a bad afterSequence with a bad scope without an unhandled rejection (which would end the process)', async () => {
    // An unhandled rejection fails this file (jest reports it as "Test suite failed to run").
    const client = wsClient(app.wsUrl, tokens.agencyA);
    try {
      for (const query of [
        `subscription { walletBalanceChanged(agencyId: "nope", afterSequence: "garbage") { sequence } }`,
        `subscription { usageUpdated(subAccountId: "nope", afterSequence: "garbage") { sequence } }`,
        `subscription { agencyActivity(agencyId: "nope", afterSequence: "garbage") { sequence } }`,
      ]) {
        const result = await wsOnce(client, query, {});
        expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.dispose();
    }
  });

  it('should answer thousands of generated hostile HTTP requests with a clear 4xx or error, in bounded time, changing nothing when refused', async () => {
    const cases = fc.sample(httpCaseArb(), { seed: SEED, numRuns: GROUPS * GROUP_SIZE });
    // Every root field and every role is drawn at least once per run.
    expect(new Set(cases.filter((c) => c.type === 'operation').map((c) => (c as any).operation.coordinate)).size).toBe(roots.length);
    let index = 0;
    await runGroups(cases, GROUP_SIZE, async (c) => {
      const label = `${c.label} [case ${index++}]`;
      const { status, body, elapsedMs } = await send(c);
      const request = c.type === 'operation' ? { query: c.operation.query, variables: c.operation.variables } : { body: String(c.body), contentType: c.contentType, search: c.search };
      record(label, c.role, problemsOf(status, body, elapsedMs), request, { status, ...(body ?? {}) });
      return { refused: refused(c.type === 'operation' ? c.operation : undefined, status, body), label, role: c.role, request };
    });
    report('HTTP fuzz');
  }, 240_000);

  it('should answer deep fragment trees and wide alias fans within the time bound, over HTTP and WebSocket', async () => {
    const viewerField = roots.find((r) => r.coordinate === 'Query.viewer')!;
    const base: GeneratedOperation = { kind: 'query', coordinate: viewerField.coordinate, query: 'query Fuzz { viewer { role } }', variables: {}, responseKeys: ['viewer'] };
    const shapes = fc.sample(
      fc.oneof(
        fc.integer({ min: 12, max: 18 }).map((levels) => ({ label: `fragment tree ${levels}×2`, operation: fragmentTree(base, 'Query', levels, 2) })),
        fc.integer({ min: 16, max: 400 }).map((count) => ({ label: `alias fan ${count}`, operation: fanOut(base, count) })),
      ),
      { seed: SEED + 1, numRuns: 4 },
    );
    const client = wsClient(app.wsUrl, tokens.agencyA);
    try {
      for (const { label, operation } of shapes) {
        const http = await send({ type: 'operation', role: 'agencyA', operation, label });
        record(`${label} over HTTP`, 'agencyA', problemsOf(http.status, http.body, http.elapsedMs), operation.query, http.body);
        const started = performance.now();
        const result = await wsOnce(client, operation.query, {});
        record(`${label} over WebSocket`, 'agencyA', problemsOf(200, result, performance.now() - started), operation.query, result);
        await expectAlive(label);
      }
    } finally {
      await client.dispose();
    }
    report('fragment trees and alias fans');
  }, 120_000);

  /** One operation over graphql-ws: its first result, or its error, or `{ open: true }` while it keeps running. */
  function wsOnce(client: ReturnType<typeof wsClient>, query: string, variables: unknown, waitMs = TIME_BOUND_MS + 500): Promise<any> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (value: any) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop();
        resolve(value);
      };
      const timer = setTimeout(() => finish({ open: true }), waitMs);
      const stop = client.subscribe(
        { query, variables: variables as Record<string, unknown> },
        {
          next: (result) => finish(result),
          error: (error: any) => {
            if (Array.isArray(error)) finish({ errors: error });
            else if (typeof error?.code === 'number') finish({ closed: error.code, reason: error.reason, errors: [] });
            else finish({ errors: [{ message: String(error?.message ?? error), extensions: {} }] });
          },
          complete: () => finish({ completed: true }),
        },
      );
    });
  }

  /** Close codes a server may use to refuse a client; 1006/1011/4500 mean it broke. */
  const BROKEN_CLOSE = new Set([1006, 1011, 4500]);

  const rawMessageArb = fc.oneof(
    fc.constantFrom(
      'not json', '{}', 'null', '[]', '{"type":"subscribe"}', '{"type":"subscribe","id":"1"}', '{"type":"subscribe","id":"1","payload":{"query":5}}',
      '{"type":"subscribe","id":"1","payload":{"query":"subscription { walletBalanceChanged { sequence } }","variables":"x"}}',
      '{"type":"subscribe","id":"\\ud800","payload":{"query":"{ viewer { role } }"}}', '{"type":"subscribe","id":"a\\u0000","payload":{"query":"{ viewer { role } }"}}',
      '{"type":"connection_init"}', '{"type":"ping"}', '{"type":"pong"}', '{"type":"complete","id":"nope"}', '{"type":"next","id":"1","payload":{}}',
      '{"type":"subscribe","id":"1","payload":{"query":"{ viewer { role } }","extensions":5}}', '{"type":"nope"}',
      '{"type":"subscribe","id":"1","payload":{"query":"\\ud800"}}',
    ),
    fc.integer({ min: 1000, max: 100_000 }).map((n) => `{"type":"subscribe","id":"1","payload":{"query":"${'{'.repeat(n)}"}}`),
    anyJsonArb.map((value) => JSON.stringify({ type: 'subscribe', id: '1', payload: { query: 'subscription { walletBalanceChanged { sequence } }', variables: value } })),
  );

  /** A raw graphql-transport-ws socket: init, then one malformed message; what came back. */
  function rawSocket(role: Role, message: string): Promise<{ close?: number; reason?: string; messages: any[]; elapsedMs: number }> {
    return new Promise((resolve) => {
      const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
      const messages: any[] = [];
      let sentAt = 0;
      let done = false;
      const finish = (close?: number, reason?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (socket.readyState === socket.OPEN) socket.close(1000);
        resolve({ close, reason, messages, elapsedMs: sentAt ? performance.now() - sentAt : 0 });
      };
      const timer = setTimeout(() => finish(), 1500);
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: tokens[role] ? { authorization: `Bearer ${tokens[role]}` } : {} })));
      socket.on('message', (data) => {
        const parsed = (() => {
          try {
            return JSON.parse(String(data));
          } catch {
            return String(data);
          }
        })();
        if (parsed?.type === 'connection_ack') {
          sentAt = performance.now();
          socket.send(message);
          return;
        }
        messages.push(parsed);
        if (parsed?.type === 'error' || parsed?.type === 'next' || parsed?.type === 'complete') setTimeout(() => finish(), 50);
      });
      socket.on('close', (code, reason) => finish(code, String(reason)));
      socket.on('error', () => finish(1006, 'socket error'));
    });
  }

  it('should refuse malformed WebSocket operations and messages with a clear error, in bounded time, changing nothing when refused', async () => {
    const clients = Object.fromEntries(ROLES.filter((r) => tokens[r]).map((r) => [r, wsClient(app.wsUrl, tokens[r])])) as Record<Role, ReturnType<typeof wsClient>>;
    const wsRoles = ROLES.filter((r) => tokens[r]);
    const subscriptionFirst = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...roots.filter((r) => r.kind === 'subscription')) },
      { weight: 1, arbitrary: fc.constantFrom(...roots) },
    );
    type WsCase = { type: 'operation'; role: Role; operation: GeneratedOperation } | { type: 'raw'; role: Role; message: string };
    const cases = fc.sample(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.constantFrom(...wsRoles), subscriptionFirst.chain((root) => operationArb(schema, root, world)))
            .map(([role, operation]) => ({ type: 'operation', role, operation }) as WsCase),
        },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ROLES), rawMessageArb).map(([role, message]) => ({ type: 'raw', role, message }) as WsCase) },
      ),
      { seed: SEED + 2, numRuns: WS_CASES },
    );
    let index = 0;
    try {
      await runGroups(cases, 6, async (c) => {
        const label = `${c.type === 'operation' ? c.operation.coordinate : 'raw message'} over WebSocket [ws case ${index++}]`;
        if (c.type === 'raw') {
          const result = await rawSocket(c.role, c.message);
          const problems: string[] = [];
          if (result.close !== undefined && BROKEN_CLOSE.has(result.close)) problems.push(`socket closed with ${result.close} ${result.reason ?? ''}`);
          if (result.elapsedMs > TIME_BOUND_MS) problems.push(`answered after ${Math.round(result.elapsedMs)} ms`);
          for (const m of result.messages) {
            if (m?.type === 'error' || m?.type === 'next') problems.push(...problemsOf(200, { errors: m.type === 'error' ? m.payload : m.payload?.errors }, 0));
          }
          record(label, c.role, problems, c.message, result);
          return { refused: true, label, role: c.role, request: c.message };
        }
        const started = performance.now();
        const result = await wsOnce(clients[c.role], c.operation.query, c.operation.variables);
        const elapsedMs = performance.now() - started;
        const problems = result.open ? [] : problemsOf(200, result, elapsedMs);
        if (result.closed !== undefined && BROKEN_CLOSE.has(result.closed)) problems.push(`socket closed with ${result.closed} ${result.reason ?? ''}`);
        record(label, c.role, problems, { query: c.operation.query, variables: c.operation.variables }, result);
        return { refused: refused(c.operation, 200, result.open ? undefined : result), label, role: c.role, request: c.operation.query };
      });
    } finally {
      await Promise.all(Object.values(clients).map((client) => client.dispose()));
    }
    report('WebSocket fuzz');
  }, 180_000);
});

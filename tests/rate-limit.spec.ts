import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import Redis from 'ioredis';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { loadConfig, type AppConfig, type RateLimitConfig } from '../src/config/config';
import { createSchema } from '../src/graphql/schema';
import { operationCost } from '../src/graphql/operation-cost';
import { createApiServer, type ApiServer } from '../src/server';
import { RateLimitService } from '../src/modules/rate-limit/rate-limit.service';
import { Logger } from '../src/shared/logger';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { callInput } from './helpers/usage';
import { sleep, subscribe, wsClient } from './helpers/ws';

/**
 * Per-key rate limits over the real endpoint, on both stores: PostgreSQL always, Redis when
 * one answers at REDIS_TEST_URL (default the machine's 127.0.0.1:6379).
 *
 * Each suite sets up through an app with the default budgets (its own counters), then tests
 * replicas with small budgets built on the same database and store: two of them are two API
 * servers that share nothing but the store, as two replicas do.
 */
const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at `url` (synchronous, so that the suite can be skipped before it is declared). */
function redisReachable(url: string): boolean {
  const { hostname, port } = new URL(url);
  const probe = `const s = require('net').connect(${Number(port || 6379)}, ${JSON.stringify(hostname)});
    s.setTimeout(1000, () => process.exit(1)); s.on('error', () => process.exit(1));
    s.on('connect', () => s.write('PING\\r\\n')); s.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}
const redisUp = redisReachable(REDIS_URL);
if (!redisUp) {
  console.warn(`rate-limit.spec: the Redis store tests are SKIPPED: no Redis answered PING at ${REDIS_URL} (set REDIS_TEST_URL)`);
}

const POINTS = 200;
const INGEST_POINTS = 400;
const AUTH_FAILURES = 5;
const small = (keyPrefix: string): RateLimitConfig => ({
  ...loadConfig({}).rateLimits,
  points: POINTS, windowSeconds: 60, ingestPoints: INGEST_POINTS, ingestWindowSeconds: 60,
  authFailures: AUTH_FAILURES, authFailureWindowSeconds: 60, syncMs: 50, keyPrefix,
});

const CHEAP = `{ viewer { role } }`;
const EXPENSIVE = `query($id: ID!) { agency(id: $id) { subAccounts(first: 5) { edges { node { id name loginEmail } } } } }`;
const RECORD = `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id } userErrors { code } } }`;
const ACTIVITY = `subscription($agencyId: ID!) { agencyActivity(agencyId: $agencyId) { type } }`;

interface Replica {
  server: ApiServer;
  url: string;
  wsUrl: string;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  requestId: string | null;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(url: string, query: string, variables: Record<string, unknown>, token?: string, ip?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(ip ? { 'x-forwarded-for': ip } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), requestId: response.headers.get('x-request-id'), body: (await response.json()) as Answer['body'] };
}

/** Sends `query` until the first refusal (at most `max` times); the number admitted and the refusal. */
async function drain(url: string, query: string, variables: () => Record<string, unknown>, token: string, max = POINTS + 10) {
  for (let admitted = 0; admitted < max; admitted++) {
    const answer = await post(url, query, variables(), token);
    if (answer.status !== 200) return { admitted, refusal: answer };
    expect(answer.body.errors).toBeUndefined();
  }
  throw new Error(`no refusal after ${max} requests`);
}

/** Closes after a connection_init with `token` from `ip` (X-Forwarded-For); the close code and reason. */
function initAndClose(url: string, token: string, ip: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': ip } });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', reject);
  });
}

function expectRateLimited(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(answer.retryAfter).toMatch(/^\d+$/);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toEqual([
    { message: expect.stringMatching(/retry in \d+ s/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, requestId: answer.requestId } },
  ]);
}

const badKey = () => 'vmk_' + randomBytes(24).toString('base64url');

describe.each([
  ['PostgreSQL', undefined, describe],
  ['Redis', REDIS_URL, redisUp ? describe : describe.skip],
] as const)('rate limits with the %s store', (_store, redisUrl, maybeDescribe) => {
  maybeDescribe('over HTTP and WebSocket', () => {
    let app: TestApp;
    let schema: GraphQLSchema;
    let one: Replica;
    let two: Replica;
    let agencyA: string;
    let agencyB: string;
    let primaryA: string;
    const replicas: Replica[] = [];
    const clients: Array<ReturnType<typeof wsClient>> = [];
    const costOf = (query: string, variables: Record<string, unknown> = {}) => {
      const document = parse(query);
      return operationCost(schema, document, getOperationAST(document), variables)!;
    };

    async function startReplica(prefix: string): Promise<Replica> {
      const config: AppConfig = { ...app.config, redisUrl, trustProxyHops: 1, rateLimits: small(prefix) };
      const server = await createApiServer({ dataSource: app.dataSource, schema, config, logger: new Logger('silent') });
      const port = await server.listen(0);
      const replica = { server, url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql` };
      replicas.push(replica);
      return replica;
    }

    const prefix = `rltest${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      app = await startTestApp({ redisUrl, rateLimits: { ...loadConfig({}).rateLimits, keyPrefix: `${prefix}setup` } });
      schema = await createSchema();
      one = await startReplica(prefix);
      two = await startReplica(prefix);
      ({ agencyId: agencyA, primaryId: primaryA } = await createAgency(app));
      ({ agencyId: agencyB } = await createAgency(app));
    });

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      for (const replica of replicas) await replica.server.stop();
      await app?.close();
    });

    it('should answer 429 with Retry-After and RATE_LIMITED once a key has spent its budget, while another tenant is served', async () => {
      const keyA = await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyA });
      const keyB = await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyB });
      const { admitted, refusal } = await drain(one.url, CHEAP, () => ({}), keyA);
      expect(admitted).toBe(Math.floor(POINTS / costOf(CHEAP)));
      expectRateLimited(refusal);

      const other = await post(one.url, CHEAP, {}, keyB);
      expect(other.status).toBe(200);
      expect(other.body.data).toEqual({ viewer: { role: 'AGENCY_ADMIN' } });
      expectRateLimited(await post(one.url, CHEAP, {}, keyA)); // still refused at the same moment
    });

    it('should charge an operation its cost, so an expensive query spends the budget faster than a cheap one', async () => {
      const expensiveCost = costOf(EXPENSIVE, { id: agencyA });
      expect(expensiveCost).toBeGreaterThan(costOf(CHEAP) * 5);
      expect(expensiveCost).toBeLessThanOrEqual(POINTS);
      const cheap = await drain(one.url, CHEAP, () => ({}), await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyA }));
      const expensive = await drain(one.url, EXPENSIVE, () => ({ id: agencyA }), await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyA }));
      expect(expensive.admitted).toBe(Math.floor(POINTS / expensiveCost));
      expect(expensive.admitted).toBeLessThan(cheap.admitted / 5);
      expectRateLimited(expensive.refusal);
    });

    it('should give usage ingestion its own budget, spent by recordCallUsage and not by queries', async () => {
      const ingestKey = await createKey(app, 'USAGE_INGEST', { agencyId: agencyA });
      const record = () => ({ input: callInput({ subAccountId: primaryA }) });
      expectRateLimited((await drain(one.url, CHEAP, () => ({}), ingestKey)).refusal);

      const recorded = await post(one.url, RECORD, record(), ingestKey);
      expect(recorded.status).toBe(200);
      expect(recorded.body.data.recordCallUsage).toEqual({ call: { id: expect.any(String) }, userErrors: [] });
      const { admitted, refusal } = await drain(one.url, RECORD, record, ingestKey, INGEST_POINTS);
      expect(1 + admitted).toBe(Math.floor(INGEST_POINTS / costOf(RECORD, record())));
      expectRateLimited(refusal);
    });

    it('should share a key\'s budget between two replicas, the second admitting at most one request before it hears from the store', async () => {
      const key = await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyB });
      const { admitted } = await drain(one.url, CHEAP, () => ({}), key);
      expect(admitted).toBe(Math.floor(POINTS / costOf(CHEAP)));
      await one.server.rateLimits.flush();

      const first = await post(two.url, CHEAP, {}, key); // two's first request of the window: admitted, and it asks the store
      await two.server.rateLimits.flush();
      expect(first.status).toBe(200);
      expectRateLimited(await post(two.url, CHEAP, {}, key));
    });

    it('should keep the counters in the configured store, one per key and budget', async () => {
      expect(one.server.rateLimits.storeKind).toBe(redisUrl ? 'redis' : 'postgres');
      await one.server.rateLimits.flush();
      let keys: string[];
      if (redisUrl) {
        const redis = new Redis(redisUrl);
        keys = await redis.keys(`${prefix}:*`);
        await redis.quit();
      } else {
        keys = (await app.dataSource.query(`SELECT key FROM rate_limit.counters WHERE key LIKE $1`, [`${prefix}:%`])).map((row: { key: string }) => row.key);
      }
      expect(keys.filter((key) => key.startsWith(`${prefix}:api:key:`)).length).toBeGreaterThanOrEqual(4);
      expect(keys.filter((key) => key.startsWith(`${prefix}:ingest:key:`))).toHaveLength(1);
    });

    it('should refuse an address that failed to authenticate too often before reading its credentials, on every replica, and no other address', async () => {
      const valid = await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyA });
      const guesser = '203.0.113.7';
      for (let i = 0; i < AUTH_FAILURES; i++) {
        const answer = await post(one.url, CHEAP, {}, badKey(), guesser);
        expect(answer.status).toBe(401);
        expect(answer.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      }
      expectRateLimited(await post(one.url, CHEAP, {}, badKey(), guesser));
      expectRateLimited(await post(one.url, CHEAP, {}, valid, guesser)); // refused before the key is looked at

      // Requests without credentials are not guesses.
      for (let i = 0; i < AUTH_FAILURES + 2; i++) expect((await post(one.url, CHEAP, {}, undefined, '198.51.100.2')).status).toBe(401);
      expect((await post(one.url, CHEAP, {}, valid, '198.51.100.2')).status).toBe(200);

      // The other replica counts the guesser's next failure in the same shared budget.
      await one.server.rateLimits.flush();
      expect((await post(two.url, CHEAP, {}, badKey(), guesser)).status).toBe(401);
      await two.server.rateLimits.flush();
      expectRateLimited(await post(two.url, CHEAP, {}, badKey(), guesser));
    });

    it('should count failed WebSocket connection_init against the address and close past the budget with 4429', async () => {
      const guesser = '203.0.113.99';
      for (let i = 0; i < AUTH_FAILURES; i++) expect((await initAndClose(one.wsUrl, badKey(), guesser)).code).toBe(4403);
      const refused = await initAndClose(one.wsUrl, badKey(), guesser);
      expect(refused).toEqual({ code: 4429, reason: expect.stringMatching(/^RATE_LIMITED: retry in \d+ s$/) });
      expectRateLimited(await post(one.url, CHEAP, {}, badKey(), guesser)); // one budget for HTTP and WebSocket
    });

    it('should answer an operation over the budget on a WebSocket with RATE_LIMITED and keep the socket and its subscriptions', async () => {
      const key = await createKey(app, 'AGENCY_ADMIN', { agencyId: agencyA });
      const client = wsClient(one.wsUrl, key);
      clients.push(client);
      let closed = false;
      client.on('closed', () => (closed = true));
      const activity = subscribe(client, ACTIVITY, { agencyId: agencyA });
      await sleep(300);
      expectRateLimited((await drain(one.url, CHEAP, () => ({}), key)).refusal);

      const overBudget = subscribe(client, CHEAP);
      await overBudget.done;
      expect(overBudget.errors).toEqual([
        { message: expect.stringMatching(/retry in \d+ s/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number), requestId: expect.any(String) } },
      ]);
      expect(overBudget.events).toEqual([]);

      await addSubAccount(app, agencyA); // the subscription opened before keeps receiving on the same socket
      expect(await activity.waitFor(1)).toEqual([{ agencyActivity: { type: 'SUB_ACCOUNT_ADDED' } }]);
      expect(closed).toBe(false);
    });
  });
});

describe('rate limits with the store down or turned off', () => {
  it.each([
    ['PostgreSQL', undefined],
    ['Redis', 'redis://127.0.0.1:1'],
  ])('should admit charges when the %s store is unreachable, and keep enforcing the budget on this replica', async (_store, redisUrl) => {
    // Nothing listens on port 1: every consume fails and the in-memory insurance limiter answers.
    const down = await RateLimitService.start({
      config: small('rldown'), databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere', redisUrl, logger: new Logger('silent'),
    });
    try {
      const viewer = { role: 'AGENCY_ADMIN' as const, agencyId: 'a', apiKeyId: 'k', via: 'api-key' as const };
      let admitted = 0;
      for (let i = 0; i < POINTS; i++) {
        if (down.chargeOperation(viewer, ['viewer'], 2).allowed) admitted++;
        if (i % 20 === 0) await down.flush();
      }
      await down.flush();
      expect(admitted).toBe(POINTS / 2);
      expect(down.chargeOperation(viewer, ['viewer'], 2)).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
    } finally {
      await down.dispose();
    }
  });

  it('should admit everything and keep no counters with RATE_LIMIT_ENABLED=false', async () => {
    const app = await startTestApp({ rateLimits: { ...small('rloff'), enabled: false, points: 1 } });
    try {
      expect(app.server.rateLimits.storeKind).toBe('none');
      for (let i = 0; i < 5; i++) expect(ok(await app.gql(CHEAP))).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
      const [{ count }] = await app.dataSource.query(`SELECT count(*)::int AS count FROM rate_limit.counters`);
      expect(count).toBe(0);
    } finally {
      await app.close();
    }
  });
});

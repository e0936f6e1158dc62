import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { ok, startTestApp, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { rawSocket, sleep, type RawSocket } from './helpers/ws';

/**
 * A socket never outlives its credentials: every operation re-checks the viewer of
 * connection_init, a revoked key's sockets are closed (4401) within a second, a JWT's at its
 * `exp`; and the WebSocket caps (subscriptions per socket, sockets per credential, messages
 * per second) refuse the excess with their documented error or close code. Small caps here,
 * so each can be reached quickly.
 */
const JWT_SECRET = 'ws-jwt-secret-' + randomBytes(24).toString('hex');
const CAPS = { wsMaxSubscriptionsPerSocket: 3, wsMaxSocketsPerKey: 3, wsMaxMessagesPerSecond: 5, wsMessageBurst: 10 };

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } userErrors { code } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }`;
const ACTIVITY = (agencyId: string) => `subscription { agencyActivity(agencyId: "${agencyId}") { type sequence } }`;

let app: TestApp;
let agencyId: string;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  app = await startTestApp({ jwtSecret: JWT_SECRET, ...CAPS });
  ({ agencyId } = await createAgency(app));
});
afterAll(async () => {
  for (const raw of sockets) raw.socket.terminate();
  await app.close();
});

function open(): RawSocket {
  const raw = rawSocket(app.wsUrl);
  sockets.push(raw);
  return raw;
}

async function newKey(role = 'AGENCY_ADMIN'): Promise<{ id: string; secret: string }> {
  const payload = ok(await app.gql(CREATE_KEY, { input: { name: 'socket key', role, agencyId } })).createApiKey;
  expect(payload.userErrors).toEqual([]);
  return { id: payload.apiKey.id, secret: payload.secret };
}

async function revoke(id: string): Promise<void> {
  expect(ok(await app.gql(REVOKE_KEY, { id })).revokeApiKey.userErrors).toEqual([]);
}

async function keyCount(): Promise<number> {
  const [{ count }] = await app.dataSource.query('SELECT count(*)::int AS count FROM api_keys');
  return count;
}

/** Errors and results that arrived for operation `id`. */
const repliesTo = (raw: RawSocket, id: string) => raw.messages.filter((m) => m.id === id);

describe('a socket whose API key is revoked', () => {
  it('should refuse its next query, mutation (createApiKey) and subscription and close it with 4401', async () => {
    const key = await newKey();
    const raw = open();
    await raw.init(key.secret);
    raw.send({ type: 'subscribe', id: 'before', payload: { query: '{ viewer { role } }' } });
    expect((await raw.nextMessage('next', 5000, 'before')).payload.data.viewer.role).toBe('AGENCY_ADMIN');

    await revoke(key.id);
    const keysBefore = await keyCount();
    raw.send({ type: 'subscribe', id: 'query', payload: { query: '{ viewer { role } }' } });
    raw.send({
      type: 'subscribe', id: 'mint',
      payload: { query: CREATE_KEY, variables: { input: { name: 'escalation', role: 'AGENCY_ADMIN', agencyId } } },
    });
    raw.send({ type: 'subscribe', id: 'sub', payload: { query: ACTIVITY(agencyId) } });

    const closed = await raw.closed;
    expect(closed.code).toBe(4401);
    for (const id of ['query', 'mint', 'sub']) {
      const replies = repliesTo(raw, id);
      // Refused with UNAUTHENTICATED, or not answered at all because the revocation closed the socket first.
      expect(replies.filter((m) => m.type === 'next')).toEqual([]);
      for (const reply of replies) expect(reply).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    expect(await keyCount()).toBe(keysBefore);
  });

  it('should be closed within a second even when it holds no subscription', async () => {
    const key = await newKey();
    const raw = open();
    await raw.init(key.secret);
    const revokedAtMs = Date.now();
    await revoke(key.id);
    const closed = await raw.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'API key revoked' });
    const latencyMs = closed.atMs - revokedAtMs;
    console.log(`revocation to close, same replica, no subscription: ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(1000);
  });

  it('should end a streaming subscription with UNAUTHENTICATED, then close the socket', async () => {
    const key = await newKey();
    const subId = await addSubAccount(app, agencyId);
    const raw = open();
    await raw.init(key.secret);
    raw.send({ type: 'subscribe', id: 'live', payload: { query: ACTIVITY(agencyId) } });
    await sleep(300);
    ok(await app.gql(
      `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
      { input: { subAccountId: subId, amount: '1', reason: 'socket test', idempotencyKey: randomBytes(6).toString('hex') } },
    ));
    await raw.nextMessage('next', 5000, 'live'); // streaming
    await revoke(key.id);
    expect((await raw.closed).code).toBe(4401);
    // The stream's end (a result with the error, then complete) was sent before the close.
    const replies = repliesTo(raw, 'live').map((m) => [m.type, m.payload?.errors?.[0]?.extensions?.code]);
    expect(replies.slice(-2)).toEqual([['next', 'UNAUTHENTICATED'], ['complete', undefined]]);
  });

  it('should refuse the next operation within a second even if the revocation never reaches the outbox (re-check of the key)', async () => {
    const key = await newKey();
    const raw = open();
    await raw.init(key.secret);
    // Behind the API's back: no API_KEY_REVOKED event, so only the per-operation re-check can see it.
    await app.dataSource.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [rawId(key.id)]);
    await sleep(1000);
    raw.send({ type: 'subscribe', id: 'late', payload: { query: '{ viewer { role } }' } });
    const error = await raw.nextMessage('error', 2000, 'late');
    expect(error.payload[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(repliesTo(raw, 'late').filter((m) => m.type === 'next')).toEqual([]);
    expect(await raw.closed).toMatchObject({ code: 4401 });
  });

  it("should leave other keys' sockets and subscriptions alone", async () => {
    const [revoked, kept] = [await newKey(), await newKey()];
    const [gone, stays] = [open(), open()];
    await gone.init(revoked.secret);
    await stays.init(kept.secret);
    stays.send({ type: 'subscribe', id: 'live', payload: { query: ACTIVITY(agencyId) } });
    await sleep(300);
    await revoke(revoked.id);
    expect((await gone.closed).code).toBe(4401);
    await addSubAccount(app, agencyId);
    expect((await stays.nextMessage('next', 5000, 'live')).payload.data.agencyActivity.type).toBe('SUB_ACCOUNT_ADDED');
    expect(stays.socket.readyState).toBe(stays.socket.OPEN);
  });
});

describe('a socket authenticated with a JWT', () => {
  const jwt = (expiresAtSeconds: number) =>
    new SignJWT({ role: 'AGENCY_ADMIN', agency_id: agencyId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(expiresAtSeconds)
      .sign(new TextEncoder().encode(JWT_SECRET));

  it('should work until exp and be closed with 4401 at exp', async () => {
    const expMs = (Math.floor(Date.now() / 1000) + 3) * 1000; // `exp` has whole seconds
    const raw = open();
    await raw.init(await jwt(expMs / 1000));
    raw.send({ type: 'subscribe', id: 'before', payload: { query: '{ viewer { role } }' } });
    expect((await raw.nextMessage('next', 5000, 'before')).payload.data.viewer.role).toBe('AGENCY_ADMIN');
    raw.send({ type: 'subscribe', id: 'live', payload: { query: ACTIVITY(agencyId) } });
    const closed = await raw.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'Token expired' });
    console.log(`JWT socket closed ${closed.atMs - expMs} ms after exp`);
    expect(closed.atMs).toBeGreaterThanOrEqual(expMs - 50);
    expect(closed.atMs).toBeLessThan(expMs + 1000);
  });
});

describe('WebSocket caps', () => {
  it('should refuse a subscription past the per-socket cap with TOO_MANY_SUBSCRIPTIONS, and admit one again after a complete', async () => {
    const raw = open();
    await raw.init(app.platformKey);
    for (const id of ['1', '2', '3', '4']) raw.send({ type: 'subscribe', id, payload: { query: ACTIVITY(agencyId) } });
    const refused = await raw.nextMessage('error', 3000, '4');
    expect(refused.payload[0]).toMatchObject({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    expect(refused.payload[0].message).toMatch(/At most 3 subscriptions/);
    // Queries are not subscriptions: still served.
    raw.send({ type: 'subscribe', id: 'q', payload: { query: '{ viewer { role } }' } });
    await raw.nextMessage('next', 3000, 'q');
    raw.send({ type: 'complete', id: '1' });
    await sleep(100);
    raw.send({ type: 'subscribe', id: '5', payload: { query: ACTIVITY(agencyId) } });
    await sleep(300);
    expect(repliesTo(raw, '5')).toEqual([]); // open, nothing refused
    expect(repliesTo(raw, '2')).toEqual([]);
    await addSubAccount(app, agencyId);
    await raw.nextMessage('next', 5000, '5');
    raw.socket.close(1000);
  });

  it('should close a socket past the per-key cap with 4429, admit one again once another closed, and not cap the platform key', async () => {
    const key = await newKey();
    const three = [open(), open(), open()];
    for (const raw of three) await raw.init(key.secret);
    expect(app.server.sockets.socketsOf(`key:${rawId(key.id)}`)).toBe(3);
    const fourth = open();
    await fourth.opened;
    fourth.send({ type: 'connection_init', payload: { authorization: `Bearer ${key.secret}` } });
    expect(await fourth.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/Too many sockets/) });
    expect(fourth.messages.filter((m) => m.type === 'connection_ack')).toEqual([]);

    three[0].socket.close(1000);
    await three[0].closed;
    await sleep(50);
    await open().init(key.secret);

    const platform = [open(), open(), open(), open()];
    for (const raw of platform) await raw.init(app.platformKey);
  });

  it('should close a socket that floods messages with 4429, and keep one at a steady pace open', async () => {
    const steady = open();
    await steady.init(app.platformKey);
    const flood = open();
    await flood.init(app.platformKey);
    for (let i = 0; i < 50; i++) flood.send({ type: 'subscribe', id: `f${i}`, payload: { query: '{ viewer { role } }' } });
    expect(await flood.closed).toMatchObject({ code: 4429, reason: 'Too many messages' });
    // The burst was answered; nothing past the budget was run.
    const answered = flood.messages.filter((m) => m.type === 'next').length;
    expect(answered).toBeLessThanOrEqual(CAPS.wsMessageBurst - 1);

    for (let i = 0; i < 8; i++) {
      steady.send({ type: 'subscribe', id: `s${i}`, payload: { query: '{ viewer { role } }' } });
      await sleep(1000 / (CAPS.wsMaxMessagesPerSecond - 1));
    }
    await steady.nextMessage('next', 3000, 's7');
    expect(steady.socket.readyState).toBe(steady.socket.OPEN);
  });
});

describe('in production', () => {
  it('should close with generic reasons', async () => {
    const production = await startTestApp({ ...CAPS, production: true });
    try {
      const raw = rawSocket(production.wsUrl);
      await raw.init(production.platformKey);
      for (let i = 0; i < 30; i++) raw.send({ type: 'ping' });
      expect(await raw.closed).toEqual(expect.objectContaining({ code: 4429, reason: 'Too many requests' }));

      const { agencyId: agency } = await createAgency(production);
      const created = ok(await production.gql(CREATE_KEY, { input: { name: 'prod key', role: 'AGENCY_ADMIN', agencyId: agency } }));
      const keyed = rawSocket(production.wsUrl);
      await keyed.init(created.createApiKey.secret);
      expect(ok(await production.gql(REVOKE_KEY, { id: created.createApiKey.apiKey.id })).revokeApiKey.userErrors).toEqual([]);
      expect(await keyed.closed).toEqual(expect.objectContaining({ code: 4401, reason: 'Unauthorized' }));
    } finally {
      await production.close();
    }
  });
});

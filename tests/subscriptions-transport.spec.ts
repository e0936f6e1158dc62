import { startTestApp, type TestApp } from './helpers/test-app';
import { createAgency } from './helpers/fixtures';
import { rawSocket, subscribe, sleep, wsClient } from './helpers/ws';

const ALLOWED_ORIGIN = 'https://dashboard.example.com';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ corsOrigins: [ALLOWED_ORIGIN] });
});
afterAll(async () => {
  await app.close();
});

describe('WebSocket transport', () => {
  it('closes a socket that sends no connection_init within the wait timeout (4408)', async () => {
    const raw = rawSocket(app.wsUrl);
    await raw.opened;
    const closed = await raw.closed;
    expect(closed.code).toBe(4408);
  });

  it.each(['next', 'error', 'connection_ack'])('closes with 4400 (the client\'s fault, not an internal 4500) on a client message of type %s', async (type) => {
    const raw = rawSocket(app.wsUrl);
    await raw.init(app.platformKey);
    raw.send({ type, id: '1', payload: {} });
    const closed = await raw.closed;
    expect(closed.code).toBe(4400);
    expect(closed.reason).toContain(type);
  });

  it('keeps serving a subscribe whose query merely mentions "next"', async () => {
    const raw = rawSocket(app.wsUrl);
    await raw.init(app.platformKey);
    raw.send({ type: 'subscribe', id: '1', payload: { query: '{ viewer { role } } # "next"' } });
    expect((await raw.nextMessage('next', 5000, '1')).payload.data.viewer.role).toBe('PLATFORM_ADMIN');
    raw.socket.close(1000);
  });

  it('closes with 4403 on missing, malformed or revoked credentials, and acknowledges good ones', async () => {
    for (const payload of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }, { authorization: 'Bearer vmk_forged' }]) {
      const raw = rawSocket(app.wsUrl);
      await raw.opened;
      raw.send({ type: 'connection_init', payload });
      expect((await raw.closed).code).toBe(4403);
    }
    const good = rawSocket(app.wsUrl);
    await good.opened;
    good.send({ type: 'connection_init', payload: { authorization: `Bearer ${app.platformKey}` } });
    await good.nextMessage('connection_ack');
    good.socket.close(1000);
  });

  it('refuses a browser handshake from a foreign origin; accepts allowed and same origins and non-browser clients', async () => {
    await expect(rawSocket(app.wsUrl, 'https://evil.example').opened).rejects.toMatchObject({ status: 403 });
    for (const origin of [ALLOWED_ORIGIN, app.url.replace('/graphql', ''), undefined]) {
      const raw = rawSocket(app.wsUrl, origin);
      await raw.opened;
      raw.socket.close(1000);
    }
  });

  it('applies the HTTP validation and abuse limits to operations over the socket', async () => {
    const raw = rawSocket(app.wsUrl);
    await raw.opened;
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${app.platformKey}` } });
    await raw.nextMessage('connection_ack');
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: agencyActivity(agencyId: "x") { type }`).join(' ');
    const deep = `subscription { agencyActivity(agencyId: "x") { agency { primarySubAccount { agency { primarySubAccount { agency {
      primarySubAccount { agency { primarySubAccount { agency { primarySubAccount { agency { id } } } } } } } } } } } } }`;
    const cases: Array<[string, string, RegExp]> = [
      ['unknown', 'subscription { agencyActivity(agencyId: "x") { nope } }', /Cannot query field "nope"/],
      ['aliases', `subscription { ${aliases} }`, /aliases/i],
      ['depth', deep, /depth/i],
      ['tokens', `subscription { agencyActivity(agencyId: "x") { ${'type '.repeat(6000)} } }`, /token/i],
      ['syntax', 'subscription {', /Syntax Error/],
      // Within depth 8: 100 sub-accounts × their 1,000 scenarios.
      ['cost', `subscription { agencyActivity(agencyId: "x") { agency { subAccounts(first: 100) { edges { node {
        scenarios { id name } } } } } } }`, /cost/],
    ];
    for (const [id, query, message] of cases) raw.send({ type: 'subscribe', id, payload: { query } });
    for (const [id, , message] of cases) {
      let error: any;
      for (let i = 0; i < 250 && !error; i++) {
        error = raw.messages.find((m) => m.type === 'error' && m.id === id);
        if (!error) await sleep(20);
      }
      expect(error).toBeDefined();
      expect(error.payload.map((e: { message: string }) => e.message).join(' ')).toMatch(message);
      expect(error.payload[0].extensions.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
      expect(raw.messages.some((m) => m.id === id && m.type === 'next')).toBe(false);
    }
    raw.socket.close(1000);
  });

  it('rejects subscribing without the rights, with the usual error codes', async () => {
    const { agencyId } = await createAgency(app);
    const ws = wsClient(app.wsUrl, app.platformKey);
    const bad = subscribe(ws, `subscription($a: String) {
      walletBalanceChanged(agencyId: "${agencyId}", afterSequence: $a) { sequence } }`, { a: 'not-a-sequence' });
    await bad.done;
    expect(bad.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
    await ws.dispose();
  });
});

describe('shutdown', () => {
  it('closes every open socket with 1001 and stops the server', async () => {
    const second = await startTestApp();
    const { agencyId } = await createAgency(second);
    const sockets = await Promise.all(
      [0, 1, 2].map(async () => {
        const raw = rawSocket(second.wsUrl);
        await raw.opened;
        raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${second.platformKey}` } });
        await raw.nextMessage('connection_ack');
        raw.send({ type: 'subscribe', id: '1', payload: { query: `subscription { agencyActivity(agencyId: "${agencyId}") { type } }` } });
        return raw;
      }),
    );
    await sleep(300);
    expect(second.server.events.subscriberCount).toBe(3);
    const started = Date.now();
    await second.close();
    for (const raw of sockets) expect((await raw.closed).code).toBe(1001);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

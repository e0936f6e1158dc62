import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency } from './helpers/fixtures';
import { rawSocket, subscribe, sleep, wsClient, type RawSocket } from './helpers/ws';
import { freePort } from './helpers/free-port';

/**
 * Two replicas on one database: this test's in-process server and the built
 * `dist/src/main.js` in its own process (`npm test` builds it first). Nothing is shared
 * but PostgreSQL, so an event caused through one reaching a subscriber of the other shows
 * the outbox, the LISTEN connection and the polling fallback at work.
 */
const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

let app: TestApp;
let child: ChildProcess;
let childUrl: string;
let childOutput = '';
const raws: RawSocket[] = [];
const clients: Array<ReturnType<typeof wsClient>> = [];
const client = (url: string) => {
  const c = wsClient(url, app.platformKey);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  app = await startTestApp();
  const port = await freePort();
  child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATABASE_URL: (app.dataSource.options as { url: string }).url,
      PLATFORM_ADMIN_KEY: app.platformKey,
      JOBS_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (childOutput += chunk));
  child.stderr!.on('data', (chunk) => (childOutput += chunk));
  const deadline = Date.now() + 40_000;
  while (!childOutput.includes('API ready')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`second replica did not start: ${childOutput}`);
    await sleep(50);
  }
  childUrl = `ws://127.0.0.1:${port}/graphql`;
}, 60_000);

afterAll(async () => {
  for (const raw of raws) raw.socket.terminate();
  await Promise.all(clients.map((c) => c.dispose()));
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  await app.close();
});

const ACTIVITY = `subscription($agencyId: ID!) { agencyActivity(agencyId: $agencyId) { sequence type subAccount { id } } }`;

describe('two replicas on one database', () => {
  it('an event caused through one replica reaches subscribers of both, in the same order', async () => {
    const { agencyId } = await createAgency(app);
    const onChild = subscribe(client(childUrl), ACTIVITY, { agencyId });
    const onSelf = subscribe(client(app.wsUrl), ACTIVITY, { agencyId });
    await sleep(400);
    const subId = await addSubAccount(app, agencyId); // through this process
    for (let i = 0; i < 5; i++) {
      ok(await app.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
        { input: { subAccountId: subId, amount: `${i + 1}`, reason: 'replica test', idempotencyKey: randomBytes(6).toString('hex') } },
      ));
    }
    const expectedCount = 1 + 5 + 1; // added, five balance changes, one recovery crossing ($5 threshold)
    const [child, self] = await Promise.all([onChild.waitFor(expectedCount), onSelf.waitFor(expectedCount)]);
    expect(child.map((e) => e.agencyActivity.sequence)).toEqual(self.map((e) => e.agencyActivity.sequence));
    expect(child[0].agencyActivity).toMatchObject({ type: 'SUB_ACCOUNT_ADDED', subAccount: { id: subId } });
  });

  it('and the other way round: a change made through the spawned replica reaches this one', async () => {
    const { agencyId } = await createAgency(app);
    const onSelf = subscribe(client(app.wsUrl), ACTIVITY, { agencyId });
    await sleep(300);
    const httpOfChild = childUrl.replace('ws://', 'http://');
    const response = await fetch(httpOfChild, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.platformKey}` },
      body: JSON.stringify({
        query: `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        variables: { input: { agencyId, name: 'Via replica', loginEmail: `replica-${randomBytes(4).toString('hex')}@example.com` } },
      }),
    });
    const body = (await response.json()) as any;
    const subId = body.data.addSubAccount.subAccount.id;
    const [event] = await onSelf.waitFor(1);
    expect(event.agencyActivity).toMatchObject({ type: 'SUB_ACCOUNT_ADDED', subAccount: { id: subId } });
  });

  it('a key revoked through one replica closes its sockets on both within a second (4401), with or without subscriptions', async () => {
    const { agencyId } = await createAgency(app);
    const created = ok(await app.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
      { input: { name: 'revoked across replicas', role: 'AGENCY_ADMIN', agencyId } },
    )).createApiKey;
    const open = (url: string) => {
      const raw = rawSocket(url);
      raws.push(raw);
      return raw;
    };
    const [childIdle, childStreaming, selfIdle] = [open(childUrl), open(childUrl), open(app.wsUrl)];
    for (const raw of [childIdle, childStreaming, selfIdle]) await raw.init(created.secret);
    childStreaming.send({ type: 'subscribe', id: 'live', payload: { query: ACTIVITY, variables: { agencyId } } });
    await sleep(300);
    await addSubAccount(app, agencyId);
    await childStreaming.nextMessage('next', 5000, 'live');

    const revokedAtMs = Date.now();
    ok(await app.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { code } } }`, { id: created.apiKey.id }));
    const closes = await Promise.all([childIdle.closed, childStreaming.closed, selfIdle.closed]);
    const latenciesMs = closes.map((closed) => closed.atMs - revokedAtMs);
    console.log(`revocation to close (ms): other replica idle ${latenciesMs[0]}, other replica streaming ${latenciesMs[1]}, same replica ${latenciesMs[2]}`);
    for (const closed of closes) expect(closed.code).toBe(4401);
    for (const latencyMs of latenciesMs) expect(latencyMs).toBeLessThan(1000);
    const ended = childStreaming.messages.filter((m) => m.id === 'live' && m.type === 'next').at(-1);
    expect(ended.payload.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

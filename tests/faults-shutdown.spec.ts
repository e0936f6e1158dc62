import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency } from './helpers/fixtures';
import { rawSocket, sleep } from './helpers/ws';
import { ensureBuilt, freshDatabase, remoteApp, startServer, waitForOutput, type ServerProcess } from './helpers/server-process';
import { createDataSource } from '../src/db/data-source';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';

/**
 * SIGTERM under load (issue 17), on the built server in a process of its own: transfers
 * held in flight behind a table lock the test takes, and an open subscription. Within the
 * grace period every in-flight transfer is answered and committed, the socket is closed with
 * 1001 and the process exits 0; past it the process exits 1, and what it did not answer did
 * not happen: a retry of the idempotency key on the next process moves the money once.
 */
const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id } userErrors { code message } }
}`;
const IN_FLIGHT = 12;
const PLATFORM_KEY = 'faults-platform-key-' + randomBytes(12).toString('hex');

type Outcome = { transferId: string } | { error: string } | { unanswered: string };

interface Fixture {
  app: ReturnType<typeof remoteApp>;
  agencyId: string;
  from: string;
  to: string;
}

async function setUp(server: ServerProcess): Promise<Fixture> {
  const app = remoteApp(server, PLATFORM_KEY);
  const { agencyId, primaryId } = await createAgency(app as unknown as TestApp);
  const to = await addSubAccount(app as unknown as TestApp, agencyId);
  const funded = ok(await app.gql(
    `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
    { input: { subAccountId: primaryId, amount: '100.00', reason: 'shutdown test', idempotencyKey: 'fund' } },
  ));
  expect(funded.adjustWalletBalance.userErrors).toEqual([]);
  return { app, agencyId, from: primaryId, to };
}

function transfer(app: Fixture['app'], fixture: Fixture, key: string): Promise<Outcome> {
  return app
    .gql(TRANSFER, { input: { fromSubAccountId: fixture.from, toSubAccountId: fixture.to, tier: 'PREMIUM', minutes: '1.5', idempotencyKey: key } })
    .then(
      (response) => {
        const payload = ok(response).transferMinutes;
        return payload.transfer ? { transferId: payload.transfer.id as string } : { error: payload.userErrors[0].code as string };
      },
      (error: Error) => ({ unanswered: String((error.cause as Error | undefined)?.message ?? error.message) }),
    );
}

/** A transaction of the test's own that blocks every insert into ledger_transfers until released. */
async function lockTransfers(url: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE ledger_transfers IN EXCLUSIVE MODE');
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/** Waits until one of the server's connections waits for a lock (a transfer is in flight). */
async function untilBlocked(admin: Client, database: string): Promise<void> {
  for (;;) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name = 'voice-minutes-api'`,
      [database],
    );
    if (rows[0].n > 0) return;
    await sleep(25);
  }
}

async function openSubscription(server: ServerProcess, agencyId: string) {
  const socket = rawSocket(server.wsUrl);
  await socket.opened;
  await socket.init(PLATFORM_KEY);
  socket.send({ id: 's1', type: 'subscribe', payload: { query: `subscription($a: ID!) { walletBalanceChanged(agencyId: $a) { sequence } }`, variables: { a: agencyId } } });
  return socket;
}

/** Retries every key on a fresh process and checks each moved money exactly once, the answered ones as answered. */
async function settle(dataSource: DataSource, fixture: Fixture, outcomes: Map<string, Outcome>): Promise<void> {
  for (const [key, outcome] of outcomes) {
    const retried = await transfer(fixture.app, fixture, key);
    expect(retried).toHaveProperty('transferId');
    if ('transferId' in outcome) expect(retried).toEqual(outcome);
  }
  const moved: Array<{ idempotency_key: string; n: number }> = await dataSource.query(
    `SELECT idempotency_key, count(*)::int AS n FROM ledger_transfers WHERE kind = 'MINUTE_TRANSFER' GROUP BY 1`,
  );
  expect(moved.length).toBe(outcomes.size);
  expect(moved.every((row) => row.n === 1)).toBe(true);
  expect((await verifyLedger(dataSource)).problems).toEqual([]);
}

describe('graceful shutdown of the server process under load', () => {
  jest.setTimeout(180_000);
  let admin: Client;
  beforeAll(async () => {
    ensureBuilt();
    admin = new Client({ connectionString: process.env.TEST_ADMIN_URL });
    await admin.connect();
  });
  afterAll(() => admin.end());

  it('should answer every in-flight transfer, close sockets with 1001 and exit 0 within the grace period', async () => {
    const database = await freshDatabase();
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    const env = { DATABASE_URL: database.url, PLATFORM_ADMIN_KEY: PLATFORM_KEY, JOBS_ENABLED: 'true', SHUTDOWN_GRACE_SECONDS: '60' };
    try {
      const server = await startServer(env);
      const fixture = await setUp(server);
      const socket = await openSubscription(server, fixture.agencyId);
      // The subscription is live once an event reaches it.
      expect(await transfer(fixture.app, fixture, 'warm-up')).toHaveProperty('transferId');
      await socket.nextMessage('next', 15_000, 's1');

      const lock = await lockTransfers(database.url);
      const keys = Array.from({ length: IN_FLIGHT }, (_, i) => `drain-${i}`);
      const pending = keys.map((key) => transfer(fixture.app, fixture, key).then((outcome) => [key, outcome] as const));
      await untilBlocked(admin, database.name);
      server.child.kill('SIGTERM');
      await waitForOutput(server, 'shutting down');
      expect((await socket.closed).code).toBe(1001);
      await lock.release();

      const outcomes = new Map<string, Outcome>([['warm-up', { error: 'retried below' }], ...(await Promise.all(pending))]);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('shutdown complete');
      outcomes.delete('warm-up');
      const answered = [...outcomes.values()].filter((o) => !('unanswered' in o));
      // At least the transfer that was waiting on the lock was in flight, and it was answered.
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((o) => 'transferId' in o)).toBe(true);

      const next = await startServer({ ...env, JOBS_ENABLED: 'false' });
      try {
        outcomes.set('warm-up', await transfer(remoteApp(next, PLATFORM_KEY), fixture, 'warm-up'));
        await settle(dataSource, { ...fixture, app: remoteApp(next, PLATFORM_KEY) }, outcomes);
      } finally {
        next.child.kill('SIGTERM');
        expect(await next.exited).toBe(0);
      }
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  it('should exit 1 once SHUTDOWN_GRACE_SECONDS pass with work stuck, leaving nothing half-applied', async () => {
    const database = await freshDatabase();
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    const env = { DATABASE_URL: database.url, PLATFORM_ADMIN_KEY: PLATFORM_KEY, JOBS_ENABLED: 'false', SHUTDOWN_GRACE_SECONDS: '2' };
    try {
      const server = await startServer(env);
      const fixture = await setUp(server);
      const lock = await lockTransfers(database.url);
      const keys = Array.from({ length: IN_FLIGHT }, (_, i) => `stuck-${i}`);
      const pending = keys.map((key) => transfer(fixture.app, fixture, key).then((outcome) => [key, outcome] as const));
      await untilBlocked(admin, database.name);
      server.child.kill('SIGTERM');
      // Without the grace period the process waits for the lock forever; the bound only keeps a failure short.
      let bound: NodeJS.Timeout | undefined;
      const exit = await Promise.race([server.exited, new Promise((resolve) => (bound = setTimeout(resolve, 60_000, 'still running')))]);
      clearTimeout(bound);
      if (exit === 'still running') server.child.kill('SIGKILL');
      expect(exit).toBe(1);
      expect(server.output()).toContain('shutdown grace period of 2 s (SHUTDOWN_GRACE_SECONDS) exceeded');
      const outcomes = new Map<string, Outcome>(await Promise.all(pending));
      expect([...outcomes.values()].every((o) => 'unanswered' in o)).toBe(true);
      // Unanswered is not "not done": a backend waiting on the lock does not notice that its
      // client is gone, and commits its statement once the lock is released. Only the retry
      // of the key tells (below): moved exactly once, whichever way it went.
      await lock.release();

      const next = await startServer(env);
      try {
        await settle(dataSource, { ...fixture, app: remoteApp(next, PLATFORM_KEY) }, outcomes);
      } finally {
        next.child.kill('SIGTERM');
        expect(await next.exited).toBe(0);
      }
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

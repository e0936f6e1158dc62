import { Pool } from 'pg';
import { startTestApp, ok, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { sleep, subscribe, wsClient, type Received } from './helpers/ws';
import { freePort } from './helpers/free-port';
import { TcpProxy } from './helpers/tcp-proxy';
import { encodeSequence } from '../src/modules/outbox/outbox.entity';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';

/**
 * The database failing under a running server (issue 17): backends of the pool, the event
 * listener and the hub's pools terminated at random during transfers, and a full outage (a
 * TCP proxy between the app and PostgreSQL, cut and restored). Requests during a fault fail
 * with SERVICE_UNAVAILABLE (extensions.retryable) or succeed; none answers without a code;
 * the server recovers by itself; every key moves money exactly once after retries; the
 * subscription gets every event, in order, without a gap.
 */
const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id } userErrors { code message } }
}`;
const STREAM = `subscription($a: ID!) { walletBalanceChanged(agencyId: $a) { sequence } }`;

type Outcome = { transferId: string } | { unavailable: true };

/** A transfer's outcome: done, or refused as retryable; anything else fails the test. */
function outcomeOf(response: GraphQLResponse): Outcome {
  if (response.errors?.length) {
    expect(response.errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    return { unavailable: true };
  }
  const payload = ok(response).transferMinutes;
  expect(payload.userErrors).toEqual([]);
  return { transferId: payload.transfer.id };
}

interface Bank {
  agencyId: string;
  from: string;
  to: string;
}

async function openBank(app: TestApp): Promise<Bank> {
  const { agencyId, primaryId } = await createAgency(app);
  const to = await addSubAccount(app, agencyId);
  const funded = ok(await app.gql(
    `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
    { input: { subAccountId: primaryId, amount: '500.00', reason: 'faults test', idempotencyKey: 'fund' } },
  ));
  expect(funded.adjustWalletBalance.userErrors).toEqual([]);
  return { agencyId, from: primaryId, to };
}

function transfer(app: TestApp, bank: Bank, key: string): Promise<Outcome> {
  return app
    .gql(TRANSFER, { input: { fromSubAccountId: bank.from, toSubAccountId: bank.to, tier: 'PREMIUM', minutes: '0.5', idempotencyKey: key } })
    .then(outcomeOf);
}

/** Retries `key` until it is answered (the outage is over); returns the transfer. */
async function settle(app: TestApp, bank: Bank, key: string): Promise<string> {
  for (;;) {
    const outcome = await transfer(app, bank, key);
    if ('transferId' in outcome) return outcome.transferId;
    await sleep(100);
  }
}

/** A subscription that is live: a probe event has reached it. */
async function liveStream(app: TestApp, bank: Bank, client: ReturnType<typeof wsClient>): Promise<Received<{ walletBalanceChanged: { sequence: string } }>> {
  const stream = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: bank.agencyId });
  for (let i = 0; stream.events.length === 0; i++) {
    await settle(app, bank, `probe-${i}`);
    await stream.waitFor(1, 300).catch(() => undefined);
  }
  return stream;
}

/** Every BALANCE_CHANGED sequence of the agency from `first` on, in order, as the outbox holds them. */
async function outboxSequences(app: TestApp, agencyId: string, first: string): Promise<string[]> {
  const rows: Array<{ xid: string; id: string }> = await app.dataSource.query(
    `SELECT xid::text AS xid, id::text AS id FROM outbox_events WHERE agency_id = $1 AND type = 'BALANCE_CHANGED' ORDER BY outbox_events.xid, outbox_events.id`,
    [rawId(agencyId)],
  );
  return rows.map((row) => encodeSequence({ xid: BigInt(row.xid), id: BigInt(row.id) })).filter((sequence) => sequence >= first);
}

async function expectExactlyOnce(app: TestApp, answered: Map<string, string>): Promise<void> {
  const moved: Array<{ idempotency_key: string; id: string }> = await app.dataSource.query(
    `SELECT idempotency_key, id FROM ledger_transfers WHERE kind = 'MINUTE_TRANSFER'`,
  );
  const byKey = new Map<string, string[]>();
  for (const row of moved) byKey.set(row.idempotency_key, [...(byKey.get(row.idempotency_key) ?? []), row.id]);
  for (const [key, id] of answered) expect(byKey.get(key)).toEqual([rawId(id)]);
  expect([...byKey.values()].every((ids) => ids.length === 1)).toBe(true);
  expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
}

/** Waits until the app's event listener is connected (its backend shows in pg_stat_activity). */
async function untilListening(admin: Pool, database: string): Promise<void> {
  for (;;) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'voice-minutes-api-listener'`,
      [database],
    );
    if (rows[0].n > 0) return;
    await sleep(50);
  }
}

const databaseOf = (app: TestApp) => new URL((app.dataSource.options as { url: string }).url).pathname.slice(1);

describe('database faults under load', () => {
  jest.setTimeout(180_000);
  let admin: Pool;
  beforeAll(() => {
    admin = new Pool({ connectionString: process.env.TEST_ADMIN_URL, max: 4 });
  });
  afterAll(() => admin.end());

  it('should survive pg_terminate_backend on random connections (pool, listener, event pools) during transfers', async () => {
    const app = await startTestApp();
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const database = databaseOf(app);
      const bank = await openBank(app);
      const stream = await liveStream(app, bank, client);
      const first = stream.events[0].walletBalanceChanged.sequence;

      const keys = Array.from({ length: 120 }, (_, i) => `terminated-${i}`);
      const answered = new Map<string, string>();
      const refused: string[] = [];
      let next = 0;
      let terminated = 0;
      const killed = new Set<string>();
      const worker = async () => {
        while (next < keys.length) {
          const key = keys[next++];
          const outcome = await transfer(app, bank, key);
          if ('transferId' in outcome) answered.set(key, outcome.transferId);
          else refused.push(key);
          // Every few transfers, one of the app's backends, chosen at random, is terminated.
          if (next % 4 === 0) {
            const { rows } = await admin.query(
              `SELECT pg_terminate_backend(pid) AS done, application_name FROM pg_stat_activity
                WHERE datname = $1 AND application_name LIKE 'voice-minutes-api%' AND pid <> pg_backend_pid()
                ORDER BY random() LIMIT 1`,
              [database],
            );
            if (rows[0]?.done) {
              terminated += 1;
              killed.add(rows[0].application_name);
            }
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(terminated).toBeGreaterThan(10);
      // The listener was among them at least once, and is back.
      for (let i = 0; !killed.has('voice-minutes-api-listener'); i++) {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'voice-minutes-api-listener'`, [database]);
        killed.add('voice-minutes-api-listener');
      }
      await untilListening(admin, database);

      for (const key of refused) answered.set(key, await settle(app, bank, key));
      await expectExactlyOnce(app, answered);

      // Every committed balance change reached the subscription, in order, once.
      const expected = await outboxSequences(app, bank.agencyId, first);
      const events = await stream.waitFor(expected.length, 60_000);
      expect(events.map((e) => e.walletBalanceChanged.sequence)).toEqual(expected);
      expect(stream.errors).toEqual([]);
      stream.stop();
    } finally {
      await client.dispose();
      await app.close();
    }
  });

  it('should fail fast during a full outage, recover by itself, and lose no event (proxy cut and restored)', async () => {
    const target = new URL(process.env.TEST_ADMIN_URL!);
    const proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port || 5432) });
    await proxy.restore();
    const app = await startTestApp({}, { connectVia: (url) => proxy.urlFor(url) });
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const database = databaseOf(app);
      const bank = await openBank(app);
      const stream = await liveStream(app, bank, client);
      const first = stream.events[0].walletBalanceChanged.sequence;
      const answered = new Map<string, string>();
      for (let i = 0; i < 5; i++) answered.set(`before-${i}`, await settle(app, bank, `before-${i}`));
      const agencyKey = await createKey(app, 'AGENCY_ADMIN', { agencyId: bank.agencyId });

      await proxy.cut();
      // An API key cannot be looked up: 503 with the retryable code, not a 500.
      const unauthenticated = await app.gql(`{ viewer { role } }`, {}, agencyKey);
      expect(unauthenticated.status).toBe(503);
      expect(unauthenticated.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      // During the outage: answered at once, with the retryable code (not a hang, not a bare 500).
      const during = await Promise.all(Array.from({ length: 8 }, (_, i) => transfer(app, bank, `during-${i}`)));
      expect(during.every((o) => 'unavailable' in o)).toBe(true);
      const read = await app.gql(`query($id: ID!) { agency(id: $id) { name } }`, { id: bank.agencyId });
      expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      // Long enough for the listener's first reconnect attempts to fail too.
      await sleep(2_500);
      const stillDown = await transfer(app, bank, 'during-late');
      expect(stillDown).toEqual({ unavailable: true });

      await proxy.restore();
      // Recovery needs nothing from outside: retries succeed, the listener comes back.
      for (const key of [...during.keys()].map((i) => `during-${i}`).concat('during-late')) answered.set(key, await settle(app, bank, key));
      await untilListening(admin, database);
      for (let i = 0; i < 5; i++) answered.set(`after-${i}`, await settle(app, bank, `after-${i}`));
      expect(app.server.events.listenerConnects).toBeGreaterThan(1);

      await expectExactlyOnce(app, answered);
      const expected = await outboxSequences(app, bank.agencyId, first);
      const events = await stream.waitFor(expected.length, 60_000);
      expect(events.map((e) => e.walletBalanceChanged.sequence)).toEqual(expected);
      expect(stream.errors).toEqual([]);
      stream.stop();
    } finally {
      await client.dispose();
      await app.close();
      await proxy.cut();
    }
  });
});

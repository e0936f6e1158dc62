import { randomBytes } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { RECORD, RECORD_BATCH, balanceOf, callInput, fund, micros } from './helpers/usage';
import { sleep } from './helpers/ws';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { PartyLookup } from '../src/modules/transfer/party-lookup';

/**
 * One request's bad input never fails another's (src/shared/batch-isolation.ts): when a
 * batched statement fails, it is run again in halves down to the item at fault. Each test
 * poisons one item at the database level, in this file's own database (a trigger that
 * raises for a marked row), so the failure reaches the batch statement itself.
 */

const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id memo } userErrors { code field message } }
}`;
const key = (label = 't') => `${label}-${randomBytes(8).toString('hex')}`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  // One function per table: PL/pgSQL fails on a field NEW does not have, even behind a false condition.
  await app.dataSource.query(`
    CREATE FUNCTION test_poison_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.memo LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned row for the batch isolation test'; END IF;
      RETURN NEW;
    END $$;
    CREATE FUNCTION test_poison_call() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.external_call_id LIKE 'poison-%' THEN RAISE EXCEPTION 'poisoned row for the batch isolation test'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_poison BEFORE INSERT ON ledger_transfers FOR EACH ROW EXECUTE FUNCTION test_poison_transfer();
    CREATE TRIGGER test_poison BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION test_poison_call();`);
});
afterAll(() => app.close());

/** The transfers waiting for the group commit's next batch (the queue is private to the batcher). */
const queued = () => (app.server.services.transferBatcher as any).queue.queue.length as number;

async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether a posting of this file's database waits for a row lock (the runner's). */
async function batchWaitsForLock(): Promise<boolean> {
  const [{ n }] = await app.dataSource.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ledger_post(%'`,
  );
  return n > 0;
}

async function expectLedgerVerified(): Promise<void> {
  const verification = await verifyLedger(app.dataSource);
  expect(verification.problems).toEqual([]);
  expect(verification.ok).toBe(true);
}

describe('the transfer group commit', () => {
  it('should fail only the poisoned transfer of a batch: every other agency’s concurrent transfer posts', async () => {
    const agencies = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const { agencyId, primaryId } = await createAgency(app);
        return { agencyId, primaryId, clientId: await addSubAccount(app, agencyId) };
      }),
    );
    const [blocker, ...others] = agencies;
    const input = (party: (typeof agencies)[number], extra: Record<string, unknown> = {}) => ({
      fromSubAccountId: party.primaryId, toSubAccountId: party.clientId, tier: 'PREMIUM', minutes: '1', idempotencyKey: key(), ...extra,
    });

    // Hold the first batch on a row lock, so that everything below queues up behind it and goes as one statement.
    const runner = app.dataSource.createQueryRunner();
    await runner.connect();
    let blocked: Promise<any>;
    let requests: Array<{ poisoned: boolean; agency: (typeof agencies)[number]; response: Promise<any> }>;
    try {
      await runner.startTransaction();
      const [{ wallet_id: blockerWallet }] = await runner.query(`SELECT id AS wallet_id FROM wallets WHERE sub_account_id = $1`, [
        rawId(blocker.primaryId),
      ]);
      await runner.query(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE`, [blockerWallet]);
      blocked = app.gql(TRANSFER, { input: input(blocker) });
      await waitUntil(batchWaitsForLock, 'the first batch to wait for the lock');
      requests = [];
      others.forEach((agency, index) => {
        for (let i = 0; i < 4; i++) requests.push({ poisoned: false, agency, response: app.gql(TRANSFER, { input: input(agency) }) });
        // Two poisoned transfers, of two agencies, among the others'.
        if (index === 3 || index === 7) {
          requests.push({ poisoned: true, agency, response: app.gql(TRANSFER, { input: input(agency, { memo: 'poison pill' }) }) });
        }
      });
      await waitUntil(() => queued() === requests.length, `${requests.length} queued transfers`);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }

    expect(ok(await blocked!).transferMinutes.userErrors).toEqual([]);
    const responses = await Promise.all(requests!.map(async (r) => ({ ...r, response: await r.response })));
    for (const { poisoned, response } of responses) {
      if (poisoned) {
        expect(errorCode(response)).toBe('INTERNAL_SERVER_ERROR');
        expect(JSON.stringify(response.errors)).not.toMatch(/poisoned row|stack/);
      } else {
        expect(response.errors).toBeUndefined();
        expect(response.data.transferMinutes.userErrors).toEqual([]);
        expect(response.data.transferMinutes.transfer.id).toEqual(expect.any(String));
      }
    }
    // Each of the others' clients received its 4 minutes, at $0.16 (AGENCY_UNLIMITED base price, no markup).
    for (const agency of others) expect(await balanceOf(app, agency.clientId)).toBe('0.64');
    const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE memo LIKE 'poison%'`);
    expect(n).toBe(0);
    await expectLedgerVerified();
  });

  it('should keep every transfer’s own outcome when a batch is split: business errors, replays and posts', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const [a, b] = [await addSubAccount(app, agencyId), await addSubAccount(app, agencyId)];
    const replayKey = key('replay');
    const transferInput = (from: string, to: string, extra: Record<string, unknown> = {}) => ({
      fromSubAccountId: from, toSubAccountId: to, tier: 'PREMIUM', minutes: '1', idempotencyKey: key(), ...extra,
    });
    const first = ok(await app.gql(TRANSFER, { input: transferInput(primaryId, a, { idempotencyKey: replayKey }) }));
    expect(first.transferMinutes.userErrors).toEqual([]);
    const runner = app.dataSource.createQueryRunner();
    await runner.connect();
    let blocked: Promise<any>;
    let responses: Array<Promise<any>>;
    try {
      await runner.startTransaction();
      const [{ id }] = await runner.query(`SELECT id FROM wallets WHERE sub_account_id = $1`, [rawId(b)]);
      await runner.query(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE`, [id]);
      blocked = app.gql(TRANSFER, { input: transferInput(primaryId, b) });
      await waitUntil(batchWaitsForLock, 'the first batch to wait for the lock');
      responses = [
        app.gql(TRANSFER, { input: transferInput(a, primaryId, { minutes: '100' }) }), // a holds one minute: INSUFFICIENT_FUNDS
        app.gql(TRANSFER, { input: transferInput(primaryId, a) }),
        app.gql(TRANSFER, { input: transferInput(primaryId, a, { memo: 'poison' }) }),
        app.gql(TRANSFER, { input: transferInput(primaryId, a, { idempotencyKey: replayKey }) }), // the same request again: replayed
        app.gql(TRANSFER, { input: transferInput(primaryId, a, { idempotencyKey: replayKey, minutes: '2' }) }), // other terms
      ];
      await waitUntil(() => queued() === responses.length, 'the queued transfers');
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(ok(await blocked!).transferMinutes.userErrors).toEqual([]);
    const [poor, posted, poisoned, again, conflict] = await Promise.all(responses!);
    expect(ok(poor).transferMinutes.userErrors.map((e: { code: string }) => e.code)).toEqual(['INSUFFICIENT_FUNDS']);
    expect(ok(posted).transferMinutes.userErrors).toEqual([]);
    expect(errorCode(poisoned)).toBe('INTERNAL_SERVER_ERROR');
    expect(ok(again).transferMinutes.transfer.id).toBe(first.transferMinutes.transfer.id);
    expect(ok(conflict).transferMinutes.userErrors.map((e: { code: string }) => e.code)).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(await balanceOf(app, a)).toBe('0.32'); // the replayed key moved its minute once, the other transfer one more
    await expectLedgerVerified();
  });
});

describe('usage ingestion batches', () => {
  it('should record every other call of a platform push spanning agencies when one call fails in the database', async () => {
    const subs = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const { agencyId } = await createAgency(app);
        const subAccountId = await addSubAccount(app, agencyId);
        await fund(app, subAccountId, '10');
        return subAccountId;
      }),
    );
    const inputs = subs.flatMap((subAccountId) => [callInput({ subAccountId }), callInput({ subAccountId })]);
    inputs.splice(3, 0, callInput({ subAccountId: subs[1], externalCallId: `poison-${randomBytes(4).toString('hex')}` }));
    const data = ok(await app.gql(RECORD_BATCH, { inputs }));
    expect(data.recordCallUsageBatch.userErrors).toEqual([
      { code: 'INTERNAL_SERVER_ERROR', field: ['inputs', '3'], message: expect.stringMatching(/could not be recorded/) },
    ]);
    expect(data.recordCallUsageBatch.calls).toHaveLength(6);
    // A minute at $0.16 per call, from $10.
    for (const sub of subs) expect(await balanceOf(app, sub)).toBe('9.68');
    const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM calls WHERE sub_account_id = ANY($1::uuid[])`, [subs.map(rawId)]);
    expect(n).toBe(6);

    // The platform pushes the same batch again: the good calls replay (nothing debited twice), the poisoned one fails again.
    const again = ok(await app.gql(RECORD_BATCH, { inputs }));
    expect(again.recordCallUsageBatch.userErrors.map((e: { field: string[] }) => e.field)).toEqual([['inputs', '3']]);
    expect(again.recordCallUsageBatch.calls.map((c: { id: string }) => c.id)).toEqual(data.recordCallUsageBatch.calls.map((c: { id: string }) => c.id));
    for (const sub of subs) expect(micros(await balanceOf(app, sub))).toBe(9_680_000n);
    await expectLedgerVerified();
  });

  it('should answer a single poisoned call with INTERNAL_SERVER_ERROR and record nothing', async () => {
    const { agencyId } = await createAgency(app);
    const subAccountId = await addSubAccount(app, agencyId);
    const response = await app.gql(RECORD, { input: callInput({ subAccountId, externalCallId: 'poison-alone' }) });
    expect(errorCode(response)).toBe('INTERNAL_SERVER_ERROR');
    const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM calls WHERE sub_account_id = $1`, [rawId(subAccountId)]);
    expect(n).toBe(0);
  });
});

describe('the batched party lookup', () => {
  it('should fail only the request whose lookup fails, not the requests that shared its statement', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const clientId = await addSubAccount(app, agencyId);
    const lookup = new PartyLookup(app.dataSource);
    // The first runs at once; the next three arrive meanwhile and share the second statement.
    const results = await Promise.allSettled([
      lookup.load([rawId(primaryId)], null),
      lookup.load([rawId(clientId)], key()),
      lookup.load(['not-a-uuid'], null),
      lookup.load([rawId(primaryId), rawId(clientId)], key()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseFulfilledResult<Array<{ id: string }>>).value.map((r) => r.id).sort()).toEqual(
      [rawId(primaryId), rawId(clientId)].sort(),
    );
  });
});

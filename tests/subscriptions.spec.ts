import { Client } from 'pg';
import { ok, type TestApp } from './helpers/test-app';
import { liveTestApp } from './helpers/live-test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { subscribe, sleep } from './helpers/ws';
import { decodeId } from '../src/shared/global-id';

const BALANCE = `subscription($subAccountId: ID, $agencyId: ID, $after: String) {
  walletBalanceChanged(subAccountId: $subAccountId, agencyId: $agencyId, afterSequence: $after) {
    sequence balance { amount } delta { amount } subAccount { id } transfer { id kind } occurredAt
  }
}`;
const ACTIVITY = `subscription($agencyId: ID!, $after: String) {
  agencyActivity(agencyId: $agencyId, afterSequence: $after) {
    sequence type subAccount { id } balanceEvent { balance { amount } } occurredAt
  }
}`;

const live = liveTestApp('subscription test');
const { client, adjust } = live;
let app: TestApp;
beforeAll(() => {
  app = live.app;
});

/** The committed outbox rows of an agency, in (xid, id) order, as the sequences clients see. */
async function committedSequences(agencyGlobalId: string, types: string[], subAccountGlobalId?: string): Promise<string[]> {
  const rows = await app.dataSource.query(
    `SELECT lpad(xid::text, 20, '0') || '-' || lpad(id::text, 19, '0') AS seq FROM outbox_events
      WHERE agency_id = $1 AND type = ANY($2) AND ($3::uuid IS NULL OR sub_account_id = $3::uuid) ORDER BY xid, id`,
    [decodeId(agencyGlobalId, 'Agency'), types, subAccountGlobalId ? decodeId(subAccountGlobalId, 'SubAccount') : null],
  );
  return rows.map((row: { seq: string }) => row.seq);
}

const sequences = (events: any[], field: string) => events.map((event) => event[field].sequence as string);
const increasing = (list: string[]) => list.every((value, i) => i === 0 || value > list[i - 1]);

describe('walletBalanceChanged', () => {
  it('delivers each balance change with the balance after it, and nothing for a rolled-back change', async () => {
    const { agencyId } = await createAgency(app);
    const subId = await addSubAccount(app, agencyId);
    const received = subscribe(client(app.platformKey), BALANCE, { subAccountId: subId });
    await sleep(300);
    await adjust(subId, '12.5');
    // A rejected debit (insufficient funds) rolls back: no event.
    const refused = ok(
      await app.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
        { input: { subAccountId: subId, amount: '-100', reason: 'too much', idempotencyKey: 'too-much' } },
      ),
    );
    expect(refused.adjustWalletBalance.userErrors.length).toBeGreaterThan(0);
    await adjust(subId, '-2.25');
    const [first, second] = await received.waitFor(2);
    expect(first.walletBalanceChanged).toMatchObject({ balance: { amount: '12.50' }, delta: { amount: '12.50' }, subAccount: { id: subId } });
    expect(second.walletBalanceChanged).toMatchObject({ balance: { amount: '10.25' }, delta: { amount: '-2.25' } });
    expect(second.walletBalanceChanged.transfer.kind).toBe('ADJUSTMENT');
    await sleep(500);
    expect(received.events).toHaveLength(2);
    expect(received.errors).toEqual([]);
  });

  it('delivers both legs of a minute transfer, and wakes the hub after the batch commits (autocommit, no TypeORM transaction)', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const clientId = await addSubAccount(app, agencyId);
    const received = subscribe(client(app.platformKey), BALANCE, { agencyId });
    await sleep(300);
    const commits = jest.fn();
    app.dataSource.subscribers.push({ afterTransactionCommit: commits });
    try {
      const data = ok(
        await app.gql(
          `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`,
          { input: { fromSubAccountId: primaryId, toSubAccountId: clientId, tier: 'PREMIUM', minutes: '10', idempotencyKey: 'live-transfer-1' } },
        ),
      );
      expect(data.transferMinutes.userErrors).toEqual([]);
      expect(commits).toHaveBeenCalled();
      const events = await received.waitFor(2);
      expect(events.map((e) => e.walletBalanceChanged.transfer)).toEqual([
        { id: data.transferMinutes.transfer.id, kind: 'MINUTE_TRANSFER' },
        { id: data.transferMinutes.transfer.id, kind: 'MINUTE_TRANSFER' },
      ]);
      expect(new Set(events.map((e) => e.walletBalanceChanged.subAccount.id))).toEqual(new Set([primaryId, clientId]));
    } finally {
      app.dataSource.subscribers.splice(app.dataSource.subscribers.findIndex((s) => s.afterTransactionCommit === commits), 1);
    }
  });

  it('never skips a row that commits after a later-numbered one (late commit)', async () => {
    const { agencyId } = await createAgency(app);
    const received = subscribe(client(app.platformKey), ACTIVITY, { agencyId });
    await sleep(300);
    const url = (app.dataSource.options as { url: string }).url;
    const [early, late] = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    await Promise.all([early.connect(), late.connect()]);
    try {
      const agency = decodeId(agencyId, 'Agency');
      await early.query('BEGIN');
      await early.query(`INSERT INTO outbox_events (type, agency_id) VALUES ('SUB_ACCOUNT_UPDATED', $1)`, [agency]); // smaller id
      await late.query('BEGIN');
      await late.query(`INSERT INTO outbox_events (type, agency_id) VALUES ('SUB_ACCOUNT_ADDED', $1)`, [agency]); // larger id
      await late.query('COMMIT');
      await sleep(800); // several polls: the later row must wait for the older transaction
      expect(received.events).toHaveLength(0);
      await early.query('COMMIT');
      const events = await received.waitFor(2);
      expect(events.map((e) => e.agencyActivity.type)).toEqual(['SUB_ACCOUNT_UPDATED', 'SUB_ACCOUNT_ADDED']);
      expect(increasing(sequences(events, 'agencyActivity'))).toBe(true);
    } finally {
      await Promise.all([early.end(), late.end()]);
    }
  });

  it('under concurrent writers each subscriber gets exactly the committed events of its scope, in order; resumes have no gap or duplicate', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const subIds = [primaryId];
    for (let i = 0; i < 4; i++) subIds.push(await addSubAccount(app, agencyId));
    const agencyWide = subscribe(client(app.platformKey), BALANCE, { agencyId });
    const perSub = subIds.map((subAccountId) => subscribe(client(app.platformKey), BALANCE, { subAccountId }));
    await sleep(300);
    // The primary's plan allocation committed before anyone subscribed.
    const baseline = (await committedSequences(agencyId, ['BALANCE_CHANGED'])).at(-1) ?? '';

    const WRITES = 120;
    const jobs = Array.from({ length: WRITES }, (_, i) => () => adjust(subIds[i % subIds.length], `${1 + (i % 7)}.${i % 10}`));
    const resumes: Array<ReturnType<typeof subscribe>> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          await job();
          // Resume from a random point while writers are still running (the replay/live seam under load).
          if (next % 40 === 0 && agencyWide.events.length > 0) {
            const at = agencyWide.events[Math.floor(Math.random() * agencyWide.events.length)];
            resumes.push(
              Object.assign(subscribe(client(app.platformKey), BALANCE, { agencyId, after: at.walletBalanceChanged.sequence }), {
                from: at.walletBalanceChanged.sequence,
              }),
            );
          }
        }
      }),
    );
    const expected = (await committedSequences(agencyId, ['BALANCE_CHANGED'])).filter((seq) => seq > baseline);
    expect(expected).toHaveLength(WRITES);
    await agencyWide.waitFor(WRITES).catch((error) => {
      const got = new Set(sequences(agencyWide.events, 'walletBalanceChanged'));
      throw new Error(`${error.message}; missing ${expected.filter((seq) => !got.has(seq)).join(',')}; first ${[...got][0]}`);
    });
    expect(sequences(agencyWide.events, 'walletBalanceChanged')).toEqual(expected);
    for (const [i, subscriber] of perSub.entries()) {
      const mine = (await committedSequences(agencyId, ['BALANCE_CHANGED'], subIds[i])).filter((seq) => seq > baseline);
      await subscriber.waitFor(mine.length);
      expect(sequences(subscriber.events, 'walletBalanceChanged')).toEqual(mine);
    }
    expect(resumes.length).toBeGreaterThan(0);
    for (const resume of resumes) {
      const from = (resume as any).from as string;
      const rest = expected.filter((seq) => seq > from);
      await resume.waitFor(rest.length);
      expect(sequences(resume.events, 'walletBalanceChanged')).toEqual(rest);
    }
    // And resuming at random points after the fact.
    for (let k = 0; k < 5; k++) {
      const index = Math.floor(Math.random() * expected.length);
      const resumed = subscribe(client(app.platformKey), BALANCE, { agencyId, after: expected[index] });
      await resumed.waitFor(expected.length - index - 1);
      await sleep(100);
      expect(sequences(resumed.events, 'walletBalanceChanged')).toEqual(expected.slice(index + 1));
      resumed.stop();
    }
    await sleep(300);
    expect(agencyWide.events).toHaveLength(WRITES);
  });
});

describe('agencyActivity', () => {
  it('reports sub-account lifecycle events and low-balance crossings', async () => {
    const { agencyId } = await createAgency(app);
    const received = subscribe(client(app.platformKey), ACTIVITY, { agencyId });
    await sleep(300);
    const subId = await addSubAccount(app, agencyId);
    await adjust(subId, '10'); // 0 → 10: recovered (above the $5 default)
    await adjust(subId, '-7'); // 10 → 3: low
    await adjust(subId, '-3'); // 3 → 0: depleted
    ok(await app.gql(`mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { userErrors { code } } }`, { input: { id: subId } }));
    ok(await app.gql(`mutation($input: RestoreSubAccountInput!) { restoreSubAccount(input: $input) { userErrors { code } } }`, { input: { id: subId } }));
    const expected = [
      'SUB_ACCOUNT_ADDED',
      'BALANCE_CHANGED', 'BALANCE_RECOVERED',
      'BALANCE_CHANGED', 'LOW_BALANCE',
      'BALANCE_CHANGED', 'BALANCE_DEPLETED',
      'SUB_ACCOUNT_REMOVED',
      'SUB_ACCOUNT_RESTORED',
    ];
    const events = await received.waitFor(expected.length);
    expect(events.map((e) => e.agencyActivity.type)).toEqual(expected);
    expect(events[4].agencyActivity.balanceEvent.balance.amount).toBe('3.00');
    expect(increasing(sequences(events, 'agencyActivity'))).toBe(true);
  });
});

describe('authorization', () => {
  it('isolation: across agencies each subscriber receives exactly its allowed events', async () => {
    const AGENCIES = 10;
    const agencies: Array<{ agencyId: string; subIds: string[]; adminKey: string; clientKey: string }> = [];
    for (let a = 0; a < AGENCIES; a++) {
      const { agencyId, primaryId } = await createAgency(app);
      const second = await addSubAccount(app, agencyId);
      agencies.push({
        agencyId,
        subIds: [primaryId, second],
        adminKey: await createKey(app, 'AGENCY_ADMIN', { agencyId }),
        clientKey: await createKey(app, 'CLIENT_ADMIN', { subAccountId: second }),
      });
    }
    const admins = agencies.map((a) => subscribe(client(a.adminKey), ACTIVITY, { agencyId: a.agencyId }));
    const clientsOwn = agencies.map((a) => subscribe(client(a.clientKey), BALANCE, {}));
    // A foreign agency is not found; a client admin may not watch its agency.
    const foreign = subscribe(client(agencies[0].adminKey), ACTIVITY, { agencyId: agencies[1].agencyId });
    const clientWide = subscribe(client(agencies[0].clientKey), ACTIVITY, { agencyId: agencies[0].agencyId });
    const clientOther = subscribe(client(agencies[0].clientKey), BALANCE, { subAccountId: agencies[0].subIds[0] });
    await sleep(400);
    const crossingTypes = ['BALANCE_CHANGED', 'BALANCE_RECOVERED', 'LOW_BALANCE', 'BALANCE_DEPLETED'];
    const baselines = await Promise.all(agencies.map(async (a) => (await committedSequences(a.agencyId, crossingTypes)).at(-1) ?? ''));
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      const a = agencies[Math.floor(Math.random() * AGENCIES)];
      writes.push(adjust(a.subIds[Math.floor(Math.random() * 2)], `${1 + Math.floor(Math.random() * 9)}`));
    }
    await Promise.all(writes);
    for (const [i, a] of agencies.entries()) {
      const all = (await committedSequences(a.agencyId, crossingTypes)).filter((seq) => seq > baselines[i]);
      const mine = (await committedSequences(a.agencyId, ['BALANCE_CHANGED'], a.subIds[1])).filter((seq) => seq > baselines[i]);
      await admins[i].waitFor(all.length);
      await clientsOwn[i].waitFor(mine.length);
      await sleep(50);
      expect(sequences(admins[i].events, 'agencyActivity')).toEqual(all);
      expect(sequences(clientsOwn[i].events, 'walletBalanceChanged')).toEqual(mine);
      expect(clientsOwn[i].events.every((e) => e.walletBalanceChanged.subAccount.id === a.subIds[1])).toBe(true);
    }
    for (const denied of [foreign, clientWide, clientOther]) {
      await denied.done;
      expect(denied.events).toEqual([]);
      expect(denied.errors.length).toBeGreaterThan(0);
    }
    expect(foreign.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(clientWide.errors[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a revoked API key ends its stream; so does the removal of the watched sub-account', async () => {
    const { agencyId } = await createAgency(app);
    const subId = await addSubAccount(app, agencyId);
    const created = ok(
      await app.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
        { input: { name: 'to revoke', role: 'AGENCY_ADMIN', agencyId } },
      ),
    );
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: subId });
    const agencyStream = subscribe(client(created.createApiKey.secret), ACTIVITY, { agencyId });
    const clientStream = subscribe(client(clientKey), BALANCE, {});
    await sleep(300);
    await adjust(subId, '1');
    await agencyStream.waitFor(1); // BALANCE_CHANGED (0 → 1 is DEPLETED → LOW: no crossing event)
    await clientStream.waitFor(1);
    ok(await app.gql(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { userErrors { code } } }`, {
      input: { id: created.createApiKey.apiKey.id },
    }));
    await agencyStream.done;
    expect(agencyStream.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);

    ok(await app.gql(`mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { userErrors { code } } }`, { input: { id: subId } }));
    await clientStream.done;
    // The sweep of the removed wallet is its last balance event, then the stream ends.
    expect(clientStream.events.map((e) => e.walletBalanceChanged.balance.amount)).toEqual(['1.00', '0.00']);
    expect(clientStream.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('a revoked platform API key ends its streams in every agency (its revocation event has no agency)', async () => {
    const agencies = [await createAgency(app), await createAgency(app)];
    const created = ok(
      await app.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
        { input: { name: 'platform to revoke', role: 'PLATFORM_ADMIN' } },
      ),
    );
    const streams = agencies.map(({ agencyId }) => subscribe(client(created.createApiKey.secret), ACTIVITY, { agencyId }));
    await sleep(300);
    await adjust(await addSubAccount(app, agencies[1].agencyId), '1');
    await streams[1].waitFor(1);
    ok(await app.gql(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { userErrors { code } } }`, {
      input: { id: created.createApiKey.apiKey.id },
    }));
    for (const stream of streams) {
      await stream.done;
      expect(stream.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('usage hook (writeUsageDebitEvents)', () => {
  it('gives each USAGE debit of a multi-row posting its own balance-after, usage and crossing events, in posting order', async () => {
    const { postUsageDebits, lockWalletAccounts } = await import('../src/modules/ledger/usage-debits');
    const { writeUsageDebitEvents } = await import('../src/modules/outbox/outbox-writer');
    const { agencyId } = await createAgency(app);
    const subId = await addSubAccount(app, agencyId);
    await adjust(subId, '6');
    const [{ id: walletId }] = await app.dataSource.query(`SELECT id FROM wallets WHERE sub_account_id = $1`, [decodeId(subId, 'SubAccount')]);
    const received = subscribe(client(app.platformKey), ACTIVITY, { agencyId });
    await sleep(300);
    const agency = decodeId(agencyId, 'Agency')!;
    const debits = [1_500_000n, 2_000_000n, 3_000_000n].map((amountMicros, i) => ({
      transferId: require('node:crypto').randomUUID(), agencyId: agency, walletId, amountMicros, tier: 'BASIC' as const, memo: `call ${i}`,
    }));
    await app.dataSource.transaction(async (em) => {
      await lockWalletAccounts(em, [walletId]);
      await postUsageDebits(em, debits);
      await writeUsageDebitEvents(em, debits);
    });
    // 6.00 → 4.50 (LOW) → 2.50 → -0.50 (DEPLETED)
    const expected = [
      ['BALANCE_CHANGED', '4.50'], ['USAGE_RECORDED', '4.50'], ['LOW_BALANCE', '4.50'],
      ['BALANCE_CHANGED', '2.50'], ['USAGE_RECORDED', '2.50'],
      ['BALANCE_CHANGED', '-0.50'], ['USAGE_RECORDED', '-0.50'], ['BALANCE_DEPLETED', '-0.50'],
    ];
    const events = await received.waitFor(expected.length);
    expect(events.map((e) => [e.agencyActivity.type, e.agencyActivity.balanceEvent?.balance.amount])).toEqual(expected);
    // A rolled-back posting leaves no event.
    await expect(
      app.dataSource.transaction(async (em) => {
        await writeUsageDebitEvents(em, [{ ...debits[0], transferId: require('node:crypto').randomUUID() }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await sleep(600);
    expect(received.events).toHaveLength(expected.length);
  });
});

describe('retention', () => {
  it('the pg-boss job deletes events older than 7 days and keeps the rest', async () => {
    const { JobScheduler } = await import('../src/modules/jobs/job-scheduler');
    const { Logger } = await import('../src/shared/logger');
    const { agencyId } = await createAgency(app);
    const agency = decodeId(agencyId, 'Agency');
    await app.dataSource.query(
      `INSERT INTO outbox_events (type, agency_id, occurred_at) VALUES
         ('SUB_ACCOUNT_UPDATED', $1, now() - interval '8 days'), ('SUB_ACCOUNT_UPDATED', $1, now() - interval '6 days')`,
      [agency],
    );
    const count = async (age: string) =>
      (await app.dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_events WHERE agency_id = $1 AND occurred_at < now() - $2::interval`, [agency, age],
      ))[0].n as number;
    expect(await count('7 days')).toBe(1);
    const databaseUrl = (app.dataSource.options as { url: string }).url;
    const scheduler = await JobScheduler.start({ databaseUrl, dataSource: app.dataSource, logger: new Logger('silent') });
    try {
      const deadline = Date.now() + 20_000;
      while ((await count('7 days')) > 0 && Date.now() < deadline) await sleep(250);
      expect(await count('7 days')).toBe(0);
      expect(await count('5 days')).toBe(1);
    } finally {
      await scheduler.dispose();
    }
  });
});

describe('usageUpdated', () => {
  it('delivers the call, the cycle minutes and the balance of a recorded call', async () => {
    const { recordCall } = await import('./helpers/usage');
    const { agencyId } = await createAgency(app);
    const subId = await addSubAccount(app, agencyId, { subscriptionStartedAt: new Date(Date.now() - 3_600_000).toISOString() });
    await adjust(subId, '20');
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: subId });
    const received = subscribe(client(clientKey), `subscription {
      usageUpdated { sequence subAccount { id } call { id externalCallId durationSeconds cost { amount } } cycleMinutes balance { amount } }
    }`);
    await sleep(300);
    const recorded = ok(await recordCall(app, { subAccountId: subId, durationSeconds: 90, startedAt: new Date(Date.now() - 60_000).toISOString() }));
    const call = recorded.recordCallUsage.call;
    const [event] = await received.waitFor(1);
    expect(event.usageUpdated).toMatchObject({
      subAccount: { id: subId },
      call: { id: call.id, externalCallId: call.externalCallId, durationSeconds: 90, cost: { amount: call.cost.amount } },
      cycleMinutes: '1.5',
      balance: { amount: recorded.recordCallUsage.wallet.balance.amount },
    });
  });

  it('resumes with each event\'s own call, also for the calls of one batch (one transaction, one recording instant)', async () => {
    const { recordCall, RECORD_BATCH, callInput } = await import('./helpers/usage');
    const { agencyId } = await createAgency(app);
    const subId = await addSubAccount(app, agencyId, { subscriptionStartedAt: new Date(Date.now() - 3_600_000).toISOString() });
    await adjust(subId, '20');
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: subId });
    const query = `subscription($after: String) { usageUpdated(afterSequence: $after) { sequence call { externalCallId durationSeconds } } }`;
    const live = subscribe(client(clientKey), query);
    await sleep(300);
    ok(await recordCall(app, { subAccountId: subId, externalCallId: 'marker', durationSeconds: 30 }));
    const [marker] = await live.waitFor(1);
    live.stop();
    const batch = [61, 62, 63].map((durationSeconds, i) => callInput({ subAccountId: subId, externalCallId: `batch-${i}`, durationSeconds }));
    expect(ok(await app.gql(RECORD_BATCH, { inputs: batch })).recordCallUsageBatch.userErrors).toEqual([]);
    ok(await recordCall(app, { subAccountId: subId, externalCallId: 'after', durationSeconds: 90 }));

    const resumed = subscribe(client(clientKey), query, { after: marker.usageUpdated.sequence });
    const events = await resumed.waitFor(4);
    resumed.stop();
    expect(events.map((e: { usageUpdated: { call: unknown } }) => e.usageUpdated.call)).toEqual([
      { externalCallId: 'batch-0', durationSeconds: 61 },
      { externalCallId: 'batch-1', durationSeconds: 62 },
      { externalCallId: 'batch-2', durationSeconds: 63 },
      { externalCallId: 'after', durationSeconds: 90 },
    ]);
  });
});

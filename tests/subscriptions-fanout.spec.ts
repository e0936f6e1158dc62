import { parse } from 'graphql';
import { ok, type TestApp } from './helpers/test-app';
import { liveTestApp } from './helpers/live-test-app';
import { createAgency, createKey } from './helpers/fixtures';
import { subscribe, sleep } from './helpers/ws';
import { decodeId } from '../src/shared/global-id';
import { perEventVariableNames } from '../src/modules/events/shared-execution';

const BALANCE = `subscription($subAccountId: ID, $agencyId: ID, $after: String) {
  walletBalanceChanged(subAccountId: $subAccountId, agencyId: $agencyId, afterSequence: $after) {
    sequence balance { amount } subAccount { id } transfer { id kind } occurredAt
  }
}`;

const live = liveTestApp('fan-out test');
const { client, adjust } = live;
let app: TestApp;
beforeAll(() => {
  app = live.app;
});

async function committedSequences(agencyGlobalId: string): Promise<string[]> {
  const rows = await app.dataSource.query(
    `SELECT lpad(xid::text, 20, '0') || '-' || lpad(id::text, 19, '0') AS seq FROM outbox_events
      WHERE agency_id = $1 AND type = 'BALANCE_CHANGED' ORDER BY xid, id`,
    [decodeId(agencyGlobalId, 'Agency')],
  );
  return rows.map((row: { seq: string }) => row.seq);
}

const sequences = (events: any[]) => events.map((event) => event.walletBalanceChanged.sequence as string);

describe('per-event variables (what a shared execution is keyed on)', () => {
  it.each([
    ['root-field arguments only', `subscription($a: ID!, $after: String) { usageUpdated(agencyId: $a, afterSequence: $after) { sequence } }`, []],
    [
      'a nested field argument',
      `subscription($a: ID!, $t: Tier!) { walletBalanceChanged(agencyId: $a) { subAccount { minutePrice(tier: $t) { amount } } } }`,
      ['t'],
    ],
    [
      'a fragment and a directive',
      `subscription($a: ID!, $s: Boolean!) { walletBalanceChanged(agencyId: $a) { ...F } } fragment F on BalanceEvent { sequence @include(if: $s) }`,
      ['s'],
    ],
  ])('should key on the variables read per event: %s', (_name, query, expected) => {
    expect([...perEventVariableNames(parse(query), undefined)!].sort()).toEqual(expected);
  });
});

describe('resume without a query per subscriber', () => {
  it('should replay from the table before the hub kept rows and from memory after, both without gap or duplicate', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const hub = app.server.events;
    // Written while this process may hold no stream: a resume from here must read the table.
    for (let i = 0; i < 3; i++) await adjust(primaryId, '1');
    await sleep(400);
    const live = subscribe(client(app.platformKey), BALANCE, { agencyId });
    await sleep(300);
    for (let i = 0; i < 3; i++) await adjust(primaryId, '1');
    await live.waitFor(3);
    const all = await committedSequences(agencyId);
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(sequences(live.events)).toEqual(all.slice(-3));

    const before = { ...hub.replays };
    const fromOld = subscribe(client(app.platformKey), BALANCE, { agencyId, after: all[0] });
    await fromOld.waitFor(all.length - 1);
    const fromRecent = subscribe(client(app.platformKey), BALANCE, { agencyId, after: all[all.length - 2] });
    await fromRecent.waitFor(1);
    await sleep(300);
    expect(sequences(fromOld.events)).toEqual(all.slice(1));
    expect(sequences(fromRecent.events)).toEqual(all.slice(-1));
    expect(hub.replays.fromMemory).toBeGreaterThan(before.fromMemory);

    // Both go on live, once each.
    await adjust(primaryId, '1');
    const after = await committedSequences(agencyId);
    await fromOld.waitFor(after.length - 1);
    await fromRecent.waitFor(2);
    expect(sequences(fromOld.events)).toEqual(after.slice(1));
    expect(sequences(fromRecent.events)).toEqual(after.slice(-2));
    for (const s of [live, fromOld, fromRecent]) s.stop();
  });
});

describe('shared execution', () => {
  it('should give each viewer and each document its own result for the same event', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: primaryId });
    const narrow = `subscription($subAccountId: ID) { walletBalanceChanged(subAccountId: $subAccountId) { sequence } }`;
    const asAdmin = [1, 2].map(() => subscribe(client(app.platformKey), BALANCE, { agencyId }));
    const asAdminNarrow = subscribe(client(app.platformKey), narrow, { subAccountId: primaryId });
    const asClient = subscribe(client(clientKey), BALANCE, {});
    await sleep(400);
    await adjust(primaryId, '2.5');
    for (const s of [...asAdmin, asAdminNarrow, asClient]) await s.waitFor(1);
    const [first, second] = asAdmin.map((s) => s.events[0].walletBalanceChanged);
    expect(second).toEqual(first);
    expect(first.balance.amount).toBeDefined();
    expect(asAdminNarrow.events[0]).toEqual({ walletBalanceChanged: { sequence: first.sequence } });
    expect(asClient.events[0].walletBalanceChanged).toEqual(first);
    expect(asClient.errors).toEqual([]);
    for (const s of [...asAdmin, asAdminNarrow, asClient]) s.stop();
  });
});

import { parse } from 'graphql';
import { ok, type TestApp } from './helpers/test-app';
import { liveTestApp } from './helpers/live-test-app';
import { createAgency, createKey } from './helpers/fixtures';
import { subscribe, sleep } from './helpers/ws';
import { decodeId } from '../src/shared/global-id';
import { perEventVariableNames } from '../src/modules/events/shared-execution';
import { EventHub } from '../src/modules/events/event-hub';
import type { EventStream } from '../src/modules/events/event-stream';
import { decodeSequence, encodeSequence } from '../src/modules/outbox/outbox.entity';
import type { Viewer } from '../src/modules/auth/role';
import { Logger } from '../src/shared/logger';

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
    // Older than the kept rows when the process held no stream meanwhile: one backfill of the kept rows.
    const fromOld = subscribe(client(app.platformKey), BALANCE, { agencyId, after: all[0] });
    await fromOld.waitFor(all.length - 1);
    const fromRecent = subscribe(client(app.platformKey), BALANCE, { agencyId, after: all[all.length - 2] });
    await fromRecent.waitFor(1);
    await sleep(300);
    expect(sequences(fromOld.events)).toEqual(all.slice(1));
    expect(sequences(fromRecent.events)).toEqual(all.slice(-1));
    expect(hub.replays.fromMemory).toBeGreaterThan(before.fromMemory);
    expect(hub.replays.fromTable).toBe(before.fromTable);

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

describe('a burst of resumes older than the kept rows', () => {
  it('should load the missing rows once for all of them, not a query each, and replay each without gap or duplicate', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const hub = app.server.events;
    await waitUntil(() => hub.subscriberCount === 0);
    for (let i = 0; i < 3; i++) await adjust(primaryId, '1');
    // With no stream, a poll moves the frontier without reading rows and forgets the kept ones
    // (what a restarted process, or one whose sockets all dropped, starts from). Waited for
    // rather than slept on: under load the next poll can come late.
    const all = await committedSequences(agencyId);
    await waitUntil(() => !hub.keepsRowsAbove(decodeSequence(all[0])!));
    const before = { ...hub.replays };
    const resumed = Array.from({ length: 12 }, () => subscribe(client(app.platformKey), BALANCE, { agencyId, after: all[0] }));
    for (const s of resumed) await s.waitFor(all.length - 1);
    await sleep(300);
    for (const s of resumed) expect(sequences(s.events)).toEqual(all.slice(1));
    expect(hub.replays.fromTable).toBe(before.fromTable);
    expect(hub.replays.backfills - before.backfills).toBe(1);
    expect(hub.replays.fromMemory - before.fromMemory).toBe(resumed.length);

    await adjust(primaryId, '1');
    const after = await committedSequences(agencyId);
    for (const s of resumed) await s.waitFor(after.length - 1);
    await sleep(200);
    for (const s of resumed) expect(sequences(s.events)).toEqual(after.slice(1));
    for (const s of resumed) s.stop();
  });

  it('should page through the table for a cursor older than the kept rows can hold', async () => {
    // A hub of its own that keeps 2 rows: the resume below cannot be served from memory.
    const hub = await EventHub.start(app.dataSource, new Logger('silent'), { recentRows: 2 });
    const streams: EventStream[] = [];
    try {
      const { agencyId, primaryId } = await createAgency(app);
      const scope = { agencyId: decodeId(agencyId, 'Agency')!, types: new Set(['BALANCE_CHANGED']), agencyWide: true };
      const viewer: Viewer = { role: 'PLATFORM_ADMIN', via: 'platform-key' };
      const watcher = await hub.open(scope, viewer, undefined);
      streams.push(watcher);
      for (let i = 0; i < 6; i++) await adjust(primaryId, '1');
      const live = await take(watcher, 6);
      const all = await committedSequences(agencyId);
      expect(live).toEqual(all.slice(-6));

      const before = { ...hub.replays };
      const resumed = await hub.open(scope, viewer, decodeSequence(all[0]));
      streams.push(resumed);
      expect(await take(resumed, all.length - 1)).toEqual(all.slice(1));
      expect(hub.replays.fromTable).toBe(before.fromTable + 1);

      await adjust(primaryId, '1');
      const [last] = (await committedSequences(agencyId)).slice(-1);
      expect(await take(watcher, 1)).toEqual([last]);
      expect(await take(resumed, 1)).toEqual([last]);
    } finally {
      for (const stream of streams) await stream.return();
      await hub.stop();
    }
  });
});

/** The next `n` events of a stream opened on the hub directly, as sequences. */
async function take(stream: EventStream, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5000)));
    const step = await Promise.race([stream.next(), timeout]);
    clearTimeout(timer);
    if (!step) throw new Error(`timed out after ${out.length} of ${n} events`);
    if (step.done || !step.value.row) throw new Error('the stream ended');
    out.push(encodeSequence(step.value.row));
  }
  return out;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await sleep(50);
  expect(condition()).toBe(true);
}

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

import WebSocket from 'ws';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { createAgency, rawId } from './helpers/fixtures';
import { subscribe, wsClient } from './helpers/ws';
import { until } from './helpers/until';
import { decodeSequence, encodeSequence } from '../src/modules/outbox/outbox.entity';
import { POLL_PAGE } from '../src/modules/events/event-hub';
import { MAX_QUEUED } from '../src/modules/events/event-stream';
import { deleteExpiredEvents } from '../src/modules/outbox/retention';

/**
 * Live streams under pressure (issue 17): a subscriber that falls behind is ended with
 * RESUME_REQUIRED and the sequence to resume after (not FORBIDDEN), and its resume gets
 * every remaining event; a resume from events retention deleted answers RESUME_TOO_OLD with
 * the oldest sequence kept, instead of silently skipping them.
 */
const STREAM = `subscription($a: ID!, $after: String) { walletBalanceChanged(agencyId: $a, afterSequence: $after) { sequence } }`;

/** Commits `count` BALANCE_CHANGED rows of an agency in one transaction (one poll reads them all). */
async function burst(app: TestApp, agencyId: string, subAccountId: string, count: number, ageDays = 0): Promise<string[]> {
  const rows: Array<{ xid: string; id: string }> = await app.dataSource.query(
    `INSERT INTO outbox_events (type, agency_id, sub_account_id, balance_micros, delta_micros, occurred_at)
     SELECT 'BALANCE_CHANGED', $1, $2, 0, 0, now() - make_interval(days => $4) FROM generate_series(1, $3)
     RETURNING xid::text AS xid, id::text AS id`,
    [rawId(agencyId), rawId(subAccountId), count, ageDays],
  );
  return rows.map((row) => encodeSequence({ xid: BigInt(row.xid), id: BigInt(row.id) })).sort();
}

describe('live streams under pressure', () => {
  jest.setTimeout(120_000);
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('should end a subscriber that stops reading with RESUME_REQUIRED, and resume it without a gap', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    // A raw graphql-transport-ws socket whose reading the test pauses: the server's sends then
    // stop completing once the TCP buffers are full, graphql-ws stops pulling the stream, and
    // its queue grows (a subscriber that reads, however fast the rows arrive, is never ended:
    // the hub reads and fans out POLL_PAGE rows at a time).
    const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
    const messages: Array<{ type: string; payload?: any }> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${app.platformKey}` } }));
    await until(async () => messages.length, (n) => n > 0, 10_000, 10);
    expect(messages[0].type).toBe('connection_ack');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: STREAM, variables: { a: agencyId } } }));
    const nextSequences = () => messages.filter((m) => m.type === 'next' && m.payload.data).map((m) => m.payload.data.walletBalanceChanged.sequence as string);
    // Live once an event reaches it: rows committed before it started are history, not sent.
    const probes: string[] = [];
    while (nextSequences().length === 0) {
      probes.push(...(await burst(app, agencyId, primaryId, 1)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const live = probes.filter((sequence) => sequence >= nextSequences()[0]);
    await until(async () => nextSequences().length, (n) => n >= live.length, 10_000, 10);

    socket.pause();
    const streams = app.server.events.subscriberCount;
    const sent: string[] = [];
    // Bursts until the server has ended the stream (it leaves the hub at once), 300,000 rows at most.
    for (let i = 0; i < 60 && app.server.events.subscriberCount === streams; i++) {
      sent.push(...(await burst(app, agencyId, primaryId, 5_000)));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(app.server.events.subscriberCount).toBe(streams - 1);
    console.log(`a paused subscriber was ended after ${sent.length} rows`);
    socket.resume();
    // The end is a `next` carrying the error, then `complete` (tests/helpers/ws.ts reads both forms).
    await until(async () => messages.at(-1)?.type, (type) => type === 'complete', 60_000, 20);
    const ended = messages.find((m) => m.type === 'next' && m.payload.errors);
    const error = ended!.payload.errors[0] as { extensions: Record<string, unknown> };
    expect(error.extensions).toMatchObject({ code: 'RESUME_REQUIRED', retryable: true });
    const received = nextSequences();
    // Every event before the error arrived; the sequence to resume after is the last of them.
    expect(error.extensions.resumeAfterSequence).toBe(received[received.length - 1]);
    expect(received.length).toBeLessThan(sent.length + live.length);
    expect(received).toEqual([...live, ...sent].slice(0, received.length));
    socket.close();

    // The rest, in one resume from the sequence the error names: whether it replays from the
    // kept rows or from the table, it goes at the subscriber's pace and is not ended.
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const resumed = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: error.extensions.resumeAfterSequence as string });
      await resumed.waitFor(live.length + sent.length - received.length, 60_000);
      expect(resumed.errors).toEqual([]);
      expect([...received, ...resumed.events.map((e) => e.walletBalanceChanged.sequence)]).toEqual([...live, ...sent]);
      resumed.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should fan out a burst larger than a stream may queue to a subscriber that keeps reading, in pages, without ending it', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const first = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId });
      const probes: string[] = [];
      while (first.events.length === 0) {
        probes.push(...(await burst(app, agencyId, primaryId, 1)));
        await first.waitFor(1, 200).catch(() => undefined);
      }
      const live = probes.filter((sequence) => sequence >= first.events[0].walletBalanceChanged.sequence);
      await first.waitFor(live.length);
      const pollsBefore = app.server.events.polls;
      // One transaction, so one read: before pages, all 10,050 were offered at once and ended the stream.
      const sent = await burst(app, agencyId, primaryId, MAX_QUEUED + 50);
      await first.waitFor(live.length + sent.length, 60_000);
      expect(first.errors).toEqual([]);
      expect(first.events.map((e) => e.walletBalanceChanged.sequence)).toEqual([...live, ...sent]);
      expect(app.server.events.polls - pollsBefore).toBeGreaterThanOrEqual(Math.ceil(sent.length / POLL_PAGE));
      first.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should replay a backlog longer than a stream may queue from the table at the subscriber\'s pace, in one stream', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const [start] = await burst(app, agencyId, primaryId, 1);
    // More than the kept rows can hold (20,000, up to 30,000 before a trim): the resume reads the
    // table, 500 rows a page, each page once the subscriber has taken the one before (it used to
    // end with RESUME_REQUIRED).
    const backlog = await burst(app, agencyId, primaryId, 4 * MAX_QUEUED);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const stream = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: start });
      await stream.waitFor(backlog.length, 60_000);
      expect(stream.errors).toEqual([]);
      expect(stream.events.map((e) => e.walletBalanceChanged.sequence)).toEqual(backlog);
      stream.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should replay more kept rows than a stream may queue from memory at the subscriber\'s pace, in one stream', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      // A live subscriber keeps the hub reading (and keeping) the agency's rows.
      const watcher = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId });
      const probes: string[] = [];
      while (watcher.events.length === 0) {
        probes.push(...(await burst(app, agencyId, primaryId, 1)));
        await watcher.waitFor(1, 200).catch(() => undefined);
      }
      const start = probes[probes.length - 1];
      const sent = await burst(app, agencyId, primaryId, MAX_QUEUED + 5_000);
      await watcher.waitFor(watcher.events.length + sent.length, 60_000);
      expect(app.server.events.keepsRowsAbove(decodeSequence(start)!)).toBe(true);
      const fromMemory = app.server.events.replays.fromMemory;
      // 15,000 kept rows at once used to overrun the 10,000-item queue (RESUME_REQUIRED steps).
      const resumed = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: start });
      await resumed.waitFor(sent.length, 60_000);
      expect(app.server.events.replays.fromMemory).toBe(fromMemory + 1);
      // A row committed meanwhile arrives after the replay, once.
      const [late] = await burst(app, agencyId, primaryId, 1);
      await resumed.waitFor(sent.length + 1, 10_000);
      expect(resumed.errors).toEqual([]);
      expect(resumed.events.map((e) => e.walletBalanceChanged.sequence)).toEqual([...sent, late]);
      resumed.stop();
      watcher.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should let other agencies\' resumes through while a busy agency replays long backlogs from the table', async () => {
    // Small agencies' backlogs first, then a busy agency's 30,000 rows: more than the kept rows
    // hold, so every resume below reads the table, page by page, agencies taking turns.
    const small = await Promise.all(Array.from({ length: 6 }, () => createAgency(app)));
    const smallBacklogs: Array<{ agencyId: string; start: string; rows: string[] }> = [];
    for (const { agencyId, primaryId } of small) {
      const [start] = await burst(app, agencyId, primaryId, 1);
      smallBacklogs.push({ agencyId, start, rows: await burst(app, agencyId, primaryId, 1_200) });
    }
    const busy = await createAgency(app);
    const [busyStart] = await burst(app, busy.agencyId, busy.primaryId, 1);
    const busyBacklog = await burst(app, busy.agencyId, busy.primaryId, 30_000);
    // Until the hub (holding no stream) has moved its read position past them: resumes from
    // before are then replays, not rows it has yet to read and offer live.
    await until(async () => app.server.events.keepsRowsAbove(decodeSequence(busyBacklog[busyBacklog.length - 1])!), (kept) => !kept, 10_000, 20);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const fromTable = app.server.events.replays.fromTable;
      const busyStreams = Array.from({ length: 3 }, () =>
        subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: busy.agencyId, after: busyStart }));
      await Promise.all(busyStreams.map((stream) => stream.waitFor(1_000, 30_000)));
      const began = Date.now();
      const smallStreams = smallBacklogs.map(({ agencyId, start }) =>
        subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: start }));
      await Promise.all(smallStreams.map((stream, i) => stream.waitFor(smallBacklogs[i].rows.length, 30_000)));
      const tookMs = Date.now() - began;
      const busyProgress = busyStreams.map((stream) => stream.events.length);
      console.log(`6 agencies' resumes (3 pages each) took ${tookMs} ms while the busy agency's 3 replays stood at ${busyProgress.join(', ')} of ${busyBacklog.length}`);
      // Every small resume got its whole backlog while the busy replays were still going.
      expect(busyProgress.every((count) => count < busyBacklog.length)).toBe(true);
      smallStreams.forEach((stream, i) => {
        expect(stream.errors).toEqual([]);
        expect(stream.events.map((e) => e.walletBalanceChanged.sequence)).toEqual(smallBacklogs[i].rows);
        stream.stop();
      });
      await Promise.all(busyStreams.map((stream) => stream.waitFor(busyBacklog.length, 120_000)));
      for (const stream of busyStreams) {
        expect(stream.errors).toEqual([]);
        expect(stream.events.map((e) => e.walletBalanceChanged.sequence)).toEqual(busyBacklog);
        stream.stop();
      }
      expect(app.server.events.replays.fromTable - fromTable).toBe(busyStreams.length + smallStreams.length);
    } finally {
      await client.dispose();
    }
  });

  it('should end a table replay that loses its connection with SERVICE_UNAVAILABLE, and resume it from the last sequence', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const [start] = await burst(app, agencyId, primaryId, 1);
    const backlog = await burst(app, agencyId, primaryId, 4 * MAX_QUEUED);
    await until(async () => app.server.events.keepsRowsAbove(decodeSequence(backlog[backlog.length - 1])!), (kept) => !kept, 10_000, 20);
    const client = wsClient(app.wsUrl, app.platformKey);
    const locker = app.dataSource.createQueryRunner();
    await locker.connect();
    try {
      const fromTable = app.server.events.replays.fromTable;
      const replay = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: start });
      await replay.waitFor(1_000, 30_000);
      expect(app.server.events.replays.fromTable).toBe(fromTable + 1);
      // The next page blocks behind this lock; its backend is then terminated mid-query (what a
      // database restart or a failover does to it).
      await locker.startTransaction();
      await locker.query('LOCK TABLE outbox_events IN ACCESS EXCLUSIVE MODE');
      const [{ pid }] = await locker.query('SELECT pg_backend_pid() AS pid');
      const [{ terminated }] = await until(
        () => app.dataSource.query(
          `SELECT count(pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity
            WHERE application_name = 'voice-minutes-api-replay' AND $1 = ANY (pg_blocking_pids(pid))`,
          [pid],
        ),
        (rows: Array<{ terminated: number }>) => rows[0].terminated > 0,
        30_000,
        20,
      );
      expect(terminated).toBe(1);
      await locker.rollbackTransaction();
      await replay.done;
      expect(replay.errors.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      const received = replay.events.map((e) => e.walletBalanceChanged.sequence);
      expect(received.length).toBeLessThan(backlog.length);
      expect(received).toEqual(backlog.slice(0, received.length));
      // The resume from the last sequence received gets exactly the rest.
      const resumed = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: received[received.length - 1] });
      await resumed.waitFor(backlog.length - received.length, 60_000);
      expect(resumed.errors).toEqual([]);
      expect([...received, ...resumed.events.map((e) => e.walletBalanceChanged.sequence)]).toEqual(backlog);
      resumed.stop();
    } finally {
      if (locker.isTransactionActive) await locker.rollbackTransaction();
      await locker.release();
      await client.dispose();
    }
  });

  it('should answer RESUME_TOO_OLD with the oldest kept sequence for a resume from deleted events', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const expired = await burst(app, agencyId, primaryId, 3, 8);
    const kept = await burst(app, agencyId, primaryId, 2);
    expect(await deleteExpiredEvents(app.dataSource)).toBeGreaterThanOrEqual(3);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const tooOld = subscribe(client, STREAM, { a: agencyId, after: expired[0] });
      await tooOld.done;
      expect(tooOld.events).toEqual([]);
      expect(tooOld.errors).toHaveLength(1);
      const error = tooOld.errors[0] as { extensions: Record<string, unknown> };
      expect(error.extensions.code).toBe('RESUME_TOO_OLD');
      // The mark: the newest deleted row; resuming after it replays everything kept.
      expect(error.extensions.oldestSequence).toBe(expired[2]);

      const fromOldest = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, {
        a: agencyId, after: error.extensions.oldestSequence,
      });
      const events = await fromOldest.waitFor(2);
      expect(events.map((e) => e.walletBalanceChanged.sequence)).toEqual(kept);
      fromOldest.stop();

      // A resume from the last deleted row itself loses nothing, and is served.
      const atMark = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after: expired[2] });
      expect((await atMark.waitFor(2)).map((e) => e.walletBalanceChanged.sequence)).toEqual(kept);
      atMark.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should move the retention mark only forward, and delete nothing twice', async () => {
    const [before] = await app.dataSource.query(`SELECT purged_xid::text AS xid, purged_id::text AS id FROM outbox_retention`);
    expect(await deleteExpiredEvents(app.dataSource)).toBe(0);
    const [after] = await app.dataSource.query(`SELECT purged_xid::text AS xid, purged_id::text AS id FROM outbox_retention`);
    expect(after).toEqual(before);
    ok(await app.gql('{ viewer { role } }'));
  });
});

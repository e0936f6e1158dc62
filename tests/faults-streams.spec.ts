import WebSocket from 'ws';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { createAgency, rawId } from './helpers/fixtures';
import { subscribe, wsClient } from './helpers/ws';
import { until } from './helpers/until';
import { encodeSequence } from '../src/modules/events/outbox.entity';
import { MAX_QUEUED, POLL_PAGE } from '../src/modules/events/event-hub';
import { deleteExpiredEvents } from '../src/modules/events/retention';

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

    // The rest: a resume from memory offers the kept rows at once, so more than 10,000 of them
    // arrive in RESUME_REQUIRED steps, each resumed from the sequence its error names.
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      let after = error.extensions.resumeAfterSequence as string;
      const all = [...received];
      for (let step = 0; all.length < live.length + sent.length; step++) {
        expect(step).toBeLessThan(40);
        const resumed = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after });
        await resumed.waitFor(Math.min(MAX_QUEUED, live.length + sent.length - all.length), 60_000);
        if (resumed.errors.length > 0) {
          await resumed.done;
          expect(resumed.errors[0].extensions).toMatchObject({ code: 'RESUME_REQUIRED' });
        }
        all.push(...resumed.events.map((e) => e.walletBalanceChanged.sequence));
        resumed.stop();
        after = all[all.length - 1];
        if (resumed.errors.length > 0) expect((resumed.errors[0] as { extensions: Record<string, unknown> }).extensions.resumeAfterSequence).toBe(after);
      }
      expect(all).toEqual([...live, ...sent]);
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

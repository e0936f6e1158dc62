import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { createAgency, rawId } from './helpers/fixtures';
import { subscribe, wsClient } from './helpers/ws';
import { encodeSequence } from '../src/modules/events/outbox.entity';
import { MAX_QUEUED } from '../src/modules/events/event-hub';
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

  it('should end a subscriber that falls behind with RESUME_REQUIRED, and resume it without a gap', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const first = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId });
      // Live once an event reaches it: rows committed before it started are history, not sent.
      const probes: string[] = [];
      while (first.events.length === 0) {
        probes.push(...(await burst(app, agencyId, primaryId, 1)));
        await first.waitFor(1, 200).catch(() => undefined);
      }
      const live = probes.filter((sequence) => sequence >= first.events[0].walletBalanceChanged.sequence);
      await first.waitFor(live.length);
      // More rows than a stream may queue, all read by one poll and offered at once.
      const sent = await burst(app, agencyId, primaryId, MAX_QUEUED + 50);
      await first.done;
      expect(first.errors).toHaveLength(1);
      const ended = first.errors[0] as { extensions: Record<string, unknown> };
      expect(ended.extensions).toMatchObject({ code: 'RESUME_REQUIRED', retryable: true });
      const received = first.events.map((e) => e.walletBalanceChanged.sequence);
      // The sequence to resume after is the last one delivered before the error.
      expect(ended.extensions.resumeAfterSequence).toBe(received[received.length - 1]);
      expect(received.length).toBeLessThan(sent.length + live.length);

      const resumed = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, {
        a: agencyId, after: ended.extensions.resumeAfterSequence,
      });
      const rest = await resumed.waitFor(sent.length + live.length - received.length, 60_000);
      const all = [...received, ...rest.map((e) => e.walletBalanceChanged.sequence)];
      expect(all).toEqual([...live, ...sent]);
      expect(resumed.errors).toEqual([]);
      resumed.stop();
    } finally {
      await client.dispose();
    }
  });

  it('should deliver a backlog longer than a stream may queue in RESUME_REQUIRED steps, without a gap or a repeat', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const [start] = await burst(app, agencyId, primaryId, 1);
    // More than the kept rows hold (20,000): the resume reads the table, 500 rows a page.
    const backlog = await burst(app, agencyId, primaryId, 2 * MAX_QUEUED + 5_000);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const received: string[] = [];
      let after = start;
      let steps = 0;
      while (received.length < backlog.length) {
        steps += 1;
        const stream = subscribe<{ walletBalanceChanged: { sequence: string } }>(client, STREAM, { a: agencyId, after });
        const wanted = Math.min(MAX_QUEUED, backlog.length - received.length);
        await stream.waitFor(wanted, 60_000);
        // Either the stream ended (RESUME_REQUIRED, with where to resume) or it is live and caught up.
        if (stream.errors.length > 0) {
          await stream.done;
          expect(stream.errors).toHaveLength(1);
          expect(stream.errors[0].extensions).toMatchObject({ code: 'RESUME_REQUIRED' });
        }
        received.push(...stream.events.map((e) => e.walletBalanceChanged.sequence));
        stream.stop();
        after = received[received.length - 1];
        if (stream.errors.length > 0) {
          expect((stream.errors[0] as { extensions: Record<string, unknown> }).extensions.resumeAfterSequence).toBe(after);
        }
        expect(steps).toBeLessThan(20);
      }
      expect(received).toEqual(backlog);
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

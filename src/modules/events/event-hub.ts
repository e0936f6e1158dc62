import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { DEFAULT_DB_POOL_SIZES, type DbPoolSizes } from '../../config/config';
import type { Viewer } from '../auth/role';
import { resumeTooOld, serviceUnavailable } from '../../shared/refusal';
import { compareCursor, encodeSequence, OUTBOX_COLUMNS, toOutboxRow, type Cursor, type OutboxRow } from '../outbox/outbox.entity';
import { RETENTION_MARK, toCursor } from '../outbox/retention';
import { EventType } from '../outbox/outbox-writer';
import { KeptRows } from './kept-rows';
import { ReplayTurns } from './replay-turns';
import { OUTBOX_CHANNEL, OutboxListener } from './outbox-listener';
import { EventStream, type StreamOwner, type StreamScope } from './event-stream';


/**
 * Told of every API key revocation this process reads from the outbox (the socket registry,
 * which closes the key's sockets). While `watching`, the hub reads revocations even when it
 * holds no stream: a socket without subscriptions must be closed too.
 */
export interface RevocationListener {
  readonly watching: boolean;
  keyRevoked(apiKeyId: string): void;
}

const REPLAY_PAGE = 500;
/**
 * Rows one live poll reads at most. After a long outage (or a bulk import) the rows since the
 * frontier are read in pages of this many, back to back, each fanned out before the next is
 * read: the hub never holds more than one page in flight, and subscribers drain between pages.
 */
export const POLL_PAGE = 1_000;
/**
 * One page of a scope's rows after a cursor, up to the hub's read position: $1/$2 the cursor
 * (xid, id), $3/$7 the read position, $4 the agency, $5 the sub-account or null, $6 the event types. A range of the
 * agency's entries in outbox_events_agency_idx (migration OutboxByAgency), not a walk of every
 * agency's rows since the cursor.
 */
export const REPLAY_FROM_TABLE = `SELECT ${OUTBOX_COLUMNS} FROM outbox_events
  WHERE agency_id = $4 AND (xid, id) > ($1::xid8, $2::bigint) AND (xid, id) <= ($3::xid8, $7::bigint)
    AND ($5::uuid IS NULL OR sub_account_id = $5::uuid) AND type = ANY($6::text[])
  ORDER BY outbox_events.agency_id, outbox_events.xid, outbox_events.id LIMIT ${REPLAY_PAGE}`;
/** The sizes of the hub's pools (config DB_EVENTS_POOL_SIZE, DB_REPLAY_POOL_SIZE). */
export type EventPoolSizes = Pick<DbPoolSizes, 'events' | 'replay'>;

/** Rows the hub keeps after fanning them out, so a resuming stream replays from memory, not with its own query. */
const RECENT_ROWS = 20_000;

/**
 * One per process: reads each committed outbox row once and fans it out to this
 * process's subscribers.
 *
 * Reading: `readTo` is a cursor such that every row at or below it has been read. A poll
 * takes x = pg_snapshot_xmin(pg_current_snapshot()) (every transaction below it has ended,
 * and none can start below it), reads the rows above readTo with xid < x in (xid, id) order
 * and moves readTo to (x, -1). No row can appear at or below readTo later. At most
 * POLL_PAGE rows are read at once: a full page moves readTo to its last row and keeps x as
 * `pageBound`, and the next poll, at once, reads on below the same bound.
 *
 * Waking: a poll runs (coalesced, one at a time) when this process commits a transaction
 * (TypeORM after-commit hook), when the one LISTEN connection hears a NOTIFY from another
 * replica's after-commit signal, and every `pollMs` as a safety net (a lost connection,
 * a notification sent before an older transaction ended). The NOTIFY is sent after the
 * commit on a pooled connection, at most one in flight per process, never inside a
 * business transaction. Polls start at least 25 ms apart and NOTIFYs 50 ms apart, so a
 * burst of commits costs a few polls, not one per commit (bench `notify`).
 *
 * This file reads the outbox (the poll and its read position) and serves resumes (from the
 * kept rows, or from the table page by page); one subscription's queue and filter is an
 * EventStream (event-stream.ts), the LISTEN connection an OutboxListener (outbox-listener.ts).
 */
export class EventHub implements StreamOwner {
  private readTo: Cursor = { xid: 0n, id: -1n };
  /** The snapshot xmin of a read that stopped at a full page: the next poll reads on below it. */
  private pageBound: bigint | undefined;
  private readonly streams = new Set<EventStream>();
  /** The same streams by their scope's agency: a row is offered to its agency's streams only. */
  private readonly streamsByAgency = new Map<string, Set<EventStream>>();
  private readonly listener: OutboxListener;
  private readonly revocationListeners = new Set<RevocationListener>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private lastPollAt = 0;
  private notifying = false;
  private notifyAgain = false;
  private lastNotifyAt = 0;
  private stopped = false;
  /**
   * The rows read last (see KeptRows): a stream resuming from a cursor they cover (a
   * reconnect storm: everyone resumes from a few seconds ago) replays from here,
   * synchronously, and shares the row objects (and so the per-event execution) with the
   * live streams. Reset at start, once the read position is known.
   */
  private readonly kept: KeptRows;
  private snapshotWaiters: Array<{ resolve: (snapshot: string) => void; reject: (error: unknown) => void }> = [];
  private snapshotInFlight = false;
  private markWaiters: Array<{ resolve: (mark: Cursor) => void; reject: (error: unknown) => void }> = [];
  private markInFlight = false;
  private onFanOut: ((rows: readonly OutboxRow[], atMs: number) => void) | undefined;
  /** Incremented per poll that read rows (tests and metrics). */
  polls = 0;
  /**
   * Resumes served from the table page by page (older than what the kept rows can hold) and
   * from memory, and backfills of the kept rows (one per burst of resumes older than them;
   * tests and metrics).
   */
  replays = { fromTable: 0, fromMemory: 0, backfills: 0 };

  /** Whether a resume from `after` would replay from the kept rows without reading the table (tests). */
  keepsRowsAbove(after: Cursor): boolean {
    return this.kept.covers(after);
  }

  /**
   * The hub's own small pool (polls, replays, the wake-up signal): it never waits behind
   * request traffic for a connection, and its statements stay out of the request pool's
   * query counter.
   */
  private readonly pool: Pool;
  /**
   * Resumes that read the table (backfills of the kept rows, and per-stream pages for
   * cursors older than those) use a pool of their own: thousands of resumes at once must
   * never queue ahead of the live poll on `pool` (they did: a reconnect storm delayed live
   * events by minutes).
   */
  private readonly replayPool: Pool;
  /** Table replays' pages, agency by agency in turn, as many at once as the replay pool has connections. */
  private readonly replayTurns: ReplayTurns;
  /** A backfill is running (resumes arriving meanwhile wait for the next one). */
  private backfilling = false;
  private backfillWaiters: Array<{ after: Cursor; resolve: () => void }> = [];

  private constructor(
    url: string,
    private readonly logger: Logger,
    private readonly pollMs: number,
    private readonly spacing: { pollMs: number; notifyMs: number },
    recentRows: number,
    poolSizes: EventPoolSizes,
  ) {
    this.kept = new KeptRows(recentRows, { xid: 0n, id: -1n });
    this.listener = new OutboxListener(url, logger, () => this.wake());
    this.pool = new Pool({ connectionString: url, max: poolSizes.events, application_name: 'voice-minutes-api-events', connectionTimeoutMillis: 10_000 });
    this.pool.on('error', (error) => logger.warn('event pool connection error', { message: error.message }));
    this.replayPool = new Pool({ connectionString: url, max: poolSizes.replay, application_name: 'voice-minutes-api-replay', connectionTimeoutMillis: 10_000 });
    this.replayTurns = new ReplayTurns(poolSizes.replay);
    this.replayPool.on('error', (error) => logger.warn('event replay pool connection error', { message: error.message }));
  }

  private async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, any>>> {
    return (await this.pool.query(sql, params)).rows;
  }

  /**
   * @param options.pollMs the safety-net poll period. @default 250
   * @param options.minPollSpacingMs the least time between two polls' starts: under a high
   *   commit rate, one poll reads the rows of many commits instead of a poll per commit
   *   (each poll is a query). Adds at most this much latency, and only when a poll ran
   *   within that time already. @default 25
   * @param options.minNotifySpacingMs the same for the after-commit NOTIFY to the other
   *   replicas (each one is a transaction of its own). @default 50
   * @param options.recentRows how many of the rows read last are kept for resumes from
   *   memory (and for backfills). @default 20000
   * @param options.onFanOut told of every batch of rows fanned out to subscribers, with the
   *   time it happened (the delivery-lag metric). @default none
   * @param options.poolSizes the hub's two pools (DB_EVENTS_POOL_SIZE, DB_REPLAY_POOL_SIZE):
   *   polls and NOTIFYs, and table replays (as many agencies' pages at once). @default DEFAULT_DB_POOL_SIZES
   */
  static async start(
    dataSource: DataSource,
    logger: Logger,
    options: {
      pollMs?: number; minPollSpacingMs?: number; minNotifySpacingMs?: number; recentRows?: number;
      onFanOut?: (rows: readonly OutboxRow[], atMs: number) => void;
      poolSizes?: EventPoolSizes;
    } = {},
  ): Promise<EventHub> {
    const url = (dataSource.options as { url?: string }).url;
    if (!url) throw new Error('the event hub needs the DataSource to be configured with a url');
    const hub = new EventHub(url, logger, options.pollMs ?? 250, {
      pollMs: options.minPollSpacingMs ?? 25,
      notifyMs: options.minNotifySpacingMs ?? 50,
    }, options.recentRows ?? RECENT_ROWS, options.poolSizes ?? DEFAULT_DB_POOL_SIZES);
    hub.onFanOut = options.onFanOut;
    const [{ xmin }] = await hub.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    hub.readTo = { xid: BigInt(xmin), id: -1n };
    hub.kept.reset(hub.readTo);
    dataSource.subscribers.push({ afterTransactionCommit: () => hub.afterLocalCommit() });
    await hub.listener.start();
    hub.timer = setInterval(() => hub.wake(), hub.pollMs);
    hub.timer.unref();
    return hub;
  }

  get subscriberCount(): number {
    return this.streams.size;
  }

  /** Whether the LISTEN connection is up (readiness: without it other replicas' events wait for the safety-net poll). */
  /** LISTEN connections opened, the first included (tests and metrics). */
  get listenerConnects(): number {
    return this.listener.connects;
  }

  get listenerConnected(): boolean {
    return this.listener.connected;
  }

  /** The hub's own pools, for the pool metrics. */
  get pools(): { events: Pool; replay: Pool } {
    return { events: this.pool, replay: this.replayPool };
  }

  /** Adds a listener of key revocations; the returned function removes it. */
  onKeyRevoked(listener: RevocationListener): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  private get watchingRevocations(): boolean {
    for (const listener of this.revocationListeners) if (listener.watching) return true;
    return false;
  }

  private announceRevocations(apiKeyIds: readonly string[]): void {
    for (const id of apiKeyIds) for (const listener of this.revocationListeners) listener.keyRevoked(id);
  }

  /** A local commit: read now, and tell the other replicas once the signal in flight (if any) is done. */
  afterLocalCommit(): void {
    if (this.stopped) return;
    this.wake();
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void (async () => {
      try {
        do {
          await this.spaced(this.lastNotifyAt + this.spacing.notifyMs);
          if (this.stopped) break;
          this.notifyAgain = false;
          this.lastNotifyAt = Date.now();
          await this.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
        } while (this.notifyAgain && !this.stopped);
      } catch (error) {
        this.logger.warn('outbox notify failed (polling still delivers)', { message: (error as Error).message });
      } finally {
        this.notifying = false;
      }
    })();
  }

  /** Runs a poll now, or once more after the running one. */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = (async () => {
      try {
        do {
          // A page of a longer read goes on at once; a new read waits for the spacing.
          if (this.pageBound === undefined) await this.spaced(this.lastPollAt + this.spacing.pollMs);
          else await new Promise((resolve) => setImmediate(resolve));
          if (this.stopped) break;
          this.pollAgain = false; // wakes until now are served by this poll
          this.lastPollAt = Date.now();
          await this.poll();
        } while ((this.pollAgain || this.pageBound !== undefined) && !this.stopped);
      } catch (error) {
        if (!this.stopped) this.logger.warn('outbox poll failed', { message: (error as Error).message });
      } finally {
        this.polling = undefined;
      }
    })();
  }

  private async spaced(notBefore: number): Promise<void> {
    const wait = notBefore - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async poll(): Promise<void> {
    // A process without subscribers (an API-only replica, a quiet one) only moves its
    // read position: nobody needs the rows, and a later resume replays them from the table.
    // Sockets authenticated by key (with or without subscriptions) still need the revocations:
    // only those rows are read then, a range of the primary key like the full poll.
    const withRows = this.streams.size > 0;
    if (!withRows) {
      // Revocations are rare rows (one per revoked key): not paged.
      const raw = this.watchingRevocations
        ? await this.query(
            `SELECT s.up_to::text AS xmin, e.ref_id::text AS ref_id FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS up_to) s
               LEFT JOIN LATERAL (SELECT ref_id FROM outbox_events WHERE (outbox_events.xid, outbox_events.id) > ($1::xid8, $2::bigint)
                                   AND outbox_events.xid < s.up_to AND type = '${EventType.API_KEY_REVOKED}') e ON true`,
            [this.readTo.xid.toString(), this.readTo.id.toString()],
          )
        : await this.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
      const upTo = BigInt(raw[0].xmin);
      if (this.streams.size > 0) {
        this.pollAgain = true; // a stream registered meanwhile expects these rows live (revocations included)
        return;
      }
      if (upTo <= this.readTo.xid) return;
      this.readTo = { xid: upTo, id: -1n };
      this.pageBound = undefined;
      this.kept.reset(this.readTo);
      this.announceRevocations(raw.flatMap((row) => (row.ref_id ? [row.ref_id as string] : [])));
      return;
    }
    // One statement: the rows below this statement's own snapshot xmin (pg_current_snapshot()
    // is the statement's snapshot, so every transaction below its xmin has ended and its
    // committed rows are visible to the same scan), or below the bound of the read a full
    // page interrupted; a range of the primary key (xid, id), POLL_PAGE rows at most. One row
    // with null columns when none.
    const raw = await this.query(
      `SELECT s.up_to::text AS up_to, e.* FROM (SELECT coalesce($3::xid8, pg_snapshot_xmin(pg_current_snapshot())) AS up_to) s
         LEFT JOIN LATERAL (SELECT ${OUTBOX_COLUMNS} FROM outbox_events
                             WHERE (outbox_events.xid, outbox_events.id) > ($1::xid8, $2::bigint) AND outbox_events.xid < s.up_to
                             ORDER BY outbox_events.xid, outbox_events.id LIMIT ${POLL_PAGE}) e ON true`,
      [this.readTo.xid.toString(), this.readTo.id.toString(), this.pageBound?.toString() ?? null],
    );
    const upTo = BigInt(raw[0].up_to);
    if (upTo <= this.readTo.xid) return;
    const found = raw[0].id === null ? [] : raw;
    // From here to the end of the fan-out nothing awaits: a stream that registers reads either the
    // old position (and gets these rows live) or the new one (and replays them from memory or the table).
    const rows = found.map(toOutboxRow).sort(compareCursor);
    if (rows.length === POLL_PAGE) {
      const last = rows[rows.length - 1];
      this.readTo = { xid: last.xid, id: last.id };
      this.pageBound = upTo;
    } else {
      this.readTo = { xid: upTo, id: -1n };
      this.pageBound = undefined;
    }
    if (rows.length === 0) return;
    this.polls += 1;
    this.kept.append(rows);
    // One pass, without yielding to the event loop between streams: yielding every 500 streams
    // (tried, bench `live`) made reconnect storms two to four times slower, not faster.
    // Each stream still gets its rows in cursor order. A key revocation may end a stream of
    // any agency (a platform key's row has none); every other row concerns its agency's
    // streams only (a sub-account's removal included: a scope's sub-account is of its agency).
    // A stream that ends leaves its set during the loop, which Set iteration allows.
    const revoked: string[] = [];
    for (const row of rows) {
      const targets = row.type === EventType.API_KEY_REVOKED ? this.streams : row.agencyId === null ? undefined : this.streamsByAgency.get(row.agencyId);
      if (targets) for (const stream of targets) stream.offer(row);
      if (row.type === EventType.API_KEY_REVOKED && row.refId) revoked.push(row.refId);
    }
    // After the streams: each of the key's streams has its UNAUTHENTICATED end queued before its socket is closed.
    if (revoked.length > 0) this.announceRevocations(revoked);
    this.onFanOut?.(rows, Date.now());
  }

  /**
   * pg_current_snapshot() taken after the caller's stream was registered. Concurrent
   * callers share one query: a caller waits for the next query issued after it asked (never
   * one already in flight), so every snapshot it gets was taken after its registration.
   */
  private snapshotAfterRegistration(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.snapshotWaiters.push({ resolve, reject });
      if (!this.snapshotInFlight) this.takeSnapshot();
    });
  }

  private takeSnapshot(): void {
    const waiters = this.snapshotWaiters.splice(0);
    this.snapshotInFlight = true;
    this.query(`SELECT pg_current_snapshot()::text AS snapshot`).then(
      ([{ snapshot }]) => waiters.forEach((waiter) => waiter.resolve(snapshot)),
      (error) => waiters.forEach((waiter) => waiter.reject(error)),
    ).finally(() => {
      this.snapshotInFlight = false;
      if (this.snapshotWaiters.length > 0) this.takeSnapshot();
    });
  }

  /**
   * Opens a stream: registers it (so live rows are kept from now on), then replays the
   * rows after `after` up to the read position from the table, then hands over to live rows;
   * a row both replayed and kept live is delivered once (its cursor is not above the last one).
   */
  async open(scope: StreamScope, viewer: Viewer, after: Cursor | undefined): Promise<EventStream> {
    const stream = new EventStream(this, scope, viewer);
    this.streams.add(stream);
    const ofAgency = this.streamsByAgency.get(scope.agencyId);
    if (ofAgency) ofAgency.add(stream);
    else this.streamsByAgency.set(scope.agencyId, new Set([stream]));
    const target = this.readTo;
    if (!after) {
      // "From now": the rows of transactions that had committed when the subscription started
      // (visible in a snapshot taken now) are history, even if this hub has not read them yet.
      try {
        const snapshot = await this.snapshotAfterRegistration();
        stream.startLive(target, committedBefore(snapshot));
      } catch (error) {
        stream.return();
        throw error;
      }
      return stream;
    }
    // Retention may have deleted rows after `after`: refuse rather than skip them. Checked
    // for memory replays too: kept rows read after a deletion do not hold the deleted ones.
    try {
      const mark = await this.retentionMark();
      if (compareCursor(after, mark) < 0) throw resumeTooOld(encodeSequence(mark));
    } catch (error) {
      stream.return();
      throw error;
    }
    if (stream.closed) return stream;
    if (!this.kept.covers(after)) {
      // Older than the kept rows (this process restarted, or held no stream for a while):
      // load the missing rows into them once for every resume waiting now, not a query each.
      await this.backfill(after);
      if (stream.closed) return stream;
    }
    if (this.kept.covers(after)) {
      // Every row above `after` up to the read position is kept: replay from memory. The copy
      // is taken now, with the stream already registered, so every row read from here on is
      // offered to it live (held behind the replay; the seam delivers a row once).
      this.replays.fromMemory += 1;
      const rows = this.kept.agencyRowsAbove(scope.agencyId, after);
      if (rows.length <= REPLAY_PAGE) {
        for (const row of rows) stream.replayed(row);
        stream.startLive(after);
      } else void this.replayFromMemory(stream, rows, after);
      return stream;
    }
    // Older than the kept rows: read from the table in the background, so the subscriber has
    // the stream (and takes events) while the pages come; live rows wait behind the replay.
    this.replays.fromTable += 1;
    void this.replayFromTable(stream, after, target);
    return stream;
  }

  /**
   * A stream's rows in (after, upTo] from the table, page by page, then live. Each page waits
   * for its agency's turn (ReplayTurns: tenants alternate page by page) and, after the first,
   * for the subscriber to have taken the page before (holding no connection meanwhile): a
   * replay goes at its subscriber's pace instead of overrunning its queue. Live rows wait
   * behind it, MAX_QUEUED at most, then the stream ends with RESUME_REQUIRED. A failed page
   * (the database is down) ends the stream with SERVICE_UNAVAILABLE: the subscriber resumes
   * from the last sequence it got.
   */
  private async replayFromTable(stream: EventStream, after: Cursor, upTo: Cursor): Promise<void> {
    const { scope } = stream;
    let cursor = after;
    try {
      for (;;) {
        if (stream.closed || stream.ending) return; // ended meanwhile (RESUME_REQUIRED, a revocation): no more pages
        const { rows: raw } = await this.replayTurns.run(scope.agencyId, () => this.replayPool.query(
          REPLAY_FROM_TABLE,
          [cursor.xid.toString(), cursor.id.toString(), upTo.xid.toString(), scope.agencyId, scope.subAccountId ?? null, [...scope.types], upTo.id.toString()],
        ));
        const rows = raw.map(toOutboxRow);
        for (const row of rows) stream.replayed(row);
        if (rows.length < REPLAY_PAGE) break;
        cursor = rows[rows.length - 1];
        await stream.drained(REPLAY_PAGE);
      }
    } catch (error) {
      if (!this.stopped) this.logger.warn('outbox replay failed; the stream ends with SERVICE_UNAVAILABLE', { message: (error as Error).message });
      stream.fail(serviceUnavailable('The event replay lost the database; subscribe again with afterSequence set to the last sequence received'));
      return;
    }
    stream.startLive(after);
  }

  /**
   * The retention mark (every row at or below it may be deleted), read after the caller
   * asked: concurrent resumes (a reconnect storm) share the next query, as with snapshots.
   */
  private retentionMark(): Promise<Cursor> {
    return new Promise((resolve, reject) => {
      this.markWaiters.push({ resolve, reject });
      if (!this.markInFlight) this.readMark();
    });
  }

  private readMark(): void {
    const waiters = this.markWaiters.splice(0);
    this.markInFlight = true;
    this.replayPool.query(RETENTION_MARK).then(
      ({ rows }) => waiters.forEach((waiter) => waiter.resolve(toCursor(rows[0]))),
      (error) => waiters.forEach((waiter) => waiter.reject(error)),
    ).finally(() => {
      this.markInFlight = false;
      if (this.markWaiters.length > 0) this.readMark();
    });
  }

  /**
   * Resolves once a backfill has run for `after` (or could not): the resumes waiting at the
   * same time share one query, which loads the rows below the kept ones down to the oldest of
   * their cursors. The caller checks `kept.covers` again and reads the table itself when the
   * kept rows still do not reach its cursor (too old to fit, or the kept rows moved meanwhile).
   */
  private backfill(after: Cursor): Promise<void> {
    return new Promise((resolve) => {
      this.backfillWaiters.push({ after, resolve });
      if (!this.backfilling) void this.runBackfills();
    });
  }

  private async runBackfills(): Promise<void> {
    this.backfilling = true;
    try {
      while (this.backfillWaiters.length > 0 && !this.stopped) {
        // The resumes of one burst (a reconnect storm) join the same query.
        await new Promise((resolve) => setImmediate(resolve));
        const waiters = this.backfillWaiters.splice(0);
        const down = waiters.reduce((lowest, w) => (compareCursor(w.after, lowest) < 0 ? w.after : lowest), this.kept.after);
        try {
          if (!this.kept.covers(down)) await this.loadBefore(down);
        } catch (error) {
          if (!this.stopped) this.logger.warn('outbox backfill failed (resumes read the table)', { message: (error as Error).message });
        }
        for (const waiter of waiters) waiter.resolve();
      }
    } finally {
      this.backfilling = false;
    }
  }

  /**
   * Prepends to the kept rows those in (down, kept.after], as many as fit in their capacity
   * (the newest first). They are all final: kept.after is at most the read position. A
   * result that arrives after the kept rows were trimmed or reset is dropped.
   */
  private async loadBefore(down: Cursor): Promise<void> {
    const room = this.kept.capacity - this.kept.size;
    if (room <= 0) return;
    const upper = this.kept.after;
    const { rows: raw } = await this.replayPool.query(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox_events
        WHERE (xid, id) > ($1::xid8, $2::bigint) AND (xid, id) <= ($3::xid8, $4::bigint)
        ORDER BY outbox_events.xid DESC, outbox_events.id DESC LIMIT ${room}`,
      [down.xid.toString(), down.id.toString(), upper.xid.toString(), upper.id.toString()],
    );
    if (this.kept.after !== upper || this.stopped) return;
    this.replays.backfills += 1;
    this.kept.prepend(raw.map(toOutboxRow).reverse(), down, raw.length < room);
  }

  remove(stream: EventStream): void {
    this.streams.delete(stream);
    const ofAgency = this.streamsByAgency.get(stream.scope.agencyId);
    ofAgency?.delete(stream);
    if (ofAgency?.size === 0) this.streamsByAgency.delete(stream.scope.agencyId);
  }

  /**
   * A resume's kept rows, REPLAY_PAGE at a time, each page once the subscriber has taken the
   * one before (as a table replay goes), then live: a resume of 30,000 kept rows arrives in
   * one stream instead of overrunning the queue and ending in RESUME_REQUIRED steps.
   */
  private async replayFromMemory(stream: EventStream, rows: readonly OutboxRow[], after: Cursor): Promise<void> {
    for (let start = 0; start < rows.length; start += REPLAY_PAGE) {
      if (start > 0) await stream.drained(REPLAY_PAGE);
      if (stream.closed || stream.ending) return; // ended meanwhile (RESUME_REQUIRED, a revocation, the client left)
      const end = Math.min(rows.length, start + REPLAY_PAGE);
      for (let i = start; i < end; i++) stream.replayed(rows[i]);
    }
    stream.startLive(after);
  }

  /** Stops polling and listening; open streams are ended (the WebSocket server closes their sockets first). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const stream of [...this.streams]) stream.return();
    await this.polling;
    await this.listener.stop();
    for (const waiter of this.backfillWaiters.splice(0)) waiter.resolve();
    await this.pool.end();
    await this.replayPool.end();
  }
}

/** Whether a transaction id is committed (or aborted) in a snapshot printed as "xmin:xmax:xip,…". */
export function committedBefore(snapshot: string): (xid: bigint) => boolean {
  const [xmin, xmax, xip] = snapshot.split(':');
  const running = new Set((xip ?? '').split(',').filter((x) => x !== '').map((x) => BigInt(x)));
  const low = BigInt(xmin);
  const high = BigInt(xmax);
  return (xid) => xid < low || (xid < high && !running.has(xid));
}


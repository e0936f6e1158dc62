import { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { GraphQLError } from 'graphql';
import type { Logger } from '../../shared/logger';
import type { Viewer } from '../auth/role';
import { canManageAgency, canReadSubAccount } from '../auth/access';
import { ForbiddenError, UnauthenticatedError } from '../../graphql/errors';
import { compareCursor, OUTBOX_COLUMNS, toOutboxRow, type Cursor, type OutboxRow } from './outbox.entity';
import { EventType } from './outbox-writer';

export const OUTBOX_CHANNEL = 'outbox_events';

/** What one subscription receives: exactly the rows of `agencyId` (and `subAccountId`) of these types. */
export interface StreamScope {
  agencyId: string;
  subAccountId?: string;
  types: ReadonlySet<string>;
  /** agency-wide (agency admins) or one sub-account's view. */
  agencyWide: boolean;
}

/** An event to deliver, or the end of the stream with the reason the client is told. */
export type StreamItem = { row: OutboxRow; end?: undefined } | { end: GraphQLError; row?: undefined };

/** A subscriber that does not keep up is ended (it resumes with afterSequence) rather than buffered without bound. */
const MAX_QUEUED = 10_000;
const REPLAY_PAGE = 500;

/**
 * One per process: reads each committed outbox row once and fans it out to this
 * process's subscribers.
 *
 * Reading: `frontier` is an xid such that every row with a smaller xid has been read. A
 * poll takes x = pg_snapshot_xmin(pg_current_snapshot()) (every transaction below it has
 * ended, and none can start below it), reads the rows with frontier <= xid < x in (xid,
 * id) order and moves the frontier to x. No row can appear behind the frontier later.
 *
 * Waking: a poll runs (coalesced, one at a time) when this process commits a transaction
 * (TypeORM after-commit hook), when the one LISTEN connection hears a NOTIFY from another
 * replica's after-commit signal, and every `pollMs` as a safety net (a lost connection,
 * a notification sent before an older transaction ended). The NOTIFY is sent after the
 * commit on a pooled connection, at most one in flight per process, never inside a
 * business transaction.
 */
export class EventHub {
  private frontier = 0n;
  private readonly streams = new Set<EventStream>();
  private listener: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private notifying = false;
  private notifyAgain = false;
  private stopped = false;
  /** Incremented per poll that read rows (tests and metrics). */
  polls = 0;

  /**
   * The hub's own small pool (polls, replays, the wake-up signal): it never waits behind
   * request traffic for a connection, and its statements stay out of the request pool's
   * query counter.
   */
  private readonly pool: Pool;

  private constructor(
    readonly dataSource: DataSource,
    private readonly url: string,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {
    this.pool = new Pool({ connectionString: url, max: 3, application_name: 'voice-minutes-api-events' });
    this.pool.on('error', (error) => logger.warn('event pool connection error', { message: error.message }));
  }

  private async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, any>>> {
    return (await this.pool.query(sql, params)).rows;
  }

  static async start(dataSource: DataSource, logger: Logger, options: { pollMs?: number } = {}): Promise<EventHub> {
    const url = (dataSource.options as { url?: string }).url;
    if (!url) throw new Error('the event hub needs the DataSource to be configured with a url');
    const hub = new EventHub(dataSource, url, logger, options.pollMs ?? 250);
    const [{ xmin }] = await hub.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    hub.frontier = BigInt(xmin);
    dataSource.subscribers.push({ afterTransactionCommit: () => hub.afterLocalCommit() });
    await hub.connectListener();
    hub.timer = setInterval(() => hub.wake(), hub.pollMs);
    hub.timer.unref();
    return hub;
  }

  get subscriberCount(): number {
    return this.streams.size;
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
          this.notifyAgain = false;
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
          this.pollAgain = false;
          await this.poll();
        } while (this.pollAgain && !this.stopped);
      } catch (error) {
        if (!this.stopped) this.logger.warn('outbox poll failed', { message: (error as Error).message });
      } finally {
        this.polling = undefined;
      }
    })();
  }

  private async poll(): Promise<void> {
    const [{ xmin }] = await this.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    const upTo = BigInt(xmin);
    if (upTo <= this.frontier) return;
    const raw = await this.query(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox_events WHERE xid >= $1::xid8 AND xid < $2::xid8 ORDER BY outbox_events.xid, outbox_events.id`,
      [this.frontier.toString(), upTo.toString()],
    );
    // From here to the end of the fan-out nothing awaits: a stream that registers reads either the
    // old frontier (and gets these rows live) or the new one (and replays them from the table).
    this.frontier = upTo;
    if (raw.length === 0) return;
    this.polls += 1;
    const rows = raw.map(toOutboxRow);
    for (const stream of [...this.streams]) {
      for (const row of rows) stream.offer(row);
    }
  }

  /**
   * Opens a stream: registers it (so live rows are kept from now on), then replays the
   * rows after `after` below the frontier from the table, then hands over to live rows;
   * a row both replayed and kept live is delivered once (its cursor is not above the last one).
   */
  async open(scope: StreamScope, viewer: Viewer, after: Cursor | undefined): Promise<EventStream> {
    const stream = new EventStream(this, scope, viewer);
    this.streams.add(stream);
    const target = this.frontier;
    if (!after) {
      // "From now": the rows of transactions that had committed when the subscription started
      // (visible in a snapshot taken now) are history, even if this hub has not read them yet.
      try {
        const [{ snapshot }] = await this.query(`SELECT pg_current_snapshot()::text AS snapshot`);
        stream.startLive({ xid: target, id: -1n }, committedBefore(snapshot));
      } catch (error) {
        stream.return();
        throw error;
      }
      return stream;
    }
    let cursor = after;
    try {
      for (;;) {
        if (stream.closed) return stream;
        const raw = await this.query(
          `SELECT ${OUTBOX_COLUMNS} FROM outbox_events
            WHERE (xid, id) > ($1::xid8, $2::bigint) AND xid < $3::xid8 AND agency_id = $4
              AND ($5::uuid IS NULL OR sub_account_id = $5::uuid) AND type = ANY($6::text[])
            ORDER BY outbox_events.xid, outbox_events.id LIMIT ${REPLAY_PAGE}`,
          [cursor.xid.toString(), cursor.id.toString(), target.toString(), scope.agencyId, scope.subAccountId ?? null, [...scope.types]],
        );
        const rows = raw.map(toOutboxRow);
        for (const row of rows) stream.replayed(row);
        if (rows.length < REPLAY_PAGE) break;
        cursor = rows[rows.length - 1];
      }
    } catch (error) {
      stream.return();
      throw error;
    }
    stream.startLive(after);
    return stream;
  }

  remove(stream: EventStream): void {
    this.streams.delete(stream);
  }

  private async connectListener(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: 'voice-minutes-api-listener' });
    client.on('notification', () => this.wake());
    client.on('error', (error) => {
      this.logger.warn('outbox listener lost; reconnecting (polling meanwhile)', { message: error.message });
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void this.connectListener().catch(() => undefined), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.listener = client;
    this.wake(); // whatever committed while not listening
  }

  /** Stops polling and listening; open streams are ended (the WebSocket server closes their sockets first). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const stream of [...this.streams]) stream.return();
    await this.polling;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
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

/**
 * One subscription's queue of events. Rows pass the authorization check for this viewer
 * (per event, not only at subscribe time); a revoked API key or the removal of the
 * sub-account it watches ends it with an error.
 */
export class EventStream implements AsyncIterableIterator<StreamItem> {
  private readonly queue: StreamItem[] = [];
  private readonly held: OutboxRow[] = [];
  private live = false;
  private cursor: Cursor = { xid: 0n, id: -1n };
  private waiting: ((result: IteratorResult<StreamItem>) => void) | undefined;
  private ending = false;
  /** Transactions that had committed before a stream without afterSequence started: not delivered. */
  private history: ((xid: bigint) => boolean) | undefined;
  closed = false;

  constructor(
    private readonly hub: EventHub,
    private readonly scope: StreamScope,
    private readonly viewer: Viewer,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Every committed row, live: control rows first, then the scope and authorization filter. */
  offer(row: OutboxRow): void {
    if (this.closed || this.ending) return;
    if (row.type === EventType.API_KEY_REVOKED && this.viewer.apiKeyId && row.refId === this.viewer.apiKeyId) {
      this.end(new UnauthenticatedError('The API key of this subscription was revoked'));
      return;
    }
    if (!this.matches(row)) {
      if (row.type === EventType.SUB_ACCOUNT_REMOVED && this.watches(row.subAccountId)) {
        this.end(new ForbiddenError('The sub-account of this subscription was removed'));
      }
      return;
    }
    if (this.live) this.push(row);
    else this.held.push(row);
  }

  /** A row read from the table while replaying. */
  replayed(row: OutboxRow): void {
    if (this.matches(row)) this.push(row);
  }

  startLive(from: Cursor, history?: (xid: bigint) => boolean): void {
    if (compareCursor(from, this.cursor) > 0) this.cursor = from;
    this.history = history;
    this.live = true;
    for (const row of this.held.splice(0)) this.push(row);
  }

  private watches(subAccountId: string | null): boolean {
    return subAccountId !== null && (this.scope.subAccountId === subAccountId || this.viewer.subAccountId === subAccountId);
  }

  private matches(row: OutboxRow): boolean {
    if (row.agencyId !== this.scope.agencyId || !this.scope.types.has(row.type)) return false;
    if (this.scope.subAccountId !== undefined && row.subAccountId !== this.scope.subAccountId) return false;
    // The per-event authorization check, with the same predicates as queries.
    if (this.scope.agencyWide) return canManageAgency(this.viewer, row.agencyId);
    return row.subAccountId !== null && canReadSubAccount(this.viewer, { id: row.subAccountId, agencyId: row.agencyId });
  }

  private push(row: OutboxRow): void {
    if (this.closed || this.ending) return;
    if (compareCursor(row, this.cursor) <= 0) return; // already delivered (replay/live seam)
    if (this.history?.(row.xid)) return;
    this.cursor = { xid: row.xid, id: row.id };
    if (this.queue.length >= MAX_QUEUED) {
      this.end(new ForbiddenError('The subscriber fell too far behind; resubscribe with afterSequence'));
      return;
    }
    this.deliver({ row });
  }

  private end(error: GraphQLError): void {
    this.ending = true;
    this.hub.remove(this);
    this.deliver({ end: error });
  }

  private deliver(item: StreamItem): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else this.queue.push(item);
  }

  next(): Promise<IteratorResult<StreamItem>> {
    const item = this.queue.shift();
    if (item) {
      if (item.end) this.closed = true;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.closed || this.ending) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<StreamItem>> {
    this.closed = true;
    this.hub.remove(this);
    this.queue.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
}

import type { Viewer } from '../auth/role';
import { canManageAgency, canReadSubAccount } from '../auth/access';
import { forbidden, resumeRequired, unauthenticated, type Refusal } from '../../shared/refusal';
import { compareCursor, encodeSequence, type Cursor, type OutboxRow } from '../outbox/outbox.entity';
import { EventType } from '../outbox/outbox-writer';

/** What one subscription receives: exactly the rows of `agencyId` (and `subAccountId`) of these types. */
export interface StreamScope {
  agencyId: string;
  subAccountId?: string;
  types: ReadonlySet<string>;
  /** agency-wide (agency admins) or one sub-account's view. */
  agencyWide: boolean;
}

/** An event to deliver, or the end of the stream with the reason the client is told. */
export type StreamItem = { row: OutboxRow; end?: undefined } | { end: Refusal; row?: undefined };

/**
 * A subscriber that does not keep up is ended with RESUME_REQUIRED (it resumes with
 * afterSequence) rather than buffered without bound; so is one whose replay is so long
 * that this many live events wait behind it.
 */
export const MAX_QUEUED = 10_000;
/** What a stream tells when it ends (the hub stops offering it rows). */
export interface StreamOwner {
  remove(stream: EventStream): void;
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
  /** A replay waiting for the consumer to take the queue down to `below` items. */
  private drainWaiter: { below: number; resolve: () => void } | undefined;
  /** An end (error) is queued: nothing more is delivered. */
  ending = false;
  /** Transactions that had committed before a stream without afterSequence started: not delivered. */
  private history: ((xid: bigint) => boolean) | undefined;
  closed = false;

  constructor(
    private readonly owner: StreamOwner,
    readonly scope: StreamScope,
    private readonly viewer: Viewer,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Every committed row, live: control rows first, then the scope and authorization filter. */
  offer(row: OutboxRow): void {
    if (this.closed || this.ending) return;
    if (row.type === EventType.API_KEY_REVOKED && this.viewer.apiKeyId && row.refId === this.viewer.apiKeyId) {
      this.end(unauthenticated('The API key of this subscription was revoked'));
      return;
    }
    if (!this.matches(row)) {
      if (row.type === EventType.SUB_ACCOUNT_REMOVED && this.watches(row.subAccountId)) {
        this.end(forbidden('The sub-account of this subscription was removed'));
      }
      return;
    }
    if (this.live) this.push(row);
    else if (this.held.length >= MAX_QUEUED) this.fallBehind(); // a replay too long to hold its live rows behind
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
    if (this.queue.length >= MAX_QUEUED) {
      this.fallBehind();
      return;
    }
    this.cursor = { xid: row.xid, id: row.id };
    this.deliver({ row });
  }

  /**
   * Ends the stream with RESUME_REQUIRED and the sequence to resume after: the last row
   * queued, which the client receives before this error. (A stream "from now" that sent
   * nothing yet resumes from its start; no row has id 0.)
   */
  private fallBehind(): void {
    const resumeAfter = encodeSequence({ xid: this.cursor.xid, id: this.cursor.id < 0n ? 0n : this.cursor.id });
    this.end(resumeRequired(
      `The subscriber fell more than ${MAX_QUEUED} events behind; subscribe again with afterSequence "${resumeAfter}" to get the rest`,
      resumeAfter,
    ));
  }

  /** Ends the stream with an error queued behind the events already queued. */
  fail(error: Refusal): void {
    if (!this.closed && !this.ending) this.end(error);
  }

  private end(error: Refusal): void {
    this.ending = true;
    this.owner.remove(this);
    this.deliver({ end: error });
    this.releaseDrainWaiter(true);
  }

  private deliver(item: StreamItem): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else this.queue.push(item);
  }

  /**
   * Resolves once at most `items` are queued (the consumer took the rest), or the stream has
   * ended: the replay checks `closed` / `ending` before its next page.
   */
  drained(items: number): Promise<void> {
    if (this.queue.length <= items || this.closed || this.ending) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiter = { below: items, resolve };
    });
  }

  private releaseDrainWaiter(force: boolean): void {
    const waiter = this.drainWaiter;
    if (waiter && (force || this.queue.length <= waiter.below)) {
      this.drainWaiter = undefined;
      waiter.resolve();
    }
  }

  next(): Promise<IteratorResult<StreamItem>> {
    const item = this.queue.shift();
    this.releaseDrainWaiter(false);
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
    this.owner.remove(this);
    this.queue.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.releaseDrainWaiter(true);
    return Promise.resolve({ value: undefined, done: true });
  }
}


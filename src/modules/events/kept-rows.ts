import { compareCursor, type Cursor, type OutboxRow } from '../outbox/outbox.entity';

/**
 * The outbox rows a hub read last, kept so a resuming stream replays from memory: in
 * (xid, id) order, from `capacity` to 1.5 × as many (trimmed back in one splice), with
 * `after`, the cursor from which the copy is complete (every row above it that the hub
 * has read is here). Indexed by agency, so a resume walks only its own agency's rows.
 *
 * Why a class: the rows, their agency index and `after` must change together (append,
 * trim, prepend a backfill, forget); keeping them in one place keeps them consistent.
 */
export class KeptRows {
  private rows: OutboxRow[] = [];
  private byAgency = new Map<string, OutboxRow[]>();
  private completeAfter: Cursor;

  constructor(
    readonly capacity: number,
    after: Cursor,
  ) {
    this.completeAfter = after;
  }

  /** The copy is complete above this cursor. */
  get after(): Cursor {
    return this.completeAfter;
  }

  get size(): number {
    return this.rows.length;
  }

  /** Whether every row above `cursor` that the hub has read is kept. */
  covers(cursor: Cursor): boolean {
    return compareCursor(cursor, this.completeAfter) >= 0;
  }

  /** Rows just read, in cursor order and above every kept row. */
  append(rows: readonly OutboxRow[]): void {
    for (const row of rows) {
      this.rows.push(row);
      this.index(row);
    }
    // Trimmed back to `capacity` once it has grown half as much again (one splice per that
    // many rows), so the oldest rows, those a backfill just loaded included, stay for a while.
    if (this.rows.length > this.capacity * 1.5) {
      const dropped = this.rows.splice(0, this.rows.length - this.capacity);
      const last = dropped[dropped.length - 1];
      this.completeAfter = { xid: last.xid, id: last.id };
      this.reindex();
    }
  }

  /**
   * Older rows, in cursor order, directly below the kept ones: complete from `from` when
   * they are all the rows in (from, after], else from the oldest of them.
   */
  prepend(rows: readonly OutboxRow[], from: Cursor, complete: boolean): void {
    this.rows = [...rows, ...this.rows];
    this.reindex();
    this.completeAfter = complete || rows.length === 0 ? { xid: from.xid, id: from.id } : { xid: rows[0].xid, id: rows[0].id };
  }

  /** Forgets every row: the copy is complete from `after` (a hub that read nothing, moving on). */
  reset(after: Cursor): void {
    this.rows = [];
    this.byAgency.clear();
    this.completeAfter = after;
  }

  /**
   * The kept rows of `agencyId` above `cursor`, in order (call only when `covers(cursor)`): a
   * copy, so a replay that hands them out page by page is not disturbed by later appends,
   * trims or backfills.
   */
  agencyRowsAbove(agencyId: string, cursor: Cursor): OutboxRow[] {
    const rows = this.byAgency.get(agencyId) ?? [];
    return rows.slice(firstAbove(rows, cursor));
  }

  private index(row: OutboxRow): void {
    if (row.agencyId === null) return; // no stream's row: a platform key's revocation
    const rows = this.byAgency.get(row.agencyId);
    if (rows) rows.push(row);
    else this.byAgency.set(row.agencyId, [row]);
  }

  /** After a trim or a prepend (amortized: once per `capacity / 2` rows, or per backfill). */
  private reindex(): void {
    this.byAgency = new Map();
    for (const row of this.rows) this.index(row);
  }
}

/** The index of the first row above `after` in rows kept in cursor order (binary search). */
function firstAbove(rows: readonly OutboxRow[], after: Cursor): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareCursor(rows[mid], after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

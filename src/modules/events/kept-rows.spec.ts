import { KeptRows } from './kept-rows';
import type { OutboxRow } from '../outbox/outbox.entity';

const row = (xid: number, id: number, agencyId: string | null): OutboxRow =>
  ({ xid: BigInt(xid), id: BigInt(id), agencyId, type: 'BALANCE_CHANGED' }) as OutboxRow;
const ids = (rows: Iterable<OutboxRow>) => [...rows].map((r) => Number(r.id));

describe('KeptRows', () => {
  it('gives a resume only its agency’s rows above its cursor, in order', () => {
    const kept = new KeptRows(100, { xid: 10n, id: -1n });
    kept.append([row(10, 1, 'a'), row(10, 2, 'b'), row(11, 3, 'a'), row(11, 4, null), row(12, 5, 'a')]);
    expect(ids(kept.agencyRowsAbove('a', { xid: 10n, id: -1n }))).toEqual([1, 3, 5]);
    expect(ids(kept.agencyRowsAbove('a', { xid: 10n, id: 1n }))).toEqual([3, 5]);
    expect(ids(kept.agencyRowsAbove('a', { xid: 12n, id: 5n }))).toEqual([]);
    expect(ids(kept.agencyRowsAbove('b', { xid: 10n, id: -1n }))).toEqual([2]);
    expect(ids(kept.agencyRowsAbove('nobody', { xid: 0n, id: 0n }))).toEqual([]);
  });

  it('trims back to capacity once past 1.5 × and covers only from the last dropped row', () => {
    const kept = new KeptRows(4, { xid: 1n, id: -1n });
    kept.append([1, 2, 3, 4, 5, 6].map((n) => row(1, n, 'a')));
    expect(kept.size).toBe(6); // not past 1.5 × 4 yet
    kept.append([row(1, 7, 'a')]);
    expect(kept.size).toBe(4);
    expect(kept.after).toEqual({ xid: 1n, id: 3n });
    expect(kept.covers({ xid: 1n, id: 2n })).toBe(false);
    expect(kept.covers({ xid: 1n, id: 3n })).toBe(true);
    expect(ids(kept.agencyRowsAbove('a', { xid: 1n, id: 3n }))).toEqual([4, 5, 6, 7]);
  });

  it('takes a backfill below the kept rows: complete from its lower bound, or from its oldest row when it was cut', () => {
    const kept = new KeptRows(10, { xid: 5n, id: 0n });
    kept.append([row(5, 10, 'a')]);
    kept.prepend([row(3, 7, 'a'), row(4, 8, 'b')], { xid: 2n, id: 0n }, true);
    expect(kept.after).toEqual({ xid: 2n, id: 0n });
    expect(ids(kept.agencyRowsAbove('a', { xid: 2n, id: 0n }))).toEqual([7, 10]);

    const cut = new KeptRows(10, { xid: 5n, id: 0n });
    cut.prepend([row(3, 7, 'a'), row(4, 8, 'b')], { xid: 1n, id: 0n }, false);
    expect(cut.after).toEqual({ xid: 3n, id: 7n });
    expect(cut.covers({ xid: 2n, id: 0n })).toBe(false);
  });

  it('forgets every row on reset', () => {
    const kept = new KeptRows(10, { xid: 1n, id: -1n });
    kept.append([row(1, 1, 'a')]);
    kept.reset({ xid: 9n, id: -1n });
    expect(kept.size).toBe(0);
    expect(ids(kept.agencyRowsAbove('a', { xid: 0n, id: 0n }))).toEqual([]);
    expect(kept.covers({ xid: 1n, id: 1n })).toBe(false);
  });
});

import fc from 'fast-check';
import { planRange, type RangePlan } from './range-plan';
import { ALL_TIME } from '../../shared/time-range';

const d = (iso: string) => new Date(iso);

/** The plan written compactly: raw pieces as ISO pairs, rollup pieces as day pairs ("-" marks a subtracted one). */
function compact(plan: RangePlan) {
  return {
    raw: plan.raw.map((r) => [r.from.toISOString(), r.to.toISOString()]),
    daily: plan.daily.map((r) => [r.from, r.to, ...(r.sign < 0 ? ['-'] : [])]),
    monthly: plan.monthly.map((r) => [r.from, r.to]),
  };
}

describe('planRange', () => {
  it.each<[string, string, string, ReturnType<typeof compact>]>([
    ['within one day', '2026-03-10T08:00:00.000Z', '2026-03-10T09:30:00.000Z',
      { raw: [['2026-03-10T08:00:00.000Z', '2026-03-10T09:30:00.000Z']], daily: [], monthly: [] }],
    ['across one midnight without a whole day', '2026-03-10T22:00:00.000Z', '2026-03-11T03:00:00.000Z',
      { raw: [['2026-03-10T22:00:00.000Z', '2026-03-11T03:00:00.000Z']], daily: [], monthly: [] }],
    ['exactly one day', '2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z',
      { raw: [], daily: [['2026-03-10', '2026-03-11']], monthly: [] }],
    ['a week at odd instants', '2026-03-10T08:00:00.000Z', '2026-03-17T08:00:00.000Z',
      { raw: [['2026-03-10T08:00:00.000Z', '2026-03-11T00:00:00.000Z'], ['2026-03-17T00:00:00.000Z', '2026-03-17T08:00:00.000Z']],
        daily: [['2026-03-11', '2026-03-17']], monthly: [] }],
    ['one calendar month', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z',
      { raw: [], daily: [], monthly: [['2026-02-01', '2026-03-01']] }],
    ['a calendar year', '2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
      { raw: [], daily: [], monthly: [['2025-01-01', '2026-01-01']] }],
    ['a year at odd instants: the 10th is closer to the month start, so both edges subtract',
      '2025-03-10T08:00:00.000Z', '2026-03-10T08:00:00.000Z',
      { raw: [['2025-03-10T08:00:00.000Z', '2025-03-11T00:00:00.000Z'], ['2026-03-10T00:00:00.000Z', '2026-03-10T08:00:00.000Z']],
        daily: [['2025-03-01', '2025-03-11', '-'], ['2026-03-01', '2026-03-10']], monthly: [['2025-03-01', '2026-03-01']] }],
    ['a year from the 25th: the rest of that month is added, the end month subtracted',
      '2025-03-25T00:00:00.000Z', '2026-03-25T00:00:00.000Z',
      { raw: [], daily: [['2025-03-25', '2025-04-01'], ['2026-03-25', '2026-04-01', '-']], monthly: [['2025-04-01', '2026-04-01']] }],
    ['from a month start to mid-month', '2026-01-01T00:00:00.000Z', '2026-02-15T12:00:00.000Z',
      { raw: [['2026-02-15T00:00:00.000Z', '2026-02-15T12:00:00.000Z']], daily: [['2026-02-01', '2026-02-15']], monthly: [['2026-01-01', '2026-02-01']] }],
    ['a partial first day that ends at a month start', '2026-01-31T23:00:00.000Z', '2026-03-01T00:00:00.000Z',
      { raw: [['2026-01-31T23:00:00.000Z', '2026-02-01T00:00:00.000Z']], daily: [], monthly: [['2026-02-01', '2026-03-01']] }],
    ['most of one month: the month minus its first and last days', '2026-03-03T00:00:00.000Z', '2026-03-29T00:00:00.000Z',
      { raw: [], daily: [['2026-03-01', '2026-03-03', '-'], ['2026-03-29', '2026-04-01', '-']], monthly: [['2026-03-01', '2026-04-01']] }],
    ['a few days inside one month, day by day', '2026-02-10T00:00:00.000Z', '2026-02-17T00:00:00.000Z',
      { raw: [], daily: [['2026-02-10', '2026-02-17']], monthly: [] }],
    ['whole days across a month boundary without a whole month', '2026-01-20T00:00:00.000Z', '2026-02-10T00:00:00.000Z',
      { raw: [], daily: [['2026-01-20', '2026-02-10']], monthly: [] }],
    ['one millisecond', '2026-03-10T08:00:00.000Z', '2026-03-10T08:00:00.001Z',
      { raw: [['2026-03-10T08:00:00.000Z', '2026-03-10T08:00:00.001Z']], daily: [], monthly: [] }],
    ['leap day', '2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z',
      { raw: [], daily: [['2028-02-29', '2028-03-01']], monthly: [] }],
  ])('%s', (_name, from, to, expected) => {
    expect(compact(planRange(d(from), d(to)))).toEqual(expected);
  });

  it('reads only monthly rollups for all time', () => {
    expect(compact(planRange(ALL_TIME.from, ALL_TIME.to))).toEqual({ raw: [], daily: [], monthly: [['1970-01-01', '9999-01-01']] });
  });

  it('returns nothing for an empty range', () => {
    expect(compact(planRange(d('2026-03-10T08:00:00.000Z'), d('2026-03-10T08:00:00.000Z')))).toEqual({ raw: [], daily: [], monthly: [] });
  });

  const DAY = 86_400_000;
  const dayMs = (day: string) => Date.parse(day + 'T00:00:00.000Z');
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
  /** Instants, often snapped to midnights and month starts, where the pieces change. */
  const edgy = fc.tuple(instant, fc.integer({ min: 0, max: 2 })).map(([ms, snap]) => {
    if (snap === 1) return Math.floor(ms / DAY) * DAY;
    if (snap === 2) return Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);
    return ms;
  });

  /** Property: the signed pieces count every instant inside [from, to) once and every other instant zero times. */
  it('covers every instant of the range exactly once', () => {
    fc.assert(
      fc.property(edgy, edgy, fc.array(instant, { minLength: 1, maxLength: 20 }), (a, b, probes) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const plan = planRange(new Date(from), new Date(to));
        const pieces = [
          ...plan.raw.map((r) => ({ lo: r.from.getTime(), hi: r.to.getTime(), sign: 1 })),
          ...plan.daily.map((r) => ({ lo: dayMs(r.from), hi: dayMs(r.to), sign: r.sign })),
          ...plan.monthly.map((r) => ({ lo: dayMs(r.from), hi: dayMs(r.to), sign: 1 })),
        ];
        for (const { lo, hi } of pieces) expect(lo).toBeLessThan(hi);
        for (const r of plan.monthly) expect([r.from.slice(8), r.to.slice(8)]).toEqual(['01', '01']);
        // Raw pieces never cover a whole day: those come from the rollups.
        for (const r of plan.raw) expect(r.to.getTime() - r.from.getTime()).toBeLessThan(2 * DAY);
        const signedLength = pieces.reduce((sum, p) => sum + p.sign * (p.hi - p.lo), 0);
        expect(signedLength).toBe(to - from);
        const dayEdges = [from, to - 1, to, Math.floor(from / DAY) * DAY, Math.floor(to / DAY) * DAY - 1];
        for (const probe of [...probes, ...dayEdges]) {
          const inside = probe >= from && probe < to ? 1 : 0;
          expect(pieces.filter((p) => probe >= p.lo && probe < p.hi).reduce((sum, p) => sum + p.sign, 0)).toBe(inside);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads at most about half a month of days at each end', () => {
    fc.assert(
      fc.property(edgy, edgy, (a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const days = planRange(new Date(from), new Date(to)).daily.reduce((sum, r) => sum + (dayMs(r.to) - dayMs(r.from)) / DAY, 0);
        expect(days).toBeLessThanOrEqual(32);
      }),
      { numRuns: 3000 },
    );
  });
});

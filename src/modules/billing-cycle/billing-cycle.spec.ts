import { addMonthsClamped, billingCycleAt } from './billing-cycle';

const d = (iso: string) => new Date(iso);

describe('addMonthsClamped', () => {
  it.each([
    ['2026-01-31T10:00:00.000Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', 1, '2028-02-29T10:00:00.000Z'],
    ['2026-01-31T10:00:00.000Z', 2, '2026-03-31T10:00:00.000Z'],
    ['2026-01-31T10:00:00.000Z', 3, '2026-04-30T10:00:00.000Z'],
    ['2026-03-15T00:00:00.000Z', 12, '2027-03-15T00:00:00.000Z'],
    ['2024-02-29T23:59:59.999Z', 12, '2025-02-28T23:59:59.999Z'],
    ['2024-02-29T23:59:59.999Z', 48, '2028-02-29T23:59:59.999Z'],
    ['2026-12-31T00:00:00.000Z', 2, '2027-02-28T00:00:00.000Z'],
  ])('should move %s by %i months to %s', (start, months, expected) => {
    expect(addMonthsClamped(d(start), months).toISOString()).toBe(expected);
  });
});

describe('billingCycleAt', () => {
  it.each([
    // started Jan 31: Feb 28 (or 29), then Mar 31 — the anchor does not drift
    ['2026-01-31T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z', '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
    ['2026-01-31T00:00:00.000Z', '2026-03-30T23:59:59.999Z', '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
    ['2026-01-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z'],
    ['2028-01-31T12:00:00.000Z', '2028-02-29T12:00:00.000Z', '2028-02-29T12:00:00.000Z', '2028-03-31T12:00:00.000Z'],
    ['2028-01-31T12:00:00.000Z', '2028-02-29T11:59:59.999Z', '2028-01-31T12:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    // years later
    ['2020-05-31T08:30:00.000Z', '2031-09-30T08:30:00.000Z', '2031-09-30T08:30:00.000Z', '2031-10-31T08:30:00.000Z'],
    ['2020-05-31T08:30:00.000Z', '2031-09-30T08:29:59.000Z', '2031-08-31T08:30:00.000Z', '2031-09-30T08:30:00.000Z'],
    // exactly at the start, and before it
    ['2026-06-15T00:00:00.000Z', '2026-06-15T00:00:00.000Z', '2026-06-15T00:00:00.000Z', '2026-07-15T00:00:00.000Z'],
    ['2026-06-15T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-06-15T00:00:00.000Z', '2026-07-15T00:00:00.000Z'],
  ])('should place a cycle started %s at %s in [%s, %s)', (startedAt, at, start, end) => {
    const cycle = billingCycleAt(d(startedAt), d(at));
    expect(cycle.start.toISOString()).toBe(start);
    expect(cycle.end.toISOString()).toBe(end);
    expect(cycle.nextBillingDate.toISOString()).toBe(end);
  });

  it('should always contain the instant, for every day over eight years', () => {
    const start = d('2024-01-31T06:00:00.000Z');
    for (let t = start.getTime(); t < start.getTime() + 8 * 366 * 86_400_000; t += 86_400_000 / 3) {
      const cycle = billingCycleAt(start, new Date(t));
      expect(cycle.start.getTime()).toBeLessThanOrEqual(t);
      expect(cycle.end.getTime()).toBeGreaterThan(t);
    }
  });
});

import { disputeHoldsFunds, disputeIsClosed, disputeStage, reversalTarget } from './reversal-terms';

describe('reversalTarget', () => {
  const purchase = { amountCents: 2000n, profitMicros: 4_000_000n }; // $20 at $0.20 with a $0.04 markup: $4 earned

  it.each([
    // refunded, disputed (held) → reversed cents, reversed profit
    [0n, 0n, 0n, 0n],
    [500n, 0n, 500n, 1_000_000n], // a quarter refunded: a quarter of the profit
    [2000n, 0n, 2000n, 4_000_000n], // all of it: exactly the profit earned
    [0n, 2000n, 2000n, 4_000_000n], // disputed in full
    [500n, 1500n, 2000n, 4_000_000n], // refunded in part, the rest disputed
    [1500n, 1500n, 2000n, 4_000_000n], // never more than the purchase
    [1n, 0n, 1n, 2_000n],
  ])('should hold %s refunded and %s disputed cents as reversed', (refundedCents, disputedHeldCents, cents, profit) => {
    expect(reversalTarget({ ...purchase, refundedCents, disputedHeldCents })).toEqual({ reversedCents: cents, reversedProfitMicros: profit });
  });

  it('should round the profit down on cumulative amounts, so a full reversal in any steps takes back exactly what was earned', () => {
    const odd = { amountCents: 333n, profitMicros: 1_000_001n };
    let booked = 0n;
    for (let cents = 1n; cents <= 333n; cents += 1n) {
      const target = reversalTarget({ ...odd, refundedCents: cents, disputedHeldCents: 0n }).reversedProfitMicros;
      expect(target).toBeGreaterThanOrEqual(booked); // monotone: never gives profit back by refunding more
      booked = target;
    }
    expect(booked).toBe(1_000_001n);
    expect(reversalTarget({ ...odd, refundedCents: 1n, disputedHeldCents: 0n }).reversedProfitMicros).toBe(3_003n); // 1,000,001 / 333, down
  });

  it('should take no profit back from a purchase that earned none (the primary pays the base price)', () => {
    expect(reversalTarget({ amountCents: 50n, profitMicros: 0n, refundedCents: 50n, disputedHeldCents: 0n })).toEqual({ reversedCents: 50n, reversedProfitMicros: 0n });
  });

  it('should refuse a purchase of no amount', () => {
    expect(() => reversalTarget({ amountCents: 0n, profitMicros: 0n, refundedCents: 0n, disputedHeldCents: 0n })).toThrow(RangeError);
  });
});

describe('dispute statuses', () => {
  it.each([
    ['warning_needs_response', false, false, 1],
    ['warning_under_review', false, false, 2],
    ['warning_closed', false, true, 3],
    ['needs_response', true, false, 1],
    ['under_review', true, false, 2],
    ['won', false, true, 3],
    ['lost', true, true, 3],
    ['charge_refunded', false, true, 3], // closed by a refund: the refund holds the money back
    ['something_new', false, false, 0],
  ])('%s: funds withdrawn %s, closed %s, stage %s', (status, held, closed, stage) => {
    expect([disputeHoldsFunds(status), disputeIsClosed(status), disputeStage(status)]).toEqual([held, closed, stage]);
  });
});

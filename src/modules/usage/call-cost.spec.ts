import fc from 'fast-check';
import { callCostMicros, callProfitMicros, minuteUnitsFromSeconds } from './call-cost';

describe('callCostMicros', () => {
  it.each<[string, number, bigint, bigint]>([
    ['a call of 0 seconds costs nothing', 0, 160_000n, 0n],
    ['a whole minute costs the price', 60, 160_000n, 160_000n],
    ['one second of Premium at the base price is 2,666.67 µ$, rounded up', 1, 160_000n, 2_667n],
    ['one second of Basic at the base price is exactly 1,500 µ$', 1, 90_000n, 1_500n],
    ['90 seconds of Basic with a $0.02 markup', 90, 110_000n, 165_000n],
    ['61 seconds of Premium with a $0.04 markup rounds up 203,333.33', 61, 200_000n, 203_334n],
    ['24 hours at the highest price stays exact', 86_400, 10_160_000n, 14_630_400_000n],
    ['a price of 1 µ$ per minute rounds any second up to 1 µ$', 1, 1n, 1n],
  ])('%s', (_name, seconds, price, cost) => {
    expect(callCostMicros(seconds, price)).toBe(cost);
  });

  it('is never less than the exact cost and less than a micro-dollar above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), fc.bigInt({ min: 1n, max: 10_160_000n }), (seconds, price) => {
        const cost = callCostMicros(seconds, price);
        const exactTimes60 = BigInt(seconds) * price;
        expect(cost * 60n >= exactTimes60).toBe(true);
        expect((cost - 1n) * 60n < exactTimes60).toBe(true);
      }),
    );
  });
});

describe('callProfitMicros', () => {
  it.each<[string, number, bigint, bigint]>([
    ['no markup, no profit', 120, 0n, 0n],
    ['a whole minute earns the markup', 60, 40_000n, 40_000n],
    ['one second of a $0.04 markup is 666.67 µ$, rounded down', 1, 40_000n, 666n],
    ['90 seconds of a $0.02 markup', 90, 20_000n, 30_000n],
  ])('%s', (_name, seconds, markup, profit) => {
    expect(callProfitMicros(seconds, markup)).toBe(profit);
  });

  it('never exceeds the cost of the same call', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400 }),
        fc.bigInt({ min: 1n, max: 160_000n }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        (seconds, base, markup) => {
          expect(callProfitMicros(seconds, markup) <= callCostMicros(seconds, base + markup)).toBe(true);
        },
      ),
    );
  });
});

describe('minuteUnitsFromSeconds', () => {
  it.each<[bigint, bigint]>([
    [0n, 0n],
    [60n, 10_000n],
    [1n, 167n], // 166.67 → 167
    [2n, 333n], // 333.33 → 333
    [3n, 500n],
    [59n, 9_833n], // 9,833.33
    [61n, 10_167n], // 10,166.67
    [86_400n, 14_400_000n],
    [31_536_000_000n, 5_256_000_000_000n], // a thousand years of calls stays exact
  ])('%s seconds are %s ten-thousandths of a minute', (seconds, units) => {
    expect(minuteUnitsFromSeconds(seconds)).toBe(units);
  });

  it('is within half a unit of seconds / 60', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (seconds) => {
        const units = minuteUnitsFromSeconds(seconds);
        const diffTimes60 = units * 60n - seconds * 10_000n; // (units − exact) × 60
        expect(diffTimes60 * 2n <= 60n && diffTimes60 * 2n >= -60n).toBe(true);
      }),
    );
  });
});

import { topUpTerms } from './top-up-terms';

const $ = (dollars: string) => BigInt(Math.round(Number(dollars) * 1e6)); // test inputs only, all exact in a double

describe('topUpTerms', () => {
  it.each([
    // amount, premium price, markup → cents, charged, minutes (1/10,000), profit
    ['20', '0.20', '0.04', 2000n, $('20'), 1_000_000n, $('4')], // the vendor's example: 100 minutes earn $4
    ['10.001', '0.20', '0.04', 1001n, $('10.01'), 500_500n, $('2.002')], // rounded up to the cent, booked as charged
    ['0.5', '0.16', '0', 50n, $('0.5'), 31_250n, 0n], // the primary pays the base price: no profit
    ['1', '0.30', '0.14', 100n, $('1'), 33_333n, 466_662n], // minutes and profit rounded down
    ['0.000001', '0.16', '0.01', 1n, $('0.01'), 625n, 625n],
  ])('should charge %s at a %s price with a %s markup as expected', (amount, price, markup, cents, charged, minutes, profit) => {
    expect(topUpTerms($(amount), $(price), $(markup))).toEqual({ amountCents: cents, chargedMicros: charged, minutesUnits: minutes, profitMicros: profit });
  });

  it('should never book more profit than the markup share of what was charged', () => {
    for (let cents = 1n; cents < 3000n; cents += 7n) {
      const terms = topUpTerms(cents * 10_000n, 163_337n, 73_337n);
      expect(terms.profitMicros * 163_337n).toBeLessThanOrEqual(terms.chargedMicros * 73_337n);
      expect(terms.profitMicros).toBeGreaterThanOrEqual(0n);
    }
  });

  it.each([[0n, 1n, 0n], [1n, 0n, 0n], [1n, 5n, 6n], [1n, 5n, -1n]])('should refuse %p, %p, %p', (amount, price, markup) => {
    expect(() => topUpTerms(amount, price, markup)).toThrow(RangeError);
  });
});

import { allocationCharge } from './allocation-terms';

describe('allocationCharge', () => {
  it('charges minutes at the client price, credits exactly the cents charged, earns minutes × markup', () => {
    // 100 Basic at $0.12 ($0.02 markup) and 50.5 Premium at $0.20 ($0.04 markup): $12 + $10.10.
    const terms = allocationCharge(
      { minutesUnits: 1_000_000n, priceMicros: 120_000n, markupMicros: 20_000n },
      { minutesUnits: 505_000n, priceMicros: 200_000n, markupMicros: 40_000n },
    );
    expect(terms).toEqual({ amountCents: 2210n, basicCreditMicros: 12_000_000n, premiumCreditMicros: 10_100_000n, profitMicros: 4_020_000n });
  });

  it('rounds the sum up to the cent and gives the rounding to the last tier bought', () => {
    const onlyBasic = allocationCharge({ minutesUnits: 1n, priceMicros: 120_000n, markupMicros: 20_000n }, { minutesUnits: 0n, priceMicros: 200_000n, markupMicros: 40_000n });
    expect(onlyBasic).toEqual({ amountCents: 1n, basicCreditMicros: 10_000n, premiumCreditMicros: 0n, profitMicros: 2n });
    const both = allocationCharge({ minutesUnits: 1n, priceMicros: 120_000n, markupMicros: 0n }, { minutesUnits: 1n, priceMicros: 200_000n, markupMicros: 0n });
    expect(both.basicCreditMicros + both.premiumCreditMicros).toBe(both.amountCents * 10_000n);
    expect(both.basicCreditMicros).toBe(12n);
  });

  it('refuses a markup above its price', () => {
    expect(() => allocationCharge({ minutesUnits: 1n, priceMicros: 1n, markupMicros: 2n }, { minutesUnits: 0n, priceMicros: 1n, markupMicros: 0n })).toThrow(RangeError);
  });
});

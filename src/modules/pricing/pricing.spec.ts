import fc from 'fast-check';
import {
  availableMinuteUnits, effectiveMarkupMicros, minutePriceMicros, quoteTransfer, type AgencyMarkups, type MinuteTier,
  type PlanPrices, type SubAccountPricing,
} from './pricing';

/** Minutes are exact to 1/10,000: one minute is 10,000 units. */
const UNITS = 10_000n;

const plan: PlanPrices = { basicPriceMicros: 90_000n, premiumPriceMicros: 160_000n };
const agency: AgencyMarkups = { defaultMarkupBasicMicros: 20_000n, defaultMarkupPremiumMicros: 40_000n };

const sub = (overrides: Partial<SubAccountPricing> = {}): SubAccountPricing => ({
  kind: 'SECONDARY',
  applyBasePrice: false,
  markupBasicMicros: null,
  markupPremiumMicros: null,
  ...overrides,
});

describe('effectiveMarkupMicros and minutePriceMicros', () => {
  it.each<[string, SubAccountPricing, MinuteTier, bigint, bigint]>([
    ['a secondary without override pays the agency default (basic)', sub(), 'BASIC', 20_000n, 110_000n],
    ['a secondary without override pays the agency default (premium)', sub(), 'PREMIUM', 40_000n, 200_000n],
    ['a secondary override replaces the default in its tier', sub({ markupBasicMicros: 5_000n }), 'BASIC', 5_000n, 95_000n],
    ['an override of one tier leaves the other on the default', sub({ markupBasicMicros: 5_000n }), 'PREMIUM', 40_000n, 200_000n],
    ['an override of zero is a real zero, not "use the default"', sub({ markupPremiumMicros: 0n }), 'PREMIUM', 0n, 160_000n],
    ['a large override is added as is', sub({ markupPremiumMicros: 10_000_000n }), 'PREMIUM', 10_000_000n, 10_160_000n],
    ['apply base price removes the default markup', sub({ applyBasePrice: true }), 'BASIC', 0n, 90_000n],
    [
      'apply base price wins over an override',
      sub({ applyBasePrice: true, markupBasicMicros: 7_000n, markupPremiumMicros: 9_000n }),
      'PREMIUM',
      0n,
      160_000n,
    ],
    ['the primary pays the base price (basic)', sub({ kind: 'PRIMARY', applyBasePrice: true }), 'BASIC', 0n, 90_000n],
    ['the primary pays the base price (premium)', sub({ kind: 'PRIMARY', applyBasePrice: true }), 'PREMIUM', 0n, 160_000n],
    [
      'the primary pays the base price even with markups stored on its row',
      sub({ kind: 'PRIMARY', applyBasePrice: false, markupBasicMicros: 1_000n, markupPremiumMicros: 2_000n }),
      'PREMIUM',
      0n,
      160_000n,
    ],
  ])('%s', (_name, pricing, tier, markup, price) => {
    expect(effectiveMarkupMicros(pricing, agency, tier)).toBe(markup);
    expect(minutePriceMicros(plan, agency, pricing, tier)).toBe(price);
  });

  it('follows a change of the agency default at once for sub-accounts without an override', () => {
    const changed: AgencyMarkups = { defaultMarkupBasicMicros: 1n, defaultMarkupPremiumMicros: 2n };
    expect(minutePriceMicros(plan, changed, sub(), 'BASIC')).toBe(90_001n);
    expect(minutePriceMicros(plan, changed, sub(), 'PREMIUM')).toBe(160_002n);
    expect(minutePriceMicros(plan, changed, sub({ markupPremiumMicros: 3n }), 'PREMIUM')).toBe(160_003n);
  });
});

describe('quoteTransfer', () => {
  it.each<[string, bigint, bigint, bigint, bigint, bigint]>([
    // name, minutes units, from price, to price, amount, minutes received units
    ['one minute between equal prices', 10_000n, 160_000n, 160_000n, 160_000n, 10_000n],
    ['0.0001 minute at $0.09 costs 9 micro-dollars and arrives whole', 1n, 90_000n, 90_000n, 9n, 1n],
    ['0.0001 minute at $0.16 to $0.20 is worth less than 0.0001 minute there', 1n, 160_000n, 200_000n, 16n, 0n],
    ['0.0001 minute at $0.090001 rounds the amount up to 10 micro-dollars', 1n, 90_001n, 90_001n, 10n, 1n],
    ['0.0001 minute at $0.123457 rounds 12.3457 micro-dollars up to 13', 1n, 123_457n, 123_457n, 13n, 1n],
    ['below $0.01 a minute, the rounded-up micro-dollar buys more than was sent', 1n, 1n, 1n, 1n, 10_000n],
    ['cheaper to dearer: 10 minutes at $0.16 buy 8 at $0.20', 100_000n, 160_000n, 200_000n, 1_600_000n, 80_000n],
    ['dearer to cheaper: 10 minutes at $0.20 buy 12.5 at $0.16', 100_000n, 200_000n, 160_000n, 2_000_000n, 125_000n],
    ['an inexact division rounds the minutes received down', 10_000n, 200_000n, 210_000n, 200_000n, 9_523n],
    ['an inexact amount rounds up, then the minutes down', 30_001n, 123_457n, 90_000n, 370_384n, 41_153n],
    ['fractional minutes with an exact amount', 3_333n, 160_000n, 170_000n, 53_328n, 3_136n],
    [
      '10,000,000 minutes at $0.16 to $0.20 are $1,600,000 and 8,000,000 minutes',
      10_000_000n * UNITS, 160_000n, 200_000n, 1_600_000_000_000n, 8_000_000n * UNITS,
    ],
    [
      '10,000,000 minutes at the largest price ($20.16) stay exact',
      10_000_000n * UNITS, 20_160_000n, 90_000n, 201_600_000_000_000n, 2_240_000_000n * UNITS,
    ],
  ])('%s', (_name, minutesUnits, fromPrice, toPrice, amount, received) => {
    expect(quoteTransfer(minutesUnits, fromPrice, toPrice)).toEqual({ amountMicros: amount, minutesReceivedUnits: received });
  });
});

describe('availableMinuteUnits', () => {
  it.each<[string, bigint, bigint, bigint]>([
    ['an empty wallet has no minutes', 0n, 160_000n, 0n],
    ['$16 at $0.16 is exactly 100 minutes', 16_000_000n, 160_000n, 1_000_000n],
    ['one micro-dollar is less than 0.0001 minute at $0.16', 1n, 160_000n, 0n],
    ['an inexact division rounds down ($1 at $0.30 = 3.3333)', 1_000_000n, 300_000n, 33_333n],
    ['$1 at $0.09 = 11.1111 minutes', 1_000_000n, 90_000n, 111_111n],
    ['a debt of one micro-dollar shows as -0.0001 minute (rounded toward minus infinity)', -1n, 160_000n, -1n],
    ['a debt of exactly 100 minutes is -100 minutes', -16_000_000n, 160_000n, -1_000_000n],
    ['an inexact debt rounds down (-$1 at $0.30 = -3.3334)', -1_000_000n, 300_000n, -33_334n],
  ])('%s', (_name, balance, price, units) => {
    expect(availableMinuteUnits(balance, price)).toBe(units);
  });
});

describe('pricing properties', () => {
  /** Any price from one micro-dollar to $20.16 per minute (base + the largest markup, with room). */
  const price = fc.bigInt({ min: 1n, max: 20_160_000n });
  /** Any valid transfer size: 0.0001 to 10,000,000 minutes. */
  const minutes = fc.bigInt({ min: 1n, max: 10_000_000n * UNITS });
  const markup = fc.option(fc.bigInt({ min: 0n, max: 10_000_000n }), { nil: null });
  const tier = fc.constantFrom<MinuteTier>('BASIC', 'PREMIUM');
  const planPrices = fc.record({ basicPriceMicros: price, premiumPriceMicros: price });
  const agencyMarkups = fc.record({
    defaultMarkupBasicMicros: fc.bigInt({ min: 0n, max: 10_000_000n }),
    defaultMarkupPremiumMicros: fc.bigInt({ min: 0n, max: 10_000_000n }),
  });
  const subPricing = fc.record<SubAccountPricing>({
    kind: fc.constantFrom('PRIMARY', 'SECONDARY'),
    applyBasePrice: fc.boolean(),
    markupBasicMicros: markup,
    markupPremiumMicros: markup,
  });

  it('charges at least minutes × price exactly and less than one micro-dollar more', () => {
    fc.assert(
      fc.property(minutes, price, price, (m, from, to) => {
        const { amountMicros } = quoteTransfer(m, from, to);
        expect(amountMicros * UNITS >= m * from).toBe(true);
        expect((amountMicros - 1n) * UNITS < m * from).toBe(true);
        expect(amountMicros > 0n).toBe(true);
      }),
    );
  });

  it('credits the largest whole number of 0.0001 minutes the amount pays for at the destination', () => {
    fc.assert(
      fc.property(minutes, price, price, (m, from, to) => {
        const { amountMicros, minutesReceivedUnits } = quoteTransfer(m, from, to);
        expect(minutesReceivedUnits >= 0n).toBe(true);
        expect(minutesReceivedUnits * to <= amountMicros * UNITS).toBe(true);
        expect((minutesReceivedUnits + 1n) * to > amountMicros * UNITS).toBe(true);
      }),
    );
  });

  it('never returns more dollars on a round trip A→B→A than it sent, at any price', () => {
    fc.assert(
      fc.property(minutes, price, price, (m, priceA, priceB) => {
        const there = quoteTransfer(m, priceA, priceB);
        fc.pre(there.minutesReceivedUnits > 0n);
        const back = quoteTransfer(there.minutesReceivedUnits, priceB, priceA);
        expect(back.amountMicros <= there.amountMicros).toBe(true);
      }),
    );
  });

  /*
   * Minutes are a view of dollars: the amount is rounded up to a whole micro-dollar, and
   * below $0.01 a minute a micro-dollar is worth more than 0.0001 minute, so the minute
   * count may grow while the dollars do not (0.0001 minute at $0.000001 costs 1 micro-dollar,
   * which is a whole minute there). Every real price is at least the $0.09 base price.
   */
  const realPrice = fc.bigInt({ min: 10_000n, max: 20_160_000n });

  it('never returns more minutes on a round trip A→B→A than it sent, at prices of $0.01 or more', () => {
    fc.assert(
      fc.property(minutes, realPrice, realPrice, (m, priceA, priceB) => {
        const there = quoteTransfer(m, priceA, priceB);
        fc.pre(there.minutesReceivedUnits > 0n);
        expect(quoteTransfer(there.minutesReceivedUnits, priceB, priceA).minutesReceivedUnits <= m).toBe(true);
      }),
    );
  });

  it('keeps the minutes whole between equal prices of $0.01 or more', () => {
    fc.assert(
      fc.property(minutes, realPrice, (m, p) => {
        expect(quoteTransfer(m, p, p).minutesReceivedUnits).toBe(m);
      }),
    );
  });

  it('lets a wallet send all its available minutes without overdrawing', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), price, price, (balance, from, to) => {
        const available = availableMinuteUnits(balance, from);
        fc.pre(available > 0n);
        expect(quoteTransfer(available, from, to).amountMicros <= balance).toBe(true);
        // …and one 0.0001 minute more would overdraw it.
        expect(quoteTransfer(available + 1n, from, to).amountMicros > balance).toBe(true);
      }),
    );
  });

  it('shows available minutes rounded toward minus infinity for any balance', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), price, (balance, p) => {
        const units = availableMinuteUnits(balance, p);
        expect(units * p <= balance * UNITS).toBe(true);
        expect((units + 1n) * p > balance * UNITS).toBe(true);
      }),
    );
  });

  it('charges the primary and apply-base-price sub-accounts the base price, everyone else at least that', () => {
    fc.assert(
      fc.property(planPrices, agencyMarkups, subPricing, tier, (p, a, s, t) => {
        const base = t === 'BASIC' ? p.basicPriceMicros : p.premiumPriceMicros;
        const client = minutePriceMicros(p, a, s, t);
        if (s.kind === 'PRIMARY' || s.applyBasePrice) expect(client).toBe(base);
        else expect(client >= base).toBe(true);
        expect(client - base).toBe(effectiveMarkupMicros(s, a, t));
      }),
    );
  });

  it('keeps the total and every balance non-negative over random sequences of transfers', () => {
    const wallets = 5;
    const operation = fc.record({
      from: fc.nat({ max: wallets - 1 }),
      to: fc.nat({ max: wallets - 1 }),
      minutes: fc.bigInt({ min: 1n, max: 1_000n * UNITS }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 500_000_000n }), { minLength: wallets, maxLength: wallets }),
        fc.array(price, { minLength: wallets, maxLength: wallets }),
        fc.array(operation, { maxLength: 200 }),
        (initial, prices, operations) => {
          const balances = [...initial];
          const total = balances.reduce((a, b) => a + b, 0n);
          for (const op of operations) {
            if (op.from === op.to) continue;
            const { amountMicros } = quoteTransfer(op.minutes, prices[op.from], prices[op.to]);
            // The ledger's guarded debit: a transfer the source cannot pay is refused whole.
            if (amountMicros > balances[op.from]) continue;
            balances[op.from] -= amountMicros;
            balances[op.to] += amountMicros;
          }
          expect(balances.reduce((a, b) => a + b, 0n)).toBe(total);
          expect(balances.every((b) => b >= 0n)).toBe(true);
        },
      ),
    );
  });
});

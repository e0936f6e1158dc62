import { divCeil, MINUTES_SCALE } from '../../shared/money';

const MICROS_PER_CENT = 10_000n;
const UNITS_PER_MINUTE = 10n ** BigInt(MINUTES_SCALE);

export interface TierPurchase {
  minutesUnits: bigint;
  priceMicros: bigint;
  markupMicros: bigint;
}

export interface AllocationCharge {
  /** What Stripe is asked for: the minutes at their client prices, rounded up to the cent. */
  amountCents: bigint;
  /** The wallet's credit per tier; together exactly what was charged (the cent's rounding goes to the last tier bought). */
  basicCreditMicros: bigint;
  premiumCreditMicros: bigint;
  /** Earned profit: minutes × markup per tier, each rounded down to the micro-dollar (the platform keeps the fraction). */
  profitMicros: bigint;
}

/**
 * A monthly auto allocation buys N minutes per tier at the sub-account's client prices
 * (DESIGN.md: the primary's card is charged `N × client price`). Each tier's cost is rounded
 * up to the micro-dollar like usage, the sum up to the cent for Stripe, and the wallet is
 * credited exactly the cents charged.
 */
export function allocationCharge(basic: TierPurchase, premium: TierPurchase): AllocationCharge {
  for (const tier of [basic, premium]) {
    if (tier.minutesUnits < 0n || tier.priceMicros <= 0n || tier.markupMicros < 0n || tier.markupMicros > tier.priceMicros) {
      throw new RangeError('minutes are non-negative and a price is positive and includes its markup');
    }
  }
  const basicCost = divCeil(basic.minutesUnits * basic.priceMicros, UNITS_PER_MINUTE);
  const premiumCost = divCeil(premium.minutesUnits * premium.priceMicros, UNITS_PER_MINUTE);
  const amountCents = divCeil(basicCost + premiumCost, MICROS_PER_CENT);
  const charged = amountCents * MICROS_PER_CENT;
  const basicCreditMicros = premium.minutesUnits > 0n ? basicCost : charged;
  return {
    amountCents,
    basicCreditMicros,
    premiumCreditMicros: charged - basicCreditMicros,
    profitMicros: (basic.minutesUnits * basic.markupMicros) / UNITS_PER_MINUTE + (premium.minutesUnits * premium.markupMicros) / UNITS_PER_MINUTE,
  };
}

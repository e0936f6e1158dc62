import { divCeil, MINUTES_SCALE } from '../../shared/money';

export const MICROS_PER_CENT = 10_000n;
/** Stripe's smallest USD charge. */
export const MIN_TOP_UP_CENTS = 50n;
/** Largest single top-up: $10,000 (a card charge far above any client's monthly use). */
export const MAX_TOP_UP_CENTS = 1_000_000n;

export interface TopUpTerms {
  /** What Stripe is asked for: the requested amount rounded up to the cent. */
  amountCents: bigint;
  /** Exactly what is charged, in micro-dollars: the wallet's credit. */
  chargedMicros: bigint;
  /** Premium minutes that buys at the client price, rounded down to 1/10,000 minute (like a transfer). */
  minutesUnits: bigint;
  /** Earned profit: minutes bought × the Premium markup, rounded down to the micro-dollar. */
  profitMicros: bigint;
}

/**
 * A dollar top-up buys Premium minutes at the sub-account's client price (bulk minutes are
 * always Premium, the vendor's rule) and earns the agency `minutes × markup`. Stripe
 * charges cents, so the amount is rounded up to the cent and the wallet is credited
 * exactly what was charged. The agency's share is rounded down: the platform, not the
 * agency, keeps the fraction of a micro-dollar.
 */
export function topUpTerms(amountMicros: bigint, premiumPriceMicros: bigint, premiumMarkupMicros: bigint): TopUpTerms {
  if (amountMicros <= 0n) throw new RangeError('a top-up amount must be positive');
  if (premiumPriceMicros <= 0n || premiumMarkupMicros < 0n || premiumMarkupMicros > premiumPriceMicros) {
    throw new RangeError('a price is positive and includes its markup');
  }
  const amountCents = divCeil(amountMicros, MICROS_PER_CENT);
  const chargedMicros = amountCents * MICROS_PER_CENT;
  const unitsPerMinute = 10n ** BigInt(MINUTES_SCALE);
  const minutesUnits = (chargedMicros * unitsPerMinute) / premiumPriceMicros;
  const profitMicros = (minutesUnits * premiumMarkupMicros) / unitsPerMinute;
  return { amountCents, chargedMicros, minutesUnits, profitMicros };
}

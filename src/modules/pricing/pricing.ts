import { ErrorCode } from '../../shared/domain-error';
import { MINUTES_SCALE, divCeil, divFloor } from '../../shared/money';
import { validMicrosUpTo } from '../../shared/validation';

export type MinuteTier = 'BASIC' | 'PREMIUM';
export const MINUTE_TIERS: MinuteTier[] = ['BASIC', 'PREMIUM'];

/** The largest markup an agency may set: $10.00 per minute (far above any real resale price). */
export const MAX_MARKUP_MICROS = 10_000_000n;

/** A markup in dollars per minute: 0 to $10, at most 6 fractional digits. */
export function validMarkupMicros(value: string, field: string[]): bigint {
  return validMicrosUpTo(
    value,
    MAX_MARKUP_MICROS,
    { code: ErrorCode.INVALID_MARKUP, message: 'A markup is a dollar amount per minute from 0 to 10 with at most 6 decimals' },
    field,
  );
}

export interface PlanPrices {
  basicPriceMicros: bigint;
  premiumPriceMicros: bigint;
}
export interface AgencyMarkups {
  defaultMarkupBasicMicros: bigint;
  defaultMarkupPremiumMicros: bigint;
}
export interface SubAccountPricing {
  kind: 'PRIMARY' | 'SECONDARY';
  applyBasePrice: boolean;
  markupBasicMicros: bigint | null;
  markupPremiumMicros: bigint | null;
}

export function basePriceMicros(plan: PlanPrices, tier: MinuteTier): bigint {
  return tier === 'BASIC' ? plan.basicPriceMicros : plan.premiumPriceMicros;
}

export function agencyDefaultMarkupMicros(agency: AgencyMarkups, tier: MinuteTier): bigint {
  return tier === 'BASIC' ? agency.defaultMarkupBasicMicros : agency.defaultMarkupPremiumMicros;
}

/**
 * The markup a sub-account pays per minute of a tier: none for the primary or with
 * "apply base price", else its own override, else the agency default (read at call
 * time, so a change of the default applies at once).
 */
export function effectiveMarkupMicros(sub: SubAccountPricing, agency: AgencyMarkups, tier: MinuteTier): bigint {
  if (sub.kind === 'PRIMARY' || sub.applyBasePrice) return 0n;
  const override = tier === 'BASIC' ? sub.markupBasicMicros : sub.markupPremiumMicros;
  return override ?? agencyDefaultMarkupMicros(agency, tier);
}

export function minutePriceMicros(
  plan: PlanPrices,
  agency: AgencyMarkups,
  sub: SubAccountPricing,
  tier: MinuteTier,
): bigint {
  return basePriceMicros(plan, tier) + effectiveMarkupMicros(sub, agency, tier);
}

/**
 * Minutes a balance buys at a price, in units of 1/10,000 minute, rounded down: a
 * wallet never shows a minute it cannot pay for. A negative balance gives negative minutes.
 */
export function availableMinuteUnits(balanceMicros: bigint, priceMicrosPerMinute: bigint): bigint {
  return divFloor(balanceMicros * 10n ** BigInt(MINUTES_SCALE), priceMicrosPerMinute);
}

export interface TransferQuoteFigures {
  /** Dollars leaving the source: minutes × source price, rounded up to the micro-dollar. */
  amountMicros: bigint;
  /** Minutes those dollars buy at the destination price, rounded down to 1/10,000 minute. */
  minutesReceivedUnits: bigint;
}

/**
 * A minute transfer keeps the dollar value: the same amount is debited and credited, so no
 * transfer creates or destroys money. Rounding the amount up and the received minutes down
 * means a round trip A→B→A can only lose a fraction of a minute, never gain one.
 */
export function quoteTransfer(minutesUnits: bigint, fromPriceMicros: bigint, toPriceMicros: bigint): TransferQuoteFigures {
  const unitsPerMinute = 10n ** BigInt(MINUTES_SCALE);
  const amountMicros = divCeil(minutesUnits * fromPriceMicros, unitsPerMinute);
  const minutesReceivedUnits = (amountMicros * unitsPerMinute) / toPriceMicros;
  return { amountMicros, minutesReceivedUnits };
}

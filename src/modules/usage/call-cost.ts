import { divCeil, MINUTES_SCALE } from '../../shared/money';

const SECONDS_PER_MINUTE = 60n;
const MINUTE_UNITS = 10n ** BigInt(MINUTES_SCALE);

/**
 * What a call costs: `seconds / 60 × price per minute`, rounded up to the micro-dollar
 * (DESIGN.md). A call of 0 seconds costs nothing.
 */
export function callCostMicros(durationSeconds: number, priceMicrosPerMinute: bigint): bigint {
  return divCeil(BigInt(durationSeconds) * priceMicrosPerMinute, SECONDS_PER_MINUTE);
}

/**
 * The agency's share of a call: `seconds / 60 × markup per minute`, rounded down, so a
 * report never shows more profit than the markup really earned. Always ≤ the cost.
 */
export function callProfitMicros(durationSeconds: number, markupMicrosPerMinute: bigint): bigint {
  return (BigInt(durationSeconds) * markupMicrosPerMinute) / SECONDS_PER_MINUTE;
}

/**
 * Seconds as minutes in units of 1/10,000 minute, rounded to the nearest unit. There are
 * no ties: `seconds × 10,000 / 60` leaves 0, 1/3 or 2/3 of a unit.
 */
export function minuteUnitsFromSeconds(seconds: bigint): bigint {
  const numerator = seconds * MINUTE_UNITS;
  return (2n * numerator + SECONDS_PER_MINUTE) / (2n * SECONDS_PER_MINUTE);
}

/**
 * Money is integer micro-dollars (`bigint`) everywhere in the process and the database,
 * exact decimal strings on the wire. Nothing here ever goes through a JS number.
 */
export const MICROS_PER_DOLLAR = 1_000_000n;
export const MONEY_SCALE = 6;
/** Minutes are exact to 1/10,000 of a minute on the wire. */
export const MINUTES_SCALE = 4;

const DECIMAL_PATTERN = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses an exact decimal string into an integer scaled by 10^scale.
 * Returns undefined when the string is not a plain decimal or has more fractional
 * digits than `scale` (no silent rounding of input).
 */
export function parseScaled(value: string, scale: number): bigint | undefined {
  const match = DECIMAL_PATTERN.exec(value);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) return undefined;
  const units = BigInt(whole + fraction.padEnd(scale, '0'));
  return sign ? -units : units;
}

/** Formats a scaled integer as a decimal string, dropping trailing zeros but keeping `minFraction` digits. */
export function formatScaled(units: bigint, scale: number, minFraction = 0): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  let fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  if (fraction.length < minFraction) fraction = fraction.padEnd(minFraction, '0');
  return (negative ? '-' : '') + whole + (fraction ? '.' + fraction : '');
}

export const parseMicros = (value: string): bigint | undefined => parseScaled(value, MONEY_SCALE);
/** "12.5" → "12.50", "0.000001" stays; at least cents, at most micro-dollars. */
export const formatMicros = (micros: bigint): string => formatScaled(micros, MONEY_SCALE, 2);

/** Division of non-negative numerator by positive denominator, rounded toward +∞. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const q = numerator / denominator;
  return numerator % denominator > 0n ? q + 1n : q;
}

/** Division rounded toward −∞ (floor), for either sign of the numerator. */
export function divFloor(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const q = numerator / denominator;
  return numerator % denominator < 0n ? q - 1n : q;
}

/**
 * Money on the page: the API's Decimal strings held as integer micro-dollars (bigint), so
 * rebuilding a balance history by subtracting transfers is exact. Only the chart turns a
 * balance into a float, for a pixel position.
 */
const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/** "12.5" → 12_500_000n; throws on anything that is not a Decimal with at most 6 decimals. */
export function toMicros(decimal: string): bigint {
  const match = DECIMAL.exec(decimal);
  if (!match) throw new Error(`Not a Decimal amount: ${decimal}`);
  const micros = BigInt(match[2]) * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return match[1] ? -micros : micros;
}

/** 12_500_000n → "$12.50", -1_234_567n → "−$1.234567": exact, at least two decimals. */
export function formatDollars(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = (abs / 1_000_000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0{1,4}$/, '');
  return `${negative ? '−' : ''}$${whole}.${fraction}`;
}

/** Dollars as a float, for drawing only. */
export const dollarsForChart = (micros: bigint): number => Number(micros) / 1_000_000;

import { DomainError, ErrorCode } from '../../shared/domain-error';
import { parseMicros } from '../../shared/money';

/** Highest low-balance threshold a wallet accepts: $1,000,000, the size of the largest manual adjustment. */
export const MAX_LOW_BALANCE_THRESHOLD_MICROS = 1_000_000n * 1_000_000n;

/**
 * A low-balance threshold in dollars: 0 to 1,000,000, at most 6 decimals (micro-dollars).
 * 0 turns LOW_BALANCE off (a balance is never below 0 without being DEPLETED); the
 * DEPLETED and RECOVERED crossings still happen.
 */
export function validLowBalanceThresholdMicros(value: string, field: string[]): bigint {
  const micros = parseMicros(value);
  if (micros === undefined || micros < 0n || micros > MAX_LOW_BALANCE_THRESHOLD_MICROS) {
    throw new DomainError(
      ErrorCode.INVALID_AMOUNT,
      'A low-balance threshold is a dollar amount from 0 to 1,000,000 with at most 6 decimals',
      field,
    );
  }
  return micros;
}

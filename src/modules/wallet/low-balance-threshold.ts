import { ErrorCode } from '../../shared/domain-error';
import { validMicrosUpTo } from '../../shared/validation';

/** Highest low-balance threshold a wallet accepts: $1,000,000, the size of the largest manual adjustment. */
export const MAX_LOW_BALANCE_THRESHOLD_MICROS = 1_000_000n * 1_000_000n;

/**
 * A low-balance threshold in dollars: 0 to 1,000,000, at most 6 decimals (micro-dollars).
 * 0 turns LOW_BALANCE off (a balance is never below 0 without being DEPLETED); the
 * DEPLETED and RECOVERED crossings still happen.
 */
export function validLowBalanceThresholdMicros(value: string, field: string[]): bigint {
  return validMicrosUpTo(
    value,
    MAX_LOW_BALANCE_THRESHOLD_MICROS,
    {
      code: ErrorCode.INVALID_AMOUNT,
      message: 'A low-balance threshold is a dollar amount from 0 to 1,000,000 with at most 6 decimals',
    },
    field,
  );
}

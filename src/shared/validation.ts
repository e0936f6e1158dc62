import { isEmail } from 'class-validator';
import { DomainError, ErrorCode } from './domain-error';
import { MINUTES_SCALE, parseMicros, parseScaled } from './money';

/** Trimmed display name, 1–200 characters, no control characters. */
export function validName(value: string, field: string[]): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 200 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DomainError(ErrorCode.INVALID_NAME, 'A name must have 1 to 200 characters and no control characters', field);
  }
  return name;
}

/** A deliverable-looking address; stored as typed (trimmed), compared case-insensitively. */
export function validEmail(value: string, field: string[]): string {
  const email = value.trim();
  if (email.length > 254 || !isEmail(email, { allow_display_name: false, require_tld: true, allow_ip_domain: false })) {
    throw new DomainError(ErrorCode.INVALID_EMAIL, `"${email.slice(0, 60)}" is not a valid email address`, field);
  }
  return email;
}

/**
 * A dollar amount from 0 to `maxMicros` with at most 6 fractional digits (micro-dollars),
 * else a DomainError with `error`'s code and message on `field`.
 */
export function validMicrosUpTo(
  value: string,
  maxMicros: bigint,
  error: { code: ErrorCode; message: string },
  field: string[],
): bigint {
  const micros = parseMicros(value);
  if (micros === undefined || micros < 0n || micros > maxMicros) throw new DomainError(error.code, error.message, field);
  return micros;
}

/** Postgres error code for unique violations, with the constraint that fired. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  const name = e.constraint ?? e.driverError?.constraint;
  return code === '23505' && name === constraint;
}

/** Client idempotency keys: 1–200 characters of [A-Za-z0-9._:-] (system keys use "/" and never collide). */
export function validIdempotencyKey(value: string, field: string[] = ['idempotencyKey']): string {
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(value)) {
    throw new DomainError(
      ErrorCode.INVALID_IDEMPOTENCY_KEY,
      'An idempotency key has 1 to 200 characters among letters, digits, ".", "_", ":" and "-"',
      field,
    );
  }
  return value;
}

/** Optional free text of at most 500 characters; empty means none. */
export function validMemo(value: string | null | undefined, field: string[] = ['memo'], required = false): string | null {
  const memo = value?.trim() ?? '';
  if ((required && memo.length === 0) || memo.length > 500 || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(memo)) {
    throw new DomainError(ErrorCode.INVALID_MEMO, required ? 'A reason of 1 to 500 characters is required' : 'A memo has at most 500 characters', field);
  }
  return memo.length ? memo : null;
}

/** Positive minutes with at most 4 decimals, up to 10 million; in units of 1/10,000 minute. */
export function validMinuteUnits(value: string, field: string[]): bigint {
  const units = parseScaled(value, MINUTES_SCALE);
  if (units === undefined || units <= 0n || units > 10_000_000n * 10_000n) {
    throw new DomainError(ErrorCode.INVALID_MINUTES, 'Minutes must be positive, at most 10,000,000, with at most 4 decimals', field);
  }
  return units;
}

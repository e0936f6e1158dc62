import { isEmail } from 'class-validator';
import { DomainError, ErrorCode } from './domain-error';
import { parseMicros } from './money';
import { MAX_MARKUP_MICROS } from '../modules/pricing/pricing';

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

/** A markup in dollars per minute: 0 to $10, at most 6 fractional digits. */
export function validMarkupMicros(value: string, field: string[]): bigint {
  const micros = parseMicros(value);
  if (micros === undefined || micros < 0n || micros > MAX_MARKUP_MICROS) {
    throw new DomainError(
      ErrorCode.INVALID_MARKUP,
      'A markup is a dollar amount per minute from 0 to 10 with at most 6 decimals',
      field,
    );
  }
  return micros;
}

/** Postgres error code for unique violations, with the constraint that fired. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  const name = e.constraint ?? e.driverError?.constraint;
  return code === '23505' && name === constraint;
}

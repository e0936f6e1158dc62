/**
 * A business-rule failure. Resolvers turn it into a `userErrors` entry of the mutation
 * payload; the transaction it was thrown from rolls back, so a failed mutation changes nothing.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The codes clients can rely on. New codes are added here, never renamed. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_NAME: 'INVALID_NAME',
  INVALID_EMAIL: 'INVALID_EMAIL',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_MARKUP: 'INVALID_MARKUP',
  INVALID_DATE: 'INVALID_DATE',
  PLAN_LIMIT_REACHED: 'PLAN_LIMIT_REACHED',
  PLAN_TOO_SMALL: 'PLAN_TOO_SMALL',
  UNKNOWN_PLAN: 'UNKNOWN_PLAN',
  PLAN_NOT_AVAILABLE: 'PLAN_NOT_AVAILABLE',
  PRIMARY_NOT_REMOVABLE: 'PRIMARY_NOT_REMOVABLE',
  PRIMARY_PAYS_BASE_PRICE: 'PRIMARY_PAYS_BASE_PRICE',
  ALREADY_REMOVED: 'ALREADY_REMOVED',
  NOT_REMOVED: 'NOT_REMOVED',
  SUB_ACCOUNT_REMOVED: 'SUB_ACCOUNT_REMOVED',
  INVALID_ROLE_SCOPE: 'INVALID_ROLE_SCOPE',
  ALREADY_REVOKED: 'ALREADY_REVOKED',
  INVALID_MINUTES: 'INVALID_MINUTES',
  INVALID_AMOUNT: 'INVALID_AMOUNT',
  INVALID_IDEMPOTENCY_KEY: 'INVALID_IDEMPOTENCY_KEY',
  INVALID_MEMO: 'INVALID_MEMO',
  SAME_ACCOUNT: 'SAME_ACCOUNT',
  QUOTE_CHANGED: 'QUOTE_CHANGED',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  INVALID_EXTERNAL_CALL_ID: 'INVALID_EXTERNAL_CALL_ID',
  INVALID_DURATION: 'INVALID_DURATION',
  SCENARIO_LIMIT_REACHED: 'SCENARIO_LIMIT_REACHED',
  /** One item of a batch failed for a reason of the server's (logged); the other items were processed. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const notFound = (what: string, field: string[]): DomainError =>
  new DomainError(ErrorCode.NOT_FOUND, `${what} not found`, field);

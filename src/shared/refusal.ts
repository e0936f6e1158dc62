import { DomainError } from './domain-error';

/**
 * The codes of a request refused as a whole (not one business rule of a mutation, which is a
 * plain DomainError and lands in `userErrors`): the transport answers them as GraphQL errors
 * with these codes (src/graphql/errors.ts maps each to its error class and HTTP status).
 */
export type RefusalCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'RESUME_REQUIRED'
  | 'RESUME_TOO_OLD'
  | 'SERVICE_UNAVAILABLE';

/** What a client needs to act on a refusal; each becomes an `extensions` key of the same name. */
export interface RefusalDetails {
  /** The argument at fault (BAD_USER_INPUT). */
  field?: string;
  /** Resume the stream with `afterSequence` set to this (RESUME_REQUIRED). */
  resumeAfterSequence?: string;
  /** The oldest sequence still kept (RESUME_TOO_OLD). */
  oldestSequence?: string;
}

/**
 * A request the rules refuse as a whole: missing credentials, a role that may not do this,
 * malformed arguments, a stream to resume, an unavailable database. Services throw it without
 * knowing the transport; mutations rethrow it instead of reporting it in `userErrors`.
 */
export class Refusal extends DomainError {
  constructor(
    override readonly code: RefusalCode,
    message: string,
    readonly details: RefusalDetails = {},
  ) {
    super(code, message);
    this.name = 'Refusal';
  }
}

export const unauthenticated = (message = 'Authentication required: send "Authorization: Bearer <api key or token>"'): Refusal =>
  new Refusal('UNAUTHENTICATED', message);

/** Authenticated, but the role may not do this at all (out-of-tenant ids look like missing ones instead). */
export const forbidden = (message = 'Your role may not perform this operation'): Refusal => new Refusal('FORBIDDEN', message);

/** Malformed arguments of a query (mutations report business failures in `userErrors`). */
export const badUserInput = (message: string, field?: string): Refusal =>
  new Refusal('BAD_USER_INPUT', message, field ? { field } : {});

/** A stream ended because its subscriber fell behind: resume after the last sequence sent. */
export const resumeRequired = (message: string, resumeAfterSequence: string): Refusal =>
  new Refusal('RESUME_REQUIRED', message, { resumeAfterSequence });

/** A resume from a sequence whose following events retention has deleted. */
export const resumeTooOld = (oldestSequence: string): Refusal =>
  new Refusal(
    'RESUME_TOO_OLD',
    'Events after this afterSequence are no longer kept (retention); resume from extensions.oldestSequence, the oldest kept',
    { oldestSequence },
  );

/** The database is unreachable or restarting: the operation did not happen; retry shortly. */
export const serviceUnavailable = (message = 'The database is unavailable; retry shortly (mutations with the same idempotency key)'): Refusal =>
  new Refusal('SERVICE_UNAVAILABLE', message);

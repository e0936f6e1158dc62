import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../shared/logger';
import { DomainError } from '../shared/domain-error';
import { Refusal, serviceUnavailable } from '../shared/refusal';
import { isTransientConnectionError } from '../db/connect-retry';

/** Missing or invalid credentials. */
export class UnauthenticatedError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

/** Authenticated, but the role may not do this at all (out-of-tenant ids look like missing ones instead). */
export class ForbiddenError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'FORBIDDEN' } });
  }
}

/**
 * Over a rate limit: HTTP 429 with `Retry-After` (whole seconds), the same number in
 * `extensions.retryAfterSeconds` (also over WebSocket, where there are no headers).
 */
export class RateLimitedError extends GraphQLError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, {
      extensions: {
        code: 'RATE_LIMITED',
        retryAfterSeconds,
        http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
      },
    });
  }
}

/** Malformed arguments of a query (mutations report business failures in `userErrors`). */
export class BadUserInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
  }
}

/**
 * A stream ended because its subscriber fell behind (more events waiting for it than one
 * stream may hold): not an authorization failure. Subscribe again with
 * `afterSequence: extensions.resumeAfterSequence` (the last event sent before this error;
 * also the last one the client received, since the error comes after them) and nothing is
 * missed. `retryable: true`.
 */
export class ResumeRequiredError extends GraphQLError {
  constructor(message: string, resumeAfterSequence: string) {
    super(message, { extensions: { code: 'RESUME_REQUIRED', retryable: true, resumeAfterSequence } });
  }
}

/**
 * A resume from a sequence whose following events the retention job has deleted: refused
 * rather than silently skipping them. `extensions.oldestSequence` resumes from the oldest
 * events still kept (pass it as `afterSequence`); what lies between is gone.
 */
export class ResumeTooOldError extends GraphQLError {
  constructor(message: string, oldestSequence: string) {
    super(message, {
      extensions: { code: 'RESUME_TOO_OLD', oldestSequence },
    });
  }
}

/**
 * The database is unreachable or restarting (a connection refused, terminated or timed out):
 * the operation did not happen or rolled back, and the same request (mutations: with the same
 * idempotency key) may be retried in a moment. HTTP 503 with `Retry-After`.
 */
export class ServiceUnavailableError extends GraphQLError {
  constructor(message: string) {
    super(message, {
      extensions: {
        code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1,
        http: { status: 503, headers: new Map([['retry-after', '1']]) },
      },
    });
  }
}

/**
 * The GraphQL error of a service's refusal: its code's class, so that it carries the code's
 * HTTP status (401 from the context, 503) and its details as extensions.
 */
export function toGraphQLError(refusal: Refusal): GraphQLError {
  const { message, details } = refusal;
  switch (refusal.code) {
    case 'UNAUTHENTICATED':
      return withOriginal(new UnauthenticatedError(message), refusal);
    case 'FORBIDDEN':
      return withOriginal(new ForbiddenError(message), refusal);
    case 'BAD_USER_INPUT':
      return withOriginal(new BadUserInputError(message, details.field), refusal);
    case 'RESUME_REQUIRED':
      return withOriginal(new ResumeRequiredError(message, details.resumeAfterSequence ?? ''), refusal);
    case 'RESUME_TOO_OLD':
      return withOriginal(new ResumeTooOldError(message, details.oldestSequence ?? ''), refusal);
    case 'SERVICE_UNAVAILABLE':
      return withOriginal(new ServiceUnavailableError(message), refusal);
  }
}

/** A refusal as its GraphQL error; anything else unchanged. */
export const asGraphQLError = (error: unknown): unknown => (error instanceof Refusal ? toGraphQLError(error) : error);

/** Keeps the refusal's stack (where it was thrown) on the error that reports it. */
function withOriginal(error: GraphQLError, refusal: Refusal): GraphQLError {
  error.stack = refusal.stack;
  return error;
}

const CLIENT_CODES = new Set([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST',
  // WebSocket caps (src/modules/events): a subscription past the socket's cap; a socket past its budget.
  'TOO_MANY_SUBSCRIPTIONS', 'RATE_LIMITED',
  // Faults (docs/faults.md): resume a stream, resume from the oldest kept event, retry shortly.
  'RESUME_REQUIRED', 'RESUME_TOO_OLD', 'SERVICE_UNAVAILABLE',
]);

/** Extensions that client errors keep on their way out (every other key is dropped). */
const PASSED_EXTENSIONS = ['field', 'retryAfterSeconds', 'retryable', 'resumeAfterSequence', 'oldestSequence'] as const;

/**
 * The single mapper from thrown errors to what clients see: client errors pass through
 * with their code, type-graphql argument validation becomes BAD_USER_INPUT with the
 * constraint messages, and everything else is logged and replaced by a generic error
 * (no stack traces, SQL or internals leave the process).
 *
 * With `hideSuggestions` (production) graphql-js's "Did you mean …?" hints go, so that
 * error messages do not spell out the schema for whoever has introspection turned off.
 * Here rather than graphql-armor's block-field-suggestions, which is an Apollo plugin
 * (the WebSocket path does not run it) and misses "Did you mean the enum value …?".
 */
export function createErrorFormatter(logger: Logger, options: ErrorFormatOptions = { hideSuggestions: false }) {
  const format = formatterOf(logger);
  return (formatted: GraphQLFormattedError, error: unknown, request?: ErrorRequest): GraphQLFormattedError => {
    const of = request ?? requestOfError(error);
    let result = format(formatted, error, of?.logger);
    if (options.hideSuggestions) result = { ...result, message: withoutSuggestions(result.message) };
    options.countError?.(result.extensions?.code as string | undefined);
    // Every error names its request, so a client's report finds the server's log lines.
    if (of) result = { ...result, extensions: { ...result.extensions, requestId: of.requestId } };
    return result;
  };
}

export interface ErrorFormatOptions {
  /** Drop graphql-js's "Did you mean …?" hints (production). */
  hideSuggestions: boolean;
  /** Told the code of every error sent (the errors-by-code metric). */
  countError?: (code: string | undefined) => void;
}

/** The request an error belongs to: its id goes into `extensions.requestId`, an internal error is logged on its logger. */
export interface ErrorRequest {
  requestId: string;
  logger: Logger;
}

/**
 * Errors tagged with their request before Apollo formats them (formatError receives no
 * context): the observability plugin tags each error it is told of, the HTTP context
 * function the error it throws. Weak, so an error's tag goes with it.
 */
const errorRequests = new WeakMap<object, ErrorRequest>();

/** Tags errors with their request (see createErrorFormatter). */
export function tagErrors(errors: readonly unknown[], request: ErrorRequest): void {
  for (const error of errors) if (typeof error === 'object' && error !== null) errorRequests.set(error, request);
}

function requestOfError(error: unknown): ErrorRequest | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const tagged = errorRequests.get(error);
  if (tagged) return tagged;
  // Apollo wraps a thrown non-GraphQL error (context creation) in a GraphQLError of its own.
  const original = (error as { originalError?: unknown }).originalError;
  return typeof original === 'object' && original !== null ? errorRequests.get(original) : undefined;
}

/** A message without graphql-js's suggestions ("Did you mean "name"?", "Did you mean the enum value "BASIC"?"). */
export const withoutSuggestions = (message: string): string => message.replace(/\s*Did you mean [^?]*\?/g, '');

/** A client error's code and the extensions it keeps (PASSED_EXTENSIONS). */
function passedExtensions(from: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const extensions: Record<string, unknown> = { code: from?.code };
  for (const name of PASSED_EXTENSIONS) {
    const value = from?.[name];
    if (value !== undefined && value !== null && value !== '') extensions[name] = value;
  }
  return extensions;
}

/** What clients see of a refusal: its code's error, with the details it passes on. */
function refusalFormatted(refusal: Refusal, formatted: GraphQLFormattedError): GraphQLFormattedError {
  const refused = toGraphQLError(refusal);
  return { message: refused.message, path: formatted.path, locations: formatted.locations, extensions: passedExtensions(refused.extensions) };
}

function formatterOf(defaultLogger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown, requestLogger?: Logger): GraphQLFormattedError => {
    const logger = requestLogger ?? defaultLogger;
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code as string | undefined;
    if (original instanceof Error && original.name === 'ArgumentValidationError') {
      const details = (original as unknown as { extensions?: { validationErrors?: Array<{ property: string; constraints?: object }> } })
        .extensions?.validationErrors;
      const messages = (details ?? []).flatMap((d) => Object.values(d.constraints ?? {}) as string[]);
      return {
        message: messages.length ? `Invalid input: ${messages.join('; ')}` : 'Invalid input',
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    // A service refused the request as a whole: the code's error, with its details.
    if (original instanceof Refusal) return refusalFormatted(original, formatted);
    if (original instanceof DomainError) {
      // A business rule refused a query (mutations put these in userErrors instead).
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
      };
    }
    // graphql-js stops coercing variables after 50 errors with one more error that has no code
    // (Apollo files it as INTERNAL_SERVER_ERROR): the client's input, like the 50 before it.
    if ((!code || code === 'INTERNAL_SERVER_ERROR') && /^Too many errors processing variables/.test(formatted.message)) {
      return { message: formatted.message, extensions: { code: 'BAD_USER_INPUT' } };
    }
    if (code && CLIENT_CODES.has(code)) {
      return { message: formatted.message, path: formatted.path, locations: formatted.locations, extensions: passedExtensions(formatted.extensions) };
    }
    // A lost or refused database connection is the database's outage, not a bug: retryable.
    if (isTransientConnectionError(original) || isTransientConnectionError(error)) {
      logger.warn('operation failed on an unavailable database', { message: String((original as Error)?.message ?? original), path: formatted.path });
      return refusalFormatted(serviceUnavailable(), { ...formatted, locations: undefined });
    }
    logger.error('unhandled error in GraphQL operation', {
      message: original instanceof Error ? original.message : String(original),
      stack: original instanceof Error ? original.stack : undefined,
      path: formatted.path,
    });
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

import { GraphQLError } from 'graphql';
import { Logger } from '../shared/logger';
import { DomainError, ErrorCode } from '../shared/domain-error';
import { badUserInput, forbidden, Refusal, resumeRequired, resumeTooOld, serviceUnavailable, unauthenticated } from '../shared/refusal';
import { createErrorFormatter, toGraphQLError, UnauthenticatedError } from './errors';
import { mutationPayload } from './payload';

/** A formatter whose logged lines are kept (a refusal is the client's, never logged as a bug). */
function formatter() {
  const lines: string[] = [];
  const logger = new Logger('debug', { destination: { write: (line: string) => void lines.push(line) } });
  return { format: createErrorFormatter(logger), lines };
}

/** What Apollo hands the formatter for an error a resolver threw. */
const thrownByResolver = (error: Error) => new GraphQLError(error.message, { originalError: error, path: ['field'] });

describe('refusals from services (src/shared/refusal.ts) at the GraphQL boundary', () => {
  it.each([
    ['UNAUTHENTICATED', unauthenticated('The API key was revoked'), { code: 'UNAUTHENTICATED' }, 401],
    ['FORBIDDEN', forbidden('The CLIENT_ADMIN role may not read this'), { code: 'FORBIDDEN' }, undefined],
    ['BAD_USER_INPUT', badUserInput('`first` must be between 0 and 100', 'first'), { code: 'BAD_USER_INPUT', field: 'first' }, undefined],
    ['RESUME_REQUIRED', resumeRequired('Fell behind', 'c2VxOjQy'), { code: 'RESUME_REQUIRED', retryable: true, resumeAfterSequence: 'c2VxOjQy' }, undefined],
    ['RESUME_TOO_OLD', resumeTooOld('c2VxOjc'), { code: 'RESUME_TOO_OLD', oldestSequence: 'c2VxOjc' }, undefined],
    ['SERVICE_UNAVAILABLE', serviceUnavailable(), { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 }, 503],
  ])('should answer %s with its code, its details and its HTTP status', (_code, refusal, extensions, status) => {
    const mapped = toGraphQLError(refusal);
    expect(mapped.message).toBe(refusal.message);
    expect(mapped.extensions).toMatchObject(extensions);
    expect((mapped.extensions.http as { status?: number } | undefined)?.status).toBe(status);

    const { format, lines } = formatter();
    const formatted = format(thrownByResolver(refusal).toJSON(), thrownByResolver(refusal));
    expect(formatted).toEqual({ message: refusal.message, path: ['field'], extensions });
    expect(lines).toEqual([]);
  });

  it('should keep where the refusal was thrown on the error that reports it', () => {
    const refusal = forbidden();
    expect(toGraphQLError(refusal).stack).toBe(refusal.stack);
  });

  it('should let a mutation rethrow a refusal instead of reporting it in userErrors', async () => {
    await expect(mutationPayload('x', async () => { throw forbidden(); })).rejects.toBeInstanceOf(Refusal);
    await expect(mutationPayload('x', async () => { throw new DomainError(ErrorCode.INVALID_NAME, 'Bad name', ['name']); })).resolves.toEqual({
      x: null,
      userErrors: [{ code: 'INVALID_NAME', message: 'Bad name', field: ['name'] }],
    });
  });

  it('should map an unauthenticated refusal to the error class the transports test for', () => {
    expect(toGraphQLError(unauthenticated())).toBeInstanceOf(UnauthenticatedError);
  });
});

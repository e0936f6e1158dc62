import { randomUUID } from 'node:crypto';

/** The header a request id comes in and goes back in (CORS exposes it: src/graphql/cors.ts). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a client- or proxy-sent id may look like: 1 to 128 letters, digits and `._:-`
 * (UUIDs, ULIDs, most tracing ids). Anything else — too long, spaces, quotes, a header sent
 * twice (Node joins them with ", ") — is replaced, so an id never smuggles text into a log
 * line or a header.
 */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the `x-request-id` it came with when that is acceptable, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

/** A new id (WebSocket operations, which carry no headers of their own). */
export const newRequestId = (): string => randomUUID();

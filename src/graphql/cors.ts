import type { IncomingMessage, ServerResponse } from 'node:http';

/** Methods a cross-origin page may use on /graphql. */
export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Request headers a cross-origin page may send (besides the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, x-request-id';
/** Response headers a cross-origin page may read (besides the CORS-safelisted ones). */
export const CORS_EXPOSED_HEADERS = 'x-request-id';
/** Seconds a browser may reuse a preflight answer: one preflight per dashboard load, not per request. */
export const CORS_MAX_AGE_SECONDS = 600;

/** What the CORS step did with a request. */
export type CorsOutcome =
  /** Not a preflight: carry on with the request (headers for an allowed origin are already set). */
  | 'continue'
  /** A preflight, answered here (204 for an allowed origin, 403 otherwise). */
  | 'answered';

/**
 * CORS for GraphQL over HTTP, from the same allow-list as the WebSocket handshake
 * (CORS_ORIGINS). An allowed origin is echoed, never `*`, and no credentials are allowed:
 * dashboards authenticate with an `Authorization: Bearer` header, which a browser sends
 * cross-origin only after a preflight, so cookies never authenticate a cross-origin call.
 * An origin not on the list gets no CORS header at all: the browser then refuses to hand
 * the answer to the page.
 *
 * Call it first for every request to the GraphQL path; when it returns 'answered', the
 * response has been written.
 */
export function createCorsStep(allowedOrigins: readonly string[]): (req: IncomingMessage, res: ServerResponse) => CorsOutcome {
  const allowed = new Set(allowedOrigins);
  return (req, res) => {
    const origin = req.headers.origin;
    const isPreflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    // Answers depend on Origin whenever some origin may be allowed: caches must key on it.
    if (allowed.size > 0) res.setHeader('vary', 'Origin');
    const originAllowed = origin !== undefined && allowed.has(origin);
    if (originAllowed) res.setHeader('access-control-allow-origin', origin);

    if (!isPreflight) {
      if (originAllowed) res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS);
      return 'continue';
    }
    if (!originAllowed) {
      // Said plainly for whoever debugs it with curl; a browser only sees a failed preflight.
      const body = JSON.stringify({ errors: [{ message: `Origin ${origin} is not allowed: add it to CORS_ORIGINS`, extensions: { code: 'FORBIDDEN' } }] });
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return 'answered';
    }
    res.writeHead(204, {
      'access-control-allow-methods': CORS_ALLOWED_METHODS,
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      'content-length': 0,
    });
    res.end();
    return 'answered';
  };
}

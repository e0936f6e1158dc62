/**
 * The Content-Security-Policy of the playground's answers (its page, scripts, styles and
 * workers): only this origin's files run, styles and workers included; the only
 * connections are back to this origin, over HTTP (POST /graphql) and WebSocket ('self'
 * matches ws: and wss: on the same host in CSP 3). Fonts are inlined in the stylesheet as
 * data: URLs. No 'unsafe-inline', no 'unsafe-eval', nothing from a CDN.
 *
 * One function so that the API-wide security headers can merge it with theirs.
 */
export function playgroundContentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The Content-Security-Policy of the playground's answers (its page, scripts, styles and
 * workers): only this origin's files run, styles and workers included; the only
 * connections are back to this origin, over HTTP (POST /graphql) and WebSocket ('self'
 * matches ws: and wss: on the same host in CSP 3). Fonts are inlined in the stylesheet as
 * data: URLs. Nothing from a CDN, no 'unsafe-eval', no inline script.
 *
 * Styles allow 'unsafe-inline' on purpose: Monaco (GraphiQL 5's editor) writes `style`
 * attributes in the markup of every line it renders and its theme into <style> elements;
 * blocked, the editors lose their layout and colours. A nonce cannot cover style
 * attributes. Inline styles cannot run code, and scripts stay 'self' only.
 *
 * One function so that the API-wide security headers can merge it with theirs.
 */
export function playgroundContentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

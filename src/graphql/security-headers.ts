import type { ServerResponse } from 'node:http';

/**
 * What a page served by this API may load besides nothing. Every source is this origin
 * only ('self'): the playground is bundled from npm at build time and served by the API,
 * so no page of the API ever needs another origin (no CDN, no inline script or style).
 */
export interface PageSources {
  /** Its own bundled scripts (`script-src 'self'`). @default false */
  scripts?: boolean;
  /** Its own bundled style sheets (`style-src 'self'`). @default false */
  styles?: boolean;
  /** Its own images and fonts, and `data:` images (icons inlined by a bundler). @default false */
  images?: boolean;
  /** fetch and WebSocket to this origin (`connect-src 'self'`, which browsers match to ws(s) of the same host). @default false */
  connect?: boolean;
}

export interface SecurityHeaderOptions {
  /**
   * Adds `Strict-Transport-Security`. Only in production: there the API is reached over
   * HTTPS (TLS ends at the load balancer or here), while a developer's https://localhost
   * would otherwise be pinned to HTTPS for a year. Browsers ignore it over plain HTTP.
   * @default false
   */
  production?: boolean;
  /** The answer is an HTML page that loads its own assets; without it, the JSON policy (nothing may load). */
  page?: PageSources;
}

/** One year; no `includeSubDomains` or `preload`: the API does not own its parent domain's other hosts. */
const HSTS = 'max-age=31536000';

/**
 * The Content-Security-Policy of an answer. A JSON answer may load nothing, run nothing
 * and be framed by nobody, so a response rendered by mistake as a document is inert.
 */
export function contentSecurityPolicy(page?: PageSources): string {
  const directives = ["default-src 'none'"];
  if (page?.scripts) directives.push("script-src 'self'");
  if (page?.styles) directives.push("style-src 'self'");
  if (page?.images) directives.push("img-src 'self' data:", "font-src 'self'");
  if (page?.connect) directives.push("connect-src 'self'");
  directives.push("base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'");
  return directives.join('; ');
}

/** The security headers of every HTTP answer, as [name, value] pairs (computed once, set per answer). */
export function securityHeaders(options: SecurityHeaderOptions = {}): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    // Every answer is private to its caller (balances, keys): no browser or proxy may keep a copy.
    ['cache-control', 'no-store'],
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['content-security-policy', contentSecurityPolicy(options.page)],
    // frame-ancestors for browsers that predate it.
    ['x-frame-options', 'DENY'],
    // Other sites may not embed answers with <script>/<img> (CORS requests are unaffected).
    ['cross-origin-resource-policy', 'same-origin'],
  ];
  if (options.production) headers.push(['strict-transport-security', HSTS]);
  return headers;
}

/**
 * Sets the headers on a response before anything is written. Later `setHeader`/`writeHead`
 * calls of the handler merge with them, so the one call at the top of the request listener
 * covers every answer: GraphQL results, errors before Apollo (400, 413, 415), /health, 404.
 */
export function applySecurityHeaders(res: ServerResponse, headers: ReadonlyArray<[string, string]>): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

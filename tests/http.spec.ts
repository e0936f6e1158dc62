import http from 'node:http';
import { startTestApp, type TestApp } from './helpers/test-app';
import { MAX_BODY_BYTES } from '../src/graphql/http-handler';

/** One raw HTTP exchange, so the test controls every header and byte of the request. */
function exchange(
  app: TestApp,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname, port: url.port, method: options.method ?? 'POST', path: options.path ?? '/graphql',
        headers: options.headers ?? {}, agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (options.chunked && options.body) {
      const body = Buffer.from(options.body);
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

describe('GraphQL over HTTP', () => {
  let app: TestApp;
  let auth: Record<string, string>;
  beforeAll(async () => {
    app = await startTestApp();
    auth = { authorization: `Bearer ${app.platformKey}` };
  });
  afterAll(() => app.close());

  it('answers a JSON POST, with the query string ignored for the route', async () => {
    const response = await exchange(app, {
      path: '/graphql?x=1', headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/(graphql-response\+)?json/);
    expect(JSON.parse(response.body).data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
  });

  it('refuses a body that is not valid JSON with 400 and a JSON error', async () => {
    const response = await exchange(app, { headers: { ...auth, 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).errors[0].message).toMatch(/not valid JSON/);
  });

  it('refuses a body over the limit with 413, whether its length is declared or streamed', async () => {
    const big = JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    for (const chunked of [false, true]) {
      const response = await exchange(app, { headers: { ...auth, 'content-type': 'application/json' }, body: big, chunked });
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body).errors[0].message).toMatch(/larger than/);
    }
  });

  it('refuses a compressed body with 415', async () => {
    const response = await exchange(app, {
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'x',
    });
    expect(response.status).toBe(415);
  });

  it('leaves a POST that is not JSON to Apollo, which refuses it (CSRF prevention)', async () => {
    const response = await exchange(app, { headers: { ...auth, 'content-type': 'text/plain' }, body: '{ viewer { role } }' });
    expect(response.status).toBe(400);
    expect(response.body).not.toContain('PLATFORM_ADMIN');
  });

  it('serves the health check, and 404 elsewhere', async () => {
    const health = await exchange(app, { method: 'GET', path: '/health' });
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
    expect((await exchange(app, { method: 'GET', path: '/nothing' })).status).toBe(404);
  });

  describe('security headers', () => {
    const expectSecurityHeaders = (headers: http.IncomingHttpHeaders) => {
      expect(headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'cross-origin-resource-policy': 'same-origin',
      });
      // Outside production: a developer's https://localhost is not pinned to HTTPS.
      expect(headers['strict-transport-security']).toBeUndefined();
    };
    const json = { 'content-type': 'application/json' };

    it.each([
      ['a GraphQL result', () => ({ headers: { ...auth, ...json }, body: JSON.stringify({ query: '{ viewer { role } }' }) }), 200],
      ['a GraphQL error', () => ({ headers: { ...auth, ...json }, body: JSON.stringify({ query: '{ nothing }' }) }), 400],
      ['an unauthenticated request', () => ({ headers: json, body: JSON.stringify({ query: '{ viewer { role } }' }) }), 401],
      ['a body that is not JSON (400 before Apollo)', () => ({ headers: { ...auth, ...json }, body: '{' }), 400],
      ['a body over the limit (413 before Apollo)', () => ({ headers: { ...auth, ...json }, body: 'x'.repeat(MAX_BODY_BYTES + 1) }), 413],
      ['a compressed body (415 before Apollo)', () => ({ headers: { ...auth, ...json, 'content-encoding': 'gzip' }, body: 'x' }), 415],
      ['the health check', () => ({ method: 'GET', path: '/health' }), 200],
      ['an unknown path', () => ({ method: 'GET', path: '/nothing' }), 404],
    ])('are on %s', async (_label, request, status) => {
      const response = await exchange(app, request());
      expect(response.status).toBe(status);
      expectSecurityHeaders(response.headers);
    });

    it('add Strict-Transport-Security in production', async () => {
      const production = await startTestApp({ production: true });
      try {
        const response = await exchange(production, { method: 'GET', path: '/health' });
        expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
      } finally {
        await production.close();
      }
    });
  });

  it('refuses a persisted-query extension with PERSISTED_QUERY_NOT_SUPPORTED, never an internal error', async () => {
    for (const persistedQuery of [{ version: 1, sha256Hash: 'abc' }, { version: 1, sha256Hash: 'a'.repeat(64) }]) {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${app.platformKey}` },
        body: JSON.stringify({ query: '{ viewer { role } }', extensions: { persistedQuery } }),
      });
      const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
    }
  });

  it('serves the playground page to a browser on GET, under its own same-origin policy and the other headers', async () => {
    const page = await exchange(app, { method: 'GET', headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(page.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });
});

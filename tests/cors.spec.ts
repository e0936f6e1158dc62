import { startTestApp, type TestApp } from './helpers/test-app';
import { CORS_MAX_AGE_SECONDS } from '../src/graphql/cors';

const ALLOWED = 'https://app.agency.example';
const OTHER = 'https://evil.example';

describe('CORS on GraphQL over HTTP (CORS_ORIGINS)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ corsOrigins: [ALLOWED, 'http://localhost:3000'] });
  });
  afterAll(() => app.close());

  const preflight = (origin: string) =>
    fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const post = (origin?: string) =>
    fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.platformKey}`, ...(origin ? { origin } : {}) },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });

  it('should answer a preflight from an allowed origin with 204, the origin echoed, the methods, headers and max-age', async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('vary')).toMatch(/Origin/);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-request-id');
    expect(response.headers.get('access-control-max-age')).toBe(String(CORS_MAX_AGE_SECONDS));
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await response.text()).toBe('');
  });

  it('should refuse a preflight from an origin not on the list with 403 and no CORS header', async () => {
    const response = await preflight(OTHER);
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    expect(((await response.json()) as any).errors[0].message).toMatch(/not allowed: add it to CORS_ORIGINS/);
  });

  it('should echo an allowed origin on the actual answer and expose x-request-id', async () => {
    const response = await post(ALLOWED);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(response.headers.get('vary')).toMatch(/Origin/);
    expect(((await response.json()) as any).data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
  });

  it('should send no CORS header to another origin, nor to a client that sends no Origin', async () => {
    for (const origin of [OTHER, 'null', ALLOWED + '.evil.example', undefined]) {
      const response = await post(origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-expose-headers')).toBeNull();
      await response.text();
    }
  });

  it('should never answer with a wildcard origin', async () => {
    for (const origin of [ALLOWED, OTHER]) {
      const answers = [await preflight(origin), await post(origin)];
      for (const response of answers) {
        expect(response.headers.get('access-control-allow-origin')).not.toBe('*');
        await response.text();
      }
    }
  });

  it('should leave an OPTIONS request that is not a preflight to the API (no CORS headers)', async () => {
    const response = await fetch(app.url, { method: 'OPTIONS' });
    expect(response.status).not.toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    await response.text();
  });
});

describe('CORS with no CORS_ORIGINS', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('should allow no other origin', async () => {
    const response = await fetch(app.url, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

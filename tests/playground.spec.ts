import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startTestApp, type TestApp } from './helpers/test-app';
import { defaultPlaygroundDir } from '../src/modules/playground/playground-assets';
import { playgroundContentSecurityPolicy } from '../src/modules/playground/playground-csp';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const built = existsSync(path.join(defaultPlaygroundDir(), 'manifest.json'));

describe('the playground over HTTP', () => {
  let app: TestApp;
  let origin: string;
  beforeAll(async () => {
    if (!built) throw new Error(`The playground is not built (${defaultPlaygroundDir()}): run \`npm run build\` before these tests`);
    app = await startTestApp({ playgroundEnabled: true });
    origin = new URL(app.url).origin;
  });
  afterAll(() => app?.close());

  it('should serve GraphiQL at GET /graphql to a browser, under the playground CSP', async () => {
    const response = await fetch(app.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(playgroundContentSecurityPolicy());
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    expect(html).toContain('<div id="graphiql">');
    // Every script and stylesheet is one of ours, under /playground/.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:'));
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) {
      expect(url).toMatch(/^\/playground\//);
      const file = await fetch(origin + url);
      expect(file.status).toBe(200);
      expect(file.headers.get('cache-control')).toMatch(/immutable/);
      await file.arrayBuffer();
    }
  });

  it('should send the bundled script gzipped to a client that accepts it, and plain otherwise', async () => {
    const html = await (await fetch(app.url, { headers: { accept: BROWSER_ACCEPT } })).text();
    const script = html.match(/src="(\/playground\/[^"]+\.js)"/)![1];
    const raw = (options: { gzip: boolean }) =>
      new Promise<{ headers: http.IncomingHttpHeaders; length: number }>((resolve, reject) => {
        const req = http.get(origin + script, { headers: options.gzip ? { 'accept-encoding': 'gzip, br' } : {} }, (res) => {
          let length = 0;
          res.on('data', (chunk: Buffer) => (length += chunk.length));
          res.on('end', () => resolve({ headers: res.headers, length }));
        });
        req.on('error', reject);
      });
    const gzipped = await raw({ gzip: true });
    const plain = await raw({ gzip: false });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.length).toBeLessThan(plain.length / 2);
    expect(plain.headers['vary']).toMatch(/Accept-Encoding/);
  });

  it('should allow no inline script, no eval and no other origin in its CSP', () => {
    const csp = playgroundContentSecurityPolicy();
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/worker-src 'self'/);
  });

  it('should still answer GraphQL at /graphql: a POST, and a GET that is not from a browser', async () => {
    const post = await app.gql('{ viewer { role } }');
    expect(post.data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
    const get = await fetch(app.url, { headers: { accept: 'application/json' } });
    expect(get.headers.get('content-type')).not.toMatch(/html/);
    await get.text();
  });

  it('should answer 404 for a file it did not build, whatever the path', async () => {
    for (const file of ['nope.js', '..%2Fpackage.json', '../../package.json', 'manifest.json']) {
      const response = await fetch(`${origin}/playground/${file}`);
      expect(response.status).toBe(404);
      await response.text();
    }
  });
});

describe('the playground when disabled (ENABLE_PLAYGROUND=false)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ playgroundEnabled: false });
  });
  afterAll(() => app.close());

  it('should answer 404 JSON at GET /graphql for a browser and under /playground/, and load nothing from a CDN', async () => {
    for (const url of [app.url, new URL('/playground/index.html', app.url).href]) {
      const response = await fetch(url, { headers: { accept: BROWSER_ACCEPT } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await response.json()) as any).errors[0].message).toMatch(/ENABLE_PLAYGROUND=false/);
    }
  });

  it('should still answer GraphQL', async () => {
    expect((await app.gql('{ viewer { role } }')).data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
  });
});

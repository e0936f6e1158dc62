import { existsSync } from 'node:fs';
import path from 'node:path';
import { startTestApp, type TestApp } from './helpers/test-app';
import { defaultPlaygroundDir } from '../src/modules/playground/playground-assets';
import { monitorContentSecurityPolicy } from '../src/modules/monitor/monitor-route';

const built = existsSync(path.join(defaultPlaygroundDir('monitor'), 'manifest.json'));

describe('the monitor page over HTTP', () => {
  let app: TestApp;
  let origin: string;
  beforeAll(async () => {
    if (!built) throw new Error(`The monitor is not built (${defaultPlaygroundDir('monitor')}): run \`npm run build\` before these tests`);
    app = await startTestApp({ monitorEnabled: true, playgroundEnabled: false });
    origin = new URL(app.url).origin;
  });
  afterAll(() => app?.close());

  it('should serve the page at GET /monitor with its own files, under a CSP that allows this origin only and no inline style', async () => {
    const response = await fetch(`${origin}/monitor`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toBe(monitorContentSecurityPolicy());
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await response.text();
    expect(html).toContain('id="api-key"');
    expect(html).not.toMatch(/<script>|style=/);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:'));
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      expect(url).toMatch(/^\/monitor\/monitor-\w+\.(js|css)$/);
      const file = await fetch(origin + url);
      expect(file.status).toBe(200);
      expect(file.headers.get('cache-control')).toMatch(/immutable/);
      expect(file.headers.get('content-security-policy')).toBe(monitorContentSecurityPolicy());
      await file.arrayBuffer();
    }
  });

  it('should answer 404 for a file not in the bundle and 405 for a POST, never reaching the file system', async () => {
    for (const url of ['/monitor/manifest.json', '/monitor/../package.json', '/monitor/%2e%2e%2fpackage.json', '/monitor/nope.js']) {
      const response = await fetch(origin + url);
      expect([404]).toContain(response.status);
      await response.arrayBuffer();
    }
    const post = await fetch(`${origin}/monitor`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('the monitor page when disabled (ENABLE_MONITOR=false)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ monitorEnabled: false, playgroundEnabled: true });
  });
  afterAll(() => app?.close());

  it('should answer 404 JSON at /monitor and under /monitor/, while the API answers as before', async () => {
    for (const url of ['/monitor', '/monitor/index.html']) {
      const response = await fetch(new URL(url, app.url));
      expect(response.status).toBe(404);
      expect(((await response.json()) as any).errors[0].message).toMatch(/ENABLE_MONITOR=false/);
    }
    const { status, data } = await app.gql('{ viewer { role } }');
    expect(status).toBe(200);
    expect(data.viewer.role).toBe('PLATFORM_ADMIN');
  });
});

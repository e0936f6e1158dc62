import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { describeWithBrowser, launchBrowser, type TestBrowser } from '../helpers/browser';

/**
 * A dashboard on its own origin: a page whose script calls the API with a bearer key
 * (a preflighted cross-origin POST) and writes what it got into #result.
 */
const DASHBOARD_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>dashboard</title></head>
<body><pre id="result">pending</pre>
<script>
  const params = new URLSearchParams(location.search);
  fetch(params.get('api'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + params.get('key'), 'x-request-id': 'dashboard-1' },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  })
    .then(async (response) => ({ status: response.status, body: await response.json() }))
    .then((result) => { document.getElementById('result').textContent = JSON.stringify(result); })
    .catch((error) => { document.getElementById('result').textContent = JSON.stringify({ failed: String(error) }); });
</script>
</body></html>`;

async function dashboardResult(page: Page, url: string): Promise<{ status?: number; body?: any; failed?: string }> {
  await page.goto(url);
  await page.locator('#result').filter({ hasNotText: 'pending' }).waitFor({ timeout: 20_000 });
  return JSON.parse(await page.locator('#result').innerText());
}

describeWithBrowser('a dashboard on another origin, in a browser', () => {
  let app: TestApp;
  let browser: TestBrowser;
  let dashboard: http.Server;
  let dashboardPort: number;
  const preflights: Array<{ origin: string | undefined; status: number }> = [];
  const posts: Array<string | undefined> = [];

  beforeAll(async () => {
    dashboard = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(DASHBOARD_PAGE);
    });
    await new Promise<void>((resolve) => dashboard.listen(0, '127.0.0.1', resolve));
    dashboardPort = (dashboard.address() as AddressInfo).port;
    // One server, two origins: http://127.0.0.1:<port> is allowed, http://localhost:<port> is not.
    app = await startTestApp({ corsOrigins: [`http://127.0.0.1:${dashboardPort}`] });
    app.server.httpServer.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.method === 'OPTIONS') res.once('finish', () => preflights.push({ origin: req.headers.origin, status: res.statusCode }));
      if (req.method === 'POST') posts.push(req.headers.origin);
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await new Promise((resolve) => dashboard?.close(resolve));
  });

  const pageUrl = (host: string) => `http://${host}:${dashboardPort}/?api=${encodeURIComponent(app.url)}&key=${app.platformKey}`;

  it('should let a page on an origin in CORS_ORIGINS call the API and read the answer', async () => {
    const page = await browser.context.newPage();
    const result = await dashboardResult(page, pageUrl('127.0.0.1'));
    expect(result).toEqual({ status: 200, body: { data: { viewer: { role: 'PLATFORM_ADMIN' } } } });
    expect(preflights).toContainEqual({ origin: `http://127.0.0.1:${dashboardPort}`, status: 204 });
    await page.close();
  });

  it('should block a page on an origin not in CORS_ORIGINS (the preflight is refused, the request never sent)', async () => {
    const page = await browser.context.newPage();
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));
    const result = await dashboardResult(page, pageUrl('localhost'));
    expect(result.failed).toMatch(/Failed to fetch/);
    expect(result.body).toBeUndefined();
    expect(preflights).toContainEqual({ origin: `http://localhost:${dashboardPort}`, status: 403 });
    expect(posts).not.toContain(`http://localhost:${dashboardPort}`);
    expect(messages.join('\n')).toMatch(/blocked by CORS policy/);
    await page.close();
  });
});

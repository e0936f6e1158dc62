import type { Page, Request, WebSocket } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createAgency, createKey } from '../helpers/fixtures';
import { describeWithBrowser, eventually, launchBrowser, type TestBrowser } from '../helpers/browser';
import { liveAdjust } from '../helpers/browser-playground';

/** Text of a Monaco editor as shown (Monaco renders spaces as no-break spaces). */
async function editorText(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().innerText()) ?? '').replace(/\u00a0/g, ' ');
}

/** The same without any whitespace: the response editor wraps long ids across lines. */
const compact = (text: string) => text.replace(/\s+/g, '');

/** Puts the cursor inside `"Bearer "` of the headers editor and types the key there, as a person would. */
async function typeKeyInHeaders(page: Page, key: string): Promise<void> {
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  await page.locator('.graphiql-editor-tool').getByText('"Bearer "').click();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.type(key);
}

/** Runs one of the operations of the active tab (the execute button lists them when there are several). */
async function runOperation(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: /Execute query/ }).click();
  await page.getByRole('menuitem', { name, exact: true }).click();
}

describeWithBrowser('the playground in a browser', () => {
  let app: TestApp;
  let browser: TestBrowser;
  let page: Page;
  let origin: string;
  let agencyId: string;
  let primaryId: string;
  let key: string;
  const requests: Request[] = [];
  const sockets: WebSocket[] = [];
  // Frames of every socket, recorded from the socket's first event on: listeners added after
  // `waitForEvent('websocket')` resolves can miss the subscribe frame the page sent at once.
  const framesOf = new Map<WebSocket, string[]>();
  const cspViolations: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ playgroundEnabled: true });
    origin = new URL(app.url).origin;
    ({ agencyId, primaryId } = await createAgency(app));
    key = await createKey(app, 'AGENCY_ADMIN', { agencyId });
    browser = await launchBrowser();
    // Every request of the page and of its workers, from the first one on.
    browser.context.on('request', (request) => requests.push(request));
    page = await browser.context.newPage();
    page.on('websocket', (socket) => {
      sockets.push(socket);
      const frames: string[] = [];
      framesOf.set(socket, frames);
      socket.on('framesent', (frame) => frames.push(String(frame.payload)));
      socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(app.url);
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 60_000 });
    await page.waitForLoadState('networkidle');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('should load GraphiQL, its editors and their workers with no request to another origin and no CSP violation', async () => {
    expect(requests.length).toBeGreaterThan(3);
    const urls = requests.map((request) => request.url());
    for (const url of urls) expect(new URL(url).origin).toBe(origin);
    // Monaco's workers came from our own files.
    expect(urls.filter((url) => /\/playground\/[a-z]+\.worker-\w+\.js$/.test(url)).length).toBeGreaterThanOrEqual(1);
    expect(cspViolations).toEqual([]);
    // The headers editor starts with an empty bearer token; the example tabs are there.
    expect(await editorText(page, '.graphiql-editor-tool')).toContain('"Authorization": "Bearer "');
    for (const tab of ['Viewer', 'TransferQuote', 'RecordCallUsage', 'WalletBalanceChanged']) {
      await expect(page.locator('.graphiql-tab').filter({ hasText: tab }).count()).resolves.toBe(1);
    }
  });

  it('should run a query with the key typed into the headers editor', async () => {
    await typeKeyInHeaders(page, key);
    const sent = page.waitForRequest((request) => request.method() === 'POST' && (request.postData() ?? '').includes('"operationName":"Viewer"'));
    await runOperation(page, 'Viewer');
    expect((await sent).headers()['authorization']).toBe(`Bearer ${key}`);
    expect(await eventually(() => editorText(page, '.graphiql-response'), (text) => text.includes('"role"'))).toContain('"role": "AGENCY_ADMIN"');
    expect(compact(await editorText(page, '.graphiql-response'))).toContain(`"id":"${agencyId}"`);
  });

  it('should load the schema into the docs explorer with the key (introspection passes the limits)', async () => {
    await page.getByRole('button', { name: /Re-fetch GraphQL schema/ }).click();
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Mutation', { exact: true }).first().waitFor({ state: 'visible', timeout: 20_000 }).catch(async () => {
      const last = requests.filter((r) => (r.postData() ?? '').includes('IntrospectionQuery')).pop();
      const answer = last ? await (await last.response())?.text() : 'no introspection request';
      throw new Error(`The docs explorer shows no schema: ${await docs.innerText()}; the introspection answer: ${answer?.slice(0, 500)}`);
    });
  });

  it('should start a subscription over graphql-ws on the same URL and show an event caused through the API', async () => {
    await page.locator('.graphiql-tab').filter({ hasText: 'WalletBalanceChanged' }).locator('.graphiql-tab-button').click();
    // The key typed in the first tab carries over to this one, whose headers were untouched.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    expect(compact(await eventually(() => editorText(page, '.graphiql-editor-tool'), (text) => compact(text).includes(key)))).toContain(`"Authorization":"Bearer${key}"`);
    await page.getByRole('button', { name: 'Variables', exact: true }).click();
    await page.locator('.graphiql-editor-tool .monaco-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText: as pasted, so Monaco does not auto-close the braces and quotes.
    await page.keyboard.insertText(JSON.stringify({ agencyId }));

    const socketOpened = page.waitForEvent('websocket');
    await runOperation(page, 'WalletBalanceChanged');
    const socket = await socketOpened;
    expect(socket.url()).toBe(`${origin.replace(/^http/, 'ws')}/graphql`);
    const frames = framesOf.get(socket) ?? [];
    expect(await eventually(async () => frames.some((f) => f.includes('"type":"subscribe"')), Boolean)).toBe(true);
    // The server registers the subscription a moment after the frame left the page, and a
    // loaded CI machine can stretch that moment: adjust again until the event shows (each
    // adjustment adds 12.50, so the balance shown is a multiple of it).
    const expectedBalances: string[] = [];
    let response = '';
    for (let attempt = 1; attempt <= 5 && !response.includes('"walletBalanceChanged"'); attempt += 1) {
      await page.waitForTimeout(500);
      await liveAdjust(app, primaryId, '12.5');
      expectedBalances.push(`"amount":"${(12.5 * attempt).toFixed(2)}"`);
      response = compact(await eventually(() => editorText(page, '.graphiql-response'), (text) => text.includes('"walletBalanceChanged"'), 4_000));
    }
    expect(response).toContain('"walletBalanceChanged"');
    expect(expectedBalances.some((balance) => response.includes(balance))).toBe(true);
    expect(response).toContain(`"id":"${primaryId}"`);
    expect(frames.some((f) => f.includes('"type":"connection_ack"'))).toBe(true);
    for (const request of requests) expect(new URL(request.url()).origin).toBe(origin);
  });
});

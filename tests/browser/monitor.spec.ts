import type { Socket } from 'node:net';
import type { Page, Request, WebSocket } from 'playwright-core';
import { ok, startTestApp, type TestApp } from '../helpers/test-app';
import { addSubAccount, createAgency, createKey } from '../helpers/fixtures';
import { describeWithBrowser, eventually, launchBrowser, type TestBrowser } from '../helpers/browser';
import { liveAdjust } from '../helpers/browser-playground';
import { ago, callId, recordCall } from '../helpers/usage';

const card = (page: Page, subAccountId: string) => page.locator(`[data-sub-account-id="${subAccountId}"]`);

describeWithBrowser('the live monitor in a browser', () => {
  let app: TestApp;
  let browser: TestBrowser;
  let page: Page;
  let origin: string;
  let primaryId: string;
  let clientId: string;
  let key: string;
  const requests: Request[] = [];
  const sockets: WebSocket[] = [];
  // Recorded from each socket's first event: a listener added later can miss the subscribe frame.
  const framesOf = new Map<WebSocket, string[]>();
  const cspViolations: string[] = [];
  // The server's side of every WebSocket, to cut them as a network drop would.
  const serverSockets: Socket[] = [];

  /** Records a call on the client sub-account through the API; asserts it was recorded. */
  async function recordClientCall(externalCallId: string, durationSeconds: number): Promise<void> {
    const data = ok(await recordCall(app, { subAccountId: clientId, externalCallId, durationSeconds, tier: 'PREMIUM', startedAt: ago((durationSeconds + 5) / 60) }, key));
    expect(data.recordCallUsage.userErrors).toEqual([]);
  }

  /** The balance read through the API, as the page writes it (balances here stay below $1,000). */
  async function balanceText(subAccountId: string): Promise<string> {
    const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { balance { amount } } } }`, { id: subAccountId }, key));
    const [whole, fraction = ''] = (data.subAccount.wallet.balance.amount as string).split('.');
    return `$${whole}.${fraction.padEnd(2, '0')}`;
  }

  const callsText = () => card(page, clientId).locator('ol.calls').innerText();
  const status = () => page.locator('#status');

  beforeAll(async () => {
    app = await startTestApp({ monitorEnabled: true });
    origin = new URL(app.url).origin;
    app.server.httpServer.on('upgrade', (_req, socket: Socket) => serverSockets.push(socket));
    let agencyId: string;
    ({ agencyId, primaryId } = await createAgency(app));
    // Its billing cycle started two hours ago: the calls below count in the current one.
    clientId = await addSubAccount(app, agencyId, { name: 'Client <b>one</b>', subscriptionStartedAt: ago(120) });
    // $6 against the default $5 threshold: the first long call crosses it.
    await liveAdjust(app, clientId, '6');
    key = await createKey(app, 'AGENCY_ADMIN', { agencyId });

    browser = await launchBrowser();
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
    await page.goto(`${origin}/monitor`);
    await page.locator('#api-key').fill(key);
    await page.getByRole('button', { name: 'Watch' }).click();
    await page.locator('#cards[data-loaded="true"]').waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('should show every sub-account with its balance, threshold and minutes, loading nothing from another origin', async () => {
    await expect(page.locator('#cards .card').count()).resolves.toBe(2);
    await expect(card(page, clientId).locator('.balance').innerText()).resolves.toBe('$6.00');
    await expect(card(page, clientId).locator('.threshold').innerText()).resolves.toBe('$5.00');
    // The name is text, never markup.
    await expect(card(page, clientId).locator('h2').innerText()).resolves.toBe('Client <b>one</b>');
    // The balance history of the last hour: the adjustment drew a line.
    await expect(card(page, clientId).locator('svg.chart path.balance-line').count()).resolves.toBe(1);
    expect(await page.locator('#status').getAttribute('data-state')).toBe('live');
    // The key is kept for this tab only.
    expect(await page.evaluate('[localStorage.length, document.cookie, sessionStorage.length]')).toEqual([0, '', 1]);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) expect(new URL(request.url()).origin).toBe(origin);
    expect(cspViolations).toEqual([]);
    const socket = sockets[0];
    expect(socket.url()).toBe(`${origin.replace(/^http/, 'ws')}/graphql`);
    const frames = framesOf.get(socket)!;
    expect(frames.find((f) => f.includes('"type":"connection_init"'))).toContain(`"authorization":"Bearer ${key}"`);
  });

  it('should show a balance change and a call recorded through the API, and the threshold crossing as a marker', async () => {
    // The server registers the subscription a moment after its frame left the page: adjust the
    // primary until the monitor shows a change, so the call below is certainly watched live.
    let shown = '';
    let expected = '';
    for (let attempt = 1; attempt <= 5 && shown !== expected; attempt += 1) {
      await liveAdjust(app, primaryId, '10');
      expected = await balanceText(primaryId);
      shown = await eventually(() => card(page, primaryId).locator('.balance').innerText(), (text) => text === expected, 4_000);
    }
    expect(shown).toBe(expected);

    const externalCallId = callId('monitor');
    // 10 premium minutes cost at least $1.60: $6 falls below the $5 threshold.
    await recordClientCall(externalCallId, 600);
    expect(await eventually(callsText, (text) => text.includes(externalCallId))).toContain(externalCallId);
    await expect(card(page, clientId).locator('.balance').innerText()).resolves.toBe(await balanceText(clientId));
    await expect(card(page, clientId).locator('.balance').getAttribute('class')).resolves.toContain('low');
    expect(await eventually(() => card(page, clientId).locator('svg .marker[data-kind="LOW_BALANCE"]').count(), (n) => n === 1)).toBe(1);
    await expect(card(page, clientId).locator('.cycle-minutes').innerText()).resolves.toBe('10');
    expect(await page.locator('#events').innerText()).toMatch(/USAGE_RECORDED/);
  });

  it('should reconnect after its socket is cut, say it resumed, and show what happened during the cut', async () => {
    const before = sockets.length;
    await browser.context.setOffline(true);
    for (const socket of serverSockets.splice(0)) socket.destroy();
    expect(await eventually(() => status().getAttribute('data-state'), (state) => state === 'lost' || state === 'connecting')).toMatch(/lost|connecting/);

    const duringCut = callId('during-cut');
    await recordClientCall(duringCut, 60);
    expect(await callsText()).not.toContain(duringCut);

    await browser.context.setOffline(false);
    expect(await eventually(() => status().innerText(), (text) => /reconnected, resumed from #\d+-\d+/.test(text))).toMatch(/reconnected, resumed from #\d+-\d+/);
    expect(await eventually(callsText, (text) => text.includes(duringCut))).toContain(duringCut);

    // The new socket resumed the stream from the last event seen before the cut.
    const resumedFrom = await status().getAttribute('data-resumed-from');
    expect(resumedFrom).toMatch(/^\d+-\d+$/);
    const resumed = sockets.slice(before).map((socket) => framesOf.get(socket) ?? []).flat().find((f) => f.includes('"type":"subscribe"'));
    expect(resumed).toContain(`"afterSequence":"${resumedFrom}"`);
    expect(await eventually(() => card(page, clientId).locator('.cycle-minutes').innerText(), (text) => text === '11')).toBe('11');
    for (const request of requests) expect(new URL(request.url()).origin).toBe(origin);
    expect(cspViolations).toEqual([]);
  });
});

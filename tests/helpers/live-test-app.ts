import { randomBytes } from 'node:crypto';
import type { Client as WsClient } from 'graphql-ws';
import { startTestApp, ok, type TestApp } from './test-app';
import { wsClient } from './ws';

export interface LiveTestApp {
  /** Set by the file's first beforeAll. */
  app: TestApp;
  /** A graphql-ws client authenticated with `token`, disposed after the file's tests. */
  client(token: string): WsClient;
  /** A platform-admin balance adjustment (a fresh idempotency key each time), asserted to succeed. */
  adjust(subAccountId: string, amount: string): Promise<void>;
}

/** One app per test file for the subscription specs, with its WebSocket clients cleaned up after. */
export function liveTestApp(reason: string): LiveTestApp {
  const clients: WsClient[] = [];
  const live: LiveTestApp = {
    app: undefined as unknown as TestApp,
    client(token) {
      const c = wsClient(live.app.wsUrl, token);
      clients.push(c);
      return c;
    },
    async adjust(subAccountId, amount) {
      const data = ok(
        await live.app.gql(
          `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code message } } }`,
          { input: { subAccountId, amount, reason, idempotencyKey: randomBytes(8).toString('hex') } },
        ),
      );
      expect(data.adjustWalletBalance.userErrors).toEqual([]);
    },
  };
  beforeAll(async () => {
    live.app = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await live.app.close();
  });
  return live;
}

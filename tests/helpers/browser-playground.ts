import { randomBytes } from 'node:crypto';
import { ok, type TestApp } from './test-app';

/** A platform-admin balance adjustment (a fresh idempotency key), asserted to succeed: one walletBalanceChanged event. */
export async function liveAdjust(app: TestApp, subAccountId: string, amount: string): Promise<void> {
  const data = ok(
    await app.gql(
      `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code message } } }`,
      { input: { subAccountId, amount, reason: 'browser test', idempotencyKey: randomBytes(8).toString('hex') } },
    ),
  );
  expect(data.adjustWalletBalance.userErrors).toEqual([]);
}

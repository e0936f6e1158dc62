import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { SANDBOX_MEMO } from '../src/modules/billing/sandbox-gateway';
import { loadConfig } from '../src/config/config';
import { addSubAccount, createAgency } from './helpers/fixtures';
import { ok, startTestApp, type TestApp } from './helpers/test-app';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';

/** Sandbox mode: no STRIPE_SECRET_KEY, purchases booked as paid without any network call. */
describe('payments in sandbox mode', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({}, { payments: createPaymentGateway(loadConfig({})) });
  });
  afterAll(() => app.close());

  it('should refuse sandbox mode when NODE_ENV=production', () => {
    expect(() => createPaymentGateway(loadConfig({ NODE_ENV: 'production' }))).toThrow(/STRIPE_SECRET_KEY is required when NODE_ENV=production/);
  });

  it('should book a top-up as paid, say so in the memo, and accrue the earned profit', async () => {
    const { agencyId } = await createAgency(app);
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: agencyId }));
    const client = await addSubAccount(app, agencyId);
    const payload = ok(await app.gql(
      `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { kind amount { amount } minutesReceived memo } userErrors { code } } }`,
      { input: { subAccountId: client, amount: '20', idempotencyKey: 'sandbox-1' } },
    )).topUpWallet;
    expect(payload).toEqual({ transfer: { kind: 'TOP_UP', amount: { amount: '20.00' }, minutesReceived: '100', memo: SANDBOX_MEMO }, userErrors: [] });
    const read = ok(await app.gql(
      `query($a: ID!, $s: ID!) { agency(id: $a) { profit { earned { amount } pendingPayout { amount } } } subAccount(id: $s) { wallet { balance { amount } } paymentMethod { last4 } } }`,
      { a: agencyId, s: client },
    ));
    expect(read.agency.profit).toEqual({ earned: { amount: '4.00' }, pendingPayout: { amount: '4.00' } });
    expect(read.subAccount).toEqual({ wallet: { balance: { amount: '20.00' } }, paymentMethod: null });
    const memos = await app.dataSource.query(`SELECT kind, memo FROM ledger_transfers WHERE idempotency_key LIKE 'system/payment/%' ORDER BY kind`);
    expect(memos).toEqual([{ kind: 'MARKUP_PROFIT', memo: SANDBOX_MEMO }, { kind: 'TOP_UP', memo: SANDBOX_MEMO }]);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });

  it('should save no card and accept no webhook', async () => {
    const { primaryId } = await createAgency(app);
    const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code } } }`, { id: primaryId }));
    expect(setup.createPaymentMethodSetup).toEqual({ clientSecret: null, userErrors: [{ code: 'PAYMENTS_SANDBOX' }] });
    const response = await fetch(app.url.replace(/\/graphql$/, '/webhooks/stripe'), { method: 'POST', headers: { 'stripe-signature': 't=1,v1=00' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(await app.dataSource.query(`SELECT count(*)::int AS n FROM billing_webhook_events`)).toEqual([{ n: 0 }]);
  });
});

import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { SANDBOX_MEMO } from '../src/modules/billing/sandbox-gateway';
import { loadConfig } from '../src/config/config';
import { addMonthsClamped } from '../src/modules/billing-cycle/billing-cycle';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
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

  it('should book a monthly auto allocation as paid without a card, with the sandbox memo and its markup', async () => {
    const { agencyId } = await createAgency(app);
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: agencyId }));
    // Its current cycle ends in 1.5 s: the allocation is due then.
    const client = await addSubAccount(app, agencyId, { subscriptionStartedAt: addMonthsClamped(new Date(Date.now() + 1_500), -1).toISOString() });
    const saved = ok(await app.gql(
      `mutation($input: SetAutoAllocationInput!) { setAutoAllocation(input: $input) { subAccount { autoAllocation { nextRunAt } } userErrors { code } } }`,
      { input: { subAccountId: client, enabled: true, basicMinutes: '100', premiumMinutes: '50' } },
    )).setAutoAllocation;
    expect(saved.userErrors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(saved.subAccount.autoAllocation.nextRunAt) - Date.now() + 100)));
    expect(await app.server.services.autoAllocation.runAllocation(rawId(client))).toBe('bought');
    const rows = await app.dataSource.query(
      `SELECT kind, tier, amount_micros::text AS amount, memo FROM ledger_transfers WHERE idempotency_key LIKE 'system/payment/%' AND agency_id = $1 ORDER BY kind, tier`,
      [rawId(agencyId)],
    );
    const read = ok(await app.gql(`query($a: ID!, $s: ID!) { agency(id: $a) { profit { earned { amount } } } subAccount(id: $s) { wallet { balance { amount } } } }`,
      { a: agencyId, s: client }));
    // 100 Basic and 50 Premium at their client prices; earned 100 × $0.02 + 50 × $0.04 = $4.
    expect(rows.map((r: { kind: string; tier: string | null; memo: string }) => [r.kind, r.tier, r.memo])).toEqual([
      ['AUTO_ALLOCATION', 'BASIC', SANDBOX_MEMO], ['AUTO_ALLOCATION', 'PREMIUM', SANDBOX_MEMO], ['MARKUP_PROFIT', null, SANDBOX_MEMO],
    ]);
    expect(read.agency.profit.earned.amount).toBe('4.00');
    expect(rows.filter((r: { kind: string }) => r.kind === 'AUTO_ALLOCATION').reduce((sum: bigint, r: { amount: string }) => sum + BigInt(r.amount), 0n))
      .toBe(BigInt(read.subAccount.wallet.balance.amount.replace('.', '')) * 10_000n);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });
});

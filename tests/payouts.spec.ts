import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/db/data-source';
import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { addMonthsClamped } from '../src/modules/billing-cycle/billing-cycle';
import { JOBS, JobScheduler } from '../src/modules/jobs/job-scheduler';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { PayoutService, SANDBOX_PAYOUT_MEMO } from '../src/modules/payout/payout.service';
import { Logger } from '../src/shared/logger';
import { parseMicros } from '../src/shared/money';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { startStripeServer, type FakeStripeServer } from './helpers/stripe-server';
import { errorCode, ok, startTestApp, type TestApp } from './helpers/test-app';
import { subscribe, wsClient } from './helpers/ws';

/**
 * Stripe Connect and payouts against the real `stripe` SDK pointed at the local
 * Stripe-compatible server, with the API's webhook endpoint and pg-boss jobs.
 *
 * Profit is earned the way production earns it: a client of the agency ($0.04 Premium
 * markup over $0.16) tops up its wallet with a saved card; $600.01 buys 3,000.05 minutes
 * and earns $120.002, so a payout pays $120.00 and leaves the $0.002 below a cent pending.
 */
describe('Stripe Connect and payouts', () => {
  let stripe: FakeStripeServer;
  let app: TestApp;
  let jobs: JobScheduler;
  const tokens = {} as Record<'agencyA' | 'agencyB' | 'clientA1', string>;
  let A: string;
  let A1: string;
  let B: string;
  const micros = (amount: string): bigint => parseMicros(amount)!;
  const paymentsConfig = () => loadConfig({
    STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '1',
    STRIPE_CONNECT_REFRESH_URL: 'https://dashboard.example.com/connect/refresh', STRIPE_CONNECT_RETURN_URL: 'https://dashboard.example.com/connect/done',
    STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
  });

  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`condition not reached; last value ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const LINK = `mutation($id: ID!) { createStripeConnectLink(agencyId: $id) { url userErrors { code field } } }`;
  const REQUEST = `mutation($id: ID!) { requestPayout(agencyId: $id) { payout { id amount { amount } status } userErrors { code field } } }`;
  const requestPayout = async (agencyId: string, token?: string) => ok(await app.gql(REQUEST, { id: agencyId }, token)).requestPayout;
  const status = async (agencyId: string, token?: string) =>
    ok(await app.gql(`query($id: ID!) { agency(id: $id) { stripeConnectStatus } }`, { id: agencyId }, token)).agency?.stripeConnectStatus;
  const profit = async (agencyId: string) =>
    ok(await app.gql(`query($id: ID!) { agency(id: $id) { profit { earned { amount } paidOut { amount } pendingPayout { amount } } } }`, { id: agencyId }))
      .agency.profit;
  const accountOf = async (agencyId: string): Promise<string> =>
    (await app.dataSource.query(`SELECT stripe_account_id FROM payout_connect_accounts WHERE agency_id = $1`, [rawId(agencyId)]))[0].stripe_account_id;
  const transfersTo = (accountId: string) => [...stripe.transfers.values()].filter((t) => t.destination === accountId);
  const payoutRows = (agencyId: string) =>
    app.dataSource.query(`SELECT id, status, amount_cents::int AS cents FROM payouts WHERE agency_id = $1 ORDER BY created_at`, [rawId(agencyId)]);
  /** The agency's PAYOUT ledger rows as (from type → to type, amount). */
  const payoutLedger = async (agencyId: string) =>
    (await app.dataSource.query(
      `SELECT d.type || ' -> ' || c.type AS leg, t.amount_micros::text AS micros FROM ledger_transfers t
         JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
        WHERE t.agency_id = $1 AND t.kind = 'PAYOUT' ORDER BY t.created_at, t.id`, [rawId(agencyId)],
    )).map((r: { leg: string; micros: string }) => `${r.leg} ${r.micros}`);

  /** Earned − paid out − in flight = pending, and earned = the agency's MARKUP_PROFIT rows: the ledger and the API agree. */
  async function expectProfitInvariant(agencyId: string): Promise<void> {
    const figures = await profit(agencyId);
    const [row] = await app.dataSource.query(
      `SELECT coalesce(sum(amount_micros) FILTER (WHERE kind = 'MARKUP_PROFIT'), 0)::text AS markup,
              coalesce(sum(CASE WHEN c.type = 'PAYOUTS_IN_FLIGHT' THEN amount_micros WHEN d.type = 'PAYOUTS_IN_FLIGHT' THEN -amount_micros END), 0)::text AS in_flight
         FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
        WHERE t.agency_id = $1`, [rawId(agencyId)],
    );
    const [pending] = await app.dataSource.query(
      `SELECT coalesce(sum(amount_cents), 0)::text AS cents FROM payouts WHERE agency_id = $1 AND status = 'PENDING'`, [rawId(agencyId)],
    );
    expect(micros(figures.earned.amount)).toBe(BigInt(row.markup));
    expect(BigInt(row.in_flight)).toBe(BigInt(pending.cents) * 10_000n);
    expect(micros(figures.earned.amount) - micros(figures.paidOut.amount) - BigInt(row.in_flight)).toBe(micros(figures.pendingPayout.amount));
  }

  const cardOf: Record<string, boolean> = {};
  /** A client tops up $600.01 with its saved card: $120.002 of earned profit for its agency. */
  async function earn(subAccountId: string): Promise<void> {
    if (!cardOf[subAccountId]) {
      const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: subAccountId }))
        .createPaymentMethodSetup;
      const { event } = stripe.completeSetup(setup.clientSecret.split('_secret_')[0]);
      expect((await stripe.sendEvent(event)).status).toBe(200);
      await eventually(async () => ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { paymentMethod { last4 } } }`, { id: subAccountId }))
        .subAccount.paymentMethod, (c) => c !== null);
      cardOf[subAccountId] = true;
    }
    const payload = ok(await app.gql(
      `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { kind } userErrors { code } } }`,
      { input: { subAccountId, amount: '600.01', idempotencyKey: 'k-' + randomBytes(8).toString('hex') } },
    )).topUpWallet;
    expect(payload).toEqual({ transfer: { kind: 'TOP_UP' }, userErrors: [] });
  }

  /** Creates the agency's account and delivers Stripe's `account.updated` for finished onboarding. */
  async function connect(agencyId: string): Promise<string> {
    expect(ok(await app.gql(LINK, { id: agencyId })).createStripeConnectLink.userErrors).toEqual([]);
    const accountId = await accountOf(agencyId);
    const event = stripe.updateAccount(accountId, { details_submitted: true, payouts_enabled: true, charges_enabled: false, transfers: 'active' });
    expect((await stripe.sendEvent(event)).status).toBe(200);
    await eventually(() => status(agencyId), (s) => s === 'CONNECTED');
    return accountId;
  }

  async function runPayoutJob(): Promise<void> {
    const jobId = await jobs.runNow(JOBS.PAYOUTS, { minAgeSeconds: 0 });
    expect(await jobs.waitFor(JOBS.PAYOUTS, jobId!)).toBe('completed');
  }

  async function setup(name: string, planStartedAt?: string): Promise<{ agencyId: string; client: string }> {
    const { agencyId } = await createAgency(app, { name, ...(planStartedAt ? { planStartedAt } : {}) });
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: agencyId }));
    return { agencyId, client: await addSubAccount(app, agencyId, { name: `${name} client` }) };
  }

  beforeAll(async () => {
    stripe = await startStripeServer();
    const payments = createPaymentGateway({ production: false, payments: paymentsConfig().payments });
    app = await startTestApp({}, { payments });
    stripe.webhookUrl = app.url.replace(/\/graphql$/, '/webhooks/stripe');
    jobs = await JobScheduler.start({
      databaseUrl: (app.dataSource.options as { url: string }).url, dataSource: app.dataSource, logger: new Logger('silent'),
      billing: app.server.services.billing, payouts: app.server.services.payout,
    });
    ({ agencyId: A, client: A1 } = await setup('Agency A'));
    ({ agencyId: B } = await setup('Agency B'));
    tokens.agencyA = await createKey(app, 'AGENCY_ADMIN', { agencyId: A });
    tokens.agencyB = await createKey(app, 'AGENCY_ADMIN', { agencyId: B });
    tokens.clientA1 = await createKey(app, 'CLIENT_ADMIN', { subAccountId: A1 });
  });

  afterAll(async () => {
    await jobs?.dispose();
    await app?.close();
    await stripe?.stop();
  });

  it('should answer NOT_CONNECTED before any link, and refuse a payout then', async () => {
    expect(await status(A)).toBe('NOT_CONNECTED');
    await earn(A1);
    const before = await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers`);
    expect(await requestPayout(A)).toEqual({ payout: null, userErrors: [{ code: 'STRIPE_NOT_CONNECTED', field: ['agencyId'] }] });
    expect(await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers`)).toEqual(before);
    expect(await payoutRows(A)).toEqual([]);
  });

  it('should create one Express account for 20 concurrent link requests, each answered with an onboarding link', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.gql(LINK, { id: A }, tokens.agencyA)));
    const payloads = answers.map((r) => ok(r).createStripeConnectLink);
    for (const payload of payloads) {
      expect(payload.userErrors).toEqual([]);
      expect(payload.url).toMatch(/^https:\/\/connect\.stripe\.com\/setup\/e\/acct_/);
    }
    expect(stripe.accounts.size).toBe(1);
    const accountId = await accountOf(A);
    expect(stripe.accounts.get(accountId)).toMatchObject({ type: 'express', metadata: { agency_id: rawId(A) }, capabilities: { transfers: 'inactive' } });
    expect(stripe.requests.filter((r) => r.path === '/v1/accounts' && !r.replayed).length).toBe(1);
    expect(stripe.accountLinks.filter((l) => l.account === accountId).every((l) =>
      l.refresh_url === 'https://dashboard.example.com/connect/refresh' && l.return_url === 'https://dashboard.example.com/connect/done')).toBe(true);
    expect(await status(A, tokens.agencyA)).toBe('PENDING');
    // A later request reuses the account: a new link, no new account.
    expect(ok(await app.gql(LINK, { id: A })).createStripeConnectLink.userErrors).toEqual([]);
    expect(stripe.accounts.size).toBe(1);
  });

  it('should keep Connect to the agency: another agency is NOT_FOUND, a client admin is refused', async () => {
    expect(ok(await app.gql(LINK, { id: A }, tokens.agencyB)).createStripeConnectLink).toEqual({ url: null, userErrors: [{ code: 'NOT_FOUND', field: ['agencyId'] }] });
    expect(ok(await app.gql(LINK, { id: 'nonsense' }, tokens.agencyB)).createStripeConnectLink).toEqual({ url: null, userErrors: [{ code: 'NOT_FOUND', field: ['agencyId'] }] });
    expect(errorCode(await app.gql(LINK, { id: A }, tokens.clientA1))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(`query($id: ID!) { agency(id: $id) { stripeConnectStatus } }`, { id: A }, tokens.clientA1))).toBe('FORBIDDEN');
    expect(await status(A, tokens.agencyB)).toBeUndefined();
    expect(await status(B)).toBe('NOT_CONNECTED');
  });

  it('should set the status from account.updated and never regress it on an older event delivered late', async () => {
    const accountId = await accountOf(A);
    const t = Math.floor(Date.now() / 1000);
    const older = stripe.updateAccount(accountId, { details_submitted: true }, t - 60);
    const newer = stripe.updateAccount(accountId, { details_submitted: true, payouts_enabled: true, transfers: 'active' }, t);
    // Connect events are verified against the Connect endpoint's secret: another secret's signature is refused, nothing stored.
    const forged = JSON.stringify(newer, null, 2);
    expect((await stripe.sendEvent(newer, { signature: stripe.sign(forged, t, 'whsec_' + randomBytes(16).toString('hex')) })).status).toBe(400);
    expect(await status(A)).toBe('PENDING');
    expect((await stripe.sendEvent(newer)).status).toBe(200);
    await eventually(() => status(A), (s) => s === 'CONNECTED');
    expect((await stripe.sendEvent(older)).status).toBe(200);
    await eventually(() => app.dataSource.query(`SELECT count(*)::int AS n FROM billing_webhook_events WHERE processed_at IS NULL`), ([r]) => r.n === 0);
    expect(await status(A)).toBe('CONNECTED');
  });

  it('should pay the pending profit in whole cents once, under the payout id as idempotency key, and book it', async () => {
    expect(await profit(A)).toEqual({ earned: { amount: '120.002' }, paidOut: { amount: '0.00' }, pendingPayout: { amount: '120.002' } });
    const payload = await requestPayout(A, tokens.agencyA);
    expect(payload).toMatchObject({ payout: { amount: { amount: '120.00' }, status: 'PAID' }, userErrors: [] });
    const accountId = await accountOf(A);
    const [transfer] = transfersTo(accountId);
    expect(transfersTo(accountId)).toHaveLength(1);
    const [row] = await payoutRows(A);
    expect(transfer).toMatchObject({ amount: 12000, currency: 'usd', metadata: { payout_id: row.id, agency_id: rawId(A) } });
    expect(stripe.requests.filter((r) => r.path === '/v1/transfers').map((r) => r.idempotencyKey)).toEqual([`payout/${row.id}`]);
    expect(await profit(A)).toEqual({ earned: { amount: '120.002' }, paidOut: { amount: '120.00' }, pendingPayout: { amount: '0.002' } });
    expect(await payoutLedger(A)).toEqual(['AGENCY_PROFIT -> PAYOUTS_IN_FLIGHT 120000000', 'PAYOUTS_IN_FLIGHT -> PAYOUTS_OUT 120000000']);
    // agencyActivity's PAYOUT_PAID, written with the settlement, reaches the agency admin's subscription.
    expect(await app.dataSource.query(`SELECT ref_id::text AS ref FROM outbox_events WHERE type = 'PAYOUT_PAID' AND agency_id = $1`, [rawId(A)]))
      .toEqual([{ ref: row.id }]);
    const socket = wsClient(app.wsUrl, tokens.agencyA);
    try {
      const stream = subscribe(socket, `subscription($id: ID!) { agencyActivity(agencyId: $id, afterSequence: "0-0") { type agency { id } subAccount { id } } }`, { id: A });
      const paid = await eventually(async () => stream.events.map((e) => e.agencyActivity).filter((e) => e.type === 'PAYOUT_PAID'), (e) => e.length > 0);
      expect(paid).toEqual([{ type: 'PAYOUT_PAID', agency: { id: A }, subAccount: null }]);
      stream.stop();
    } finally {
      await socket.dispose();
    }
    // Nothing left to pay: a second request is refused and changes nothing.
    expect(await requestPayout(A)).toEqual({ payout: null, userErrors: [{ code: 'PAYOUT_BELOW_THRESHOLD', field: ['agencyId'] }] });
    expect(transfersTo(accountId)).toHaveLength(1);
    await expectProfitInvariant(A);
  });

  it('should list payouts newest first with keyset paging, to the agency and platform admins only', async () => {
    await earn(A1);
    expect((await requestPayout(A)).payout.status).toBe('PAID');
    const PAGE = `query($id: ID!, $after: String) { agency(id: $id) { payouts(first: 1, after: $after) {
      totalCount edges { cursor node { id amount { amount } status createdAt } } pageInfo { hasNextPage endCursor } } } }`;
    const first = ok(await app.gql(PAGE, { id: A }, tokens.agencyA)).agency.payouts;
    expect(first.totalCount).toBe(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(await app.gql(PAGE, { id: A, after: first.pageInfo.endCursor })).agency.payouts;
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(new Date(first.edges[0].node.createdAt) >= new Date(second.edges[0].node.createdAt)).toBe(true);
    expect([first.edges[0].node.amount.amount, second.edges[0].node.amount.amount]).toEqual(['120.00', '120.00']);
    const id = second.edges[0].node.id;
    expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { ... on Payout { status amount { amount } } } }`, { id }, tokens.agencyA)).node)
      .toEqual({ status: 'PAID', amount: { amount: '120.00' } });
    // Another agency's admin and a client admin: as if the payout did not exist, the list not theirs.
    expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, tokens.agencyB)).node).toBeNull();
    expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, tokens.clientA1)).node).toBeNull();
    expect(ok(await app.gql(PAGE, { id: A }, tokens.agencyB)).agency).toBeNull();
    expect(errorCode(await app.gql(PAGE, { id: A }, tokens.clientA1))).toBe('FORBIDDEN');
    expect(ok(await app.gql(REQUEST, { id: A }, tokens.agencyB)).requestPayout.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['agencyId'] }]);
    expect(errorCode(await app.gql(REQUEST, { id: A }, tokens.clientA1))).toBe('FORBIDDEN');
  });

  it('should leave a payout PENDING after a 500 and pay it exactly once on reconciliation', async () => {
    await earn(A1);
    const accountId = await accountOf(A);
    const before = transfersTo(accountId).length;
    stripe.failNext(/^\/v1\/transfers$/, '500');
    const payload = await requestPayout(A);
    expect(payload).toMatchObject({ payout: { status: 'PENDING', amount: { amount: '120.00' } }, userErrors: [] });
    expect(transfersTo(accountId)).toHaveLength(before);
    // Money out of pending while in flight; the reconciliation job (run twice) pays it once.
    expect((await profit(A)).pendingPayout.amount).toBe('0.006');
    await expectProfitInvariant(A);
    // The verifier checks the in-flight account against the pending payouts (and would see a difference).
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
    await app.dataSource.query(`UPDATE payouts SET amount_cents = amount_cents + 1 WHERE agency_id = $1 AND status = 'PENDING'`, [rawId(A)]);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([expect.stringMatching(/^PAYOUTS_IN_FLIGHT holds 120000000 micro-dollars but the pending payouts sum to 120010000$/)]);
    await app.dataSource.query(`UPDATE payouts SET amount_cents = amount_cents - 1 WHERE agency_id = $1 AND status = 'PENDING'`, [rawId(A)]);
    await Promise.all([runPayoutJob(), runPayoutJob()]);
    expect(transfersTo(accountId)).toHaveLength(before + 1);
    expect((await payoutRows(A)).map((r: { status: string }) => r.status)).toEqual(['PAID', 'PAID', 'PAID']);
    expect((await profit(A)).paidOut.amount).toBe('360.00');
  });

  it('should pay once when Stripe made the transfer but the answer was dropped', async () => {
    await earn(A1);
    const accountId = await accountOf(A);
    const before = transfersTo(accountId).length;
    stripe.failNext(/^\/v1\/transfers$/, 'drop', 2);
    expect((await requestPayout(A)).payout.status).toBe('PENDING');
    expect(transfersTo(accountId)).toHaveLength(before + 1);
    await runPayoutJob();
    await runPayoutJob();
    expect(transfersTo(accountId)).toHaveLength(before + 1);
    const rows = await payoutRows(A);
    expect(rows[rows.length - 1].status).toBe('PAID');
    expect(await payoutLedger(A)).toHaveLength(8);
    await expectProfitInvariant(A);
  });

  it('should return a failed payout to pending, once', async () => {
    await earn(A1);
    const accountId = await accountOf(A);
    const before = transfersTo(accountId).length;
    const pendingBefore = (await profit(A)).pendingPayout.amount;
    const balance = stripe.availableBalanceCents;
    stripe.availableBalanceCents = 0;
    try {
      expect((await requestPayout(A)).payout.status).toBe('FAILED');
    } finally {
      stripe.availableBalanceCents = balance;
    }
    expect(transfersTo(accountId)).toHaveLength(before);
    expect((await profit(A)).pendingPayout.amount).toBe(pendingBefore);
    expect((await payoutLedger(A)).slice(-2)).toEqual(['AGENCY_PROFIT -> PAYOUTS_IN_FLIGHT 120010000', 'PAYOUTS_IN_FLIGHT -> AGENCY_PROFIT 120010000']);
    await runPayoutJob();
    expect((await payoutLedger(A))).toHaveLength(10);
    // The money is still owed: the next request pays it.
    expect((await requestPayout(A)).payout).toMatchObject({ status: 'PAID', amount: { amount: '120.01' } });
    await expectProfitInvariant(A);
  });

  it('should make one payout for 20 concurrent requests', async () => {
    await earn(A1);
    const accountId = await accountOf(A);
    const before = transfersTo(accountId).length;
    const payloads = await Promise.all(Array.from({ length: 20 }, () => requestPayout(A, tokens.agencyA)));
    const paid = payloads.filter((p) => p.payout !== null);
    expect(new Set(paid.map((p) => p.payout.id)).size).toBe(1);
    expect(paid[0].payout).toMatchObject({ status: 'PAID', amount: { amount: '120.00' } });
    // The others found it in flight (and answered it) or found nothing left to pay.
    for (const p of payloads.filter((x) => x.payout === null)) expect(p.userErrors).toEqual([{ code: 'PAYOUT_BELOW_THRESHOLD', field: ['agencyId'] }]);
    expect(transfersTo(accountId)).toHaveLength(before + 1);
    await expectProfitInvariant(A);
  });

  it('should keep one account when Stripe created it but the answer was lost, and learn it from account.updated', async () => {
    const { agencyId } = await setup('Agency D');
    const accounts = stripe.accounts.size;
    stripe.failNext(/^\/v1\/accounts$/, 'drop', 2);
    expect(errorCode(await app.gql(LINK, { id: agencyId }))).toBe('INTERNAL_SERVER_ERROR');
    expect(stripe.accounts.size).toBe(accounts + 1);
    const created = [...stripe.accounts.values()].find((a) => (a.metadata as Record<string, string>).agency_id === rawId(agencyId))!;
    expect(await status(agencyId)).toBe('PENDING');
    // Stripe's event names the account before our row does: found by the agency in its metadata.
    const event = stripe.updateAccount(String(created.id), { details_submitted: true, payouts_enabled: true, transfers: 'active' });
    expect((await stripe.sendEvent(event)).status).toBe(200);
    await eventually(() => status(agencyId), (s) => s === 'CONNECTED');
    expect(await accountOf(agencyId)).toBe(created.id);
    expect(ok(await app.gql(LINK, { id: agencyId })).createStripeConnectLink.userErrors).toEqual([]);
    expect(stripe.accounts.size).toBe(accounts + 1);
  });

  it('should return a reversed transfer to pending exactly once', async () => {
    const [last] = await app.dataSource.query(
      `SELECT id, stripe_transfer_id, amount_cents::text AS cents FROM payouts WHERE agency_id = $1 AND status = 'PAID' ORDER BY created_at DESC LIMIT 1`, [rawId(A)],
    );
    const pendingBefore = micros((await profit(A)).pendingPayout.amount);
    const event = stripe.reverseTransfer(last.stripe_transfer_id);
    expect((await stripe.sendEvent(event)).status).toBe(200);
    expect((await stripe.sendEvent(event)).status).toBe(200);
    // Another delivery of the same state under a new event id: no second return either.
    expect((await stripe.sendEvent(stripe.event('transfer.reversed', stripe.transfers.get(last.stripe_transfer_id)!))).status).toBe(200);
    await eventually(async () => (await app.dataSource.query(`SELECT status FROM payouts WHERE id = $1`, [last.id]))[0].status, (s) => s === 'REVERSED');
    await eventually(() => app.dataSource.query(`SELECT count(*)::int AS n FROM billing_webhook_events WHERE processed_at IS NULL`), ([r]) => r.n === 0);
    const reversedMicros = BigInt(last.cents) * 10_000n;
    expect(micros((await profit(A)).pendingPayout.amount)).toBe(pendingBefore + reversedMicros);
    expect((await payoutLedger(A)).filter((leg: string) => leg.startsWith('PAYOUTS_OUT -> AGENCY_PROFIT'))).toEqual([`PAYOUTS_OUT -> AGENCY_PROFIT ${reversedMicros}`]);
    await expectProfitInvariant(A);
  });

  it('should pay at the next billing cycle once, however often and on however many processes the job runs', async () => {
    // The current cycle ends in a few seconds: profit earned now is pending at the next cycle's start.
    const cycleStart = new Date(Date.now() + 10_000);
    const { agencyId, client } = await setup('Agency C', addMonthsClamped(cycleStart, -1).toISOString());
    await earn(client);
    const accountId = await connect(agencyId);
    // Still in the cycle the profit was earned in: not due.
    await runPayoutJob();
    expect(Date.now()).toBeLessThan(cycleStart.getTime());
    expect(transfersTo(accountId)).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cycleStart.getTime() - Date.now() + 200)));
    // Two more processes with their own pools and Stripe clients, and the pg-boss job twice, all at once.
    const others = await Promise.all([0, 1].map(async () => {
      const dataSource = createDataSource((app.dataSource.options as { url: string }).url, 4);
      await dataSource.initialize();
      return { dataSource, payouts: new PayoutService(dataSource, createPaymentGateway({ production: false, payments: paymentsConfig().payments })) };
    }));
    try {
      await Promise.all([...others.map((o) => o.payouts.runScheduledPayouts()), runPayoutJob(), runPayoutJob()]);
    } finally {
      await Promise.all(others.map((o) => o.dataSource.destroy()));
    }
    expect(transfersTo(accountId).map((t) => t.amount)).toEqual([12000]);
    expect(await payoutRows(agencyId)).toEqual([expect.objectContaining({ status: 'PAID', cents: 12000 })]);
    expect(await payoutLedger(agencyId)).toEqual(['AGENCY_PROFIT -> PAYOUTS_IN_FLIGHT 120000000', 'PAYOUTS_IN_FLIGHT -> PAYOUTS_OUT 120000000']);
    await runPayoutJob();
    expect(transfersTo(accountId)).toHaveLength(1);
    await expectProfitInvariant(agencyId);
  });

  it('should answer STRIPE_CONNECT_NOT_CONFIGURED without the onboarding URLs, and still keep one account', async () => {
    const payments = createPaymentGateway({
      production: false,
      payments: loadConfig({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url }).payments,
    });
    const bare = await startTestApp({}, { payments });
    try {
      const { agencyId } = await createAgency(bare);
      const accounts = stripe.accounts.size;
      const links = stripe.accountLinks.length;
      for (let i = 0; i < 2; i++) {
        expect(ok(await bare.gql(LINK, { id: agencyId })).createStripeConnectLink).toEqual({ url: null, userErrors: [{ code: 'STRIPE_CONNECT_NOT_CONFIGURED', field: null }] });
      }
      expect(stripe.accounts.size).toBe(accounts + 1);
      expect(stripe.accountLinks).toHaveLength(links);
    } finally {
      await bare.close();
    }
  });

  it('should leave the ledger verifiable after all of it', async () => {
    // Statuses read for a page of agencies at once (one batched read) match each agency's own.
    const page = ok(await app.gql(`{ agencies(first: 100) { edges { node { id stripeConnectStatus } } } }`)).agencies.edges;
    const statuses = new Map(page.map((e: { node: { id: string; stripeConnectStatus: string } }) => [e.node.id, e.node.stripeConnectStatus]));
    expect([statuses.get(A), statuses.get(B)]).toEqual(['CONNECTED', 'NOT_CONNECTED']);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
    for (const agencyId of [A, B]) await expectProfitInvariant(agencyId);
  });
});

/** Sandbox mode (no STRIPE_SECRET_KEY): Connect is connected at once, payouts booked as paid without any call. */
describe('payouts in sandbox mode', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({}, { payments: createPaymentGateway(loadConfig({})) });
  });
  afterAll(() => app.close());

  it('should connect at once and book a payout as paid, saying so in the memo', async () => {
    const { agencyId } = await createAgency(app);
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: agencyId }));
    const client = await addSubAccount(app, agencyId);
    const link = ok(await app.gql(`mutation($id: ID!) { createStripeConnectLink(agencyId: $id) { url userErrors { code } } }`, { id: agencyId }));
    expect(link.createStripeConnectLink).toEqual({ url: expect.stringMatching(/^sandbox:stripe-connect\/sandbox_acct_/), userErrors: [] });
    ok(await app.gql(`mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { userErrors { code } } }`,
      { input: { subAccountId: client, amount: '500', idempotencyKey: 'sandbox-payout-1' } }));
    const payout = ok(await app.gql(`mutation($id: ID!) { requestPayout(agencyId: $id) { payout { status amount { amount } } userErrors { code } } }`, { id: agencyId }));
    expect(payout.requestPayout).toEqual({ payout: { status: 'PAID', amount: { amount: '100.00' } }, userErrors: [] });
    const read = ok(await app.gql(`query($id: ID!) { agency(id: $id) { stripeConnectStatus profit { earned { amount } paidOut { amount } pendingPayout { amount } } } }`,
      { id: agencyId })).agency;
    expect(read).toEqual({ stripeConnectStatus: 'CONNECTED', profit: { earned: { amount: '100.00' }, paidOut: { amount: '100.00' }, pendingPayout: { amount: '0.00' } } });
    const memos = await app.dataSource.query(`SELECT memo FROM ledger_transfers WHERE agency_id = $1 AND kind = 'PAYOUT'`, [rawId(agencyId)]);
    expect(memos).toEqual([{ memo: SANDBOX_PAYOUT_MEMO }, { memo: SANDBOX_PAYOUT_MEMO }]);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });
});

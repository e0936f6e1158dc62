import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/db/data-source';
import { addMonthsClamped } from '../src/modules/billing-cycle/billing-cycle';
import { BillingService } from '../src/modules/billing/billing.service';
import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { AUTO_ALLOCATION_QUEUES } from '../src/modules/auto-allocation/auto-allocation.jobs';
import { AutoAllocationService } from '../src/modules/auto-allocation/auto-allocation.service';
import { JOBS, JobScheduler } from '../src/modules/jobs/job-scheduler';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { Logger } from '../src/shared/logger';
import { parseMicros } from '../src/shared/money';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { startStripeServer, type FakeStripeServer } from './helpers/stripe-server';
import { ok, startTestApp, type TestApp } from './helpers/test-app';

/**
 * Monthly auto allocation against the real `stripe` SDK and the local Stripe server: the
 * primary's saved card pays for a secondary's minutes every billing cycle of it, exactly once.
 * Each client's subscription starts so that its current cycle ends a few seconds after it is
 * created: its first run is due then, without touching the clock or the rows.
 *
 * World: agency A (markups $0.02 Basic, $0.04 Premium) with a saved card on its primary; agency B.
 */
describe('monthly auto allocation', () => {
  let stripe: FakeStripeServer;
  let app: TestApp;
  let jobs: JobScheduler;
  let A: string;
  let Ap: string;
  let B: string;
  let primaryCard: string;
  const tokens = {} as Record<'agencyA' | 'agencyB' | 'client', string>;
  const micros = (amount: string): bigint => parseMicros(amount)!;
  const paymentsConfig = () => loadConfig({
    STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '1',
  });

  const SET = `mutation($input: SetAutoAllocationInput!) {
    setAutoAllocation(input: $input) {
      subAccount { id autoAllocation { enabled basicMinutes premiumMinutes nextRunAt lastRunAt lastError } }
      userErrors { code field message }
    }
  }`;
  const set = async (subAccountId: string, basicMinutes: string, premiumMinutes: string, token?: string, enabled = true) =>
    app.gql(SET, { input: { subAccountId, enabled, basicMinutes, premiumMinutes } }, token);
  const READ = `query($id: ID!) { subAccount(id: $id) {
    autoAllocation { enabled basicMinutes premiumMinutes nextRunAt lastRunAt lastError }
    wallet { balance { amount } } billingCycle { start end }
    minutePrice(tier: PREMIUM) { amount } basic: minutePrice(tier: BASIC) { amount }
  } }`;
  const read = async (id: string, token?: string) => ok(await app.gql(READ, { id }, token)).subAccount;
  const earned = async (agencyId: string) =>
    micros(ok(await app.gql(`query($id: ID!) { agency(id: $id) { profit { earned { amount } } } }`, { id: agencyId })).agency.profit.earned.amount);
  const allocationPayments = (subAccountId: string) => app.dataSource.query(
    `SELECT status, amount_cents, last_error FROM billing_payments WHERE kind = 'AUTO_ALLOCATION' AND sub_account_id = $1 ORDER BY created_at`,
    [rawId(subAccountId)],
  );
  const chargesFor = (subAccountId: string) => stripe.succeededCharges().filter((pi: any) => pi.metadata?.sub_account_id === rawId(subAccountId));

  async function eventually<T>(readValue: () => Promise<T>, check: (value: T) => boolean, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await readValue();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`condition not reached; last value ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A client of A whose current cycle ends `inMs` from now: its allocation is first due then. */
  async function clientDueIn(inMs: number): Promise<string> {
    const startedAt = addMonthsClamped(new Date(Date.now() + inMs), -1);
    return addSubAccount(app, A, { subscriptionStartedAt: startedAt.toISOString() });
  }
  const waitUntil = (at: string) => new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(at) - Date.now() + 100)));

  async function runSweep(): Promise<void> {
    const jobId = await jobs.runNow(JOBS.AUTO_ALLOCATION_SWEEP);
    expect(await jobs.waitFor(JOBS.AUTO_ALLOCATION_SWEEP, jobId!)).toBe('completed');
  }

  beforeAll(async () => {
    stripe = await startStripeServer();
    const payments = createPaymentGateway({ production: false, payments: paymentsConfig().payments });
    app = await startTestApp({}, { payments });
    stripe.webhookUrl = app.url.replace(/\/graphql$/, '/webhooks/stripe');
    jobs = await JobScheduler.start({
      databaseUrl: (app.dataSource.options as { url: string }).url, dataSource: app.dataSource, logger: new Logger('silent'),
      billing: app.server.services.billing, allocations: app.server.services.autoAllocation, allocationRetryDelaySeconds: 1,
    });
    const a = await createAgency(app, { name: 'Agency A' });
    A = a.agencyId;
    Ap = a.primaryId;
    B = (await createAgency(app, { name: 'Agency B' })).agencyId;
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: A }));
    tokens.agencyA = await createKey(app, 'AGENCY_ADMIN', { agencyId: A });
    tokens.agencyB = await createKey(app, 'AGENCY_ADMIN', { agencyId: B });
  });

  afterAll(async () => {
    await jobs?.dispose();
    await app?.close();
    await stripe?.stop();
  });

  it('needs a card on the primary before it can be enabled in Stripe mode', async () => {
    const client = await clientDueIn(60_000);
    const payload = ok(await set(client, '10', '0')).setAutoAllocation;
    expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(['PAYMENT_METHOD_REQUIRED']);
    expect((await read(client)).autoAllocation).toBeNull();
    // The primary saves its card (SetupIntent, then Stripe's webhook).
    const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code } } }`, { id: Ap }))
      .createPaymentMethodSetup;
    const done = stripe.completeSetup(setup.clientSecret.split('_secret_')[0]);
    primaryCard = done.paymentMethodId;
    expect((await stripe.sendEvent(done.event)).status).toBe(200);
    await eventually(async () => (await app.dataSource.query(`SELECT payment_method_id FROM billing_customers WHERE sub_account_id = $1`, [rawId(Ap)]))[0]?.payment_method_id,
      (pm) => pm === primaryCard);
  });

  it('is set only by platform and agency admins of the sub-account, with valid minutes; a bad request changes nothing', async () => {
    const client = await clientDueIn(60_000);
    tokens.client = await createKey(app, 'CLIENT_ADMIN', { subAccountId: client });
    const codes = async (response: Promise<any>) => {
      const res = await response;
      return res.errors ? res.errors.map((e: any) => e.extensions?.code) : res.data.setAutoAllocation.userErrors.map((e: { code: string }) => e.code);
    };
    expect(await codes(set(client, '10', '0', tokens.client))).toEqual(['FORBIDDEN']);
    expect(await codes(set(client, '10', '0', tokens.agencyB))).toEqual(['NOT_FOUND']);
    expect(await codes(set('U3ViQWNjb3VudDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA', '10', '0', tokens.agencyB))).toEqual(['NOT_FOUND']);
    expect(await codes(set(Ap, '10', '0'))).toEqual(['INVALID_INPUT']);
    for (const [basic, premium] of [['-1', '0'], ['0.00001', '0'], ['1000000.0001', '0'], ['0', '0']]) {
      expect(await codes(set(client, basic, premium, tokens.agencyA))).toEqual(['INVALID_MINUTES']);
    }
    expect(await codes(set(client, 'abc', '0', tokens.agencyA))).toEqual(['BAD_USER_INPUT']);
    expect((await read(client)).autoAllocation).toBeNull();
    // The agency admin sets it; the other agency's admin cannot read it either.
    const saved = ok(await set(client, '12.5', '7.25', tokens.agencyA)).setAutoAllocation;
    expect(saved.userErrors).toEqual([]);
    const cycle = (await read(client)).billingCycle;
    expect(saved.subAccount.autoAllocation).toEqual({
      enabled: true, basicMinutes: '12.5', premiumMinutes: '7.25', nextRunAt: cycle.end, lastRunAt: null, lastError: null,
    });
    expect(ok(await app.gql(READ, { id: client }, tokens.agencyB)).subAccount).toBeNull();
    // Disabled: nothing is due.
    const off = ok(await set(client, '12.5', '7.25', tokens.agencyA, false)).setAutoAllocation;
    expect(off.subAccount.autoAllocation).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('buys the minutes once per cycle however many jobs and processes run it, and books the markup', async () => {
    const client = await clientDueIn(3_000);
    expect(ok(await set(client, '10', '25.5')).setAutoAllocation.userErrors).toEqual([]);
    const before = await read(client);
    const profitBefore = await earned(A);
    // Not due yet: nothing happens.
    await runSweep();
    expect(await allocationPayments(client)).toEqual([]);
    await waitUntil(before.autoAllocation.nextRunAt);
    const others = await Promise.all([0, 1].map(async () => {
      const dataSource = createDataSource((app.dataSource.options as { url: string }).url, 4);
      await dataSource.initialize();
      const billing = new BillingService(dataSource, createPaymentGateway({ production: false, payments: paymentsConfig().payments }));
      return { dataSource, allocations: new AutoAllocationService(dataSource, billing) };
    }));
    try {
      await Promise.all([...others.map((o) => o.allocations.runAllocation(rawId(client))), runSweep(), runSweep()]);
    } finally {
      await Promise.all(others.map((o) => o.dataSource.destroy()));
    }
    const after = await eventually(() => read(client), (s) => s.autoAllocation.lastRunAt !== null);
    const cost = 10n * micros(before.basic.amount) + (255n * micros(before.minutePrice.amount)) / 10n;
    const cents = (cost + 9_999n) / 10_000n;
    expect(chargesFor(client).map((pi: any) => pi.amount)).toEqual([Number(cents)]);
    expect(chargesFor(client)[0].customer).toBe((await app.dataSource.query(`SELECT stripe_customer_id FROM billing_customers WHERE sub_account_id = $1`, [rawId(Ap)]))[0].stripe_customer_id);
    expect(await allocationPayments(client)).toEqual([{ status: 'SUCCEEDED', amount_cents: cents.toString(), last_error: null }]);
    expect(micros(after.wallet.balance.amount) - micros(before.wallet.balance.amount)).toBe(cents * 10_000n);
    // 10 × $0.02 + 25.5 × $0.04.
    expect((await earned(A)) - profitBefore).toBe(micros('1.22'));
    expect(after.autoAllocation).toMatchObject({ lastError: null, nextRunAt: new Date(addMonthsClamped(new Date(after.billingCycle.start), 1)).toISOString() });
    const transfers = await app.dataSource.query(
      `SELECT t.tier, t.amount_micros, t.minutes_received_units FROM ledger_transfers t JOIN wallets w ON w.id = t.credit_account_id
        WHERE w.sub_account_id = $1 AND t.kind = 'AUTO_ALLOCATION' ORDER BY t.tier`, [rawId(client)]);
    expect(transfers.map((t: any) => [t.tier, t.minutes_received_units])).toEqual([['BASIC', '100000'], ['PREMIUM', '255000']]);
    // The next sweep in the same cycle buys nothing more.
    await runSweep();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(chargesFor(client)).toHaveLength(1);
  });

  it('a dropped Stripe answer between charge and credit is reconciled exactly once', async () => {
    const client = await clientDueIn(2_000);
    expect(ok(await set(client, '0', '50')).setAutoAllocation.userErrors).toEqual([]);
    const before = await read(client);
    await waitUntil(before.autoAllocation.nextRunAt);
    stripe.failNext(/^\/v1\/payment_intents$/, 'drop', 2);
    expect(await app.server.services.autoAllocation.runAllocation(rawId(client))).toBe('pending');
    expect(chargesFor(client)).toHaveLength(1);
    expect((await read(client)).wallet.balance.amount).toBe(before.wallet.balance.amount);
    stripe.clearFaults();
    // The reconciliation job and the allocation's own next run race: one credit.
    const reconcile = jobs.runNow(JOBS.PAYMENTS_RECONCILE, { minAgeSeconds: 0 });
    await Promise.all([app.server.services.autoAllocation.runAllocation(rawId(client)), reconcile]);
    await eventually(() => allocationPayments(client), (p) => p[0]?.status === 'SUCCEEDED');
    // Whichever settled it, the cycle is bought: the next run finds it done (or not due any more).
    expect(['bought', 'not-due']).toContain(await app.server.services.autoAllocation.runAllocation(rawId(client)));
    expect((await read(client)).autoAllocation).toMatchObject({ lastError: null, nextRunAt: addMonthsClamped(new Date(before.billingCycle.start), 2).toISOString() });
    expect(chargesFor(client)).toHaveLength(1);
    expect(micros((await read(client)).wallet.balance.amount) - micros(before.wallet.balance.amount)).toBe(50n * micros(before.minutePrice.amount));
  });

  it('a declined card keeps lastError, writes AUTO_ALLOCATION_FAILED and is retried by pg-boss with backoff', async () => {
    const client = await clientDueIn(2_000);
    expect(ok(await set(client, '20', '0')).setAutoAllocation.userErrors).toEqual([]);
    const before = await read(client);
    stripe.setCardBehaviour(primaryCard, 'decline');
    await waitUntil(before.autoAllocation.nextRunAt);
    await runSweep();
    const failed = await eventually(() => read(client), (s) => s.autoAllocation.lastError !== null);
    expect(failed.autoAllocation.lastError).toMatch(/^DECLINED: /);
    expect(failed.autoAllocation.nextRunAt).toBe(before.autoAllocation.nextRunAt);
    expect(failed.wallet.balance.amount).toBe(before.wallet.balance.amount);
    const events = await app.dataSource.query(`SELECT type FROM outbox_events WHERE type = 'AUTO_ALLOCATION_FAILED' AND sub_account_id = $1`, [rawId(client)]);
    expect(events.length).toBeGreaterThanOrEqual(1);
    // The card works again: pg-boss's retry buys the cycle, once.
    stripe.setCardBehaviour(primaryCard, 'succeed');
    const bought = await eventually(() => read(client), (s) => s.autoAllocation.lastError === null && s.autoAllocation.nextRunAt !== before.autoAllocation.nextRunAt);
    expect(micros(bought.wallet.balance.amount) - micros(before.wallet.balance.amount)).toBe(20n * micros(before.basic.amount));
    const statuses = (await allocationPayments(client)).map((p: { status: string }) => p.status);
    expect(statuses.filter((s: string) => s === 'SUCCEEDED')).toHaveLength(1);
    expect(statuses.filter((s: string) => s === 'DECLINED').length).toBeGreaterThanOrEqual(1);
    expect(chargesFor(client)).toHaveLength(1);
    const queue = await app.dataSource.query(`SELECT retry_limit, retry_backoff, policy FROM pgboss.queue WHERE name = $1`, [AUTO_ALLOCATION_QUEUES.RUN]);
    expect(queue).toEqual([{ retry_limit: 3, retry_backoff: true, policy: 'stately' }]);
  });

  it('leaves the ledger consistent and Agency.profit equal to the markups purchased', async () => {
    const result = await verifyLedger(app.dataSource);
    expect(result.problems).toEqual([]);
    const [row] = await app.dataSource.query(
      `SELECT coalesce(sum(basic_minutes_units * basic_markup_micros / 10000 + premium_minutes_units * premium_markup_micros / 10000), 0)::text AS markup
         FROM billing_payments WHERE agency_id = $1 AND status = 'SUCCEEDED'`, [rawId(A)]);
    expect(await earned(A)).toBe(BigInt(row.markup));
  });
});

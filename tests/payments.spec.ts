import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/config';
import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { JOBS, JobScheduler } from '../src/modules/jobs/job-scheduler';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { toGlobalId } from '../src/shared/global-id';
import { Logger } from '../src/shared/logger';
import { parseMicros } from '../src/shared/money';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { startStripeServer, type FakeStripeServer } from './helpers/stripe-server';
import { ok, startTestApp, type TestApp } from './helpers/test-app';
import { databaseDigest, domainTables } from './helpers/db-digest';
import { callInput } from './helpers/usage';

/**
 * Payments against the real `stripe` SDK pointed at a local Stripe-compatible server
 * (tests/helpers/stripe-server.ts), with the API's own webhook endpoint and pg-boss jobs.
 *
 * World: agency A (premium markup $0.04 over the $0.16 base: $0.20 a minute) with
 * secondaries A1 and A2; agency B with B1.
 */
describe('payments through Stripe', () => {
  let stripe: FakeStripeServer;
  let app: TestApp;
  let jobs: JobScheduler;
  let tables: string[];
  const w = {} as Record<'A' | 'B' | 'A1' | 'A2' | 'B1' | 'Ap', string>;
  const tokens = {} as Record<'agencyA' | 'agencyB' | 'clientA1', string>;
  const key = () => 'k-' + randomBytes(8).toString('hex');
  /** Money read back as micro-dollars: no float touches it, here either. */
  const micros = (amount: string): bigint => parseMicros(amount)!;
  const dollars = (whole: number): bigint => BigInt(whole) * 1_000_000n;

  const TOP_UP = `mutation($input: TopUpWalletInput!) {
    topUpWallet(input: $input) {
      transfer { id kind amount { amount } tier minutesReceived memo toWallet { subAccount { id } } }
      clientSecret userErrors { code field message }
    }
  }`;
  const topUp = async (subAccountId: string, amount: string, idempotencyKey = key(), token?: string) =>
    ok(await app.gql(TOP_UP, { input: { subAccountId, amount, idempotencyKey } }, token)).topUpWallet;

  const balance = async (subAccountId: string): Promise<string> =>
    ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { balance { amount } } } }`, { id: subAccountId })).subAccount.wallet.balance.amount;
  const profit = async (agencyId: string) =>
    ok(await app.gql(`query($id: ID!) { agency(id: $id) { profit { earned { amount } paidOut { amount } pendingPayout { amount } } } }`, { id: agencyId })).agency.profit;
  const card = async (subAccountId: string, token?: string) =>
    ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { paymentMethod { brand last4 expMonth expYear } } }`, { id: subAccountId }, token)).subAccount
      ?.paymentMethod;

  /** Polls until `check` holds (events are processed by a pg-boss worker); fails after 20 s. */
  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`condition not reached; last value ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const unprocessedEvents = async () => Number((await app.dataSource.query(`SELECT count(*) AS n FROM billing_webhook_events WHERE processed_at IS NULL`))[0].n);
  const allEventsProcessed = () => eventually(unprocessedEvents, (n) => n === 0);

  /** What a browser does with the SetupIntent's client secret, then Stripe's webhook. */
  async function saveCard(subAccountId: string, options: Parameters<FakeStripeServer['completeSetup']>[1] = {}): Promise<string> {
    const setup = ok(await app.gql(
      `mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code } } }`, { id: subAccountId },
    )).createPaymentMethodSetup;
    expect(setup.userErrors).toEqual([]);
    const { paymentMethodId, event } = stripe.completeSetup(setup.clientSecret.split('_secret_')[0], options);
    expect((await stripe.sendEvent(event)).status).toBe(200);
    await eventually(() => card(subAccountId), (c) => c?.last4 === (options.last4 ?? '4242'));
    return paymentMethodId;
  }

  /** Runs the reconciliation sweep now (every open payment, whatever its age) and waits for it. */
  async function reconcile(): Promise<void> {
    const jobId = await jobs.runNow(JOBS.PAYMENTS_RECONCILE, { minAgeSeconds: 0 });
    expect(await jobs.waitFor(JOBS.PAYMENTS_RECONCILE, jobId!)).toBe('completed');
  }

  const paymentsOf = (subAccountId: string) =>
    app.dataSource.query(`SELECT status, amount_cents, stripe_payment_intent_id FROM billing_payments WHERE sub_account_id = $1 ORDER BY created_at`, [rawId(subAccountId)]);

  const cardOf: Record<string, string> = {};

  beforeAll(async () => {
    stripe = await startStripeServer();
    const payments = createPaymentGateway({
      production: false,
      payments: loadConfig({
        STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '1',
      }).payments,
    });
    expect(payments.mode).toBe('stripe');
    app = await startTestApp({}, { payments });
    stripe.webhookUrl = app.url.replace(/\/graphql$/, '/webhooks/stripe');
    jobs = await JobScheduler.start({
      databaseUrl: (app.dataSource.options as { url: string }).url, dataSource: app.dataSource, logger: new Logger('silent'), billing: app.server.services.billing,
    });
    const a = await createAgency(app, { name: 'Agency A' });
    const b = await createAgency(app, { name: 'Agency B' });
    Object.assign(w, { A: a.agencyId, B: b.agencyId, Ap: a.primaryId });
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: w.A }));
    w.A1 = await addSubAccount(app, w.A, { name: 'A1' });
    w.A2 = await addSubAccount(app, w.A, { name: 'A2' });
    w.B1 = await addSubAccount(app, w.B, { name: 'B1' });
    tokens.agencyA = await createKey(app, 'AGENCY_ADMIN', { agencyId: w.A });
    tokens.agencyB = await createKey(app, 'AGENCY_ADMIN', { agencyId: w.B });
    tokens.clientA1 = await createKey(app, 'CLIENT_ADMIN', { subAccountId: w.A1 });
    const price = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { minutePrice(tier: PREMIUM) { amount } } }`, { id: w.A1 }));
    expect(price.subAccount.minutePrice.amount).toBe('0.20');
    tables = await domainTables(app.dataSource);
  });

  afterAll(async () => {
    await jobs?.dispose();
    await app?.close();
    await stripe?.stop();
  });

  describe('saving a card', () => {
    it('should create one Stripe customer per sub-account and answer a SetupIntent client secret', async () => {
      const before = stripe.customers.size;
      const first = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code } } }`, { id: w.A2 }));
      const second = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code } } }`, { id: w.A2 }));
      expect(stripe.customers.size).toBe(before + 1);
      const intents = [first, second].map((r) => stripe.setupIntents.get(r.createPaymentMethodSetup.clientSecret.split('_secret_')[0])!);
      expect(intents.map((i) => i.customer)).toEqual([intents[0].customer, intents[0].customer]);
      expect(intents[0].usage).toBe('off_session');
      expect(stripe.customers.get(String(intents[0].customer))!.metadata).toMatchObject({ sub_account_id: rawId(w.A2) });
      expect(await card(w.A2)).toBeNull();
    });

    it('should store the card of setup_intent.succeeded and show brand, last4 and expiry', async () => {
      cardOf.A1 = await saveCard(w.A1, { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 });
      expect(await card(w.A1)).toEqual({ brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2031 });
      expect(await card(w.A1, tokens.clientA1)).toEqual({ brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2031 });
    });

    it('should never show a card saved for one client on another, of the agency or of another agency', async () => {
      cardOf.B1 = await saveCard(w.B1, { last4: '1881' });
      expect(await card(w.A2)).toBeNull();
      expect(await card(w.B1)).toEqual(expect.objectContaining({ last4: '1881' }));
      // Another tenant cannot reach the sub-account at all; its card does not leak through a sibling or a foreign id.
      expect(ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { paymentMethod { last4 } } }`, { id: w.A1 }, tokens.agencyB)).subAccount).toBeNull();
      expect(ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { paymentMethod { last4 } } }`, { id: w.A2 }, tokens.clientA1)).subAccount).toBeNull();
      const list = ok(await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(first: 10) { edges { node { id paymentMethod { last4 } } } } } }`, { id: w.A }, tokens.agencyA));
      expect(JSON.stringify(list)).not.toContain('1881');
    });

    it('should not put a card on another sub-account when an event names another sub-account than its customer', async () => {
      const customerOfA1 = String(stripe.paymentMethods.get(cardOf.A1)!.object.customer);
      const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: w.A1 })).createPaymentMethodSetup;
      const intent = stripe.setupIntents.get(setup.clientSecret.split('_secret_')[0])!;
      (intent.metadata as Record<string, string>).sub_account_id = rawId(w.B1);
      expect(intent.customer).toBe(customerOfA1);
      const { event } = stripe.completeSetup(String(intent.id), { last4: '6666' });
      expect((await stripe.sendEvent(event)).status).toBe(200);
      await allEventsProcessed();
      expect((await card(w.B1)).last4).toBe('1881');
      expect((await card(w.A1)).last4).toBe('4444');
    });

    it('should keep the newer card when an older setup event arrives after it', async () => {
      const older = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: w.A2 })).createPaymentMethodSetup;
      const newer = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: w.A2 })).createPaymentMethodSetup;
      const olderEvent = stripe.completeSetup(older.clientSecret.split('_secret_')[0], { last4: '1111' }).event;
      const newerEvent = stripe.completeSetup(newer.clientSecret.split('_secret_')[0], { last4: '2222' }).event;
      olderEvent.created = Number(newerEvent.created) - 60;
      expect((await stripe.sendEvent(newerEvent)).status).toBe(200);
      await eventually(() => card(w.A2), (c) => c?.last4 === '2222');
      expect((await stripe.sendEvent(olderEvent)).status).toBe(200);
      await allEventsProcessed();
      expect((await card(w.A2)).last4).toBe('2222');
    });
  });

  describe('topUpWallet', () => {
    it('should charge $20 once, credit exactly that and earn $4 of profit (100 minutes × $0.04) in the same transaction', async () => {
      const before = await balance(w.A1);
      const profitBefore = await profit(w.A);
      const requestsBefore = stripe.requests.length;
      const payload = await topUp(w.A1, '20', key(), tokens.agencyA);
      expect(payload.userErrors).toEqual([]);
      expect(payload.transfer).toMatchObject({ kind: 'TOP_UP', amount: { amount: '20.00' }, tier: 'PREMIUM', minutesReceived: '100', toWallet: { subAccount: { id: w.A1 } } });
      expect(payload.transfer.memo).toMatch(/^Stripe payment pi_/);
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(20));
      const after = await profit(w.A);
      expect(micros(after.earned.amount) - micros(profitBefore.earned.amount)).toBe(dollars(4));
      expect(after.pendingPayout.amount).toBe(after.earned.amount);
      const [call] = stripe.requests.slice(requestsBefore).filter((r) => r.path === '/v1/payment_intents');
      expect(call.idempotencyKey).toMatch(/^payment\/[0-9a-f-]{36}$/);
      const intent = stripe.paymentIntents.get((await paymentsOf(w.A1)).at(-1).stripe_payment_intent_id)!;
      expect(intent).toMatchObject({ amount: 2000, currency: 'usd', status: 'succeeded', payment_method: cardOf.A1 });
      // The profit row and the credit were written by one transaction: one commit, one timestamp.
      const rows = await app.dataSource.query(
        `SELECT kind, amount_micros, created_at, xmin::text AS tx FROM ledger_transfers WHERE idempotency_key LIKE 'system/payment/%' ORDER BY kind`,
      );
      const latest = rows.filter((r: any) => r.created_at.getTime() === rows.find((x: any) => x.kind === 'TOP_UP' && x.amount_micros === '20000000').created_at.getTime());
      expect(latest.map((r: any) => [r.kind, r.amount_micros])).toEqual([['MARKUP_PROFIT', '4000000'], ['TOP_UP', '20000000']]);
      expect(new Set(latest.map((r: any) => r.tx)).size).toBe(1);
    });

    it('should round the amount up to the cent and book exactly what was charged', async () => {
      const before = await balance(w.A1);
      const payload = await topUp(w.A1, '10.001');
      expect(payload.transfer.amount.amount).toBe('10.01');
      expect(stripe.paymentIntents.get((await paymentsOf(w.A1)).at(-1).stripe_payment_intent_id)!.amount).toBe(1001);
      expect(micros(await balance(w.A1)) - micros(before)).toBe(10_010_000n);
    });

    it('should answer a retry with the same key with the first transfer, charging once', async () => {
      const k = key();
      const first = await topUp(w.A1, '5', k);
      const charges = stripe.succeededCharges().length;
      const before = await balance(w.A1);
      const again = await topUp(w.A1, '5', k);
      expect(again.transfer.id).toBe(first.transfer.id);
      expect(stripe.succeededCharges().length).toBe(charges);
      expect(await balance(w.A1)).toBe(before);
    });

    it('should refuse the same key with other terms with IDEMPOTENCY_CONFLICT, changing nothing', async () => {
      const k = key();
      await topUp(w.A1, '5', k);
      const digest = await databaseDigest(app.dataSource, tables);
      const requests = stripe.requests.length;
      const other = await topUp(w.A1, '6', k);
      expect(other).toEqual({ transfer: null, clientSecret: null, userErrors: [{ code: 'IDEMPOTENCY_CONFLICT', field: ['idempotencyKey'], message: expect.any(String) }] });
      expect(await databaseDigest(app.dataSource, tables)).toEqual(digest);
      expect(stripe.requests.length).toBe(requests);
    });

    it('should charge once for 20 concurrent identical requests, all answered with the one transfer', async () => {
      const k = key();
      const before = await balance(w.A1);
      const charges = stripe.succeededCharges().length;
      const answers = await Promise.all(Array.from({ length: 20 }, () => topUp(w.A1, '7', k)));
      expect(new Set(answers.map((a) => a.transfer?.id)).size).toBe(1);
      expect(answers[0].transfer.id).toEqual(expect.any(String));
      expect(stripe.succeededCharges().length).toBe(charges + 1);
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(7));
      expect(await paymentsOf(w.A1)).toHaveLength(new Set((await paymentsOf(w.A1)).map((p: any) => p.stripe_payment_intent_id)).size);
    });

    it('should answer PAYMENT_DECLINED for a declined card and change no balance', async () => {
      stripe.setCardBehaviour(cardOf.A1, 'decline');
      try {
        const before = [await balance(w.A1), await profit(w.A)];
        const ledgerRows = await app.dataSource.query(`SELECT count(*) AS n FROM ledger_transfers`);
        const k = key();
        const payload = await topUp(w.A1, '9', k);
        expect(payload.transfer).toBeNull();
        expect(payload.userErrors).toEqual([{ code: 'PAYMENT_DECLINED', field: null, message: expect.stringContaining('insufficient_funds') }]);
        expect(await topUp(w.A1, '9', k)).toEqual(payload);
        expect([await balance(w.A1), await profit(w.A)]).toEqual(before);
        expect(await app.dataSource.query(`SELECT count(*) AS n FROM ledger_transfers`)).toEqual(ledgerRows);
        expect((await paymentsOf(w.A1)).at(-1).status).toBe('DECLINED');
      } finally {
        stripe.setCardBehaviour(cardOf.A1, 'succeed');
      }
    });

    it('should answer PAYMENT_ACTION_REQUIRED with the client secret, and credit once when the payment_intent.succeeded webhook arrives', async () => {
      stripe.setCardBehaviour(cardOf.A1, 'require_action');
      const k = key();
      const before = await balance(w.A1);
      const payload = await topUp(w.A1, '11', k);
      stripe.setCardBehaviour(cardOf.A1, 'succeed');
      expect(payload.userErrors.map((e: any) => e.code)).toEqual(['PAYMENT_ACTION_REQUIRED']);
      const intentId = (await paymentsOf(w.A1)).at(-1).stripe_payment_intent_id;
      expect(payload.clientSecret).toBe(stripe.paymentIntents.get(intentId)!.client_secret);
      expect(await balance(w.A1)).toBe(before);

      const succeeded = stripe.completeAction(intentId);
      const failedEarlier = stripe.event('payment_intent.payment_failed', { ...stripe.paymentIntents.get(intentId)!, status: 'requires_payment_method' }, Number(succeeded.created) - 30);
      expect((await stripe.sendEvent(succeeded)).status).toBe(200);
      await eventually(() => balance(w.A1), (b) => micros(b) - micros(before) === dollars(11));
      // A duplicate delivery and an older failure delivered late change nothing.
      const duplicate = await stripe.sendEvent(succeeded);
      expect(duplicate).toEqual({ status: 200, body: JSON.stringify({ received: true, duplicate: true }) });
      expect((await stripe.sendEvent(failedEarlier)).status).toBe(200);
      await allEventsProcessed();
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(11));
      expect((await paymentsOf(w.A1)).at(-1).status).toBe('SUCCEEDED');
      // The client's retry now sees the transfer.
      const retry = await topUp(w.A1, '11', k);
      expect(retry.transfer).toMatchObject({ kind: 'TOP_UP', amount: { amount: '11.00' } });
    });

    it('should leave a payment pending after a 500 and credit it once when reconciled', async () => {
      stripe.failNext(/^\/v1\/payment_intents$/, '500');
      const before = await balance(w.A1);
      const k = key();
      const payload = await topUp(w.A1, '12', k);
      expect(payload.userErrors.map((e: any) => e.code)).toEqual(['PAYMENT_PENDING']);
      expect(await balance(w.A1)).toBe(before);
      await reconcile();
      await reconcile();
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(12));
      expect((await topUp(w.A1, '12', k)).transfer.amount.amount).toBe('12.00');
    });

    it('should charge once and credit once when Stripe processed the charge but every answer was lost', async () => {
      // The SDK tries twice (maxNetworkRetries 1), same Idempotency-Key; both answers are dropped.
      stripe.failNext(/^\/v1\/payment_intents$/, 'drop', 2);
      const before = await balance(w.A1);
      const charges = stripe.succeededCharges().length;
      const payload = await topUp(w.A1, '13');
      expect(payload.userErrors.map((e: any) => e.code)).toEqual(['PAYMENT_PENDING']);
      expect(stripe.succeededCharges().length).toBe(charges + 1);
      expect(await balance(w.A1)).toBe(before);
      // Two sweeps at once (two replicas): one credit.
      await Promise.all([reconcile(), reconcile()]);
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(13));
      expect(stripe.succeededCharges().length).toBe(charges + 1);
    });

    it('should credit once from the webhook a charge whose answers were lost, matched by its metadata', async () => {
      stripe.failNext(/^\/v1\/payment_intents$/, 'drop', 2);
      const before = await balance(w.A1);
      const k = key();
      expect((await topUp(w.A1, '14', k)).userErrors.map((e: any) => e.code)).toEqual(['PAYMENT_PENDING']);
      expect((await paymentsOf(w.A1)).at(-1).stripe_payment_intent_id).toBeNull();
      const intent = stripe.succeededCharges().at(-1)!;
      expect(intent.amount).toBe(1400);
      const event = stripe.event('payment_intent.succeeded', intent);
      expect((await stripe.sendEvent(event)).status).toBe(200);
      await eventually(() => balance(w.A1), (b) => micros(b) - micros(before) === dollars(14));
      await reconcile();
      expect((await topUp(w.A1, '14', k)).transfer.amount.amount).toBe('14.00');
      expect(micros(await balance(w.A1)) - micros(before)).toBe(dollars(14));
    });

    it('should refuse a sub-account without a saved card with PAYMENT_METHOD_REQUIRED', async () => {
      const fresh = await addSubAccount(app, w.A);
      const payload = await topUp(fresh, '5');
      expect(payload.userErrors).toEqual([{ code: 'PAYMENT_METHOD_REQUIRED', field: ['subAccountId'], message: expect.any(String) }]);
    });

    it.each([['0.49'], ['0'], ['10000.01'], ['-5']])('should refuse the amount %s with INVALID_AMOUNT', async (amount) => {
      const payload = await topUp(w.A1, amount);
      expect(payload.userErrors).toEqual([{ code: 'INVALID_AMOUNT', field: ['amount'], message: expect.any(String) }]);
    });

    it.each([['1.0000001'], ['abc'], ['1e3']])('should refuse the amount %s as a malformed Decimal (BAD_USER_INPUT)', async (amount) => {
      const response = await app.gql(TOP_UP, { input: { subAccountId: w.A1, amount, idempotencyKey: key() } });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('should refuse another tenant’s sub-account, and a sibling for a client admin, like a missing id, changing nothing', async () => {
      const digest = await databaseDigest(app.dataSource, tables);
      const requests = stripe.requests.length;
      const missing = toGlobalId('SubAccount', randomUUID());
      for (const [token, target] of [[tokens.agencyB, w.A1], [tokens.clientA1, w.A2], [tokens.agencyA, w.B1]]) {
        const refused = await app.gql(TOP_UP, { input: { subAccountId: target, amount: '5', idempotencyKey: 'same' } }, token);
        expect(refused.data.topUpWallet.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);
        expect(await app.gql(TOP_UP, { input: { subAccountId: missing, amount: '5', idempotencyKey: 'same' } }, token)).toEqual(refused);
        const setup = `mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret userErrors { code field message } } }`;
        const refusedSetup = await app.gql(setup, { id: target }, token);
        expect(refusedSetup.data.createPaymentMethodSetup.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);
        expect(await app.gql(setup, { id: missing }, token)).toEqual(refusedSetup);
      }
      expect(await databaseDigest(app.dataSource, tables)).toEqual(digest);
      expect(stripe.requests.length).toBe(requests);
    });

    it('should let the client admin top up its own wallet', async () => {
      const payload = await topUp(w.A1, '1', key(), tokens.clientA1);
      expect(payload.transfer.amount.amount).toBe('1.00');
    });
  });

  describe('POST /webhooks/stripe', () => {
    const post = (body: string, signature?: string) =>
      fetch(stripe.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) }, body });

    it.each([
      ['no signature', () => undefined],
      ['a signature under another secret', (p: string) => stripe.sign(p, undefined, 'whsec_other')],
      ['a stale timestamp (10 minutes old)', (p: string) => stripe.sign(p, Math.floor(Date.now() / 1000) - 600)],
      ['a signature of other bytes', (p: string) => stripe.sign(p + ' ')],
      ['garbage', () => 't=1,v1=00'],
    ])('should answer 400 to %s and store nothing', async (_label, signatureOf) => {
      const intentId = [...stripe.paymentIntents.keys()][0];
      const payload = JSON.stringify(stripe.event('payment_intent.succeeded', stripe.paymentIntents.get(intentId)!));
      const digest = await databaseDigest(app.dataSource, tables);
      const response = await post(payload, signatureOf(payload));
      expect(response.status).toBe(400);
      expect(await databaseDigest(app.dataSource, tables)).toEqual(digest);
    });

    it('should answer 200 to an unknown event type and ignore it', async () => {
      const before = await databaseDigest(app.dataSource, tables.filter((t) => t !== 'billing_webhook_events'));
      const response = await stripe.sendEvent(stripe.event('customer.created', { id: 'cus_x', object: 'customer' }));
      expect(response.status).toBe(200);
      expect(await databaseDigest(app.dataSource, tables.filter((t) => t !== 'billing_webhook_events'))).toEqual(before);
    });

    it('should not credit a PaymentIntent that belongs to no payment of ours', async () => {
      const before = await databaseDigest(app.dataSource, tables.filter((t) => t !== 'billing_webhook_events'));
      const forged = stripe.event('payment_intent.succeeded', {
        id: 'pi_unknown', object: 'payment_intent', amount: 100000, amount_received: 100000, status: 'succeeded', customer: 'cus_x', metadata: { payment_id: randomUUID() },
      });
      expect((await stripe.sendEvent(forged)).status).toBe(200);
      await allEventsProcessed();
      expect(await databaseDigest(app.dataSource, tables.filter((t) => t !== 'billing_webhook_events'))).toEqual(before);
    });
  });

  describe('auto-recharge', () => {
    const SET = `mutation($input: SetAutoRechargeInput!) {
      setAutoRecharge(input: $input) {
        subAccount { id autoRecharge { enabled threshold { amount } rechargeAmount { amount } monthlyCap { amount } consecutiveFailures lastError } }
        userErrors { code field message }
      }
    }`;
    const set = async (subAccountId: string, input: Record<string, unknown>) =>
      ok(await app.gql(SET, { input: { subAccountId, enabled: true, threshold: '5', rechargeAmount: '10', ...input } })).setAutoRecharge;
    const recharges = async (subAccountId: string) =>
      (await app.dataSource.query(
        `SELECT t.amount_micros FROM ledger_transfers t JOIN wallets w ON w.id = t.credit_account_id WHERE t.kind = 'AUTO_RECHARGE' AND w.sub_account_id = $1`,
        [rawId(subAccountId)],
      )).length;
    let usageKey: string;
    const RECORD = `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id } userErrors { code } } }`;
    const use = (subAccountId: string, durationSeconds: number) =>
      app.gql(RECORD, { input: callInput({ subAccountId, durationSeconds }) }, usageKey).then((r) => expect(ok(r).recordCallUsage.userErrors).toEqual([]));
    async function sweep(): Promise<void> {
      const jobId = await jobs.runNow(JOBS.AUTO_RECHARGE);
      expect(await jobs.waitFor(JOBS.AUTO_RECHARGE, jobId!)).toBe('completed');
    }
    let A3: string;

    beforeAll(async () => {
      usageKey = await createKey(app, 'USAGE_INGEST', { agencyId: w.A });
      A3 = await addSubAccount(app, w.A, { name: 'A3' });
      cardOf.A3 = await saveCard(A3, { last4: '3333' });
    });

    it('should recharge at once when the balance is already below the threshold on saving, earning the markup', async () => {
      const profitBefore = await profit(w.A);
      const payload = await set(A3, {});
      expect(payload.userErrors).toEqual([]);
      expect(payload.subAccount.autoRecharge).toEqual({
        enabled: true, threshold: { amount: '5.00' }, rechargeAmount: { amount: '10.00' }, monthlyCap: null, consecutiveFailures: 0, lastError: null,
      });
      expect(await balance(A3)).toBe('10.00');
      expect(await recharges(A3)).toBe(1);
      expect(micros((await profit(w.A)).earned.amount) - micros(profitBefore.earned.amount)).toBe(dollars(2));
    });

    it('should charge once when concurrent usage takes the balance below the threshold and recharges race', async () => {
      await Promise.all(Array.from({ length: 10 }, () => use(A3, 180)));
      expect(await balance(A3)).toBe('4.00');
      const charges = stripe.succeededCharges().length;
      await Promise.all([sweep(), sweep(), ...Array.from({ length: 5 }, () => app.server.services.billing.runAutoRecharge(rawId(A3)))]);
      expect(await recharges(A3)).toBe(2);
      expect(stripe.succeededCharges().length).toBe(charges + 1);
      expect(await balance(A3)).toBe('14.00');
    });

    it('should respect the monthly cap', async () => {
      expect((await set(A3, { monthlyCap: '20' })).userErrors).toEqual([]);
      await Promise.all(Array.from({ length: 4 }, () => use(A3, 180)));
      expect(await balance(A3)).toBe('11.60');
      await Promise.all(Array.from({ length: 10 }, () => use(A3, 180)));
      expect(await balance(A3)).toBe('5.60');
      await use(A3, 180);
      expect(await balance(A3)).toBe('5.00');
      await use(A3, 60);
      await sweep();
      // $20 recharged this month already: the cap allows no third one.
      expect(await recharges(A3)).toBe(2);
      expect(await balance(A3)).toBe('4.80');
    });

    it('should disable itself after 3 failed charges in a row, with one AUTO_RECHARGE_FAILED event', async () => {
      const A4 = await addSubAccount(app, w.A, { name: 'A4' });
      cardOf.A4 = await saveCard(A4, { last4: '0002', behaviour: 'decline' });
      expect((await set(A4, {})).subAccount.autoRecharge).toMatchObject({ enabled: true, consecutiveFailures: 1, lastError: expect.stringContaining('DECLINED') });
      expect(await app.server.services.billing.runAutoRecharge(rawId(A4))).toBe('DECLINED');
      expect(await app.server.services.billing.runAutoRecharge(rawId(A4))).toBe('DECLINED');
      const attempts = (await paymentsOf(A4)).length;
      expect(attempts).toBe(3);
      expect(await app.server.services.billing.runAutoRecharge(rawId(A4))).toBeUndefined();
      await sweep();
      expect(await paymentsOf(A4)).toHaveLength(attempts);
      const read = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { autoRecharge { enabled consecutiveFailures } wallet { balance { amount } } } }`, { id: A4 }));
      expect(read.subAccount).toEqual({ autoRecharge: { enabled: false, consecutiveFailures: 3 }, wallet: { balance: { amount: '0.00' } } });
      const events = await app.dataSource.query(`SELECT type FROM outbox_events WHERE type = 'AUTO_RECHARGE_FAILED' AND sub_account_id = $1`, [rawId(A4)]);
      expect(events).toHaveLength(1);
      // Account health names it: AT_RISK with AUTO_RECHARGE_FAILING.
      const health = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { level signals } } }`, { id: A4 })).subAccount.health;
      expect(health.level).toBe('AT_RISK');
      expect(health.signals).toContain('AUTO_RECHARGE_FAILING');
    });

    it('should not report a recharge switched off by hand after one failure as failing', async () => {
      const A6 = await addSubAccount(app, w.A, { name: 'A6' });
      cardOf.A6 = await saveCard(A6, { last4: '0002', behaviour: 'decline' });
      expect((await set(A6, {})).subAccount.autoRecharge).toMatchObject({ enabled: true, consecutiveFailures: 1 });
      expect((await set(A6, { enabled: false })).subAccount.autoRecharge).toMatchObject({ enabled: false });
      const health = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { health { signals } } }`, { id: A6 })).subAccount.health;
      expect(health.signals).not.toContain('AUTO_RECHARGE_FAILING');
    });

    it.each([
      [{ rechargeAmount: '0.49' }, 'INVALID_AMOUNT', 'rechargeAmount'],
      [{ rechargeAmount: '10.005' }, 'INVALID_AMOUNT', 'rechargeAmount'],
      [{ monthlyCap: '9.99' }, 'INVALID_AMOUNT', 'monthlyCap'],
      [{ threshold: '-1' }, 'INVALID_AMOUNT', 'threshold'],
    ])('should refuse %p with %s and change nothing', async (input, code, field) => {
      const digest = await databaseDigest(app.dataSource, tables);
      expect((await set(A3, input)).userErrors).toEqual([{ code, field: [field], message: expect.any(String) }]);
      expect(await databaseDigest(app.dataSource, tables)).toEqual(digest);
    });

    it('should refuse to enable it without a saved card, and refuse another tenant like a missing id', async () => {
      const fresh = await addSubAccount(app, w.A);
      expect((await set(fresh, {})).userErrors.map((e: any) => e.code)).toEqual(['PAYMENT_METHOD_REQUIRED']);
      const refused = await app.gql(SET, { input: { subAccountId: A3, enabled: false, threshold: '1', rechargeAmount: '1' } }, tokens.agencyB);
      const missing = await app.gql(SET, { input: { subAccountId: toGlobalId('SubAccount', randomUUID()), enabled: false, threshold: '1', rechargeAmount: '1' } }, tokens.agencyB);
      expect(refused.data.setAutoRecharge.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);
      expect(missing).toEqual(refused);
    });
  });

  it('should leave a ledger that verifies, with each agency’s earned profit the sum of the markups it sold', async () => {
    await allEventsProcessed();
    const result = await verifyLedger(app.dataSource);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    for (const agency of [w.A, w.B]) {
      const [{ sold }] = await app.dataSource.query(
        `SELECT coalesce(sum((p.amount_cents * 10000 * 10000 / p.premium_price_micros) * p.premium_markup_micros / 10000), 0)::text AS sold
           FROM billing_payments p WHERE p.agency_id = $1 AND p.status = 'SUCCEEDED'`,
        [rawId(agency)],
      );
      const figures = await profit(agency);
      expect(micros(figures.earned.amount).toString()).toBe(sold);
    }
    const credited = await app.dataSource.query(`SELECT count(*) AS n FROM billing_payments WHERE status = 'SUCCEEDED'`);
    const topUps = await app.dataSource.query(`SELECT count(*) AS n FROM ledger_transfers WHERE kind IN ('TOP_UP', 'AUTO_RECHARGE')`);
    expect(topUps).toEqual(credited);
  });
});

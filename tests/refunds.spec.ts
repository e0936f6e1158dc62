import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/config';
import { createPaymentGateway } from '../src/modules/billing/create-payment-gateway';
import { JOBS, JobScheduler } from '../src/modules/jobs/job-scheduler';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { Logger } from '../src/shared/logger';
import { parseMicros } from '../src/shared/money';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { startStripeServer, type FakeStripeServer, type Params } from './helpers/stripe-server';
import { ok, startTestApp, type TestApp } from './helpers/test-app';

/**
 * Refunds and disputes of purchases, through the real `stripe` SDK and the API's webhook
 * (tests/helpers/stripe-server.ts signs the events as Stripe does): the wallet and the
 * earned profit give back exactly what Stripe took back, once, whatever the order, the
 * duplicates and the concurrency of the events; a dispute won brings both back.
 *
 * Every purchase is a top-up at the client Premium price $0.20 with a $0.04 markup, so it
 * earns a fifth of its amount: $20 earns $4.
 */
describe('refunds and disputes', () => {
  let stripe: FakeStripeServer;
  let app: TestApp;
  let jobs: JobScheduler;
  const micros = (amount: string): bigint => parseMicros(amount)!;
  const key = () => 'k-' + randomBytes(8).toString('hex');

  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`condition not reached; last value ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const unprocessed = async () => Number((await app.dataSource.query(`SELECT count(*) AS n FROM billing_webhook_events WHERE processed_at IS NULL`))[0].n);
  const settled = () => eventually(unprocessed, (n) => n === 0);
  /** Delivers events (in this order, one after the other) and waits until the jobs processed them. */
  async function deliver(...events: Params[]): Promise<void> {
    for (const event of events) expect((await stripe.sendEvent(event)).status).toBe(200);
    await settled();
  }

  const balance = async (subAccountId: string): Promise<bigint> =>
    micros(ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { balance { amount } } } }`, { id: subAccountId })).subAccount.wallet.balance.amount);
  const profit = async (agencyId: string) => {
    const p = ok(await app.gql(`query($id: ID!) { agency(id: $id) { profit { earned { amount } paidOut { amount } pendingPayout { amount } } } }`, { id: agencyId }))
      .agency.profit;
    return { earned: micros(p.earned.amount), paidOut: micros(p.paidOut.amount), pending: micros(p.pendingPayout.amount) };
  };
  const transfers = async (subAccountId: string, kind?: string) =>
    ok(await app.gql(
      `query($id: ID!, $kind: TransferKind) { subAccount(id: $id) { wallet { transfers(first: 50, kind: $kind) { edges { node { kind amount { amount } memo } } } } } }`,
      { id: subAccountId, kind: kind ?? null },
    )).subAccount.wallet.transfers.edges.map((e: { node: { kind: string; amount: { amount: string }; memo: string } }) => e.node);
  const events = async (subAccountId: string): Promise<string[]> =>
    (await app.dataSource.query(`SELECT type FROM outbox_events WHERE sub_account_id = $1 AND type LIKE 'PAYMENT_%' ORDER BY id`, [rawId(subAccountId)]))
      .map((r: { type: string }) => r.type);

  /** A new agency (markup $0.04 Premium) with one client that has a saved card. */
  async function client(name: string): Promise<{ agencyId: string; subAccountId: string }> {
    const { agencyId } = await createAgency(app, { name });
    ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.02", premium: "0.04" }) { userErrors { code } } }`, { id: agencyId }));
    const subAccountId = await addSubAccount(app, agencyId, { name: `${name} client` });
    const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: subAccountId }))
      .createPaymentMethodSetup;
    await deliver(stripe.completeSetup(setup.clientSecret.split('_secret_')[0]).event);
    return { agencyId, subAccountId };
  }

  /** Tops the client's wallet up with its card; answers the PaymentIntent. */
  async function purchase(subAccountId: string, amount: string): Promise<string> {
    const payload = ok(await app.gql(
      `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { kind } userErrors { code } } }`,
      { input: { subAccountId, amount, idempotencyKey: key() } },
    )).topUpWallet;
    expect(payload).toEqual({ transfer: { kind: 'TOP_UP' }, userErrors: [] });
    const [row] = await app.dataSource.query(
      `SELECT stripe_payment_intent_id FROM billing_payments WHERE sub_account_id = $1 ORDER BY created_at DESC LIMIT 1`, [rawId(subAccountId)],
    );
    return row.stripe_payment_intent_id;
  }

  beforeAll(async () => {
    stripe = await startStripeServer();
    const payments = createPaymentGateway({
      production: false,
      payments: loadConfig({
        STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '1',
        STRIPE_CONNECT_REFRESH_URL: 'https://dashboard.example.com/connect/refresh', STRIPE_CONNECT_RETURN_URL: 'https://dashboard.example.com/connect/done',
        STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
      }).payments,
    });
    app = await startTestApp({}, { payments });
    stripe.webhookUrl = app.url.replace(/\/graphql$/, '/webhooks/stripe');
    jobs = await JobScheduler.start({
      databaseUrl: (app.dataSource.options as { url: string }).url, dataSource: app.dataSource, logger: new Logger('silent'), billing: app.server.services.billing,
    });
  });

  afterAll(async () => {
    await jobs?.dispose();
    await app?.close();
    await stripe?.stop();
  });

  afterEach(async () => {
    const verification = await verifyLedger(app.dataSource);
    expect(verification.problems).toEqual([]);
  });

  it('should take a full refund back from the wallet and the earned profit, once, and show it as REFUND', async () => {
    const { agencyId, subAccountId } = await client('Refund in full');
    const intent = await purchase(subAccountId, '20');
    expect(await balance(subAccountId)).toBe(micros('20'));
    expect(await profit(agencyId)).toEqual({ earned: micros('4'), paidOut: 0n, pending: micros('4') });

    const refunded = stripe.refund(intent);
    await deliver(refunded);
    expect(await balance(subAccountId)).toBe(0n);
    expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    expect(await transfers(subAccountId, 'REFUND')).toEqual([
      { kind: 'REFUND', amount: { amount: '20.00' }, memo: `Stripe refund on payment ${intent}: 2000 of 2000 cents refunded` },
    ]);
    expect(await events(subAccountId)).toEqual(['PAYMENT_REFUNDED']);

    // Stripe delivers the same event again, and another snapshot of the same charge under a new event id.
    expect(JSON.parse((await stripe.sendEvent(refunded)).body)).toEqual({ received: true, duplicate: true });
    await deliver(stripe.event('charge.refunded', stripe.chargeOf(intent)));
    expect(await balance(subAccountId)).toBe(0n);
    expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    expect(await transfers(subAccountId, 'REFUND')).toHaveLength(1);
    expect(await events(subAccountId)).toEqual(['PAYMENT_REFUNDED']);
  });

  it('should reverse partial refunds by the cumulative amount, exactly, whatever order the events arrive in', async () => {
    const inOrder = await client('Partial in order');
    const reordered = await client('Partial reordered');
    const first = await purchase(inOrder.subAccountId, '20');
    const second = await purchase(reordered.subAccountId, '20');
    // $1.23, then $4.56 more (cumulative $5.79), then the rest.
    const steps = (intent: string) => [stripe.refund(intent, 123), stripe.refund(intent, 456), stripe.refund(intent)];
    for (const event of steps(first)) await deliver(event);
    const late = steps(second);
    for (const event of [late[1], late[0], late[2], late[1]]) await deliver(event);
    for (const { agencyId, subAccountId } of [inOrder, reordered]) {
      expect(await balance(subAccountId)).toBe(0n);
      expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    }
    // In order: three steps; reordered: the cumulative $5.79 first covers $1.23, then the rest.
    expect((await transfers(inOrder.subAccountId, 'REFUND')).map((t: { amount: { amount: string } }) => t.amount.amount)).toEqual(['14.21', '4.56', '1.23']);
    expect((await transfers(reordered.subAccountId, 'REFUND')).map((t: { amount: { amount: string } }) => t.amount.amount)).toEqual(['14.21', '5.79']);

    // Half-way: $5.79 of $20 refunded takes back 5.79 / 20 of the $4 profit, $1.158 exactly.
    const half = await client('Partial half');
    const third = await purchase(half.subAccountId, '20');
    await deliver(stripe.refund(third, 579));
    expect(await balance(half.subAccountId)).toBe(micros('14.21'));
    expect(await profit(half.agencyId)).toEqual({ earned: micros('2.842'), paidOut: 0n, pending: micros('2.842') });
  });

  it('should book each refund once when its events arrive at the same time, duplicated and under several ids', async () => {
    const { agencyId, subAccountId } = await client('Concurrent refunds');
    const intent = await purchase(subAccountId, '50');
    const partial = stripe.refund(intent, 1000);
    const full = stripe.refund(intent);
    const copies = [partial, partial, full, full, stripe.event('charge.refunded', stripe.chargeOf(intent)), stripe.event('charge.refunded', stripe.chargeOf(intent))];
    const answers = await Promise.all([...copies, ...copies].map((event) => stripe.sendEvent(event)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await settled();
    expect(await balance(subAccountId)).toBe(0n);
    expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    const booked = await app.dataSource.query(
      `SELECT sum(amount_micros)::text AS total FROM ledger_transfers WHERE agency_id = $1 AND kind = 'REFUND'`, [rawId(agencyId)],
    );
    expect(booked[0].total).toBe(micros('50').toString());
  });

  it('should take a disputed purchase back while Stripe holds the funds, and give it back when the dispute is won', async () => {
    const { agencyId, subAccountId } = await client('Dispute won');
    const intent = await purchase(subAccountId, '20');
    const { disputeId, event } = stripe.dispute(intent);
    await deliver(event, stripe.updateDispute(disputeId, 'needs_response', 'charge.dispute.funds_withdrawn'));
    expect(await balance(subAccountId)).toBe(0n);
    expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    expect(await events(subAccountId)).toEqual(['PAYMENT_DISPUTED']);

    await deliver(stripe.updateDispute(disputeId, 'under_review'));
    expect(await balance(subAccountId)).toBe(0n);
    await deliver(stripe.updateDispute(disputeId, 'won'));
    expect(await balance(subAccountId)).toBe(micros('20'));
    expect(await profit(agencyId)).toEqual({ earned: micros('4'), paidOut: 0n, pending: micros('4') });
    expect((await transfers(subAccountId, 'DISPUTE')).map((t: { amount: { amount: string }; memo: string }) => [t.amount.amount, t.memo])).toEqual([
      ['20.00', `Stripe dispute ${disputeId} on payment ${intent} (won): returned`],
      ['20.00', `Stripe dispute ${disputeId} on payment ${intent} (needs_response)`],
    ]);
    expect(await events(subAccountId)).toEqual(['PAYMENT_DISPUTED', 'PAYMENT_DISPUTE_CLOSED']);
    // Stripe also sends funds_reinstated (a second later): nothing more moves.
    await deliver(stripe.updateDispute(disputeId, 'won', 'charge.dispute.funds_reinstated', Math.floor(Date.now() / 1000) + 1));
    expect(await balance(subAccountId)).toBe(micros('20'));
    expect(await events(subAccountId)).toEqual(['PAYMENT_DISPUTED', 'PAYMENT_DISPUTE_CLOSED']);
  });

  it('should keep a lost dispute reversed, and never let an older event delivered late regress a newer state', async () => {
    const { agencyId, subAccountId } = await client('Dispute lost');
    const intent = await purchase(subAccountId, '30');
    const at = Math.floor(Date.now() / 1000);
    const { disputeId, event: opened } = stripe.dispute(intent, { cents: 1000, created: at });
    const lost = stripe.updateDispute(disputeId, 'lost', undefined, at + 60);
    const review = stripe.updateDispute(disputeId, 'under_review', undefined, at + 30);
    await deliver(lost, opened, review);
    expect(await balance(subAccountId)).toBe(micros('20'));
    expect(await profit(agencyId)).toEqual({ earned: micros('4'), paidOut: 0n, pending: micros('4') });
    const [row] = await app.dataSource.query(`SELECT status, amount_cents::int AS cents FROM billing_disputes WHERE stripe_dispute_id = $1`, [disputeId]);
    expect(row).toEqual({ status: 'lost', cents: 1000 });

    // Won, then the older "needs_response" of the same second as a new dispute opened: the later stage wins.
    const other = await client('Dispute same second');
    const otherIntent = await purchase(other.subAccountId, '10');
    const second = stripe.dispute(otherIntent, { created: at });
    await deliver(stripe.updateDispute(second.disputeId, 'won', undefined, at), second.event);
    expect(await balance(other.subAccountId)).toBe(micros('10'));
  });

  it('should move nothing for an inquiry (Stripe withdraws no funds) but tell the agency', async () => {
    const { agencyId, subAccountId } = await client('Inquiry');
    const intent = await purchase(subAccountId, '15');
    const { disputeId, event } = stripe.dispute(intent, { inquiry: true });
    await deliver(event, stripe.updateDispute(disputeId, 'warning_closed'));
    expect(await balance(subAccountId)).toBe(micros('15'));
    expect(await profit(agencyId)).toEqual({ earned: micros('3'), paidOut: 0n, pending: micros('3') });
    expect(await events(subAccountId)).toEqual(['PAYMENT_DISPUTED', 'PAYMENT_DISPUTE_CLOSED']);
  });

  it('should add a dispute on the unrefunded rest to a partial refund without ever taking back more than was charged', async () => {
    const { agencyId, subAccountId } = await client('Refund and dispute');
    const intent = await purchase(subAccountId, '20');
    await deliver(stripe.refund(intent, 500));
    const { disputeId, event } = stripe.dispute(intent, { cents: 1500 });
    await deliver(event);
    expect(await balance(subAccountId)).toBe(0n);
    expect(await profit(agencyId)).toEqual({ earned: 0n, paidOut: 0n, pending: 0n });
    await deliver(stripe.updateDispute(disputeId, 'won'));
    expect(await balance(subAccountId)).toBe(micros('15'));
    expect(await profit(agencyId)).toEqual({ earned: micros('3'), paidOut: 0n, pending: micros('3') });
  });

  it('should settle a purchase whose answer was lost before reversing its refund: credited once, refunded once', async () => {
    const { agencyId, subAccountId } = await client('Lost answer');
    stripe.failNext(/^\/v1\/payment_intents$/, 'drop', 2); // the SDK's retry is dropped too: the top-up answers PAYMENT_PENDING
    const payload = ok(await app.gql(
      `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { kind } userErrors { code } } }`,
      { input: { subAccountId, amount: '20', idempotencyKey: key() } },
    )).topUpWallet;
    expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(['PAYMENT_PENDING']);
    expect(await balance(subAccountId)).toBe(0n);
    const charged = stripe.succeededCharges().filter((pi) => (pi.metadata as Params).sub_account_id === rawId(subAccountId));
    expect(charged).toHaveLength(1);
    await deliver(stripe.refund(String(charged[0].id), 500));
    expect(await balance(subAccountId)).toBe(micros('15'));
    expect(await profit(agencyId)).toEqual({ earned: micros('3'), paidOut: 0n, pending: micros('3') });
    const [payment] = await app.dataSource.query(`SELECT status FROM billing_payments WHERE sub_account_id = $1`, [rawId(subAccountId)]);
    expect(payment.status).toBe('SUCCEEDED');
    // The reconciliation finds nothing more to do.
    const jobId = await jobs.runNow(JOBS.PAYMENTS_RECONCILE, { minAgeSeconds: 0 });
    expect(await jobs.waitFor(JOBS.PAYMENTS_RECONCILE, jobId!)).toBe('completed');
    expect(await balance(subAccountId)).toBe(micros('15'));
  });

  it('should apply a dispute of a purchase not settled yet once the reconciliation settles it', async () => {
    const { subAccountId } = await client('Dispute before settlement');
    stripe.failNext(/^\/v1\/payment_intents$/, 'drop', 2);
    const payload = ok(await app.gql(
      `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { userErrors { code } } }`,
      { input: { subAccountId, amount: '20', idempotencyKey: key() } },
    )).topUpWallet;
    expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(['PAYMENT_PENDING']);
    const intent = String(stripe.succeededCharges().find((pi) => (pi.metadata as Params).sub_account_id === rawId(subAccountId))!.id);
    // Our record does not know the PaymentIntent yet: the dispute names only it, so it waits.
    expect((await stripe.sendEvent(stripe.dispute(intent).event)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await unprocessed()).toBe(1);
    expect(await balance(subAccountId)).toBe(0n);
    // The sweep settles the payment (credit), and a later sweep applies the dispute (debit).
    for (let i = 0; i < 2; i += 1) {
      const jobId = await jobs.runNow(JOBS.PAYMENTS_RECONCILE, { minAgeSeconds: 0 });
      expect(await jobs.waitFor(JOBS.PAYMENTS_RECONCILE, jobId!)).toBe('completed');
    }
    await settled();
    expect(await balance(subAccountId)).toBe(0n);
    expect((await transfers(subAccountId)).map((t: { kind: string }) => t.kind)).toEqual(['DISPUTE', 'TOP_UP']);
  });

  it('should ignore refunds and disputes of charges that are not ours, or that name another tenant\'s payment', async () => {
    const victim = await client('Victim');
    const attacker = await client('Attacker');
    await purchase(victim.subAccountId, '20');
    const attackerIntent = await purchase(attacker.subAccountId, '20');
    const [victimPayment] = await app.dataSource.query(`SELECT id FROM billing_payments WHERE sub_account_id = $1`, [rawId(victim.subAccountId)]);
    // A charge of someone else's (unknown PaymentIntent), once plain and once claiming the victim's payment in its metadata.
    const foreign = { ...stripe.chargeOf(attackerIntent), id: 'ch_foreign', payment_intent: 'pi_not_ours', amount_refunded: 2000 };
    await deliver(
      stripe.event('charge.refunded', foreign),
      stripe.event('charge.refunded', { ...foreign, metadata: { payment_id: victimPayment.id } }),
      stripe.event('charge.dispute.created', { id: 'dp_foreign', object: 'dispute', amount: 2000, payment_intent: 'pi_not_ours', status: 'lost' }),
    );
    expect(await balance(victim.subAccountId)).toBe(micros('20'));
    expect(await balance(attacker.subAccountId)).toBe(micros('20'));
    expect(await profit(victim.agencyId)).toEqual({ earned: micros('4'), paidOut: 0n, pending: micros('4') });
    // A refund larger than the charge is not booked either.
    await deliver(stripe.event('charge.refunded', { ...stripe.chargeOf(attackerIntent), amount_refunded: 2001 }));
    expect(await balance(attacker.subAccountId)).toBe(micros('20'));
  });

  /** The agency's Connect account, onboarded: payouts can be made. */
  async function connect(agencyId: string): Promise<void> {
    expect(ok(await app.gql(`mutation($id: ID!) { createStripeConnectLink(agencyId: $id) { userErrors { code } } }`, { id: agencyId }))
      .createStripeConnectLink.userErrors).toEqual([]);
    const [account] = await app.dataSource.query(`SELECT stripe_account_id FROM payout_connect_accounts WHERE agency_id = $1`, [rawId(agencyId)]);
    await deliver(stripe.updateAccount(account.stripe_account_id, { details_submitted: true, payouts_enabled: true, charges_enabled: true, transfers: 'active' }));
    await eventually(async () => ok(await app.gql(`query($id: ID!) { agency(id: $id) { stripeConnectStatus } }`, { id: agencyId })).agency.stripeConnectStatus,
      (s) => s === 'CONNECTED');
  }

  it('should net the markup of a refund after its payout from the agency\'s pending profit, and show statements net of refunds', async () => {
    const { agencyId, subAccountId } = await client('Refund after payout');
    const intent = await purchase(subAccountId, '600'); // $120 earned
    await connect(agencyId);
    const paid = ok(await app.gql(`mutation($id: ID!) { requestPayout(agencyId: $id) { payout { status } userErrors { code } } }`, { id: agencyId })).requestPayout;
    expect(paid).toEqual({ payout: { status: 'PAID' }, userErrors: [] });
    expect(await profit(agencyId)).toEqual({ earned: micros('120'), paidOut: micros('120'), pending: 0n });

    await deliver(stripe.refund(intent, 10_000)); // $100 of $600 back
    expect(await balance(subAccountId)).toBe(micros('500'));
    expect(await profit(agencyId)).toEqual({ earned: micros('100'), paidOut: micros('120'), pending: micros('-20') });
    const statement = ok(await app.gql(
      `query($id: ID!) { subAccount(id: $id) { statement { openingBalance { amount } purchases { amount } adjustments { amount } closingBalance { amount } } } }`,
      { id: subAccountId },
    )).subAccount.statement;
    expect(statement).toEqual({ openingBalance: { amount: '0.00' }, purchases: { amount: '500.00' }, adjustments: { amount: '0.00' }, closingBalance: { amount: '500.00' } });
    // Below zero, no payout: the next purchases pay the markup back first.
    const again = ok(await app.gql(`mutation($id: ID!) { requestPayout(agencyId: $id) { payout { status } userErrors { code } } }`, { id: agencyId })).requestPayout;
    expect(again.userErrors.map((e: { code: string }) => e.code)).toEqual(['PAYOUT_BELOW_THRESHOLD']);
  });

  it('the bank test with money in and out: purchases, refunds, disputes, transfers and payouts racing conserve every micro-dollar', async () => {
    // One agency, four clients with cards, all at $0.20 Premium with a $0.04 markup.
    const { agencyId, subAccountId: first } = await client('Bank in and out');
    const subs = [first];
    for (let i = 1; i < 4; i += 1) {
      const sub = await addSubAccount(app, agencyId, { name: `Bank client ${i}` });
      const setup = ok(await app.gql(`mutation($id: ID!) { createPaymentMethodSetup(subAccountId: $id) { clientSecret } }`, { id: sub }))
        .createPaymentMethodSetup;
      await deliver(stripe.completeSetup(setup.clientSecret.split('_secret_')[0]).event);
      subs.push(sub);
    }
    await connect(agencyId);
    let seed = 20261204;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = (n: number) => Math.floor(next() * n);
    const intents: string[] = [];
    const topUpKeys: Array<{ sub: string; amount: string; key: string }> = [];
    const disputes: string[] = [];
    const payouts = new Map<string, bigint>();
    const webhookAnswers: number[] = [];
    const send = (event: Params) => stripe.sendEvent(event).then((a) => webhookAnswers.push(a.status));
    let ops = 240;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (ops-- > 0) {
        const roll = next();
        if (roll < 0.4 || intents.length === 0) {
          const retry = topUpKeys.length > 0 && next() < 0.15;
          const op = retry ? topUpKeys[pick(topUpKeys.length)]
            : { sub: subs[pick(subs.length)], amount: `${5 + pick(95)}.${String(pick(1_000_000)).padStart(6, '0')}`, key: key() };
          if (!retry) topUpKeys.push(op);
          const payload = ok(await app.gql(`mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { id } userErrors { code } } }`,
            { input: { subAccountId: op.sub, amount: op.amount, idempotencyKey: op.key } })).topUpWallet;
          expect(payload.userErrors).toEqual([]);
          if (!retry) {
            const [row] = await app.dataSource.query(`SELECT stripe_payment_intent_id FROM billing_payments WHERE idempotency_key = $1`, [op.key]);
            intents.push(row.stripe_payment_intent_id);
          }
        } else if (roll < 0.6) {
          const intent = intents[pick(intents.length)];
          await send(stripe.refund(intent, next() < 0.3 ? undefined : 1 + pick(800)));
        } else if (roll < 0.7) {
          const intent = intents[pick(intents.length)];
          const charge = stripe.chargeOf(intent);
          const left = Number(charge.amount) - Number(charge.amount_refunded);
          if (left > 0 && !charge.disputed) {
            const { disputeId, event } = stripe.dispute(intent, { cents: 1 + pick(left) });
            disputes.push(disputeId);
            await send(event);
          }
        } else if (roll < 0.75 && disputes.length > 0) {
          const disputeId = disputes[pick(disputes.length)];
          if (!['won', 'lost'].includes(String(stripe.disputes.get(disputeId)!.status))) {
            await send(stripe.updateDispute(disputeId, next() < 0.5 ? 'won' : 'lost', undefined, Math.floor(Date.now() / 1000) + 1));
          }
        } else if (roll < 0.92) {
          const from = pick(subs.length);
          const payload = ok(await app.gql(`mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`, {
            input: { fromSubAccountId: subs[from], toSubAccountId: subs[(from + 1 + pick(subs.length - 1)) % subs.length], tier: 'PREMIUM', minutes: `${1 + pick(200)}`, idempotencyKey: key() },
          })).transferMinutes;
          if (!payload.transfer) expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(['INSUFFICIENT_FUNDS']);
        } else {
          const payload = ok(await app.gql(`mutation($id: ID!) { requestPayout(agencyId: $id) { payout { id amount { amount } status } userErrors { code } } }`, { id: agencyId }))
            .requestPayout;
          if (payload.payout) payouts.set(payload.payout.id, micros(payload.payout.amount.amount));
          else expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(['PAYOUT_BELOW_THRESHOLD']);
        }
      }
    }));
    expect(webhookAnswers.every((status) => status === 200)).toBe(true);
    await settled();

    // Expected from Stripe's side alone: each charge held back min(charged, refunded + disputed
    // with funds withdrawn), and the markup earned on the rest (profit × rest ÷ charged, rounded
    // down on the cumulative figures).
    let charged = 0n;
    let held = 0n;
    let earned = 0n;
    for (const intent of intents) {
      const charge = stripe.chargeOf(intent);
      const cents = BigInt(Number(charge.amount));
      const disputed = [...stripe.disputes.values()]
        .filter((d) => d.payment_intent === intent && ['needs_response', 'under_review', 'lost'].includes(String(d.status)))
        .reduce((sum, d) => sum + BigInt(Number(d.amount)), 0n);
      const back = BigInt(Number(charge.amount_refunded)) + disputed > cents ? cents : BigInt(Number(charge.amount_refunded)) + disputed;
      const profit = ((cents * 10_000n * 10_000n) / 200_000n) * 40_000n / 10_000n;
      charged += cents * 10_000n;
      held += back * 10_000n;
      earned += profit - (profit * back) / cents;
    }
    expect(intents.length).toBeGreaterThan(50);
    expect(held).toBeGreaterThan(0n);
    expect(payouts.size).toBeGreaterThan(0);
    const paidOut = [...payouts.values()].reduce((sum, amount) => sum + amount, 0n);
    expect(await profit(agencyId)).toEqual({ earned, paidOut, pending: earned - paidOut });
    let total = 0n;
    for (const sub of subs) total += await balance(sub);
    const [{ primary }] = await app.dataSource.query(
      `SELECT w.id AS primary FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id WHERE s.agency_id = $1 AND s.kind = 'PRIMARY'`, [rawId(agencyId)],
    );
    expect(primary).toBeDefined();
    expect(total).toBe(charged - held); // the clients' wallets started empty: transfers only move money between them
  });
});

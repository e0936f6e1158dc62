import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Stripe-compatible HTTP server for tests: the real `stripe` SDK is pointed at it
 * (STRIPE_API_BASE → the SDK's host, port and protocol options). It implements what the
 * product calls, the way Stripe answers:
 * - form-encoded bodies (`metadata[payment_id]=…`), a secret key in `Authorization`;
 * - required and unknown parameters refused with 400 `invalid_request_error`;
 * - errors as `{ error: { type, code, message, decline_code, param, payment_intent } }`;
 * - `Idempotency-Key`: the same key and parameters replay the first answer (with
 *   `Idempotent-Replayed: true`), other parameters are 400 `idempotency_error`;
 * - faults on demand: decline a card, require authentication, answer 500 (before
 *   processing), or process and then drop the connection without an answer;
 * - webhooks signed as Stripe signs them: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256
 *   of "t.payload" under the endpoint secret>`.
 */

export type CardBehaviour = 'succeed' | 'decline' | 'require_action';

export interface FakeCard {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  behaviour: CardBehaviour;
}

interface StoredAnswer {
  path: string;
  paramsHash: string;
  status: number;
  body: unknown;
}

export type Params = Record<string, unknown>;

class StripeRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
  ) {
    super(String(error.message));
  }
}

const invalid = (message: string, param?: string) =>
  new StripeRequestError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) });

/** Parses Stripe's (qs-style) form encoding into nested objects and arrays. */
export function parseForm(body: string): Params {
  const out: Params = {};
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const [rawKey, rawValue = ''] = pair.split('=');
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== '');
    let node: any = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= {};
    });
  }
  return out;
}

function requireParams(params: Params, names: string[]): void {
  for (const name of names) {
    if (params[name] === undefined || params[name] === '') throw invalid(`Missing required param: ${name}.`, name);
  }
}

function allowOnly(params: Params, names: string[]): void {
  for (const name of Object.keys(params)) {
    if (!names.includes(name)) throw invalid(`Received unknown parameter: ${name}`, name);
  }
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export class FakeStripeServer {
  readonly secretKey = 'sk_test_' + randomBytes(12).toString('hex');
  readonly webhookSecret = 'whsec_' + randomBytes(16).toString('hex');
  /** The secret of the Connect endpoint, which carries connected accounts' events (`account` set). */
  readonly connectWebhookSecret = 'whsec_' + randomBytes(16).toString('hex');
  readonly customers = new Map<string, Params>();
  readonly setupIntents = new Map<string, Params>();
  readonly paymentMethods = new Map<string, { object: Params; behaviour: CardBehaviour }>();
  readonly paymentIntents = new Map<string, Params>();
  /** Connect: Express accounts, the onboarding links made for them, transfers to them. */
  readonly accounts = new Map<string, Params>();
  readonly accountLinks: Params[] = [];
  readonly transfers = new Map<string, Params>();
  /** The platform's available balance in cents: a transfer beyond it is refused (balance_insufficient). */
  availableBalanceCents = 100_000_000;
  /** Every request received (method, path, idempotency key), for assertions. */
  readonly requests: Array<{ method: string; path: string; idempotencyKey?: string; replayed: boolean }> = [];
  /** Where `sendEvent` posts (the API's /webhooks/stripe). */
  webhookUrl: string | undefined;

  private readonly idempotent = new Map<string, StoredAnswer>();
  private faults: Array<{ path: RegExp; kind: '500' | 'drop'; remaining: number }> = [];
  private server!: http.Server;
  private base!: string;

  /** `http://127.0.0.1:<port>`: STRIPE_API_BASE. */
  get url(): string {
    return this.base;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * The next `times` requests to a path matching `path` fail: `500` answers an api_error
   * before anything is processed (with `Stripe-Should-Retry: false`, as Stripe says when a
   * retry would not help), `drop` processes the request (and stores its idempotent answer)
   * then destroys the socket without answering. Replays of that answer count too.
   */
  failNext(path: RegExp, kind: '500' | 'drop', times = 1): void {
    this.faults.push({ path, kind, remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** PaymentIntents that reached `succeeded`: the money actually taken. */
  succeededCharges(): Params[] {
    return [...this.paymentIntents.values()].filter((pi) => pi.status === 'succeeded');
  }

  /**
   * What a customer does in the browser with a SetupIntent's client secret: a card is
   * attached and the intent succeeds. Returns the PaymentMethod and the event to deliver.
   */
  completeSetup(setupIntentId: string, card: Partial<FakeCard> = {}): { paymentMethodId: string; event: Params } {
    const intent = this.setupIntents.get(setupIntentId);
    if (!intent) throw new Error(`no setup intent ${setupIntentId}`);
    const paymentMethodId = id('pm');
    const object = {
      id: paymentMethodId, object: 'payment_method', type: 'card', customer: intent.customer, created: now(),
      card: { brand: card.brand ?? 'visa', last4: card.last4 ?? '4242', exp_month: card.exp_month ?? 12, exp_year: card.exp_year ?? 2034 },
    };
    this.paymentMethods.set(paymentMethodId, { object, behaviour: card.behaviour ?? 'succeed' });
    Object.assign(intent, { status: 'succeeded', payment_method: paymentMethodId });
    return { paymentMethodId, event: this.event('setup_intent.succeeded', intent) };
  }

  /** Changes how an existing card answers charges. */
  setCardBehaviour(paymentMethodId: string, behaviour: CardBehaviour): void {
    this.paymentMethods.get(paymentMethodId)!.behaviour = behaviour;
  }

  /** The customer completes 3-D Secure: the PaymentIntent succeeds; returns its event. */
  completeAction(paymentIntentId: string): Params {
    const intent = this.paymentIntents.get(paymentIntentId)!;
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, next_action: null });
    return this.event('payment_intent.succeeded', intent);
  }

  /**
   * The agency finishes (or not) Connect onboarding in the browser: the account's flags
   * change; returns the `account.updated` event to deliver (dated `created`).
   */
  updateAccount(accountId: string, change: { details_submitted?: boolean; payouts_enabled?: boolean; charges_enabled?: boolean; transfers?: 'active' | 'inactive' | 'pending' }, created = now()): Params {
    const account = this.found(this.accounts.get(accountId), 'account', accountId);
    const { transfers, ...flags } = change;
    Object.assign(account, flags);
    if (transfers) (account.capabilities as Params).transfers = transfers;
    // An event of the connected account: Stripe names it in `account` and sends it to Connect endpoints.
    return { ...this.event('account.updated', account, created), account: accountId };
  }

  /** The platform reverses a transfer (all of it, or `cents`); returns the `transfer.reversed` event. */
  reverseTransfer(transferId: string, cents?: number): Params {
    const transfer = this.found(this.transfers.get(transferId), 'transfer', transferId);
    const reversed = Math.min(Number(transfer.amount), Number(transfer.amount_reversed) + (cents ?? Number(transfer.amount)));
    Object.assign(transfer, { amount_reversed: reversed, reversed: reversed === transfer.amount });
    return this.event('transfer.reversed', transfer);
  }

  /** Charges (one per succeeded PaymentIntent, made when first needed) and disputes, by id. */
  readonly charges = new Map<string, Params>();
  readonly disputes = new Map<string, Params>();

  /** The Charge of a succeeded PaymentIntent, as Stripe keeps it (`latest_charge`). */
  chargeOf(paymentIntentId: string): Params {
    const intent = this.found(this.paymentIntents.get(paymentIntentId), 'payment_intent', paymentIntentId);
    if (intent.status !== 'succeeded') throw new Error(`payment intent ${paymentIntentId} has not succeeded`);
    if (typeof intent.latest_charge === 'string') return this.charges.get(intent.latest_charge)!;
    const charge = {
      id: id('ch'), object: 'charge', created: now(), amount: intent.amount, amount_captured: intent.amount_received, amount_refunded: 0,
      captured: true, paid: true, refunded: false, disputed: false, currency: intent.currency, customer: intent.customer,
      payment_intent: intent.id, payment_method: intent.payment_method, metadata: {}, status: 'succeeded', // Stripe does not copy the intent's metadata
    };
    this.charges.set(charge.id, charge);
    intent.latest_charge = charge.id;
    return charge;
  }

  /** The platform refunds (part of) a charge from its dashboard; returns `charge.refunded` (the charge, cumulative `amount_refunded`). */
  refund(paymentIntentId: string, cents?: number, created = now()): Params {
    const charge = this.chargeOf(paymentIntentId);
    const refunded = Math.min(Number(charge.amount), Number(charge.amount_refunded) + (cents ?? Number(charge.amount)));
    Object.assign(charge, { amount_refunded: refunded, refunded: refunded === charge.amount });
    return this.event('charge.refunded', charge, created);
  }

  /**
   * A cardholder disputes (part of) a charge: `needs_response` (funds withdrawn), or an
   * inquiry (`warning_needs_response`, nothing withdrawn). Returns the dispute's id and `charge.dispute.created`.
   */
  dispute(paymentIntentId: string, options: { cents?: number; inquiry?: boolean; created?: number } = {}): { disputeId: string; event: Params } {
    const charge = this.chargeOf(paymentIntentId);
    const dispute = {
      id: id('dp'), object: 'dispute', created: now(), amount: options.cents ?? charge.amount, currency: charge.currency, charge: charge.id,
      payment_intent: paymentIntentId, reason: 'fraudulent', status: options.inquiry ? 'warning_needs_response' : 'needs_response',
      is_charge_refundable: false, metadata: {},
    };
    this.disputes.set(dispute.id, dispute);
    charge.disputed = true;
    return { disputeId: dispute.id, event: this.event('charge.dispute.created', dispute, options.created) };
  }

  /** The dispute moves on; returns the event Stripe sends for it (`closed` for won and lost, `funds_reinstated`, or `updated`). */
  updateDispute(disputeId: string, status: string, type?: string, created = now()): Params {
    const dispute = this.found(this.disputes.get(disputeId), 'dispute', disputeId);
    dispute.status = status;
    const eventType = type ?? (['won', 'lost', 'warning_closed'].includes(status) ? 'charge.dispute.closed' : 'charge.dispute.updated');
    return this.event(eventType, dispute, created);
  }

  /** An event as Stripe builds it (a snapshot of the object now). */
  event(type: string, object: Params, created = now()): Params {
    return { id: id('evt'), object: 'event', api_version: '2025-01-01', created, type, livemode: false, data: { object: structuredClone(object) } };
  }

  /** Stripe's signature header for a payload. */
  sign(payload: string, timestamp = now(), secret = this.webhookSecret): string {
    const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
    return `t=${timestamp},v1=${signature}`;
  }

  /** POSTs an event to the webhook URL, signed (or with the header given). */
  async sendEvent(event: Params, options: { signature?: string; timestamp?: number } = {}): Promise<{ status: number; body: string }> {
    if (!this.webhookUrl) throw new Error('webhookUrl is not set');
    const payload = JSON.stringify(event, null, 2);
    // A connected account's event comes from the Connect endpoint, signed with its secret.
    const secret = event.account === undefined ? this.webhookSecret : this.connectWebhookSecret;
    const response = await fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': options.signature ?? this.sign(payload, options.timestamp, secret) },
      body: payload,
    });
    return { status: response.status, body: await response.text() };
  }

  // -------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const query = (req.url ?? '').includes('?') ? (req.url ?? '').split('?')[1] : '';
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...headers });
      res.end(JSON.stringify(payload));
    };
    const fault = this.faults.find((f) => f.remaining > 0 && f.path.test(path));
    if (fault) fault.remaining -= 1;
    const drop = (): void => {
      res.socket?.destroy();
    };

    if (!/^Bearer sk_test_[A-Za-z0-9]+$/.test(req.headers.authorization ?? '') || req.headers.authorization !== `Bearer ${this.secretKey}`) {
      send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      return;
    }
    if (method === 'POST' && body && !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      send(400, { error: { type: 'invalid_request_error', message: 'Invalid request: bodies must be form-encoded' } });
      return;
    }
    const params = method === 'POST' ? parseForm(body) : parseForm(query);
    const paramsHash = createHash('sha256').update(body).digest('hex');

    if (method === 'POST' && idempotencyKey) {
      const stored = this.idempotent.get(idempotencyKey);
      if (stored) {
        this.requests.push({ method, path, idempotencyKey, replayed: true });
        if (fault?.kind === 'drop') return drop();
        if (stored.path !== path || stored.paramsHash !== paramsHash) {
          send(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          });
          return;
        }
        send(stored.status, stored.body, { 'idempotent-replayed': 'true', 'original-request': id('req') });
        return;
      }
    }
    this.requests.push({ method, path, idempotencyKey, replayed: false });
    if (fault?.kind === '500') {
      // Nothing processed, nothing stored: a retry runs the request for the first time.
      send(500, { error: { type: 'api_error', message: 'An unknown error occurred' } }, { 'stripe-should-retry': 'false' });
      return;
    }

    let status = 200;
    let answer: unknown;
    try {
      answer = this.route(method, path, params);
    } catch (error) {
      if (!(error instanceof StripeRequestError)) throw error;
      status = error.status;
      answer = { error: error.error };
    }
    // Stripe stores the answer of a request it ran (errors included, except 500s) under its key.
    if (method === 'POST' && idempotencyKey) this.idempotent.set(idempotencyKey, { path, paramsHash, status, body: answer });
    if (fault?.kind === 'drop') return drop();
    send(status, answer);
  }

  private route(method: string, path: string, params: Params): unknown {
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') return this.createCustomer(params);
    if (method === 'POST' && path === '/v1/setup_intents') return this.createSetupIntent(params);
    if (method === 'POST' && path === '/v1/payment_intents') return this.createPaymentIntent(params);
    if (method === 'GET' && (match = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
      return structuredClone(this.found(this.paymentIntents.get(match[1]), 'payment_intent', match[1]));
    }
    if (method === 'POST' && (match = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path))) {
      const intent = this.found(this.paymentIntents.get(match[1]), 'payment_intent', match[1]);
      allowOnly(params, ['payment_method', 'off_session']);
      return this.confirm(intent, Boolean(params.off_session === 'true'));
    }
    if (method === 'POST' && path === '/v1/accounts') return this.createAccount(params);
    if (method === 'GET' && (match = /^\/v1\/accounts\/([^/]+)$/.exec(path))) {
      return structuredClone(this.found(this.accounts.get(match[1]), 'account', match[1]));
    }
    if (method === 'POST' && path === '/v1/account_links') return this.createAccountLink(params);
    if (method === 'POST' && path === '/v1/transfers') return this.createTransfer(params);
    if (method === 'GET' && (match = /^\/v1\/transfers\/([^/]+)$/.exec(path))) {
      return structuredClone(this.found(this.transfers.get(match[1]), 'transfer', match[1]));
    }
    if (method === 'GET' && (match = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
      return structuredClone(this.found(this.paymentMethods.get(match[1])?.object, 'payment_method', match[1]));
    }
    throw new StripeRequestError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
  }

  private found<T>(value: T | undefined, kind: string, key: string): T {
    if (!value) {
      throw new StripeRequestError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${key}'`, param: 'id' });
    }
    return value;
  }

  private createCustomer(params: Params): Params {
    allowOnly(params, ['email', 'name', 'metadata', 'description']);
    const customer = { id: id('cus'), object: 'customer', created: now(), email: params.email ?? null, name: params.name ?? null, metadata: params.metadata ?? {} };
    this.customers.set(customer.id, customer);
    return customer;
  }

  private createSetupIntent(params: Params): Params {
    allowOnly(params, ['customer', 'usage', 'payment_method_types', 'metadata', 'automatic_payment_methods']);
    if (params.customer !== undefined && !this.customers.has(String(params.customer))) {
      throw invalid(`No such customer: '${String(params.customer)}'`, 'customer');
    }
    if (params.usage !== undefined && !['on_session', 'off_session'].includes(String(params.usage))) throw invalid('Invalid usage', 'usage');
    const intentId = id('seti');
    const intent = {
      id: intentId, object: 'setup_intent', created: now(), customer: params.customer ?? null, usage: params.usage ?? 'off_session',
      status: 'requires_payment_method', payment_method: null, client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
      metadata: params.metadata ?? {},
    };
    this.setupIntents.set(intentId, intent);
    return intent;
  }

  private createPaymentIntent(params: Params): Params {
    allowOnly(params, ['amount', 'currency', 'customer', 'payment_method', 'off_session', 'confirm', 'metadata', 'description', 'payment_method_types']);
    requireParams(params, ['amount', 'currency']);
    if (!/^\d+$/.test(String(params.amount))) throw invalid('Invalid integer: ' + String(params.amount), 'amount');
    const amount = Number(params.amount);
    if (amount < 50) {
      throw new StripeRequestError(400, { type: 'invalid_request_error', code: 'amount_too_small', message: 'Amount must be at least $0.50 usd', param: 'amount' });
    }
    if (amount > 99_999_999) {
      throw new StripeRequestError(400, { type: 'invalid_request_error', code: 'amount_too_large', message: 'Amount must be no more than $999,999.99', param: 'amount' });
    }
    if (!/^[a-z]{3}$/.test(String(params.currency))) throw invalid('Invalid currency: ' + String(params.currency), 'currency');
    if (params.customer !== undefined && !this.customers.has(String(params.customer))) throw invalid(`No such customer: '${String(params.customer)}'`, 'customer');
    if (params.off_session !== undefined && params.confirm !== 'true') throw invalid('off_session can only be used with confirm=true', 'off_session');
    const intentId = id('pi');
    const intent: Params = {
      id: intentId, object: 'payment_intent', created: now(), amount, amount_received: 0, currency: params.currency,
      customer: params.customer ?? null, payment_method: params.payment_method ?? null, status: 'requires_confirmation',
      client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`, metadata: params.metadata ?? {}, next_action: null,
      last_payment_error: null,
    };
    this.paymentIntents.set(intentId, intent);
    if (params.confirm === 'true') return this.confirm(intent, params.off_session === 'true');
    return structuredClone(intent);
  }

  private createAccount(params: Params): Params {
    allowOnly(params, ['type', 'controller', 'country', 'email', 'capabilities', 'metadata', 'business_type', 'default_currency']);
    if (params.type === undefined && params.controller === undefined) throw invalid('You must provide `type` or `controller`.', 'type');
    if (params.type !== undefined && !['express', 'standard', 'custom'].includes(String(params.type))) {
      throw invalid(`Invalid type: must be one of custom, express, or standard`, 'type');
    }
    const capabilities: Params = {};
    for (const [name, value] of Object.entries((params.capabilities ?? {}) as Record<string, Params>)) {
      if (value.requested !== 'true' && value.requested !== 'false') throw invalid(`Invalid boolean: ${String(value.requested)}`, `capabilities[${name}][requested]`);
      if (value.requested === 'true') capabilities[name] = 'inactive';
    }
    const account = {
      id: id('acct'), object: 'account', type: params.type ?? 'custom', created: now(), country: params.country ?? 'US',
      charges_enabled: false, payouts_enabled: false, details_submitted: false, capabilities, metadata: params.metadata ?? {},
    };
    this.accounts.set(account.id, account);
    return structuredClone(account);
  }

  private createAccountLink(params: Params): Params {
    allowOnly(params, ['account', 'type', 'refresh_url', 'return_url', 'collect', 'collection_options']);
    requireParams(params, ['account', 'type']);
    if (!['account_onboarding', 'account_update'].includes(String(params.type))) throw invalid('Invalid type', 'type');
    const account = this.accounts.get(String(params.account));
    if (!account) throw invalid(`No such account: '${String(params.account)}'`, 'account');
    if (params.type === 'account_onboarding') requireParams(params, ['refresh_url', 'return_url']);
    for (const name of ['refresh_url', 'return_url']) {
      if (params[name] !== undefined && !/^https?:\/\/[^\s]+$/.test(String(params[name]))) throw invalid(`Not a valid URL`, name);
    }
    const link = {
      object: 'account_link', created: now(), expires_at: now() + 300,
      url: `https://connect.stripe.com/setup/e/${account.id}/${randomBytes(12).toString('hex')}`,
    };
    this.accountLinks.push({ ...link, account: account.id, refresh_url: params.refresh_url, return_url: params.return_url });
    return link;
  }

  private createTransfer(params: Params): Params {
    allowOnly(params, ['amount', 'currency', 'destination', 'description', 'metadata', 'transfer_group', 'source_transaction', 'source_type']);
    requireParams(params, ['amount', 'currency', 'destination']);
    if (!/^\d+$/.test(String(params.amount)) || Number(params.amount) < 1) throw invalid('Invalid positive integer', 'amount');
    if (!/^[a-z]{3}$/.test(String(params.currency))) throw invalid('Invalid currency: ' + String(params.currency), 'currency');
    const destination = this.accounts.get(String(params.destination));
    if (!destination) throw invalid(`No such destination: '${String(params.destination)}'`, 'destination');
    if ((destination.capabilities as Params).transfers !== 'active') {
      throw new StripeRequestError(400, {
        type: 'invalid_request_error', code: 'insufficient_capabilities_for_transfer', param: 'destination',
        message: 'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      });
    }
    const amount = Number(params.amount);
    if (amount > this.availableBalanceCents) {
      throw new StripeRequestError(400, {
        type: 'invalid_request_error', code: 'balance_insufficient',
        message: 'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Top-ups.',
      });
    }
    this.availableBalanceCents -= amount;
    const transfer = {
      id: id('tr'), object: 'transfer', created: now(), amount, amount_reversed: 0, reversed: false, currency: params.currency,
      destination: destination.id, description: params.description ?? null, metadata: params.metadata ?? {},
      transfer_group: params.transfer_group ?? null,
    };
    this.transfers.set(transfer.id, transfer);
    return structuredClone(transfer);
  }

  private confirm(intent: Params, offSession: boolean): Params {
    const method = intent.payment_method ? this.paymentMethods.get(String(intent.payment_method)) : undefined;
    if (!method) throw invalid('You must provide a payment method to confirm this PaymentIntent', 'payment_method');
    if (method.object.customer !== intent.customer) {
      throw invalid(`The provided PaymentMethod was previously used with a different Customer`, 'payment_method');
    }
    if (method.behaviour === 'decline') {
      const lastError = { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' };
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: lastError });
      throw new StripeRequestError(402, { ...lastError, payment_intent: structuredClone(intent) });
    }
    if (method.behaviour === 'require_action') {
      Object.assign(intent, { status: 'requires_action', next_action: { type: 'use_stripe_sdk' } });
      if (offSession) {
        // Off-session, Stripe fails the confirmation: the customer must come back and authenticate.
        const lastError = { type: 'card_error', code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' };
        Object.assign(intent, { last_payment_error: lastError });
        throw new StripeRequestError(402, { ...lastError, payment_intent: structuredClone(intent) });
      }
      return structuredClone(intent);
    }
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount });
    return structuredClone(intent);
  }
}

/** Starts a fake Stripe; `stop()` it in afterAll. */
export function startStripeServer(): Promise<FakeStripeServer> {
  return new FakeStripeServer().start();
}

import Stripe from 'stripe';
import type { PaymentsConfig } from '../../config/config';
import {
  WebhookSignatureError, type ChargeOutcome, type ChargeRequest, type PaymentGateway, type SavedCard, type TransferOutcome,
  type TransferRequest, type WebhookEvent, type PaymentIntentOwner,
} from './payment-gateway';

/** How long one request may take before the SDK gives up on it (and retries, same key). */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * The official SDK. In tests `stripeApi` points it at a local Stripe-compatible server
 * through its `host`, `port` and `protocol` options: the SDK itself (encoding, retries,
 * idempotency headers, signature checks) is always the real one.
 */
export class StripeGateway implements PaymentGateway {
  readonly mode = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly config: PaymentsConfig & { stripeSecretKey: string; stripeWebhookSecret: string }) {
    this.stripe = new Stripe(config.stripeSecretKey, {
      maxNetworkRetries: config.stripeMaxNetworkRetries,
      timeout: REQUEST_TIMEOUT_MS,
      telemetry: false,
      ...(config.stripeApi ?? {}),
    });
  }

  async createCustomer(input: { subAccountId: string; agencyId: string; email: string; name: string }): Promise<string> {
    const customer = await this.stripe.customers.create(
      { email: input.email, name: input.name, metadata: { sub_account_id: input.subAccountId, agency_id: input.agencyId } },
      // One customer per sub-account, even when two requests race to create it.
      { idempotencyKey: `customer/${input.subAccountId}` },
    );
    return customer.id;
  }

  async createSetupIntent(input: { customerId: string; subAccountId: string; idempotencyKey: string }) {
    const intent = await this.stripe.setupIntents.create(
      { customer: input.customerId, usage: 'off_session', metadata: { sub_account_id: input.subAccountId } },
      { idempotencyKey: input.idempotencyKey },
    );
    return { id: intent.id, clientSecret: intent.client_secret! };
  }

  async retrieveCard(paymentMethodId: string): Promise<SavedCard | undefined> {
    const method = await this.stripe.paymentMethods.retrieve(paymentMethodId);
    if (!method.card) return undefined;
    return { paymentMethodId: method.id, brand: method.card.brand, last4: method.card.last4, expMonth: method.card.exp_month, expYear: method.card.exp_year };
  }

  async chargeOffSession(request: ChargeRequest): Promise<ChargeOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: Number(request.amountCents), // at most 99,999,999 cents (checked before), exact in a double
          currency: 'usd',
          customer: request.customerId,
          payment_method: request.paymentMethodId,
          off_session: true,
          confirm: true,
          metadata: request.metadata,
          description: request.description,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return outcomeOf(intent);
    } catch (error) {
      return failureOf(error);
    }
  }

  async retrieveCharge(paymentIntentId: string): Promise<ChargeOutcome> {
    try {
      return outcomeOf(await this.stripe.paymentIntents.retrieve(paymentIntentId));
    } catch (error) {
      return failureOf(error);
    }
  }

  async retrievePaymentIntentOwner(paymentIntentId: string): Promise<PaymentIntentOwner | null> {
    try {
      const intent = await this.stripe.paymentIntents.retrieve(paymentIntentId);
      const customer = typeof intent.customer === 'string' ? intent.customer : intent.customer?.id ?? null;
      return { id: intent.id, customer, metadata: intent.metadata ?? {} };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
      throw error;
    }
  }

  async createConnectAccount(input: { agencyId: string; idempotencyKey: string }): Promise<string> {
    const account = await this.stripe.accounts.create(
      { type: 'express', capabilities: { transfers: { requested: true } }, metadata: { agency_id: input.agencyId } },
      { idempotencyKey: input.idempotencyKey },
    );
    return account.id;
  }

  async createAccountLink(accountId: string): Promise<string | undefined> {
    const { stripeConnectRefreshUrl: refreshUrl, stripeConnectReturnUrl: returnUrl } = this.config;
    if (refreshUrl === undefined || returnUrl === undefined) return undefined;
    // No idempotency key: every link is single-use and short-lived, a fresh one each time is what is wanted.
    const link = await this.stripe.accountLinks.create({ account: accountId, type: 'account_onboarding', refresh_url: refreshUrl, return_url: returnUrl });
    return link.url;
  }

  async createTransfer(request: TransferRequest): Promise<TransferOutcome> {
    try {
      const transfer = await this.stripe.transfers.create(
        {
          amount: Number(request.amountCents), // at most the agency's profit in cents, far below 2^53
          currency: 'usd',
          destination: request.destinationAccountId,
          metadata: request.metadata,
          description: request.description,
          transfer_group: request.metadata.payout_id,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { status: 'paid', transferId: transfer.id, amountCents: BigInt(transfer.amount) };
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeError)) throw error;
      if (error.type === 'StripeInvalidRequestError' || error.type === 'StripeIdempotencyError' || error.type === 'StripePermissionError') {
        return { status: 'failed', code: error.code ?? error.rawType ?? 'invalid_request_error', message: error.message };
      }
      return { status: 'unknown', message: `${error.type}: ${error.message}` };
    }
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): WebhookEvent {
    if (!signatureHeader) throw new WebhookSignatureError('No Stripe-Signature header');
    let event: Stripe.Event | undefined;
    let failure: Error | undefined;
    // The platform endpoint's secret, then the Connect endpoint's (connected accounts' events), if one is set.
    for (const secret of [this.config.stripeWebhookSecret, this.config.stripeConnectWebhookSecret]) {
      if (secret === undefined || event) continue;
      try {
        event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, this.config.webhookToleranceSeconds);
      } catch (error) {
        failure ??= error as Error;
      }
    }
    if (!event) throw new WebhookSignatureError(failure?.message ?? 'No signature matched');
    return { id: event.id, type: event.type, created: event.created, object: event.data.object as unknown as Record<string, any> };
  }
}

/** A PaymentIntent's status as an outcome. */
export function outcomeOf(intent: Pick<Stripe.PaymentIntent, 'id' | 'status' | 'client_secret' | 'amount_received' | 'last_payment_error'>): ChargeOutcome {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentIntentId: intent.id, amountReceivedCents: BigInt(intent.amount_received) };
    case 'requires_action':
      return { status: 'requires_action', paymentIntentId: intent.id, clientSecret: intent.client_secret ?? '' };
    case 'processing':
    case 'requires_capture':
    case 'requires_confirmation':
      return { status: 'processing', paymentIntentId: intent.id };
    default: {
      // requires_payment_method (a failed attempt) or canceled.
      const error = intent.last_payment_error;
      return {
        status: 'declined', paymentIntentId: intent.id, code: error?.decline_code ?? error?.code ?? intent.status,
        message: error?.message ?? `The payment is ${intent.status}`,
      };
    }
  }
}

function failureOf(error: unknown): ChargeOutcome {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  const intent = error.payment_intent;
  if (error.type === 'StripeCardError') {
    // Off-session charges that need 3-D Secure fail with authentication_required; the customer can still complete them.
    if (error.code === 'authentication_required' && intent) {
      return { status: 'requires_action', paymentIntentId: intent.id, clientSecret: intent.client_secret ?? '' };
    }
    return { status: 'declined', paymentIntentId: intent?.id ?? null, code: error.decline_code ?? error.code ?? 'card_declined', message: error.message };
  }
  if (error.type === 'StripeInvalidRequestError' || error.type === 'StripeIdempotencyError') {
    return { status: 'invalid', code: error.code ?? error.rawType ?? 'invalid_request_error', message: error.message };
  }
  // StripeAPIError (5xx), StripeConnectionError, rate limits, authentication problems of ours.
  return { status: 'unknown', message: `${error.type}: ${error.message}` };
}

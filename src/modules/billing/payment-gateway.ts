/**
 * What the product asks of a payment provider. Two implementations: `StripeGateway` (the
 * official SDK, against api.stripe.com or, in tests, a local Stripe-compatible server) and
 * `SandboxGateway` (no key: purchases are booked as paid, no network call).
 */

export interface SavedCard {
  paymentMethodId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** The outcome of a charge, as far as Stripe said. */
export type ChargeOutcome =
  /** The money is taken: credit now. */
  | { status: 'succeeded'; paymentIntentId: string; amountReceivedCents: bigint }
  /** The customer must authenticate (3-D Secure) with this client secret; the webhook credits later. */
  | { status: 'requires_action'; paymentIntentId: string; clientSecret: string }
  /** Accepted, not settled yet (some methods): the webhook credits later. */
  | { status: 'processing'; paymentIntentId: string }
  /** Refused by the card or the bank: nothing was taken. */
  | { status: 'declined'; paymentIntentId: string | null; code: string; message: string }
  /** A request Stripe refused (bad parameters, idempotency conflict): nothing was taken. */
  | { status: 'invalid'; code: string; message: string }
  /**
   * No answer we can trust (5xx, timeout, dropped connection after the SDK's retries): the
   * charge may or may not exist. The payment stays pending for reconciliation.
   */
  | { status: 'unknown'; message: string };

export interface ChargeRequest {
  customerId: string;
  paymentMethodId: string;
  amountCents: bigint;
  /** Sent as Stripe's Idempotency-Key: every attempt of one payment sends the same key. */
  idempotencyKey: string;
  metadata: Record<string, string>;
  description: string;
}

/** A verified webhook event (only the fields the product reads). */
export interface PaymentIntentOwner {
  id: string;
  customer: string | null;
  metadata: Record<string, string>;
}

export interface WebhookEvent {
  id: string;
  type: string;
  created: number;
  object: Record<string, any>;
}

export class WebhookSignatureError extends Error {}

/** The outcome of a Connect transfer (a payout), as far as Stripe said. */
export type TransferOutcome =
  /** The transfer exists: the money is on the connected account. */
  | { status: 'paid'; transferId: string; amountCents: bigint }
  /** Stripe refused the request (no such account, capability missing, platform balance): nothing moved. */
  | { status: 'failed'; code: string; message: string }
  /** No answer we can trust (5xx, dropped connection): the transfer may exist; ask again under the same key. */
  | { status: 'unknown'; message: string };

export interface TransferRequest {
  destinationAccountId: string;
  amountCents: bigint;
  /** Sent as Stripe's Idempotency-Key: every attempt of one payout sends the same key. */
  idempotencyKey: string;
  metadata: Record<string, string>;
  description: string;
}

/** Stripe Connect: an Express account per agency, its onboarding link, and transfers to it (payouts). */
export interface ConnectGateway {
  /** The agency's Express account, created once per key (Stripe's idempotency). */
  createConnectAccount(input: { agencyId: string; idempotencyKey: string }): Promise<string>;
  /** An onboarding Account Link; undefined when the refresh/return URLs are not configured. */
  createAccountLink(accountId: string): Promise<string | undefined>;
  createTransfer(request: TransferRequest): Promise<TransferOutcome>;
}

export interface PaymentGateway extends ConnectGateway {
  readonly mode: 'stripe' | 'sandbox';
  createCustomer(input: { subAccountId: string; agencyId: string; email: string; name: string }): Promise<string>;
  /** A SetupIntent for saving a card for off-session use; returns its client secret. */
  createSetupIntent(input: { customerId: string; subAccountId: string; idempotencyKey: string }): Promise<{ id: string; clientSecret: string }>;
  retrieveCard(paymentMethodId: string): Promise<SavedCard | undefined>;
  chargeOffSession(request: ChargeRequest): Promise<ChargeOutcome>;
  /** The PaymentIntent as Stripe has it now, as an outcome ('unknown' when Stripe cannot be reached). */
  retrieveCharge(paymentIntentId: string): Promise<ChargeOutcome>;
  /**
   * Who a PaymentIntent belongs to, as Stripe has it (events about its charge carry no
   * metadata of ours): null when Stripe has no such PaymentIntent; throws when Stripe cannot answer.
   */
  retrievePaymentIntentOwner(paymentIntentId: string): Promise<PaymentIntentOwner | null>;
  /** Verifies the signature of a raw webhook body (WebhookSignatureError when it does not hold). */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): WebhookEvent;
}

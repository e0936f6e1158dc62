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
export interface WebhookEvent {
  id: string;
  type: string;
  created: number;
  object: Record<string, any>;
}

export class WebhookSignatureError extends Error {}

export interface PaymentGateway {
  readonly mode: 'stripe' | 'sandbox';
  createCustomer(input: { subAccountId: string; agencyId: string; email: string; name: string }): Promise<string>;
  /** A SetupIntent for saving a card for off-session use; returns its client secret. */
  createSetupIntent(input: { customerId: string; subAccountId: string; idempotencyKey: string }): Promise<{ id: string; clientSecret: string }>;
  retrieveCard(paymentMethodId: string): Promise<SavedCard | undefined>;
  chargeOffSession(request: ChargeRequest): Promise<ChargeOutcome>;
  /** The PaymentIntent as Stripe has it now, as an outcome ('unknown' when Stripe cannot be reached). */
  retrieveCharge(paymentIntentId: string): Promise<ChargeOutcome>;
  /** Verifies the signature of a raw webhook body (WebhookSignatureError when it does not hold). */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): WebhookEvent;
}

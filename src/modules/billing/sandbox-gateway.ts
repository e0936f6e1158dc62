import { randomUUID } from 'node:crypto';
import {
  WebhookSignatureError, type ChargeOutcome, type ChargeRequest, type PaymentGateway, type SavedCard, type TransferOutcome, type TransferRequest, type WebhookEvent,
} from './payment-gateway';

/** Every transfer booked by sandbox mode says so in its memo. */
export const SANDBOX_MEMO = 'SANDBOX: booked as paid without any charge (no STRIPE_SECRET_KEY)';

/**
 * No STRIPE_SECRET_KEY: purchases are booked as succeeded without any network call, so the
 * API can be tried end to end. Refused when NODE_ENV=production (assertPaymentsAllowed).
 * No card is needed and none can be saved; no webhook is accepted.
 */
export class SandboxGateway implements PaymentGateway {
  readonly mode = 'sandbox' as const;

  async createCustomer(input: { subAccountId: string }): Promise<string> {
    return `sandbox_cus_${input.subAccountId}`;
  }

  async createSetupIntent(): Promise<{ id: string; clientSecret: string }> {
    throw new Error('sandbox mode saves no card');
  }

  async retrieveCard(): Promise<SavedCard | undefined> {
    return undefined;
  }

  async chargeOffSession(request: ChargeRequest): Promise<ChargeOutcome> {
    return { status: 'succeeded', paymentIntentId: `sandbox_pi_${randomUUID()}`, amountReceivedCents: request.amountCents };
  }

  /** Sandbox payments are never refunded or disputed: no Stripe knows them. */
  async retrievePaymentIntentOwner(): Promise<null> {
    return null;
  }

  async retrieveCharge(paymentIntentId: string): Promise<ChargeOutcome> {
    return { status: 'unknown', message: `sandbox mode has no PaymentIntent ${paymentIntentId}` };
  }

  /** No onboarding in sandbox mode: the account is treated as connected at once (see PayoutService). */
  async createConnectAccount(input: { agencyId: string }): Promise<string> {
    return `sandbox_acct_${input.agencyId.replace(/-/g, '')}`;
  }

  async createAccountLink(accountId: string): Promise<string> {
    return `sandbox:stripe-connect/${accountId}`;
  }

  /** Payouts are booked as paid without any network call (the payout's ledger memo says so). */
  async createTransfer(request: TransferRequest): Promise<TransferOutcome> {
    return { status: 'paid', transferId: `sandbox_tr_${randomUUID()}`, amountCents: request.amountCents };
  }

  verifyWebhook(): WebhookEvent {
    throw new WebhookSignatureError('sandbox mode accepts no webhook');
  }
}

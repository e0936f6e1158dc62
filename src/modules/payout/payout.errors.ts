import { DomainError } from '../../shared/domain-error';

/** Stable codes of the payout module's user errors. */
export const PayoutErrorCode = {
  /** The agency's unpaid profit is below the payout threshold ($100). */
  PAYOUT_BELOW_THRESHOLD: 'PAYOUT_BELOW_THRESHOLD',
  /** The agency has no Stripe Connect account that can receive transfers yet (createStripeConnectLink, then onboarding). */
  STRIPE_NOT_CONNECTED: 'STRIPE_NOT_CONNECTED',
  /** STRIPE_CONNECT_REFRESH_URL / STRIPE_CONNECT_RETURN_URL are not set: no onboarding link can be made. */
  STRIPE_CONNECT_NOT_CONFIGURED: 'STRIPE_CONNECT_NOT_CONFIGURED',
} as const;

export class PayoutError extends DomainError {
  constructor(code: (typeof PayoutErrorCode)[keyof typeof PayoutErrorCode], message: string, field?: string[]) {
    super(code, message, field);
  }
}

import { DomainError } from '../../shared/domain-error';

/** Stable codes of the billing module's user errors. */
export const BillingErrorCode = {
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  /** The card needs the customer (3-D Secure): the payload carries the PaymentIntent's client secret. */
  PAYMENT_ACTION_REQUIRED: 'PAYMENT_ACTION_REQUIRED',
  /** Stripe's answer was lost or not final; the payment is reconciled; retry with the same key to see the outcome. */
  PAYMENT_PENDING: 'PAYMENT_PENDING',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  PAYMENT_METHOD_REQUIRED: 'PAYMENT_METHOD_REQUIRED',
  PAYMENTS_SANDBOX: 'PAYMENTS_SANDBOX',
} as const;

export class BillingError extends DomainError {
  constructor(
    code: (typeof BillingErrorCode)[keyof typeof BillingErrorCode],
    message: string,
    field?: string[],
    /** For PAYMENT_ACTION_REQUIRED: what the client's Stripe.js needs to let the customer authenticate. */
    readonly clientSecret: string | null = null,
  ) {
    super(code, message, field);
  }
}

/**
 * Refunds and disputes, pure (docs/payments.md, "Refunds and disputes"): how much of a
 * purchase the ledger must hold reversed, given what Stripe reports.
 *
 * A purchase of `amountCents` credited the wallet exactly that and earned the agency
 * `profitMicros`. Money Stripe gave back (refunds, cumulative) or holds for a dispute is
 * taken back from the wallet cent for cent, and the earned profit in the same proportion,
 * rounded down, computed on the cumulative amounts: however the reversals are split, a full
 * reversal takes back exactly the profit earned, never a micro-dollar more or less.
 */

/** Dispute statuses under which Stripe has withdrawn the disputed amount (inquiries, `warning_*`, withdraw nothing). */
export const FUNDS_WITHDRAWN_STATUSES = ['needs_response', 'under_review', 'lost'] as const;
const FUNDS_WITHDRAWN: ReadonlySet<string> = new Set(FUNDS_WITHDRAWN_STATUSES);

/** Closed: Stripe will not change the dispute's funds again. */
const CLOSED: ReadonlySet<string> = new Set(['won', 'lost', 'warning_closed', 'charge_refunded']);

export const disputeHoldsFunds = (status: string): boolean => FUNDS_WITHDRAWN.has(status);
export const disputeIsClosed = (status: string): boolean => CLOSED.has(status);

/**
 * A dispute's stage, for two events of the same second (Stripe's `created` is in seconds):
 * the later stage wins. Unknown statuses rank first, so they never overwrite a known one.
 */
export function disputeStage(status: string): number {
  if (CLOSED.has(status)) return 3;
  if (status === 'under_review' || status === 'warning_under_review') return 2;
  if (status === 'needs_response' || status === 'warning_needs_response') return 1;
  return 0;
}

export interface ReversalTarget {
  /** Cents of the purchase the wallet must have given back. */
  reversedCents: bigint;
  /** Micro-dollars of the earned profit the agency must have given back. */
  reversedProfitMicros: bigint;
}

export function reversalTarget(input: {
  amountCents: bigint; profitMicros: bigint; refundedCents: bigint; disputedHeldCents: bigint;
}): ReversalTarget {
  if (input.amountCents <= 0n) throw new RangeError('a purchase amount is positive');
  const held = input.refundedCents + input.disputedHeldCents;
  const reversedCents = held < 0n ? 0n : held > input.amountCents ? input.amountCents : held;
  return { reversedCents, reversedProfitMicros: (input.profitMicros * reversedCents) / input.amountCents };
}

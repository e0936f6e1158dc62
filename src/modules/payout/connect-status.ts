/** What `Agency.stripeConnectStatus` answers. */
export type ConnectStatus = 'NOT_CONNECTED' | 'PENDING' | 'CONNECTED';

/**
 * The status of a Connect account as an `account.updated` event shows it: CONNECTED once
 * the agency finished onboarding (details submitted) and Stripe lets the account be paid
 * (payouts enabled, and charges enabled or the transfers capability active: an Express
 * account asked only for `transfers` never gets charges); PENDING otherwise.
 */
export function connectStatusOf(account: {
  details_submitted?: unknown; payouts_enabled?: unknown; charges_enabled?: unknown; capabilities?: { transfers?: unknown } | null;
}): 'PENDING' | 'CONNECTED' {
  const receives = account.charges_enabled === true || account.capabilities?.transfers === 'active';
  return account.details_submitted === true && account.payouts_enabled === true && receives ? 'CONNECTED' : 'PENDING';
}

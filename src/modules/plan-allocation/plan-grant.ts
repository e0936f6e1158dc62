import { basePriceMicros, quoteTransfer, type MinuteTier, type PlanPrices } from '../pricing/pricing';
import { MINUTES_SCALE } from '../../shared/money';

/** The plan fields the monthly grant reads. */
export interface MonthlyGrantPlan {
  includedMinutesMonthly: boolean;
  includedPremiumMinutes: number;
  monthlySecondaryPremiumMinutes: number;
}

/** The sub-account fields the monthly grant reads; `activeSince` is set by add and restore only. */
export interface GrantRecipient {
  kind: 'PRIMARY' | 'SECONDARY';
  status: 'ACTIVE' | 'REMOVED';
  activeSince: Date;
}

/**
 * Premium minutes a sub-account is owed for the billing cycle starting at `cycleStart`,
 * as the job sees it at `at`. Plan grants never create value, so:
 * - only plans with monthly minutes grant anything, and never to a removed sub-account;
 * - the primary gets the plan's minutes every cycle (it is never removed; its first cycle
 *   is granted at creation under the same key);
 * - a secondary only when it has been active since the cycle's start or earlier: one added
 *   or restored mid-cycle waits for the next cycle, so add → grant → remove (swept to the
 *   primary) → add again yields nothing, and remove + restore never grants a cycle twice;
 * - nothing to a secondary for a cycle that has not begun (an agency whose plan starts in
 *   the future): "active at the start" cannot be known before the start.
 * Once per sub-account per cycle is the grant's idempotency key (cycle start, sub-account).
 */
export function monthlyGrantMinutes(plan: MonthlyGrantPlan, sub: GrantRecipient, cycleStart: Date, at: Date): number {
  if (!plan.includedMinutesMonthly || sub.status !== 'ACTIVE') return 0;
  if (sub.kind === 'PRIMARY') return plan.includedPremiumMinutes;
  if (at.getTime() < cycleStart.getTime() || sub.activeSince.getTime() > cycleStart.getTime()) return 0;
  return plan.monthlySecondaryPremiumMinutes;
}

export interface PlanGrantFigures {
  /** minutes × the plan's base price: what the platform gives, whoever receives it. */
  amountMicros: bigint;
  minutesSentUnits: bigint;
  /** What that amount buys at the receiving wallet's price, rounded down like a transfer's. */
  minutesReceivedUnits: bigint;
}

/**
 * A grant of `minutes` of a tier, valued at the plan's base price, never at the receiver's
 * marked-up price: the markup is the agency's margin on minutes its clients buy, and valuing
 * a free grant at it would hand the agency `minutes × markup` of platform money ($2,000 for
 * 200 minutes at a $10 markup). Recorded like a transfer from a base-price account, so the
 * received minutes are the ones the wallet can actually use.
 */
export function planGrantFigures(plan: PlanPrices, tier: MinuteTier, minutes: number, walletPriceMicros: bigint): PlanGrantFigures {
  if (!Number.isSafeInteger(minutes) || minutes < 0) throw new RangeError('granted minutes must be a whole number');
  const minutesSentUnits = BigInt(minutes) * 10n ** BigInt(MINUTES_SCALE);
  const { amountMicros, minutesReceivedUnits } = quoteTransfer(minutesSentUnits, basePriceMicros(plan, tier), walletPriceMicros);
  return { amountMicros, minutesSentUnits, minutesReceivedUnits };
}

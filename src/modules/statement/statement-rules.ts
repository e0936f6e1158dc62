import type { TransferKind } from '../ledger/ledger.entities';
import { addMonthsClamped, billingCycleAt, type BillingCycle } from '../billing-cycle/billing-cycle';

/**
 * Billing statements: how a wallet's ledger legs of one billing cycle fall into the lines of
 * a statement, and which cycles a sub-account has. Pure; docs/health-and-statements.md.
 *
 * Every leg of the wallet in the cycle lands in exactly one line, so
 * opening + purchases + transfersIn − transfersOut + adjustments − spent = closing holds by
 * construction, and closing is the sum of every leg before the cycle's end (the next
 * cycle's opening). Lines by transfer kind:
 * - purchases: TOP_UP, AUTO_RECHARGE, AUTO_ALLOCATION and PLAN_ALLOCATION (the plan's included
 *   and monthly granted minutes: value that enters the wallet from outside the agency, the
 *   contract's "top-ups, auto-recharges, auto allocations, plan grants"), credits minus debits,
 *   less REFUND and DISPUTE (purchases Stripe gave back or holds for a dispute, and the
 *   DISPUTE credits that return a dispute won);
 * - transfersIn / transfersOut: MINUTE_TRANSFER and SUB_ACCOUNT_CLOSURE (the sweep of a removed
 *   sub-account to the primary) credited / debited;
 * - spent: USAGE debits (minus credits, of which there are none);
 * - adjustments: everything else, signed (ADJUSTMENT, and any kind a later change adds until
 *   it is given its line: it can never fall out of the equation).
 */
export type StatementLine = 'purchases' | 'transfers' | 'spent' | 'adjustments';

const LINE_OF_KIND: Partial<Record<TransferKind, StatementLine>> = {
  TOP_UP: 'purchases',
  AUTO_RECHARGE: 'purchases',
  AUTO_ALLOCATION: 'purchases',
  PLAN_ALLOCATION: 'purchases',
  REFUND: 'purchases',
  DISPUTE: 'purchases',
  MINUTE_TRANSFER: 'transfers',
  SUB_ACCOUNT_CLOSURE: 'transfers',
  USAGE: 'spent',
};

export const lineOfKind = (kind: string): StatementLine => LINE_OF_KIND[kind as TransferKind] ?? 'adjustments';

/** The summed legs of one wallet in one cycle, by kind and direction (C: credited to it, D: debited). */
export interface LegSum {
  kind: string;
  direction: 'C' | 'D';
  amountMicros: bigint;
}

export interface StatementFigures {
  openingMicros: bigint;
  purchasesMicros: bigint;
  transfersInMicros: bigint;
  transfersOutMicros: bigint;
  adjustmentsMicros: bigint;
  spentMicros: bigint;
  closingMicros: bigint;
}

export function statementFigures(openingMicros: bigint, legs: readonly LegSum[]): StatementFigures {
  const f = { openingMicros, purchasesMicros: 0n, transfersInMicros: 0n, transfersOutMicros: 0n, adjustmentsMicros: 0n, spentMicros: 0n };
  for (const leg of legs) {
    const signed = leg.direction === 'C' ? leg.amountMicros : -leg.amountMicros;
    switch (lineOfKind(leg.kind)) {
      case 'purchases': f.purchasesMicros += signed; break;
      case 'transfers':
        if (leg.direction === 'C') f.transfersInMicros += leg.amountMicros;
        else f.transfersOutMicros += leg.amountMicros;
        break;
      case 'spent': f.spentMicros -= signed; break;
      default: f.adjustmentsMicros += signed;
    }
  }
  const closingMicros = f.openingMicros + f.purchasesMicros + f.transfersInMicros - f.transfersOutMicros + f.adjustmentsMicros - f.spentMicros;
  return { ...f, closingMicros };
}

/** The n-th monthly cycle from the anchor (n = 0 starts at the anchor). */
export function nthCycle(anchor: Date, n: number): BillingCycle {
  const start = addMonthsClamped(anchor, n);
  const end = addMonthsClamped(anchor, n + 1);
  return { start, end, nextBillingDate: end };
}

/** Index of the cycle containing `at` (0 before the anchor: the first cycle also holds what came before it). */
export function cycleIndexAt(anchor: Date, at: Date): number {
  const cycle = billingCycleAt(anchor, at);
  return cycleIndexOfStart(anchor, cycle.start)!;
}

/** Index n with nthCycle(anchor, n).start exactly `start`, or undefined when no cycle starts there. */
export function cycleIndexOfStart(anchor: Date, start: Date): number | undefined {
  if (start.getTime() < anchor.getTime()) return undefined;
  const guess = (start.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (start.getUTCMonth() - anchor.getUTCMonth());
  for (const n of [guess, guess - 1, guess + 1]) {
    if (n >= 0 && addMonthsClamped(anchor, n).getTime() === start.getTime()) return n;
  }
  return undefined;
}

/**
 * The cycles a sub-account has statements for, as indexes: from the cycle it was created in
 * (the first one if it was created before its anchor) to the cycle in progress at `now`.
 */
export function statementCycleRange(sub: { subscriptionStartedAt: Date; createdAt: Date }, now: Date): { first: number; current: number } {
  const first = cycleIndexAt(sub.subscriptionStartedAt, sub.createdAt);
  const current = Math.max(first, cycleIndexAt(sub.subscriptionStartedAt, now));
  return { first, current };
}

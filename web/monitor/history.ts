import { toMicros } from './money';

/** One balance of a wallet at an instant: the balance right after a transfer. */
export interface BalancePoint {
  at: number;
  balanceMicros: bigint;
  transferId?: string;
}

export type CrossingKind = 'LOW_BALANCE' | 'BALANCE_DEPLETED' | 'BALANCE_RECOVERED';

/** A balance that crossed the low-balance threshold (or zero) at an instant. */
export interface Crossing {
  at: number;
  balanceMicros: bigint;
  kind: CrossingKind;
}

export interface TransferOfWallet {
  id: string;
  createdAt: string;
  amount: { amount: string };
  fromWallet: { id: string } | null;
  toWallet: { id: string } | null;
}

/**
 * The wallet's balance after each of its transfers, oldest first, rebuilt backwards from its
 * balance now: before a transfer the balance was the one after it minus its signed delta
 * (credit when the wallet is `toWallet`). `transfers` are newest first, as the API lists them.
 */
export function balanceHistory(walletId: string, balanceNowMicros: bigint, transfers: readonly TransferOfWallet[]): BalancePoint[] {
  const points: BalancePoint[] = [];
  let after = balanceNowMicros;
  for (const transfer of transfers) {
    points.push({ at: Date.parse(transfer.createdAt), balanceMicros: after, transferId: transfer.id });
    const amount = toMicros(transfer.amount.amount);
    after -= transfer.toWallet?.id === walletId ? amount : -amount;
  }
  // The balance before the oldest transfer read: where the line starts.
  if (transfers.length > 0) points.push({ at: points[points.length - 1].at - 1, balanceMicros: after });
  return points.reverse();
}

/**
 * The band a balance is in, by the rules of the outbox (docs/events.md): DEPLETED at or
 * below 0, LOW below the threshold, OK otherwise.
 */
function band(balance: bigint, threshold: bigint): 'DEPLETED' | 'LOW' | 'OK' {
  if (balance <= 0n) return 'DEPLETED';
  return balance < threshold ? 'LOW' : 'OK';
}

/**
 * The crossings the server would have reported between consecutive points, judged against
 * today's threshold: entering DEPLETED, entering OK, and OK → LOW (DEPLETED → LOW is none).
 * Used for the history read at load; live crossings come from the server's own events.
 */
export function crossingsOf(points: readonly BalancePoint[], thresholdMicros: bigint): Crossing[] {
  const crossings: Crossing[] = [];
  for (let i = 1; i < points.length; i += 1) {
    const before = band(points[i - 1].balanceMicros, thresholdMicros);
    const now = band(points[i].balanceMicros, thresholdMicros);
    if (before === now) continue;
    const kind: CrossingKind | undefined =
      now === 'DEPLETED' ? 'BALANCE_DEPLETED' : now === 'OK' ? 'BALANCE_RECOVERED' : before === 'OK' ? 'LOW_BALANCE' : undefined;
    if (kind) crossings.push({ at: points[i].at, balanceMicros: points[i].balanceMicros, kind });
  }
  return crossings;
}

/**
 * The points the chart of [from, to] needs: those inside, plus the last one before `from`
 * (where the line enters the window). Points are oldest first.
 */
export function pointsInWindow(points: readonly BalancePoint[], from: number): BalancePoint[] {
  let first = points.findIndex((point) => point.at >= from);
  if (first < 0) return points.length ? [points[points.length - 1]] : [];
  if (first > 0) first -= 1;
  return points.slice(first);
}

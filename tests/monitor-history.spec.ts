import { formatDollars, toMicros } from '../web/monitor/money';
import { balanceHistory, crossingsOf, pointsInWindow, type TransferOfWallet } from '../web/monitor/history';

/** The monitor's pure parts (web/monitor/): exact money, the history rebuilt from transfers, crossings. */
describe('the monitor page: money', () => {
  it.each([
    ['12.5', 12_500_000n, '$12.50'],
    ['0', 0n, '$0.00'],
    ['-1.234567', -1_234_567n, '−$1.234567'],
    ['1234567.1', 1_234_567_100_000n, '$1,234,567.10'],
    ['0.000001', 1n, '$0.000001'],
  ])('should read %p exactly as %p micro-dollars and write it as %p', (decimal, micros, shown) => {
    expect(toMicros(decimal)).toBe(micros);
    expect(formatDollars(micros)).toBe(shown);
  });

  it.each(['1e3', '0.1234567', '', '12.', 'NaN', ' 1'])('should refuse %p, which is not an API Decimal', (decimal) => {
    expect(() => toMicros(decimal)).toThrow(/Not a Decimal/);
  });
});

describe('the monitor page: balance history', () => {
  const W = 'wallet-1';
  const transfer = (id: string, at: string, amount: string, into: boolean): TransferOfWallet => ({
    id, createdAt: at, amount: { amount }, fromWallet: into ? null : { id: W }, toWallet: into ? { id: W } : { id: 'other' },
  });
  // Newest first, as Wallet.transfers lists them: +10 at 10:00, −3.5 at 10:05, −7 at 10:10; $9.50 now.
  const transfers = [
    transfer('t3', '2026-12-03T10:10:00Z', '7', false),
    transfer('t2', '2026-12-03T10:05:00Z', '3.5', false),
    transfer('t1', '2026-12-03T10:00:00Z', '10', true),
  ];

  it('should rebuild the balance after each transfer backwards from the balance now, oldest first, in exact micro-dollars', () => {
    const points = balanceHistory(W, toMicros('9.5'), transfers);
    expect(points.map((p) => [p.transferId, p.balanceMicros])).toEqual([
      [undefined, 10_000_000n], ['t1', 20_000_000n], ['t2', 16_500_000n], ['t3', 9_500_000n],
    ]);
    expect(points[0].at).toBeLessThan(Date.parse('2026-12-03T10:00:00Z'));
  });

  it('should have no history without transfers', () => {
    expect(balanceHistory(W, 5n, [])).toEqual([]);
  });

  it.each([
    // threshold, balances → the crossings the outbox would have written
    [toMicros('5'), ['10', '4', '0', '-1', '3', '6', '4.99'], ['LOW_BALANCE', 'BALANCE_DEPLETED', 'BALANCE_RECOVERED', 'LOW_BALANCE']],
    [toMicros('5'), ['6', '5', '5.01'], []],
    [0n, ['3', '0', '2'], ['BALANCE_DEPLETED', 'BALANCE_RECOVERED']],
  ])('should judge crossings against threshold %p like the outbox bands (%p)', (threshold, balances, kinds) => {
    const points = balances.map((b, i) => ({ at: i, balanceMicros: toMicros(b) }));
    expect(crossingsOf(points, threshold).map((c) => c.kind)).toEqual(kinds);
  });

  it('should keep the last point before the window, where the line enters it', () => {
    const points = [10, 20, 30, 40].map((at) => ({ at, balanceMicros: BigInt(at) }));
    expect(pointsInWindow(points, 25).map((p) => p.at)).toEqual([20, 30, 40]);
    expect(pointsInWindow(points, 5).map((p) => p.at)).toEqual([10, 20, 30, 40]);
    expect(pointsInWindow(points, 50).map((p) => p.at)).toEqual([40]);
  });
});

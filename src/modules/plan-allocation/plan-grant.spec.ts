import { monthlyGrantMinutes, planGrantFigures, type GrantRecipient, type MonthlyGrantPlan } from './plan-grant';

const LEGACY: MonthlyGrantPlan = { includedMinutesMonthly: true, includedPremiumMinutes: 2000, monthlySecondaryPremiumMinutes: 200 };
const ONE_TIME: MonthlyGrantPlan = { includedMinutesMonthly: false, includedPremiumMinutes: 1000, monthlySecondaryPremiumMinutes: 0 };
const PRICES = { basicPriceMicros: 90_000n, premiumPriceMicros: 160_000n };

const CYCLE_START = new Date('2025-03-15T10:00:00.000Z');
const AT = new Date('2025-03-15T10:05:00.000Z');
const ms = (offset: number) => new Date(CYCLE_START.getTime() + offset);
const sub = (kind: GrantRecipient['kind'], status: GrantRecipient['status'], activeSince: Date): GrantRecipient => ({
  kind, status, activeSince,
});

describe('monthlyGrantMinutes', () => {
  it.each<[string, MonthlyGrantPlan, GrantRecipient, Date, number]>([
    ['the primary on a monthly plan', LEGACY, sub('PRIMARY', 'ACTIVE', ms(-86_400_000)), AT, 2000],
    ['the primary even when created mid-cycle (its first cycle is granted at creation under the same key)', LEGACY, sub('PRIMARY', 'ACTIVE', ms(60_000)), AT, 2000],
    ['a secondary active since before the cycle start', LEGACY, sub('SECONDARY', 'ACTIVE', ms(-1)), AT, 200],
    ['a secondary active since exactly the cycle start', LEGACY, sub('SECONDARY', 'ACTIVE', ms(0)), AT, 200],
    ['a secondary added one millisecond after the cycle start', LEGACY, sub('SECONDARY', 'ACTIVE', ms(1)), AT, 0],
    ['a secondary restored mid-cycle (a new active period)', LEGACY, sub('SECONDARY', 'ACTIVE', ms(120_000)), ms(180_000), 0],
    ['a secondary restored before this cycle started, in the previous one', LEGACY, sub('SECONDARY', 'ACTIVE', ms(-3_600_000)), AT, 200],
    ['a removed secondary', LEGACY, sub('SECONDARY', 'REMOVED', ms(-86_400_000)), AT, 0],
    ['a secondary for a cycle that has not begun yet (plan starting in the future)', LEGACY, sub('SECONDARY', 'ACTIVE', ms(-60_000)), ms(-1), 0],
    ['anyone on a plan without monthly minutes', ONE_TIME, sub('PRIMARY', 'ACTIVE', ms(-86_400_000)), AT, 0],
    ['a secondary on a plan without monthly minutes', ONE_TIME, sub('SECONDARY', 'ACTIVE', ms(-86_400_000)), AT, 0],
  ])('grants %s: %#', (_label, plan, recipient, at, minutes) => {
    expect(monthlyGrantMinutes(plan, recipient, CYCLE_START, at)).toBe(minutes);
  });
});

describe('planGrantFigures', () => {
  it.each<[string, 'BASIC' | 'PREMIUM', number, bigint, bigint, bigint]>([
    // [label, tier, minutes, wallet price, amount, minutes received (1/10,000)]
    ['200 premium minutes to a base-price wallet', 'PREMIUM', 200, 160_000n, 32_000_000n, 2_000_000n],
    ['200 premium minutes to a wallet with a $10 markup: $32, not $2,032', 'PREMIUM', 200, 10_160_000n, 32_000_000n, 31_496n],
    ['200 premium minutes to a wallet at $0.20', 'PREMIUM', 200, 200_000n, 32_000_000n, 1_600_000n],
    ['2,000 premium minutes to the primary', 'PREMIUM', 2000, 160_000n, 320_000_000n, 20_000_000n],
    ['100 basic minutes at $0.09', 'BASIC', 100, 90_000n, 9_000_000n, 1_000_000n],
    ['no minutes', 'PREMIUM', 0, 160_000n, 0n, 0n],
  ])('values %s at the base price', (_label, tier, minutes, walletPrice, amount, received) => {
    expect(planGrantFigures(PRICES, tier, minutes, walletPrice)).toEqual({
      amountMicros: amount,
      minutesSentUnits: BigInt(minutes) * 10_000n,
      minutesReceivedUnits: received,
    });
  });

  it.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1]])('refuses %p minutes', (minutes) => {
    expect(() => planGrantFigures(PRICES, 'PREMIUM', minutes, 160_000n)).toThrow(RangeError);
  });
});

import { computeHealth, DAY_MS, HEALTH_THRESHOLDS, type HealthInputs } from './health-rules';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const base: HealthInputs = {
  now: NOW,
  balanceMicros: 100_000_000n,
  spentLastWindowMicros: 0n,
  callsLastWindow: 0n,
  completedLastWindow: 0n,
  secondsLastWindow: 0n,
  secondsPreviousWindow: 0n,
  lastCallAt: null,
  autoRechargeFailing: false,
};
const health = (over: Partial<HealthInputs>) => computeHealth({ ...base, ...over });

describe('health rules', () => {
  it('should be HEALTHY with no signal for a funded, quiet, never-used account', () => {
    expect(health({})).toEqual({
      level: 'HEALTHY', signals: [], burnRatePerDayMicros: 0n, runwayDaysUnits: null, projectedDepletionAt: null,
      successRateUnits: null, usageTrendUnits: null, lastCallAt: null,
    });
  });

  it.each([
    [-1n, 'AT_RISK', ['NEGATIVE_BALANCE']],
    [0n, 'AT_RISK', ['BALANCE_DEPLETED']],
    [1n, 'HEALTHY', []],
  ])('balance %p micro-dollars with nothing spent: %s %p', (balanceMicros, level, signals) => {
    expect(health({ balanceMicros })).toMatchObject({ level, signals });
  });

  // Spent $7 in the window: $1 per day, so the runway is the balance in dollars.
  it.each([
    [1_999_999n, 'AT_RISK', ['LOW_RUNWAY'], 19_999n],
    [2_000_000n, 'WATCH', ['LOW_RUNWAY'], 20_000n],
    [6_999_999n, 'WATCH', ['LOW_RUNWAY'], 69_999n],
    [7_000_000n, 'HEALTHY', [], 70_000n],
  ])('runway of a balance of %p micro-dollars at $1/day: %s %p (runway units %p)', (balanceMicros, level, signals, runway) => {
    const h = health({ balanceMicros, spentLastWindowMicros: 7_000_000n });
    expect(h).toMatchObject({ level, signals, runwayDaysUnits: runway, burnRatePerDayMicros: 1_000_000n });
    expect(h.projectedDepletionAt!.getTime()).toBe(NOW.getTime() + Math.floor((Number(balanceMicros) * DAY_MS) / 1_000_000));
  });

  it('should give a runway of 0 and depletion now for a negative balance that is still spending, and no LOW_RUNWAY', () => {
    expect(health({ balanceMicros: -5n, spentLastWindowMicros: 7n })).toMatchObject({
      level: 'AT_RISK', signals: ['NEGATIVE_BALANCE'], runwayDaysUnits: 0n, projectedDepletionAt: NOW,
    });
  });

  it('should truncate the burn rate per day to the micro-dollar', () => {
    expect(health({ spentLastWindowMicros: 13n }).burnRatePerDayMicros).toBe(1n);
  });

  it.each([
    // calls, completed, signal raised
    [19n, 0n, false], // too few calls to judge
    [20n, 9n, true],
    [20n, 10n, false], // exactly 50% is not under 50%
    [21n, 10n, true],
    [21n, 11n, false],
  ])('%p calls of which %p completed: HIGH_FAILURE_RATE %p', (callsLastWindow, completedLastWindow, raised) => {
    const h = health({ callsLastWindow, completedLastWindow });
    expect(h.signals).toEqual(raised ? ['HIGH_FAILURE_RATE'] : []);
    expect(h.level).toBe(raised ? 'WATCH' : 'HEALTHY');
    expect(h.successRateUnits).toBe((completedLastWindow * 10_000n) / callsLastWindow);
  });

  it.each([
    // seconds this week, previous week, USAGE_DROP, trend units
    [49n, 100n, true, -5_100n],
    [50n, 100n, false, -5_000n], // down exactly 50% is not "more than"
    [51n, 100n, false, -4_900n],
    [0n, 100n, true, -10_000n],
    [300n, 100n, false, 20_000n],
    [100n, 0n, false, null], // no previous week: no trend, no drop
  ])('%p seconds against %p the week before: USAGE_DROP %p, trend %p', (secondsLastWindow, secondsPreviousWindow, raised, trend) => {
    const h = health({ secondsLastWindow, secondsPreviousWindow });
    expect(h.signals).toEqual(raised ? ['USAGE_DROP'] : []);
    expect(h.usageTrendUnits).toBe(trend);
  });

  it.each([
    [HEALTH_THRESHOLDS.noRecentCallsDays * DAY_MS - 1, false],
    [HEALTH_THRESHOLDS.noRecentCallsDays * DAY_MS, true],
    [HEALTH_THRESHOLDS.noRecentCallsDays * DAY_MS + 1, true],
  ])('last call %p ms ago: NO_RECENT_CALLS %p', (ago, raised) => {
    const lastCallAt = new Date(NOW.getTime() - ago);
    expect(health({ lastCallAt })).toMatchObject({ signals: raised ? ['NO_RECENT_CALLS'] : [], level: raised ? 'WATCH' : 'HEALTHY', lastCallAt });
  });

  it('should raise AUTO_RECHARGE_FAILING as AT_RISK when auto-recharge was disabled after failures', () => {
    expect(health({ autoRechargeFailing: true })).toMatchObject({ level: 'AT_RISK', signals: ['AUTO_RECHARGE_FAILING'] });
  });

  it('should take the worst level of all signals and list them most severe first', () => {
    const h = health({
      balanceMicros: 3_000_000n, spentLastWindowMicros: 7_000_000n, callsLastWindow: 40n, completedLastWindow: 1n,
      secondsLastWindow: 10n, secondsPreviousWindow: 1000n, lastCallAt: new Date(NOW.getTime() - 15 * DAY_MS),
    });
    expect(h.level).toBe('WATCH');
    expect(h.signals).toEqual(['LOW_RUNWAY', 'HIGH_FAILURE_RATE', 'USAGE_DROP', 'NO_RECENT_CALLS']);
    expect(health({ balanceMicros: 0n, callsLastWindow: 40n }).signals).toEqual(['BALANCE_DEPLETED', 'HIGH_FAILURE_RATE']);
    expect(health({ balanceMicros: 0n, callsLastWindow: 40n }).level).toBe('AT_RISK');
  });
});

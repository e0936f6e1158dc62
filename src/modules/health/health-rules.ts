/**
 * Account health of a sub-account: the rules and every threshold, in one place (DESIGN.md,
 * "Health"; docs/health-and-statements.md). Pure and exact: money in micro-dollars, time in
 * milliseconds, durations in seconds, ratios compared by cross-multiplication, so no
 * boundary depends on a float. Table-tested at every boundary in health-rules.spec.ts.
 */

export const DAY_MS = 86_400_000;

export const HEALTH_THRESHOLDS = {
  /** Burn rate, success rate and the current week of the usage trend cover the last 7 days. */
  windowDays: 7,
  /** Runway strictly under this many days is AT_RISK (LOW_RUNWAY). */
  atRiskRunwayDays: 2,
  /** Runway strictly under this many days (and at least atRiskRunwayDays) is WATCH (LOW_RUNWAY). */
  watchRunwayDays: 7,
  /** HIGH_FAILURE_RATE needs at least this many calls in the window... */
  failureRateMinCalls: 20,
  /** ...and a success rate (COMPLETED / all) strictly under this fraction, as numerator / denominator. */
  minSuccessRate: { numerator: 1n, denominator: 2n },
  /** USAGE_DROP: this week's seconds strictly under this fraction of the previous week's ("down more than 50%"). */
  usageDropFloor: { numerator: 1n, denominator: 2n },
  /** NO_RECENT_CALLS: the last call started at least this many days ago. */
  noRecentCallsDays: 14,
} as const;

/** Decimal places of runwayDays, successRate and usageTrend on the wire (truncated toward zero). */
export const HEALTH_RATIO_SCALE = 4;

export type HealthLevel = 'HEALTHY' | 'WATCH' | 'AT_RISK';
export const HEALTH_LEVELS: readonly HealthLevel[] = ['HEALTHY', 'WATCH', 'AT_RISK'];
/** Worst first sorts by this rank, descending. */
export const HEALTH_LEVEL_RANK: Record<HealthLevel, number> = { HEALTHY: 0, WATCH: 1, AT_RISK: 2 };

export type HealthSignal =
  | 'NEGATIVE_BALANCE'
  | 'BALANCE_DEPLETED'
  | 'LOW_RUNWAY'
  | 'HIGH_FAILURE_RATE'
  | 'USAGE_DROP'
  | 'NO_RECENT_CALLS'
  | 'AUTO_RECHARGE_FAILING';

/** The order signals are listed in: most severe first. */
export const HEALTH_SIGNALS: readonly HealthSignal[] = [
  'NEGATIVE_BALANCE', 'BALANCE_DEPLETED', 'LOW_RUNWAY', 'AUTO_RECHARGE_FAILING', 'HIGH_FAILURE_RATE', 'USAGE_DROP', 'NO_RECENT_CALLS',
];

/** What the rules read, all exact. */
export interface HealthInputs {
  now: Date;
  balanceMicros: bigint;
  /** Cost of the calls that started in [now − 7 days, now). */
  spentLastWindowMicros: bigint;
  /** Calls that started in [now − 7 days, now), and how many of them COMPLETED. */
  callsLastWindow: bigint;
  completedLastWindow: bigint;
  /** Seconds of the calls that started in [now − 7 days, now) and in [now − 14 days, now − 7 days). */
  secondsLastWindow: bigint;
  secondsPreviousWindow: bigint;
  /** Start of the sub-account's latest call, if it ever had one. */
  lastCallAt: Date | null;
  /** Auto-recharge turned itself off after consecutive failed charges (billing module). */
  autoRechargeFailing: boolean;
}

export interface Health {
  level: HealthLevel;
  signals: HealthSignal[];
  burnRatePerDayMicros: bigint;
  /** Scaled by 10^HEALTH_RATIO_SCALE; null when nothing is being spent. */
  runwayDaysUnits: bigint | null;
  projectedDepletionAt: Date | null;
  successRateUnits: bigint | null;
  usageTrendUnits: bigint | null;
  lastCallAt: Date | null;
}

const SCALE = 10n ** BigInt(HEALTH_RATIO_SCALE);
const WINDOW = BigInt(HEALTH_THRESHOLDS.windowDays);

/** Truncated toward zero, so a ratio never shows more than it is. */
const ratioUnits = (numerator: bigint, denominator: bigint): bigint => (numerator * SCALE) / denominator;

export function computeHealth(input: HealthInputs): Health {
  const t = HEALTH_THRESHOLDS;
  const signals = new Set<HealthSignal>();
  let level: HealthLevel = 'HEALTHY';
  const raise = (signal: HealthSignal, at: HealthLevel) => {
    signals.add(signal);
    if (HEALTH_LEVEL_RANK[at] > HEALTH_LEVEL_RANK[level]) level = at;
  };

  const balance = input.balanceMicros;
  const spent = input.spentLastWindowMicros;
  if (balance < 0n) raise('NEGATIVE_BALANCE', 'AT_RISK');
  else if (balance === 0n) raise('BALANCE_DEPLETED', 'AT_RISK');

  // runway = balance / (spent / 7) = 7 × balance / spent days: compared exactly as 7 × balance < limit × spent.
  let runwayDaysUnits: bigint | null = null;
  let projectedDepletionAt: Date | null = null;
  if (spent > 0n) {
    const positive = balance > 0n ? balance : 0n;
    runwayDaysUnits = ratioUnits(WINDOW * positive, spent);
    projectedDepletionAt = new Date(input.now.getTime() + Number((WINDOW * positive * BigInt(DAY_MS)) / spent));
    if (balance > 0n) {
      if (WINDOW * balance < BigInt(t.atRiskRunwayDays) * spent) raise('LOW_RUNWAY', 'AT_RISK');
      else if (WINDOW * balance < BigInt(t.watchRunwayDays) * spent) raise('LOW_RUNWAY', 'WATCH');
    }
  }

  if (input.autoRechargeFailing) raise('AUTO_RECHARGE_FAILING', 'AT_RISK');

  const calls = input.callsLastWindow;
  const completed = input.completedLastWindow;
  if (calls >= BigInt(t.failureRateMinCalls) && completed * t.minSuccessRate.denominator < calls * t.minSuccessRate.numerator) {
    raise('HIGH_FAILURE_RATE', 'WATCH');
  }

  const last = input.secondsLastWindow;
  const previous = input.secondsPreviousWindow;
  if (previous > 0n && last * t.usageDropFloor.denominator < previous * t.usageDropFloor.numerator) raise('USAGE_DROP', 'WATCH');

  if (input.lastCallAt && input.now.getTime() - input.lastCallAt.getTime() >= t.noRecentCallsDays * DAY_MS) {
    raise('NO_RECENT_CALLS', 'WATCH');
  }

  return {
    level,
    signals: HEALTH_SIGNALS.filter((s) => signals.has(s)),
    burnRatePerDayMicros: spent / WINDOW,
    runwayDaysUnits,
    projectedDepletionAt,
    successRateUnits: calls > 0n ? ratioUnits(completed, calls) : null,
    usageTrendUnits: previous > 0n ? ratioUnits(last - previous, previous) : null,
    lastCallAt: input.lastCallAt,
  };
}

/** Whether `level` is at least `min` (minLevel filters). */
export const atLeast = (level: HealthLevel, min: HealthLevel): boolean => HEALTH_LEVEL_RANK[level] >= HEALTH_LEVEL_RANK[min];

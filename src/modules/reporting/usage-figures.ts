import { DataSource, type EntityManager } from 'typeorm';
import { queryPrepared } from '../../db/prepared-statements';
import { MINUTE_TIERS, type MinuteTier } from '../pricing/pricing';
import { CALL_STATUSES, type CallStatus } from '../usage/call.entity';
import { planRange, type RangePlan } from './range-plan';

/** One sub-account over one half-open range of call start instants. */
export interface UsageScope {
  subAccountId: string;
  from: Date;
  to: Date;
}

/** Exact sums: seconds (minutes are derived for display), micro-dollars, counts. */
export interface UsageFigures {
  callCount: bigint;
  durationSeconds: bigint;
  costMicros: bigint;
  profitMicros: bigint;
  secondsByTier: Record<MinuteTier, bigint>;
  callsByTier: Record<MinuteTier, bigint>;
  callsByStatus: Record<CallStatus, bigint>;
}

export function emptyFigures(): UsageFigures {
  return {
    callCount: 0n,
    durationSeconds: 0n,
    costMicros: 0n,
    profitMicros: 0n,
    secondsByTier: Object.fromEntries(MINUTE_TIERS.map((t) => [t, 0n])) as Record<MinuteTier, bigint>,
    callsByTier: Object.fromEntries(MINUTE_TIERS.map((t) => [t, 0n])) as Record<MinuteTier, bigint>,
    callsByStatus: Object.fromEntries(CALL_STATUSES.map((s) => [s, 0n])) as Record<CallStatus, bigint>,
  };
}

/** Sums figures (agency totals from per-sub-account rows). */
export function addFigures(into: UsageFigures, more: UsageFigures): UsageFigures {
  into.callCount += more.callCount;
  into.durationSeconds += more.durationSeconds;
  into.costMicros += more.costMicros;
  into.profitMicros += more.profitMicros;
  for (const tier of MINUTE_TIERS) {
    into.secondsByTier[tier] += more.secondsByTier[tier];
    into.callsByTier[tier] += more.callsByTier[tier];
  }
  for (const status of CALL_STATUSES) into.callsByStatus[status] += more.callsByStatus[status];
  return into;
}

/**
 * The figures of many scopes in ONE statement, whatever their number and ranges: each
 * scope is split by `planRange` into monthly rollups, signed daily rollups and the raw
 * calls of its partial edge days, and every piece is read by one index range scan
 * (rollups: their covering primary keys; calls: (sub_account_id, started_at) INCLUDE the
 * figures; all index-only).
 * `LATERAL (… OFFSET 0)` keeps the planner on those scans: flattened, it misjudges the
 * unnested ranges and hash-joins whole tables. A year over 50 sub-accounts reads at most
 * 50 × (13 months + ~30 days) × tiers × statuses rollup rows plus two partial days of calls.
 */
export async function loadUsageFigures(db: DataSource | EntityManager, scopes: readonly UsageScope[]): Promise<UsageFigures[]> {
  const monthly = { k: [] as number[], sub: [] as string[], from: [] as string[], to: [] as string[] };
  const daily = { k: [] as number[], sub: [] as string[], from: [] as string[], to: [] as string[], sign: [] as number[] };
  const raw = { k: [] as number[], sub: [] as string[], from: [] as string[], to: [] as string[] };
  scopes.forEach((scope, k) => {
    const { plan, rawIso } = plannedRange(scope.from, scope.to);
    for (const piece of plan.monthly) push(monthly, k, scope.subAccountId, piece.from, piece.to);
    for (const piece of plan.daily) {
      push(daily, k, scope.subAccountId, piece.from, piece.to);
      daily.sign.push(piece.sign);
    }
    for (const [from, to] of rawIso) push(raw, k, scope.subAccountId, from, to);
  });
  const results = scopes.map(() => emptyFigures());
  if (monthly.k.length + daily.k.length + raw.k.length === 0) return results;
  const text = `WITH m AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::date[], $4::date[]) AS t(k, sub, lo, hi)),
            d AS (SELECT * FROM unnest($5::int[], $6::uuid[], $7::date[], $8::date[], $9::int[]) AS t(k, sub, lo, hi, sign)),
            r AS (SELECT * FROM unnest($10::int[], $11::uuid[], $12::timestamptz[], $13::timestamptz[]) AS t(k, sub, lo, hi))
       SELECT k, tier, status, sum(calls) AS calls, sum(seconds) AS seconds, sum(cost) AS cost, sum(profit) AS profit
         FROM (
           SELECT m.k, u.* FROM m CROSS JOIN LATERAL (
             SELECT tier, status, call_count AS calls, duration_seconds AS seconds, cost_micros AS cost, profit_micros AS profit
               FROM usage_monthly_rollups WHERE sub_account_id = m.sub AND month >= m.lo AND month < m.hi OFFSET 0) u
           UNION ALL
           SELECT d.k, u.* FROM d CROSS JOIN LATERAL (
             SELECT tier, status, d.sign * call_count, d.sign * duration_seconds, d.sign * cost_micros, d.sign * profit_micros
               FROM usage_daily_rollups WHERE sub_account_id = d.sub AND day >= d.lo AND day < d.hi OFFSET 0) u
           UNION ALL
           SELECT r.k, c.* FROM r CROSS JOIN LATERAL (
             SELECT tier, status, 1, duration_seconds, cost_micros, profit_micros
               FROM calls WHERE sub_account_id = r.sub AND started_at >= r.lo AND started_at < r.hi OFFSET 0) c
         ) pieces
        GROUP BY k, tier, status`;
  const values = [
    monthly.k, monthly.sub, monthly.from, monthly.to,
    daily.k, daily.sub, daily.from, daily.to, daily.sign,
    raw.k, raw.sub, raw.from, raw.to,
  ];
  type Row = { k: number; tier: MinuteTier; status: CallStatus; calls: string; seconds: string; cost: string; profit: string };
  // Outside a transaction, a named prepared statement (parsed and planned once per connection).
  const rows: Row[] = db instanceof DataSource ? await queryPrepared<Row>(db, text, values) : await db.query(text, values);
  for (const row of rows) addGroup(results[row.k], row.tier, row.status, row.calls, row.seconds, row.cost, row.profit);
  return results;
}

/** Adds one (tier, status) group of sums, as the database returns them (decimal strings). */
export function addGroup(figures: UsageFigures, tier: MinuteTier, status: CallStatus, calls: string, seconds: string, cost: string, profit: string) {
  const callCount = BigInt(calls);
  const durationSeconds = BigInt(seconds);
  figures.callCount += callCount;
  figures.durationSeconds += durationSeconds;
  figures.costMicros += BigInt(cost);
  figures.profitMicros += BigInt(profit);
  figures.secondsByTier[tier] += durationSeconds;
  figures.callsByTier[tier] += callCount;
  figures.callsByStatus[status] += callCount;
}

interface PlannedRange {
  plan: RangePlan;
  rawIso: Array<[string, string]>;
}

/**
 * Plans are pure functions of their range, and the same ranges come back on every request
 * (each sub-account's current cycle, a dashboard's month): planning one builds a dozen
 * date strings, 50 of them per dashboard request. Kept per process, bounded (cleared when
 * full: a cache of a few thousand small entries, not a memory of every range ever asked).
 */
const PLANS = new Map<string, PlannedRange>();
const MAX_PLANS = 4096;

function plannedRange(from: Date, to: Date): PlannedRange {
  const key = `${from.getTime()} ${to.getTime()}`;
  let planned = PLANS.get(key);
  if (!planned) {
    const plan = planRange(from, to);
    planned = { plan, rawIso: plan.raw.map((piece) => [piece.from.toISOString(), piece.to.toISOString()]) };
    if (PLANS.size >= MAX_PLANS) PLANS.clear();
    PLANS.set(key, planned);
  }
  return planned;
}

function push(into: { k: number[]; sub: string[]; from: string[]; to: string[] }, k: number, sub: string, from: string, to: string) {
  into.k.push(k);
  into.sub.push(sub);
  into.from.push(from);
  into.to.push(to);
}

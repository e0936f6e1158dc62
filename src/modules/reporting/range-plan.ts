/**
 * How a report covers any `[from, to)` exactly while reading few rows, whatever the volume:
 *
 *   raw calls        [from, first midnight) and [last midnight, to): the partial edge days
 *   monthly rollups  whole UTC calendar months
 *   daily rollups    the whole days between, each added (sign +1) or subtracted (sign −1)
 *
 * A whole-day span is read either day by day, or as whole months with the days at each
 * end added or taken away: [Mar 3, Nov 28) is Mar…Oct plus Nov 1–27 (27 days), or Mar…Nov
 * minus Mar 1–2 and minus Nov 28–30 (5 days). Subtraction is exact because a month's rollup
 * always equals the sum of its days' (both are written by the same statement), and it
 * bounds each edge at about half a month. The plan with the fewest rows is chosen.
 *
 * All in UTC; a call counts by its start instant. The signed pieces add up to exactly
 * `[from, to)`: every instant inside is counted once, every instant outside zero times.
 */
export interface RangePlan {
  /** Instants, half-open. */
  raw: Array<{ from: Date; to: Date }>;
  /** UTC days as "YYYY-MM-DD", half-open, added (+1) or subtracted (−1). */
  daily: Array<{ from: string; to: string; sign: 1 | -1 }>;
  /** First days of UTC months as "YYYY-MM-DD", half-open. */
  monthly: Array<{ from: string; to: string }>;
}

const DAY_MS = 86_400_000;


const dayString = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

function floorMonth(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function ceilMonth(ms: number): number {
  const floor = floorMonth(ms);
  if (floor === ms) return ms;
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

function monthsBetween(start: number, end: number): number {
  const a = new Date(start);
  const b = new Date(end);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
}

interface DayPlan {
  /** Rows read, in days (a month of monthly rows costs about as much as one day of daily rows). */
  cost: number;
  daily: RangePlan['daily'];
  monthly: RangePlan['monthly'];
}

/** The cheapest exact plan for whole days [firstDay, lastDay). */
function planDays(firstDay: number, lastDay: number): DayPlan {
  let best: DayPlan = {
    cost: (lastDay - firstDay) / DAY_MS,
    daily: [{ from: dayString(firstDay), to: dayString(lastDay), sign: 1 }],
    monthly: [],
  };
  for (const start of [ceilMonth(firstDay), floorMonth(firstDay)]) {
    for (const end of [floorMonth(lastDay), ceilMonth(lastDay)]) {
      if (start >= end) continue;
      const cost = (Math.abs(start - firstDay) + Math.abs(lastDay - end)) / DAY_MS + monthsBetween(start, end);
      if (cost >= best.cost) continue;
      const daily: RangePlan['daily'] = [];
      if (start > firstDay) daily.push({ from: dayString(firstDay), to: dayString(start), sign: 1 });
      if (start < firstDay) daily.push({ from: dayString(start), to: dayString(firstDay), sign: -1 });
      if (end < lastDay) daily.push({ from: dayString(end), to: dayString(lastDay), sign: 1 });
      if (end > lastDay) daily.push({ from: dayString(lastDay), to: dayString(end), sign: -1 });
      best = { cost, daily, monthly: [{ from: dayString(start), to: dayString(end) }] };
    }
  }
  return best;
}

export function planRange(from: Date, to: Date): RangePlan {
  const start = from.getTime();
  const end = to.getTime();
  const plan: RangePlan = { raw: [], daily: [], monthly: [] };
  if (!(start < end)) return plan;
  const firstDay = startOfDay(start) === start ? start : startOfDay(start) + DAY_MS;
  const lastDay = startOfDay(end);
  if (firstDay >= lastDay) {
    plan.raw.push({ from, to });
    return plan;
  }
  if (start < firstDay) plan.raw.push({ from, to: new Date(firstDay) });
  if (lastDay < end) plan.raw.push({ from: new Date(lastDay), to });
  const days = planDays(firstDay, lastDay);
  plan.daily = days.daily;
  plan.monthly = days.monthly;
  return plan;
}

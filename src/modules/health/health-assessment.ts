import type { DataSource, EntityManager } from 'typeorm';
import { loadUsageFigures, type UsageScope } from '../reporting/usage-figures';
import { computeHealth, DAY_MS, HEALTH_THRESHOLDS, type Health } from './health-rules';
import { HealthRepository } from './health.repository';

/**
 * The health of many sub-accounts at `now`, in two statements whatever their number: balances
 * with last calls, and the figures of both 7-day windows of every one of them (the daily
 * rollups for whole days, the raw calls of the partial edge days). Undefined for an id
 * without a wallet. Shared by the request loaders and the health monitor.
 */
export async function assessHealth(db: DataSource | EntityManager, ids: readonly string[], now: Date): Promise<Array<Health | undefined>> {
  if (ids.length === 0) return [];
  const window = HEALTH_THRESHOLDS.windowDays * DAY_MS;
  const weekStart = new Date(now.getTime() - window);
  const previousStart = new Date(now.getTime() - 2 * window);
  const scopes: UsageScope[] = ids.flatMap((subAccountId) => [
    { subAccountId, from: weekStart, to: now },
    { subAccountId, from: previousStart, to: weekStart },
  ]);
  const [rows, figures] = await Promise.all([new HealthRepository(db).healthRows(ids), loadUsageFigures(db, scopes)]);
  return ids.map((id, i) => {
    const row = rows.get(id);
    if (!row) return undefined;
    const week = figures[2 * i];
    const previous = figures[2 * i + 1];
    return computeHealth({
      now,
      balanceMicros: row.balanceMicros,
      spentLastWindowMicros: week.costMicros,
      callsLastWindow: week.callCount,
      completedLastWindow: week.callsByStatus.COMPLETED,
      secondsLastWindow: week.durationSeconds,
      secondsPreviousWindow: previous.durationSeconds,
      lastCallAt: row.lastCallAt,
      autoRechargeFailing: row.autoRechargeFailing,
    });
  });
}

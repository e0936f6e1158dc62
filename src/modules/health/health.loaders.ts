import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadUsageFigures, type UsageScope } from '../reporting/usage-figures';
import { computeHealth, DAY_MS, HEALTH_THRESHOLDS, type Health } from './health-rules';
import { HealthRepository } from './health.repository';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';

/**
 * Per-request loaders of health (merged into `createLoaders`, built on first use); no tenancy
 * checks here. The health of any number of sub-accounts asked for in one tick costs two
 * statements: balances with last calls, and the figures of both 7-day windows of every one
 * of them (the daily rollups for whole days, the raw calls of the two partial edge days).
 */
export const healthLoaders = {
  /** Keyed by sub-account id. "Now" is the batch's own instant, the same for every sub-account in it. */
  subAccountHealth: (dataSource: DataSource) => new DataLoader<string, Health>(async (ids) => {
    const now = new Date();
    const window = HEALTH_THRESHOLDS.windowDays * DAY_MS;
    const weekStart = new Date(now.getTime() - window);
    const previousStart = new Date(now.getTime() - 2 * window);
    const scopes: UsageScope[] = ids.flatMap((subAccountId) => [
      { subAccountId, from: weekStart, to: now },
      { subAccountId, from: previousStart, to: weekStart },
    ]);
    const [rows, figures] = await Promise.all([
      new HealthRepository(dataSource).healthRows(ids),
      loadUsageFigures(dataSource, scopes),
    ]);
    return ids.map((id, i) => {
      const row = rows.get(id);
      if (!row) return new Error(`sub-account ${id} has no wallet`);
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
        // Auto-recharge does not exist yet (payments issue): nothing can be failing.
        autoRechargeFailing: false,
      });
    });
  }),
  /** An agency's active sub-accounts, oldest first (Agency.health and subAccountsAtRisk share one read). */
  activeSubAccountsOfAgency: (dataSource: DataSource) => new DataLoader<string, SubAccountEntity[]>(async (agencyIds) => {
    const subs = await new HealthRepository(dataSource).activeSubAccounts(agencyIds);
    return agencyIds.map((agencyId) => subs.filter((s) => s.agencyId === agencyId));
  }),
};

import type { DataSource } from 'typeorm';
import { PlanEntity } from './plan.entity';

/**
 * The plan catalog, read once a minute per process instead of once per request. Plans are
 * data that only migrations write (migrations run before a process serves, and no mutation
 * changes a plan), so a minute-old copy is never wrong in practice; the refresh bounds the
 * staleness for an operator who edits the table by hand. Every dashboard request used to
 * spend a statement on it (`subAccountSlotsRemaining`, prices).
 */
const REFRESH_MS = 60_000;

interface CachedCatalog {
  plans: Promise<PlanEntity[]>;
  readAt: number;
}

const catalogs = new WeakMap<DataSource, CachedCatalog>();

export function planCatalog(dataSource: DataSource, now = Date.now()): Promise<PlanEntity[]> {
  const cached = catalogs.get(dataSource);
  if (cached && now - cached.readAt < REFRESH_MS) return cached.plans;
  const plans = dataSource.getRepository(PlanEntity).find();
  const entry = { plans, readAt: now };
  catalogs.set(dataSource, entry);
  // A failed read is not remembered: the next request tries again.
  plans.catch(() => {
    if (catalogs.get(dataSource) === entry) catalogs.delete(dataSource);
  });
  return plans;
}

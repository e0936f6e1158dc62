import type { DataSource, EntityManager } from 'typeorm';
import { assessHealth } from './health-assessment';
import { HealthRepository } from './health.repository';

/**
 * HEALTH_CHANGED events: a sub-account's level is re-assessed where its inputs change and on a
 * timer, and an event is written (in the transaction that stores the new level) only when the
 * level differs from the last one reported. Two entry points, both under one lock (the watch
 * cursor), so each change is reported exactly once across replicas:
 *
 * - `runHealthWatch`: reads the outbox rows committed since its cursor (the event hub's
 *   ordering: xid below the snapshot xmin, docs/events.md) and re-assesses the sub-accounts they
 *   name: every balance change (usage, transfers, adjustments, sweeps, grants), and additions and
 *   restores. It runs every HEALTH_WATCH_INTERVAL_MS in every worker (`SKIP LOCKED`: one at a
 *   time), so an event follows its cause within seconds; the cause's own transaction pays nothing.
 * - `runHealthSweep`: re-assesses every active sub-account, for what changes with time alone
 *   (NO_RECENT_CALLS, a week sliding out of the windows) and for calls that cost nothing (they
 *   write no outbox row). pg-boss, every 10 minutes.
 *
 * A sub-account's first assessment is stored without an event. Removed sub-accounts are not
 * assessed (a restore is).
 */
/** Outbox rows whose sub-account is re-assessed: balance moves, adds and restores, and an auto-recharge that gave up. */
export const HEALTH_WATCH_TYPES = ['BALANCE_CHANGED', 'SUB_ACCOUNT_ADDED', 'SUB_ACCOUNT_RESTORED', 'AUTO_RECHARGE_FAILED'] as const;
/** @default 2000 */
export const HEALTH_WATCH_INTERVAL_MS = 2000;
/** Sub-accounts assessed per statement pair (and per sweep transaction). */
const CHUNK = 500;

export interface HealthRun {
  assessed: number;
  changed: number;
}

async function reassess(em: EntityManager, ids: readonly string[], now: Date): Promise<HealthRun> {
  const repository = new HealthRepository(em);
  const run: HealthRun = { assessed: 0, changed: 0 };
  for (let i = 0; i < ids.length; i += CHUNK) {
    const subs = await repository.activeWithLevels(ids.slice(i, i + CHUNK));
    const healths = await assessHealth(em, subs.map((s) => s.id), now);
    const assessed = subs.flatMap((sub, k) => (healths[k] ? [{ id: sub.id, agencyId: sub.agencyId, level: healths[k]!.level, previous: sub.level }] : []));
    await repository.saveLevels(assessed);
    run.assessed += assessed.length;
    run.changed += assessed.filter((a) => a.previous !== null && a.previous !== a.level).length;
  }
  return run;
}

/** One watch step; `undefined` when another replica is running one. */
export async function runHealthWatch(dataSource: DataSource, now: () => Date = () => new Date()): Promise<HealthRun | undefined> {
  return dataSource.transaction(async (em) => {
    const repository = new HealthRepository(em);
    const frontier = await repository.lockCursor(true);
    if (frontier === undefined) return undefined;
    const upTo = await repository.snapshotXmin();
    const touched = await repository.touchedSubAccounts(frontier, upTo, HEALTH_WATCH_TYPES);
    const run = await reassess(em, touched, now());
    await repository.moveCursor(upTo);
    return run;
  });
}

/** Every active sub-account, a page per transaction (waiting for the watcher's lock, never running beside it). */
export async function runHealthSweep(dataSource: DataSource, now: () => Date = () => new Date()): Promise<HealthRun> {
  const total: HealthRun = { assessed: 0, changed: 0 };
  let after: string | null = null;
  for (;;) {
    const ids: string[] = await new HealthRepository(dataSource).activeIdsAfter(after, CHUNK);
    if (ids.length === 0) return total;
    const run = await dataSource.transaction(async (em) => {
      await new HealthRepository(em).lockCursor(false);
      return reassess(em, ids, now());
    });
    total.assessed += run.assessed;
    total.changed += run.changed;
    if (ids.length < CHUNK) return total;
    after = ids[ids.length - 1];
  }
}

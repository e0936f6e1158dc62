import PgBoss from 'pg-boss';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { runMonthlyAllocations } from '../plan-allocation/plan-allocation.service';
import { deleteExpiredEvents } from '../events/retention';
import type { ApiMetrics } from '../observability/api-metrics';

/** A job's handler timed and counted by outcome (a failure is rethrown: pg-boss retries the job). */
function measured(queue: string, metrics: ApiMetrics | undefined, run: () => Promise<void>): () => Promise<void> {
  return async () => {
    const startedAt = performance.now();
    let failed = false;
    try {
      await run();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      metrics?.job(queue, failed, (performance.now() - startedAt) / 1000);
    }
  };
}

/** Queue names, one per recurring job. */
export const JOBS = {
  MONTHLY_PLAN_ALLOCATIONS: 'monthly-plan-allocations',
  OUTBOX_RETENTION: 'outbox-retention',
} as const;

/**
 * Scheduled jobs on pg-boss, in the same PostgreSQL (schema `pgboss`, created on start).
 * pg-boss's cron runs each schedule once per tick across all replicas; the jobs are
 * idempotent anyway (plan allocations are keyed by cycle), so a retry or a duplicate run
 * grants nothing twice. Allocation runs every 10 minutes: a new cycle is granted within
 * 10 minutes of its start.
 */
export class JobScheduler {
  private constructor(
    private readonly boss: PgBoss,
    private readonly timer: NodeJS.Timeout,
  ) {}

  /** @param deps.metrics where job outcomes are counted (the process's /metrics). @default none */
  static async start(deps: { databaseUrl: string; dataSource: DataSource; logger: Logger; metrics?: ApiMetrics }): Promise<JobScheduler> {
    const boss = new PgBoss({ connectionString: deps.databaseUrl, schema: 'pgboss', max: 4 });
    boss.on('error', (error) => deps.logger.error('job queue error', { message: error.message }));
    await boss.start();
    await boss.createQueue(JOBS.MONTHLY_PLAN_ALLOCATIONS);
    await boss.schedule(JOBS.MONTHLY_PLAN_ALLOCATIONS, '*/10 * * * *', {}, { tz: 'UTC' });
    await boss.work(JOBS.MONTHLY_PLAN_ALLOCATIONS, measured(JOBS.MONTHLY_PLAN_ALLOCATIONS, deps.metrics, async () => {
      const result = await runMonthlyAllocations(deps.dataSource, new Date());
      if (result.granted > 0) deps.logger.info('monthly plan allocations granted', { ...result });
    }));
    // Events older than 7 days (the resume window) are deleted about hourly: every replica
    // offers the job each 10 minutes, throttled by pg-boss to one per hour across all of them
    // (no cron row: the job is cheap, idempotent and needs no fixed time).
    await boss.createQueue(JOBS.OUTBOX_RETENTION);
    await boss.work(JOBS.OUTBOX_RETENTION, measured(JOBS.OUTBOX_RETENTION, deps.metrics, async () => {
      const deleted = await deleteExpiredEvents(deps.dataSource);
      if (deleted > 0) deps.logger.info('expired events deleted', { deleted });
    }));
    const offerRetention = () =>
      boss.sendThrottled(JOBS.OUTBOX_RETENTION, {}, {}, 3600).catch((error: Error) =>
        deps.logger.warn('could not queue the event retention job', { message: error.message }),
      );
    await offerRetention();
    const timer = setInterval(() => void offerRetention(), 10 * 60_000);
    timer.unref();
    return new JobScheduler(boss, timer);
  }

  /** Stops taking jobs, waits for running ones, closes pg-boss's pool. */
  async dispose(): Promise<void> {
    clearInterval(this.timer);
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}

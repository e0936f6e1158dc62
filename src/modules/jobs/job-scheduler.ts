import PgBoss from 'pg-boss';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { runMonthlyAllocations } from '../plan-allocation/plan-allocation.service';

/** Queue names, one per recurring job. */
export const JOBS = {
  MONTHLY_PLAN_ALLOCATIONS: 'monthly-plan-allocations',
} as const;

/**
 * Scheduled jobs on pg-boss, in the same PostgreSQL (schema `pgboss`, created on start).
 * pg-boss's cron runs each schedule once per tick across all replicas; the jobs are
 * idempotent anyway (plan allocations are keyed by cycle), so a retry or a duplicate run
 * grants nothing twice. Allocation runs every 10 minutes: a new cycle is granted within
 * 10 minutes of its start.
 */
export class JobScheduler {
  private constructor(private readonly boss: PgBoss) {}

  static async start(deps: { databaseUrl: string; dataSource: DataSource; logger: Logger }): Promise<JobScheduler> {
    const boss = new PgBoss({ connectionString: deps.databaseUrl, schema: 'pgboss', max: 4 });
    boss.on('error', (error) => deps.logger.error('job queue error', { message: error.message }));
    await boss.start();
    await boss.createQueue(JOBS.MONTHLY_PLAN_ALLOCATIONS);
    await boss.schedule(JOBS.MONTHLY_PLAN_ALLOCATIONS, '*/10 * * * *', {}, { tz: 'UTC' });
    await boss.work(JOBS.MONTHLY_PLAN_ALLOCATIONS, async () => {
      const result = await runMonthlyAllocations(deps.dataSource, new Date());
      if (result.granted > 0) deps.logger.info('monthly plan allocations granted', { ...result });
    });
    return new JobScheduler(boss);
  }

  /** Stops taking jobs, waits for running ones, closes pg-boss's pool. */
  async dispose(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}

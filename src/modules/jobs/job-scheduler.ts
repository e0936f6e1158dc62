import PgBoss from 'pg-boss';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { DEFAULT_DB_POOL_SIZES } from '../../config/config';
import { runMonthlyAllocations } from '../plan-allocation/plan-allocation.service';
import { deleteExpiredEvents } from '../outbox/retention';
import { HEALTH_WATCH_INTERVAL_MS, runHealthSweep, runHealthWatch } from '../health/health-monitor';
import type { BillingService } from '../billing/billing.service';
import type { PayoutService } from '../payout/payout.service';
import { startPayoutJobs } from '../payout/payout.jobs';
import type { AutoAllocationService } from '../auto-allocation/auto-allocation.service';
import { AUTO_ALLOCATION_QUEUES, startAutoAllocationJobs } from '../auto-allocation/auto-allocation.jobs';
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
/** Stripe events fetched and processed per poll of the `stripe-event` queue. */
const STRIPE_EVENT_BATCH = 25;

export const JOBS = {
  MONTHLY_PLAN_ALLOCATIONS: 'monthly-plan-allocations',
  OUTBOX_RETENTION: 'outbox-retention',
  HEALTH_SWEEP: 'health-sweep',
  /** One verified Stripe event, by id (sent by the webhook). */
  STRIPE_EVENT: 'stripe-event',
  /** Payments left open (a crash, a 5xx, a lost answer) and stored events never processed. */
  PAYMENTS_RECONCILE: 'payments-reconcile',
  /** Wallets below their auto-recharge threshold, recharged (one in flight each). */
  AUTO_RECHARGE: 'auto-recharge',
  /** Connected agencies due a payout this billing cycle, paid; pending payouts reconciled (src/modules/payout/payout.jobs.ts). */
  PAYOUTS: 'payouts',
  /** Due monthly auto allocations, one run job each (src/modules/auto-allocation/auto-allocation.jobs.ts). */
  AUTO_ALLOCATION_SWEEP: AUTO_ALLOCATION_QUEUES.SWEEP,
} as const;

/** A payment or an event untouched this long is reconciled by the sweep (younger ones are still in flight). */
export const RECONCILE_MIN_AGE_SECONDS = 60;

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
    private readonly timers: NodeJS.Timeout[],
  ) {}

  /** The health watch step in flight, if any (awaited by dispose). */
  private watching: Promise<void> | undefined;

  /**
   * @param deps.metrics where job outcomes are counted (the process's /metrics). @default none
   * @param deps.allocationRetryDelaySeconds first retry delay of a declined auto allocation (then exponential). @default 60
   * @param deps.poolSize pg-boss's pool (DB_JOBS_POOL_SIZE). @default DEFAULT_DB_POOL_SIZES.jobs
   */
  static async start(deps: {
    databaseUrl: string; dataSource: DataSource; logger: Logger; billing?: BillingService; payouts?: PayoutService; metrics?: ApiMetrics;
    allocations?: AutoAllocationService; allocationRetryDelaySeconds?: number; poolSize?: number;
  }): Promise<JobScheduler> {
    const boss = new PgBoss({ connectionString: deps.databaseUrl, schema: 'pgboss', max: deps.poolSize ?? DEFAULT_DB_POOL_SIZES.jobs });
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
    if (deps.billing) await JobScheduler.startBilling(boss, deps.billing, deps.logger);
    if (deps.payouts) await startPayoutJobs(boss, JOBS.PAYOUTS, deps.payouts, deps.logger);
    if (deps.allocations) await startAutoAllocationJobs(boss, deps.allocations, deps.logger, deps.allocationRetryDelaySeconds);
    // Health levels: re-assessed from the outbox every few seconds in every worker (one at a time:
    // the watcher skips a locked cursor), and all of them every 10 minutes for what time alone
    // changes (src/modules/health/health-monitor.ts).
    await boss.createQueue(JOBS.HEALTH_SWEEP);
    await boss.schedule(JOBS.HEALTH_SWEEP, '*/10 * * * *', {}, { tz: 'UTC' });
    await boss.work(JOBS.HEALTH_SWEEP, async () => {
      const result = await runHealthSweep(deps.dataSource);
      if (result.changed > 0) deps.logger.info('health levels changed (sweep)', { ...result });
    });
    const scheduler = new JobScheduler(boss, [timer]);
    const watch = setInterval(() => {
      if (scheduler.watching) return;
      scheduler.watching = runHealthWatch(deps.dataSource)
        .then(() => undefined, (error: Error) => deps.logger.warn('health watch failed', { message: error.message }))
        .finally(() => {
          scheduler.watching = undefined;
        });
    }, HEALTH_WATCH_INTERVAL_MS);
    watch.unref();
    scheduler.timers.push(watch);
    return scheduler;
  }

  /**
   * Stripe's work. The webhook sends each new event here; a failed job is retried by
   * pg-boss (an event is processed at most once: its row is locked and marked in the
   * effect's transaction). The sweep runs every minute on one replica (cron) and takes what
   * a crash or a lost send left: open payments and stored, unprocessed events.
   */
  private static async startBilling(boss: PgBoss, billing: BillingService, logger: Logger): Promise<void> {
    await boss.createQueue(JOBS.STRIPE_EVENT, { name: JOBS.STRIPE_EVENT, retryLimit: 5, retryDelay: 5, retryBackoff: true });
    // pg-boss fetches once per polling interval: one job a fetch would drain a burst of webhooks
    // at one event a second. A batch is processed event by event; if one fails the batch is
    // retried, and the events already processed are no-ops then (each is marked in its effect's transaction).
    await boss.work<{ eventId: string }>(JOBS.STRIPE_EVENT, { pollingIntervalSeconds: 1, batchSize: STRIPE_EVENT_BATCH }, async (jobs) => {
      let failure: unknown;
      for (const job of jobs) {
        await billing.processEvent(job.data.eventId).catch((error: unknown) => { failure ??= error; });
      }
      if (failure !== undefined) throw failure;
    });
    await boss.createQueue(JOBS.PAYMENTS_RECONCILE);
    await boss.schedule(JOBS.PAYMENTS_RECONCILE, '* * * * *', {}, { tz: 'UTC' });
    await boss.work<{ minAgeSeconds?: number }>(JOBS.PAYMENTS_RECONCILE, async ([job]) => {
      const minAge = job.data?.minAgeSeconds ?? RECONCILE_MIN_AGE_SECONDS;
      const events = await billing.processStoredEvents(minAge);
      const payments = await billing.reconcilePayments(minAge);
      if (events + payments > 0) logger.info('payments reconciled', { events, payments });
    });
    // Every minute: usage and transfers lower balances in hot-path SQL, so the check runs here
    // rather than in them; a save that finds the balance already below recharges at once.
    await boss.createQueue(JOBS.AUTO_RECHARGE);
    await boss.schedule(JOBS.AUTO_RECHARGE, '* * * * *', {}, { tz: 'UTC' });
    await boss.work(JOBS.AUTO_RECHARGE, async () => {
      const due = await billing.sweepAutoRecharges();
      if (due > 0) logger.info('auto-recharges run', { due });
    });
    billing.attachQueue(async (eventId) => {
      await boss.send(JOBS.STRIPE_EVENT, { eventId });
    });
  }

  /** Queues a job now (operators, and tests that run the sweep at once). Resolves with the job's id. */
  async runNow(queue: (typeof JOBS)[keyof typeof JOBS], data: object = {}): Promise<string | null> {
    return this.boss.send(queue, data);
  }

  /** Waits for a queued job to finish; its final state. */
  async waitFor(queue: string, jobId: string): Promise<string> {
    for (;;) {
      const job = await this.boss.getJobById(queue, jobId);
      if (job && ['completed', 'failed', 'cancelled'].includes(job.state)) return job.state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops taking jobs, waits for running ones, closes pg-boss's pool. */
  async dispose(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.watching;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}

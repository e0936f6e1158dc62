import type PgBoss from 'pg-boss';
import type { Logger } from '../../shared/logger';
import { MAX_ALLOCATION_ATTEMPTS, type AutoAllocationService } from './auto-allocation.service';

export const AUTO_ALLOCATION_QUEUES = {
  /** Every 10 minutes (cron, one run per tick across replicas): one run job per due sub-account. */
  SWEEP: 'auto-allocation-sweep',
  /** One sub-account's allocation; a failed charge throws, so pg-boss retries it with backoff. */
  RUN: 'auto-allocation-run',
} as const;

/**
 * Monthly auto allocation on pg-boss. The sweep sends one run job per due sub-account under
 * its id as singleton key on a `stately` queue (one queued and one running per sub-account,
 * whatever the replicas); the exactly-once guarantee itself is the per-cycle payment record
 * (see AutoAllocationService), so a duplicate job, or the sweep's next tick sending a job that
 * already ran, buys nothing twice. A declined charge is retried by pg-boss
 * (`MAX_ALLOCATION_ATTEMPTS` charges in all, exponential backoff from `retryDelaySeconds`).
 */
export async function startAutoAllocationJobs(boss: PgBoss, allocations: AutoAllocationService, logger: Logger, retryDelaySeconds = 60): Promise<void> {
  await boss.createQueue(AUTO_ALLOCATION_QUEUES.RUN, {
    name: AUTO_ALLOCATION_QUEUES.RUN, policy: 'stately', retryLimit: MAX_ALLOCATION_ATTEMPTS - 1, retryDelay: retryDelaySeconds, retryBackoff: true,
  });
  await boss.work<{ subAccountId: string }>(AUTO_ALLOCATION_QUEUES.RUN, async ([job]) => {
    const outcome = await allocations.runAllocation(job.data.subAccountId);
    if (outcome === 'failed') throw new Error(`auto allocation charge failed for sub-account ${job.data.subAccountId}; retried`);
  });
  await boss.createQueue(AUTO_ALLOCATION_QUEUES.SWEEP);
  await boss.schedule(AUTO_ALLOCATION_QUEUES.SWEEP, '*/10 * * * *', {}, { tz: 'UTC' });
  await boss.work(AUTO_ALLOCATION_QUEUES.SWEEP, async () => {
    const due = await allocations.due();
    for (const subAccountId of due) {
      await boss.send(AUTO_ALLOCATION_QUEUES.RUN, { subAccountId }, { singletonKey: subAccountId });
    }
    if (due.length > 0) logger.info('auto allocations queued', { due: due.length });
  });
}

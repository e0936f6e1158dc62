import type PgBoss from 'pg-boss';
import type { Logger } from '../../shared/logger';
import type { PayoutService } from './payout.service';

/** A payout untouched this long is reconciled by the job (younger ones are still in flight). */
export const PAYOUT_RECONCILE_MIN_AGE_SECONDS = 60;

/**
 * Payouts on pg-boss: every 10 minutes (cron, one run per tick across replicas) the job
 * first reconciles PENDING payouts whose Stripe answer was lost, then pays the connected
 * agencies due one this billing cycle. Running it twice, or on two replicas at once, pays
 * nothing twice: decisions take the agency's lock and the cycle is unique per agency.
 * `minAgeSeconds` in the job's data lets operators and tests reconcile at once.
 */
export async function startPayoutJobs(boss: PgBoss, queue: string, payouts: PayoutService, logger: Logger): Promise<void> {
  await boss.createQueue(queue);
  await boss.schedule(queue, '*/10 * * * *', {}, { tz: 'UTC' });
  await boss.work<{ minAgeSeconds?: number }>(queue, async ([job]) => {
    const reconciled = await payouts.reconcilePayouts(job.data?.minAgeSeconds ?? PAYOUT_RECONCILE_MIN_AGE_SECONDS);
    const paid = await payouts.runScheduledPayouts();
    if (reconciled + paid > 0) logger.info('payouts run', { reconciled, paid });
  });
}

import type { RateLimitConfig } from '../../config/config';
import type { Logger } from '../../shared/logger';
import type { Viewer } from '../auth/role';
import { rateLimitKey } from './rate-limit-key';
import { createRateLimitStore, type RateLimitStore } from './rate-limit-store';
import { SharedBudget, type Decision } from './shared-budget';

/**
 * The mutations that spend the ingestion budget instead of the general one, whoever sends
 * them: usage ingestion is the voice platform's steady high-volume write (thousands of
 * calls a second), and a dashboard's budget must not be sized for it, nor ingestion
 * throttled by a burst of dashboard reads of the same key.
 */
export const INGEST_FIELDS: ReadonlySet<string> = new Set(['recordCallUsage', 'recordCallUsageBatch']);

const ALLOWED: Decision = { allowed: true };

/**
 * The API's rate limits, shared by every replica (see SharedBudget for how, and how far a
 * replica may overshoot):
 * - `operations`: cost points per credential (rateLimitKey) and window, charged by the
 *   operation's estimated cost (the cost limit's figure);
 * - `ingestion`: the same for operations made only of INGEST_FIELDS, with its own budget;
 * - `authFailures`: failed authentications per client IP and window; an IP past it is
 *   refused before its credentials are read.
 */
export class RateLimitService {
  private constructor(
    private readonly budgets: { operations: SharedBudget; ingestion: SharedBudget; authFailures: SharedBudget } | undefined,
    private readonly store: RateLimitStore | undefined,
  ) {}

  /** Limits off (RATE_LIMIT_ENABLED=false): every charge is admitted, nothing is stored. */
  static disabled(): RateLimitService {
    return new RateLimitService(undefined, undefined);
  }

  static async start(options: {
    config: RateLimitConfig;
    databaseUrl: string;
    redisUrl: string | undefined;
    /** The PostgreSQL store's pool (DB_RATE_LIMIT_POOL_SIZE). @default DEFAULT_DB_POOL_SIZES.rateLimits */
    poolSize?: number;
    logger: Logger;
  }): Promise<RateLimitService> {
    const { config, logger } = options;
    if (!config.enabled) return RateLimitService.disabled();
    const store = await createRateLimitStore({
      databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, poolSize: options.poolSize, keyPrefix: config.keyPrefix, logger,
    });
    const budget = (name: string, points: number, windowSeconds: number) =>
      new SharedBudget(store.limiter({ name, points, windowSeconds }), points, windowSeconds, config.syncMs, logger);
    return new RateLimitService(
      {
        operations: budget('api', config.points, config.windowSeconds),
        ingestion: budget('ingest', config.ingestPoints, config.ingestWindowSeconds),
        authFailures: budget('auth', config.authFailures, config.authFailureWindowSeconds),
      },
      store,
    );
  }

  /** Where the counters are kept ('none' when the limits are off). */
  get storeKind(): 'postgres' | 'redis' | 'none' {
    return this.store?.kind ?? 'none';
  }

  /**
   * Charges an operation of `viewer` made of the root fields `rootFields` its `cost`;
   * refused when it does not fit in the remaining budget of the window.
   */
  chargeOperation(viewer: Viewer, rootFields: readonly string[], cost: number): Decision {
    if (!this.budgets) return ALLOWED;
    const ingestion = rootFields.length > 0 && rootFields.every((field) => INGEST_FIELDS.has(field));
    return (ingestion ? this.budgets.ingestion : this.budgets.operations).charge(rateLimitKey(viewer), cost);
  }

  /** Whether `ip` has used up its failed authentications (checked before reading credentials). */
  checkAuthFailures(ip: string): Decision {
    return this.budgets ? this.budgets.authFailures.check(ip) : ALLOWED;
  }

  /** Counts one failed authentication of `ip`. */
  recordAuthFailure(ip: string): void {
    this.budgets?.authFailures.charge(ip, 1);
  }

  /** Sends every pending charge to the store and waits (tests; shutdown). */
  async flush(): Promise<void> {
    if (this.budgets) await Promise.all(Object.values(this.budgets).map((budget) => budget.flush()));
  }

  /** Sends what is pending, stops the timers and closes the store's connection. */
  async dispose(): Promise<void> {
    if (!this.budgets) return;
    await Promise.all(Object.values(this.budgets).map((budget) => budget.dispose()));
    await this.store?.dispose();
  }
}

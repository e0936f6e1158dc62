import { Pool } from 'pg';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../shared/logger';
import { DEFAULT_DB_POOL_SIZES } from '../../config/config';

/** The table the migration RateLimits1765100000000 creates: rate_limit.counters. */
export const RATE_LIMIT_SCHEMA = 'rate_limit';
export const RATE_LIMIT_TABLE = 'counters';
/** A store that does not answer within this is treated as down (the insurance limiter answers). */
const STORE_TIMEOUT_MS = 1_000;
/** How long startup waits for Redis before going on with the insurance limiters. */
const REDIS_READY_WAIT_MS = 2_000;

export interface BudgetSpec {
  /** Distinguishes the budgets' counters in one table or Redis database. */
  name: string;
  points: number;
  windowSeconds: number;
}

/** Builds rate-limiter-flexible limiters on one shared store, and owns the store's connection. */
export interface RateLimitStore {
  readonly kind: 'postgres' | 'redis';
  limiter(spec: BudgetSpec): RateLimiterAbstract;
  dispose(): Promise<void>;
}

/**
 * An in-memory limiter with the same budget, which rate-limiter-flexible consults when the
 * store fails (`insuranceLimiter`): during an outage each replica enforces the budget on its
 * own traffic, so N replicas admit up to N budgets; requests never fail because of the store.
 */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(spec: BudgetSpec, keyPrefix: string, private readonly onUse: () => void) {
    super({ keyPrefix, points: spec.points, duration: spec.windowSeconds });
  }
  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.onUse();
    return super.consume(key, points, options);
  }
}

/**
 * The store of the shared counters: Redis when `redisUrl` is set, else the API's PostgreSQL
 * (table `rate_limit.counters`, created by a migration). Either way the limiters get their own
 * small connection (a pool of DB_RATE_LIMIT_POOL_SIZE, two by default, for PostgreSQL), so a slow store never takes a connection
 * the API's queries need, and a statement timeout, so a hanging one fails fast.
 */
export async function createRateLimitStore(options: {
  databaseUrl: string;
  redisUrl: string | undefined;
  /** @default DEFAULT_DB_POOL_SIZES.rateLimits */
  poolSize?: number;
  keyPrefix: string;
  logger: Logger;
}): Promise<RateLimitStore> {
  const { logger, keyPrefix } = options;
  let lastWarning = 0;
  const warn = (message: string, fields?: object) => {
    if (Date.now() - lastWarning < 10_000) return;
    lastWarning = Date.now();
    logger.warn(message, fields);
  };
  const insurance = (spec: BudgetSpec) =>
    new InsuranceLimiter(spec, `${keyPrefix}:${spec.name}`, () => warn('rate-limit store unavailable: budgets are per replica until it answers'));

  if (options.redisUrl) {
    const redis = new Redis(options.redisUrl, {
      // Fail at once while disconnected (the insurance limiter answers) instead of queueing commands.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: STORE_TIMEOUT_MS,
    });
    redis.on('error', (error: Error) => warn('rate-limit Redis error', { message: error.message }));
    await waitForRedis(redis, logger);
    return {
      kind: 'redis',
      limiter: (spec) =>
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:${spec.name}`,
          points: spec.points,
          duration: spec.windowSeconds,
          rejectIfRedisNotReady: true,
          insuranceLimiter: insurance(spec),
        }),
      dispose: async () => {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }

  const pool = new Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? DEFAULT_DB_POOL_SIZES.rateLimits,
    connectionTimeoutMillis: STORE_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    application_name: 'voice-minutes-rate-limits',
    options: `-c statement_timeout=${STORE_TIMEOUT_MS}`,
  });
  // An idle connection dropped by the server emits here; without a listener it would crash the process.
  pool.on('error', (error) => warn('rate-limit PostgreSQL connection error', { message: error.message }));
  return {
    kind: 'postgres',
    limiter: (spec) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        schemaName: RATE_LIMIT_SCHEMA,
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        keyPrefix: `${keyPrefix}:${spec.name}`,
        points: spec.points,
        duration: spec.windowSeconds,
        insuranceLimiter: insurance(spec),
      }),
    dispose: () => pool.end(),
  };
}

async function waitForRedis(redis: Redis, logger: Logger): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), REDIS_READY_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) logger.warn('rate-limit Redis not ready at startup: budgets are per replica until it connects');
}

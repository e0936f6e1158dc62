import 'reflect-metadata';
import { ConfigError, connectionBudget, loadConfig } from './config/config';
import { openDatabase } from './db/database';
import { createSchema } from './graphql/schema';
import { ensureBootstrapPlatformKey } from './modules/auth/api-key.service';
import { createApiServer } from './server';
import { JobScheduler } from './modules/jobs/job-scheduler';
import { createPaymentGateway } from './modules/billing/create-payment-gateway';
import type { PaymentGateway } from './modules/billing/payment-gateway';
import { Logger } from './shared/logger';
import { ApiMetrics } from './modules/observability/api-metrics';

/** Until the configuration is read: startup failures are logged at any level. */
let logger = new Logger('info');

/** The composition root: config → database → schema → HTTP → jobs → signals. */
async function main(): Promise<void> {
  let config;
  let payments: PaymentGateway;
  try {
    config = loadConfig();
    payments = createPaymentGateway(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Plain text on stderr: the operator reads it in a terminal, before any log pipeline exists.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The configured secrets are censored in every line, whatever logs them.
  logger = new Logger(config.logLevel, { secrets: [config.platformAdminKey, config.jwtSecret, config.metricsToken, config.payments.stripeSecretKey, config.payments.stripeWebhookSecret, config.payments.stripeConnectWebhookSecret] });
  if (payments.mode === 'sandbox') {
    logger.warn('PAYMENTS IN SANDBOX MODE (no STRIPE_SECRET_KEY): top-ups are booked as paid without charging anyone; refused when NODE_ENV=production');
  }
  const database = await openDatabase(config, logger);

  if (!config.platformAdminKey) {
    const secret = await ensureBootstrapPlatformKey(database.dataSource);
    if (secret) {
      // Printed once, on the first start only: the database keeps just its hash.
      process.stdout.write(
        `\nCreated the first platform admin API key (shown once, store it now):\n\n  ${secret}\n\n` +
          `Use it as "Authorization: Bearer ${secret.slice(0, 8)}…"\n\n`,
      );
    }
  }

  const schema = await createSchema();
  // One registry for the process: the API's figures and the jobs' on the same /metrics.
  const metrics = new ApiMetrics();
  const server = await createApiServer({ dataSource: database.dataSource, schema, config, logger, payments, metrics });
  const jobs = config.jobsEnabled
    ? await JobScheduler.start({ databaseUrl: database.url, dataSource: database.dataSource, logger, metrics, billing: server.services.billing, payouts: server.services.payout,
        allocations: server.services.autoAllocation, poolSize: config.dbPools.jobs })
    : undefined;
  const port = await server.listen(config.port);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second signal: the operator does not want to wait; open transactions roll back.
      logger.warn('second signal during shutdown: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    const graceSeconds = config.shutdownGraceSeconds;
    logger.info('shutting down', { signal, graceSeconds });
    // Past the grace period, exit anyway: a request stuck behind a lock would otherwise keep
    // the pool (and the process) open forever. PostgreSQL rolls back the transactions of the
    // connections that close with us, so nothing is left half-applied; clients retry with their
    // idempotency keys.
    setTimeout(() => {
      logger.error(`shutdown grace period of ${graceSeconds} s (SHUTDOWN_GRACE_SECONDS) exceeded: exiting with work unfinished (its transactions roll back)`);
      process.exit(1);
    }, graceSeconds * 1000).unref();
    try {
      // WebSockets closed with 1001 (clients reconnect elsewhere), event hub stopped, HTTP
      // drained: no new connections, in-flight requests (and the group-commit batches they
      // wait on) answered.
      await server.stop();
      logger.debug('http server stopped');
      await jobs?.dispose();
      logger.debug('jobs stopped');
      await database.close();
      logger.debug('database closed');
      logger.info('shutdown complete', { signal });
      process.exit(0);
    } catch (error) {
      logger.error('shutdown failed', { message: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Only now: whoever waits for this line (an orchestrator, the tests) may signal at once.
  // The sum to keep under the server's max_connections, over every replica (README, Configuration).
  logger.info(`API ready at http://localhost:${port}/graphql`, { maxDatabaseConnections: connectionBudget(config) });
}

main().catch((error) => {
  logger.error(`startup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { openDatabase } from './db/database';
import { createSchema } from './graphql/schema';
import { ensureBootstrapPlatformKey } from './modules/auth/api-key.service';
import { createApiServer } from './server';
import { JobScheduler } from './modules/jobs/job-scheduler';
import { Logger } from './shared/logger';
import { ApiMetrics } from './modules/observability/api-metrics';

/** Until the configuration is read: startup failures are logged at any level. */
let logger = new Logger('info');

/** The composition root: config → database → schema → HTTP → jobs → signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Plain text on stderr: the operator reads it in a terminal, before any log pipeline exists.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The configured secrets are censored in every line, whatever logs them.
  logger = new Logger(config.logLevel, { secrets: [config.platformAdminKey, config.jwtSecret, config.metricsToken] });
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
  const server = await createApiServer({ dataSource: database.dataSource, schema, config, logger, metrics });
  const jobs = config.jobsEnabled
    ? await JobScheduler.start({ databaseUrl: database.url, dataSource: database.dataSource, logger, metrics })
    : undefined;
  const port = await server.listen(config.port);
  logger.info(`API ready at http://localhost:${port}/graphql`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    try {
      // WebSockets closed with 1001 (clients reconnect elsewhere), event hub stopped, HTTP drained.
      await server.stop();
      logger.debug('http server stopped');
      await jobs?.dispose();
      logger.debug('jobs stopped');
      await database.close();
      logger.debug('database closed');
      process.exit(0);
    } catch (error) {
      logger.error('shutdown failed', { message: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  logger.error(`startup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

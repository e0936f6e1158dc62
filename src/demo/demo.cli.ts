import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { createSchema } from '../graphql/schema';
import { createApiServer } from '../server';
import { Logger } from '../shared/logger';
import { httpGraphQL } from './graphql-client';
import { setUpDemo, type DemoSetup } from './demo-setup';
import { CallSimulator } from './call-simulator';

/** Pause between simulated calls: a live but readable stream. */
const CALL_INTERVAL_MS = 1_500;

/**
 * `npm run demo`: the API as `npm start` runs it (embedded PostgreSQL unless DATABASE_URL is
 * set; no scheduled jobs), a fresh demo agency created through its GraphQL endpoint, the keys
 * and URLs printed, then a simulated call stream until Ctrl-C, which stops the stream, the
 * server and the database in that order (docs/monitor.md).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new Logger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, logger);
  const server = await createApiServer({ dataSource: database.dataSource, schema: await createSchema(), config, logger });
  const port = await server.listen(config.port);
  const base = `http://localhost:${port}`;

  let stopping = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the call stream, the server and the database…\n`);
    try {
      await inFlight.catch(() => undefined);
      await server.stop();
      await database.close();
      process.exit(0);
    } catch (error) {
      console.error('demo: shutdown failed:', (error as Error).message);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // A platform key for the setup: PLATFORM_ADMIN_KEY when set, otherwise a new key of this run.
  const platformKey = config.platformAdminKey
    ?? (await server.services.apiKey.create({ role: 'PLATFORM_ADMIN', via: 'platform-key' }, { name: 'demo platform admin', role: 'PLATFORM_ADMIN' })).secret;
  const gql = httpGraphQL(`${base}/graphql`);
  const demo = await setUpDemo(gql, platformKey);
  printWelcome(demo, base, config.databaseUrl !== undefined, Boolean(config.platformAdminKey), config.playgroundEnabled, config.monitorEnabled);

  const simulator = new CallSimulator(gql, demo);
  while (!stopping) {
    inFlight = simulator.step().then(
      (call) => process.stdout.write(`call ${String(simulator.recorded).padStart(5)}  ${call.subAccount.name.padEnd(16).slice(0, 16)}  ${call.status.padEnd(9)} ${call.durationSeconds}s\n`),
      (error: Error) => process.stdout.write(`call failed: ${error.message}\n`),
    );
    await inFlight;
    await new Promise((resolve) => setTimeout(resolve, CALL_INTERVAL_MS));
  }
}

function printWelcome(demo: DemoSetup, base: string, external: boolean, platformFromEnv: boolean, playground: boolean, monitor: boolean): void {
  const lines = [
    '',
    `Demo agency "${demo.agencyName}" with ${demo.subAccounts.length} sub-accounts, on ${external ? 'DATABASE_URL' : 'the embedded PostgreSQL'}.`,
    'A new agency and new keys each run; earlier demo agencies stay as they were.',
    '',
    'API keys (shown once; use them as "Authorization: Bearer <key>"):',
    `  PLATFORM_ADMIN  ${platformFromEnv ? '(your PLATFORM_ADMIN_KEY)' : demo.keys.PLATFORM_ADMIN}`,
    `  AGENCY_ADMIN    ${demo.keys.AGENCY_ADMIN}`,
    `  CLIENT_ADMIN    ${demo.keys.CLIENT_ADMIN}   (${demo.clientAdminSubAccount.name})`,
    `  USAGE_INGEST    ${demo.keys.USAGE_INGEST}`,
    '',
    `  Playground  ${base}/graphql${playground ? '' : '   (off: ENABLE_PLAYGROUND=false)'}`,
    `  Monitor     ${base}/monitor${monitor ? '   (paste the AGENCY_ADMIN key)' : '   (off: ENABLE_MONITOR=false)'}`,
    '',
    'Simulated calls follow (Ctrl-C stops them and the server):',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error) => {
  console.error('demo failed:', error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exit(1);
});

import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import type { Logger } from '../shared/logger';
import { createDataSource } from './data-source';
import { EmbeddedPostgres } from './embedded-postgres';
import { waitForDatabase } from './connect-retry';

export const EMBEDDED_DATABASE = 'voice_minutes';

export interface Database {
  dataSource: DataSource;
  /** The connection string in use (for pg-boss, which keeps its own small pool). */
  url: string;
  /** Closes the pool, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

/** Creates `name` on the server of `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + name;
  return parsed.toString();
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL (data kept under
 * EMBEDDED_PG_DATA_DIR across restarts), then applies pending migrations.
 */
export async function openDatabase(config: AppConfig, logger: Logger): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = new EmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      port: config.embeddedPort,
      onLog: (line) => logger.debug('postgres', { line }),
      onNotice: (message) => logger.info(`embedded PostgreSQL: ${message}`),
    });
    logger.info('starting embedded PostgreSQL', { dataDir: config.embeddedDataDir, port: config.embeddedPort });
    await embedded.start();
    logger.info('embedded PostgreSQL ready', { dataDir: embedded.dataDirectory });
    await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
    url = withDatabaseName(embedded.url, EMBEDDED_DATABASE);
  }
  const dataSource = createDataSource(url, config.dbPoolSize);
  try {
    await waitForDatabase(url, config.dbConnectTimeoutSeconds, logger);
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) logger.info('applied migration', { name: migration.name });
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    url,
    close: async () => {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

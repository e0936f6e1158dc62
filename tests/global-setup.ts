import 'reflect-metadata';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { createDataSource } from '../src/db/data-source';
import { withDatabaseName } from '../src/db/database';
import { freePort } from './helpers/free-port';

/**
 * One PostgreSQL for the whole run: DATABASE_URL's server when set, else an embedded one
 * in a temporary directory. Migrations are applied once to a template database; every
 * test file then gets its own copy (CREATE DATABASE … TEMPLATE), so files run in
 * parallel without seeing each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(path.join(tmpdir(), 'voice-minutes-test-'));
    chmodSync(dir, 0o755);
    const embedded = new EmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
    await embedded.start();
    (globalThis as { __EMBEDDED_PG__?: EmbeddedPostgres }).__EMBEDDED_PG__ = embedded;
    // Removed by global-teardown: each run's cluster is ~55 MB, and /tmp is not always large.
    process.env.TEST_EMBEDDED_DIR = dir;
    adminUrl = embedded.url;
  }
  const template = `vm_test_template_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const dataSource = createDataSource(withDatabaseName(adminUrl, template), 2);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();

  process.env.TEST_ADMIN_URL = adminUrl;
  process.env.TEST_TEMPLATE_DB = template;
}

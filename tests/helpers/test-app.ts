import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { GraphQLSchema } from 'graphql';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { createDataSource, queryCounter } from '../../src/db/data-source';
import { withDatabaseName } from '../../src/db/database';
import { createSchema } from '../../src/graphql/schema';
import { createApiServer, type ApiServer } from '../../src/server';
import { Logger } from '../../src/shared/logger';
import type { Clock } from '../../src/shared/clock';
import type { PaymentGateway } from '../../src/modules/billing/payment-gateway';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string; [key: string]: unknown } }>;
}

export interface TestApp {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql (graphql-ws, same port and path) */
  wsUrl: string;
  /** The server itself (its event hub, its stop for shutdown tests). */
  server: ApiServer;
  /** A secret that authenticates as PLATFORM_ADMIN (PLATFORM_ADMIN_KEY of this app). */
  platformKey: string;
  dataSource: DataSource;
  config: AppConfig;
  /** POSTs one operation; `token` is sent as "Authorization: Bearer <token>" when given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  /** SQL statements issued through TypeORM so far (for constant-query-count assertions). */
  queryCount(): number;
  close(): Promise<void>;
}

let schemaPromise: Promise<GraphQLSchema> | undefined;

/**
 * A real API server on a free port, over its own fresh database copied from the migrated
 * template. Call once per test file (`beforeAll`) and `close()` in `afterAll`. `options.clock`
 * replaces the services' clock (see tests/helpers/test-clock.ts); `options.connectVia` maps the
 * app's connection string (tests/helpers/tcp-proxy.ts); `options.payments` the payment
 * provider (sandbox mode without it; tests/helpers/stripe-server.ts for the real SDK);
 * `options.logger` the silent logger (a test reading the log lines gives one writing to a
 * stream of its own).
 */
export async function startTestApp(
  overrides: Partial<AppConfig> = {},
  options: { clock?: Clock; connectVia?: (databaseUrl: string) => string; payments?: PaymentGateway; logger?: Logger } = {},
): Promise<TestApp> {
  const adminUrl = process.env.TEST_ADMIN_URL!;
  const template = process.env.TEST_TEMPLATE_DB!;
  const database = `vm_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database} TEMPLATE ${template}`);
  await admin.end();

  const platformKey = overrides.platformAdminKey ?? 'test-platform-key-' + randomBytes(16).toString('hex');
  const config: AppConfig = { ...loadConfig({}), port: 0, platformAdminKey: platformKey, logLevel: 'silent', ...overrides };
  // `connectVia` puts something between the app and PostgreSQL (a TCP proxy a test cuts).
  const appUrl = withDatabaseName(adminUrl, database);
  const dataSource = createDataSource(options.connectVia ? options.connectVia(appUrl) : appUrl, 20);
  await dataSource.initialize();
  schemaPromise ??= createSchema();
  const server: ApiServer = await createApiServer({
    dataSource, schema: await schemaPromise, config, logger: options.logger ?? new Logger('silent'), clock: options.clock, payments: options.payments,
  });
  const port = await server.listen(0);
  const url = `http://127.0.0.1:${port}/graphql`;

  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    server,
    platformKey,
    dataSource,
    config,
    async gql(query, variables, token = platformKey) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse;
      return { status: response.status, data: body.data, errors: body.errors };
    },
    queryCount: () => queryCounter(dataSource).count,
    async close() {
      await server.stop();
      await dataSource.destroy();
      const drop = new Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await drop.end();
    },
  };
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function ok<T = any>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The first error code of a response that must have failed. */
export function errorCode(response: GraphQLResponse): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

import { MIGRATIONS } from '../src/db/data-source';
import { Client } from 'pg';
import { loadConfig } from '../src/config/config';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { until } from './helpers/until';

/**
 * /healthz and /readyz on a server with its own database copy, which the test takes away
 * (ALLOW_CONNECTIONS false and every backend terminated: the pool's connections, the event
 * listener's, the readiness probe's) and gives back.
 */
let app: TestApp;
let base: string;
let admin: Client;
let database: string;

interface Probe {
  status: number;
  headers: Headers;
  body: any;
}

const get = async (path: string, init: RequestInit = {}): Promise<Probe> => {
  const response = await fetch(base + path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
};

beforeAll(async () => {
  app = await startTestApp({ rateLimits: { ...loadConfig({}).rateLimits, authFailures: 2 } });
  base = app.url.replace(/\/graphql$/, '');
  [{ database }] = await app.dataSource.query('SELECT current_database() AS database');
  admin = new Client({ connectionString: process.env.TEST_ADMIN_URL });
  await admin.connect();
});

afterAll(async () => {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
  await admin.end();
  await app.close();
});

describe('GET /healthz', () => {
  it('should answer 200 JSON while the process runs, with the security headers and a request id', async () => {
    const probe = await get('/healthz');
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual({ status: 'ok' });
    expect(probe.headers.get('content-type')).toMatch(/^application\/json/);
    expect(probe.headers.get('cache-control')).toBe('no-store');
    expect(probe.headers.get('x-content-type-options')).toBe('nosniff');
    expect(probe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const head = await get('/healthz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
  });

  it('should refuse other methods with 405', async () => {
    const probe = await get('/healthz', { method: 'POST' });
    expect(probe.status).toBe(405);
    expect(probe.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('GET /readyz', () => {
  it('should answer 200 with every check passing', async () => {
    const probe = await get('/readyz');
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual({ status: 'ready', ready: true, checks: { database: 'ok', migrations: 'ok', eventListener: 'connected' } });
  });

  it('should answer 503 naming the migrations not applied, and 200 once they are', async () => {
    // TypeORM answers a DELETE with [rows, count].
    const [[removed]] = await app.dataSource.query(`DELETE FROM migrations WHERE name = 'RateLimits1765100000000' RETURNING id, timestamp, name`);
    try {
      const probe = await until(() => get('/readyz'), (p) => p.status === 503);
      expect(probe.body.checks).toEqual({ database: 'ok', migrations: 'pending', eventListener: 'connected' });
      expect(probe.body.reason).toBe(`1 of ${MIGRATIONS.length} migrations not applied (RateLimits1765100000000)`);
    } finally {
      await app.dataSource.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [removed.id, removed.timestamp, removed.name]);
    }
    expect((await until(() => get('/readyz'), (p) => p.status === 200)).body.ready).toBe(true);
  });

  it('should answer 503 while the database is unreachable, showing the listener lost, and 200 once it is back', async () => {
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);

    const down = await until(
      () => get('/readyz'),
      (p) => p.status === 503 && p.body.checks.database !== 'ok' && p.body.checks.eventListener === 'disconnected',
    );
    expect(down.body).toMatchObject({
      status: 'not ready', ready: false,
      checks: { database: 'unreachable', migrations: 'unknown', eventListener: 'disconnected' },
    });
    expect(down.body.reason).toBe('database unreachable; event listener disconnected (reconnecting)');
    // Neither a connection string nor a driver message reaches the unauthenticated probe.
    expect(JSON.stringify(down.body)).not.toMatch(/postgres|127\.0\.0\.1|ECONN|[Tt]erminat/);
    // Alive all the same: the process is not to be restarted for an outage of the database.
    expect((await get('/healthz')).status).toBe(200);

    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
    const up = await until(() => get('/readyz'), (p) => p.status === 200);
    expect(up.body.checks).toEqual({ database: 'ok', migrations: 'ok', eventListener: 'connected' });
    expect(ok(await app.gql('{ viewer { role } }')).viewer.role).toBe('PLATFORM_ADMIN');
  });

  it('should not be rate limited: an address past its failed-authentication budget is still answered (last: the address stays blocked)', async () => {
    const badKey = () => app.gql('{ viewer { role } }', {}, 'vmk_not-a-real-key-at-all');
    await until(badKey, (response) => response.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  });
});

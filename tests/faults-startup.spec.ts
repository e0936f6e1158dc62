import { freePort } from './helpers/free-port';
import { TcpProxy } from './helpers/tcp-proxy';
import { ensureBuilt, freshDatabase, spawnServer, waitForOutput } from './helpers/server-process';

/**
 * Startup against an unreachable PostgreSQL (issue 17): the built server names the server
 * and the cause, retries with backoff, and exits 1 after DB_CONNECT_TIMEOUT_SECONDS; a
 * database that comes up within the wait is used.
 */
describe('startup with an unreachable database', () => {
  jest.setTimeout(120_000);
  beforeAll(() => ensureBuilt());

  it('should say which server and why, retry, and exit 1 after DB_CONNECT_TIMEOUT_SECONDS', async () => {
    const closed = await freePort();
    const server = await spawnServer({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/nothing`, DB_CONNECT_TIMEOUT_SECONDS: '2', JOBS_ENABLED: 'false',
    });
    expect(await server.exited).toBe(1);
    const output = server.output();
    const retries = output.match(new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(connect ECONNREFUSED[^)]*\\); retrying in \\d+ ms`, 'g')) ?? [];
    expect(retries.length).toBeGreaterThanOrEqual(2);
    // Backoff: the announced waits grow.
    const waits = retries.map((line) => Number(/retrying in (\d+) ms/.exec(line)![1]));
    expect(waits[1]).toBeGreaterThan(waits[0]);
    expect(output).toMatch(new RegExp(`startup failed: PostgreSQL at 127\\.0\\.0\\.1:${closed} unreachable after \\d+ attempt\\(s\\) over 2 s \\(DB_CONNECT_TIMEOUT_SECONDS\\): connect ECONNREFUSED`));
    expect(output).not.toContain('API ready');
  });

  it('should start once the database becomes reachable within the wait', async () => {
    const database = await freshDatabase();
    const admin = new URL(process.env.TEST_ADMIN_URL!);
    const proxy = new TcpProxy(await freePort(), { host: admin.hostname, port: Number(admin.port || 5432) });
    try {
      const server = await spawnServer({ DATABASE_URL: proxy.urlFor(database.url), DB_CONNECT_TIMEOUT_SECONDS: '60', JOBS_ENABLED: 'false' });
      await waitForOutput(server, 'retrying in');
      await proxy.restore();
      await waitForOutput(server, 'API ready');
      expect(server.output()).toContain('PostgreSQL reachable');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await proxy.cut();
      await database.drop();
    }
  });

  it('should not retry what a retry cannot fix (no such database)', async () => {
    const url = new URL(process.env.TEST_ADMIN_URL!);
    url.pathname = '/vm_test_no_such_database';
    const server = await spawnServer({ DATABASE_URL: url.toString(), DB_CONNECT_TIMEOUT_SECONDS: '60', JOBS_ENABLED: 'false' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/startup failed: cannot use PostgreSQL at [^ ]+: database \\?"vm_test_no_such_database\\?" does not exist/);
    expect(server.output()).not.toContain('retrying in');
  });
});

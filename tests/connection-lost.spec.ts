import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { isTransientConnectionError } from '../src/db/connect-retry';

/**
 * A transaction whose backend is terminated between two of its statements (issue 17; found by
 * `npm run soak`, where a usage batch answered INTERNAL_SERVER_ERROR during a restart): TypeORM
 * releases the query runner on the connection's 'error' event, so the next statement throws
 * QueryRunnerProviderAlreadyReleasedError rather than pg's error. It is the database's
 * outage, retryable, and nothing of the transaction is kept.
 */
describe('a connection lost in the middle of a transaction', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it('should fail the transaction with an error classified as transient, and keep nothing of it', async () => {
    await app.dataSource.query(`CREATE TABLE IF NOT EXISTS lost_connection_probe (n int)`);
    const failure = await app.dataSource
      .transaction(async (em) => {
        const [{ pid }] = await em.query(`SELECT pg_backend_pid() AS pid`);
        await em.query(`INSERT INTO lost_connection_probe VALUES (1)`);
        // From another connection of the pool.
        await app.dataSource.query(`SELECT pg_terminate_backend($1)`, [pid]);
        // The connection's 'error' event arrives on its own, before the next statement.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await em.query(`INSERT INTO lost_connection_probe VALUES (2)`);
      })
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toBeDefined();
    expect(isTransientConnectionError(failure)).toBe(true);
    const [{ count }] = await app.dataSource.query(`SELECT count(*)::int AS count FROM lost_connection_probe`);
    expect(count).toBe(0);
  });

  it('should classify a released runner as the outage also when graphql-js wrapped it, and keep serving', async () => {
    // The same classification decides the GraphQL answer (SERVICE_UNAVAILABLE, retryable).
    expect(isTransientConnectionError({ originalError: new QueryRunnerProviderAlreadyReleasedError() })).toBe(true);
    expect(isTransientConnectionError({ originalError: new QueryRunnerAlreadyReleasedError() })).toBe(true);
    expect(isTransientConnectionError(new Error('duplicate key value violates unique constraint'))).toBe(false);
    ok(await app.gql('{ viewer { role } }'));
  });
});
